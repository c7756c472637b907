"""The location and Gaussian games' scores and gradients in closed form, without autograd.

The robust estimators' games have a fixed shape: a generator that is a location model
N(η, I) (``RobustGANMean``) or a Gaussian model N(η, LLᵀ) (``RobustGANScatter``), antithetic
latent noise z = ±h, a multilayer perceptron as the discriminator, and a divergence whose
scores' derivatives are stated (JS, GAN, TV). Then the discriminator's first layer on the
model's rows η + Lz is W₁η + b₁ ± (W₁L)h: a product over half the rows, the rows never formed.
Every gradient of both players follows from the logits' gradient by the chain rule written out
(``location_model_backward``): the first layer's weight gradient over the model's rows is
(Σ g)ηᵀ + (g₊ − g₋)(Lh)ᵀ, η's is W₁ᵀΣ g and L's the lower triangle of W₁ᵀ(g₊ − g₋)hᵀ.

At the estimators' sizes a step's cost is its passes and launches, not its products, and
autograd's graph of the same network makes more of them than the arithmetic needs (under
cProfile its backward alone was 0.37 ms of a default mean fit's 1.3 ms step). These kernels
serve a single game (``robustgan.engine.AdversarialLoop``, tensors seen with a member
dimension of one) and a batched one (``robustgan.batched``, R members) alike.

Every tensor has a leading member dimension R: weights (R, out, in), rows (R, b, p), logits
(R, b); hidden activations are kept feature-major, (R, width, b).
"""

import math
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .divergences import GAN, Divergence, JensenShannon, has_closed_form_derivatives
from .nets import MLPDiscriminator

__all__ = [
    "backward_to_first_layer",
    "bound_and_gradient",
    "generator_loss_and_gradient",
    "location_model_backward",
    "location_model_forward",
    "location_model_gradients",
    "mlp_layers",
    "rescaled",
    "takes_closed_form",
    "weight_gradient",
]


class _Activation(NamedTuple):
    """A hidden activation σ in every form the stacked MLPs use; ``slope`` is leaky ReLU's."""

    plain: Callable  # (a, slope) -> σ(a) in autograd's operations (differentiable twice)
    inplace: Callable  # (a, slope) -> σ(a), over a where σ' can be read off σ(a)
    into: Callable  # (a, out, slope) -> σ(a) written into out (a strided view, or a itself)
    grad: Callable  # (grad, out, slope) -> σ'(a)·grad from out = σ(a), a new tensor
    grad_: Callable  # (grad, out, slope) -> the same, written over grad


_aten = torch.ops.aten


def _softplus_derivative(out):
    """σ(a) = 1 − e^{−softplus(a)}, from out = softplus(a)."""
    return torch.expm1(out.neg()).neg_()


def _smooth(function, in_place, backward):
    """The kernels of an activation whose torch function takes ``out=``, with an in-place
    method and an aten backward from its output (sigmoid, tanh)."""
    return _Activation(
        plain=lambda a, slope: function(a),
        inplace=lambda a, slope: in_place(a),
        into=lambda a, out, slope: function(a, out=out),
        grad=lambda grad, out, slope: backward(grad, out),
        grad_=lambda grad, out, slope: backward.grad_input(grad, out, grad_input=grad),
    )


def _leaky_slope(module):
    # σ'(a) is read off the sign of σ(a), which a negative slope would flip.
    return None if module.negative_slope < 0 else float(module.negative_slope)


# The one dispatch on a hidden activation: its module's type gives its kernels and its slope
# (None: settings the kernels do not compute; such a network takes the generic path).
_ACTIVATIONS = {
    nn.LeakyReLU: (_leaky_slope, _Activation(
        plain=lambda a, slope: F.leaky_relu(a, slope),
        inplace=lambda a, slope: F.leaky_relu_(a, slope),
        into=lambda a, out, slope: _aten.leaky_relu.out(a, slope, out=out),
        grad=lambda grad, out, slope: _aten.leaky_relu_backward(grad, out, slope, True),
        grad_=lambda grad, out, slope: _aten.leaky_relu_backward.grad_input(
            grad, out, slope, True, grad_input=grad),
    )),
    nn.ReLU: (lambda m: 0.0, _Activation(
        plain=lambda a, slope: F.relu(a),
        inplace=lambda a, slope: a.relu_(),
        into=lambda a, out, slope: torch.clamp(a, min=0.0, out=out),
        grad=lambda grad, out, slope: _aten.threshold_backward(grad, out, 0.0),
        grad_=lambda grad, out, slope: _aten.threshold_backward.grad_input(
            grad, out, 0.0, grad_input=grad),
    )),
    nn.Sigmoid: (lambda m: 0.0, _smooth(torch.sigmoid, torch.Tensor.sigmoid_,
                                        _aten.sigmoid_backward)),
    nn.Tanh: (lambda m: 0.0, _smooth(torch.tanh, torch.Tensor.tanh_, _aten.tanh_backward)),
    # The derivative is read off the output (``_softplus_derivative``): only the default
    # β = 1 and threshold 20, which the kernels compute (past the threshold softplus(a) = a,
    # whose derivative 1 the formula gives too).
    nn.Softplus: (lambda m: 0.0 if (m.beta, m.threshold) == (1.0, 20.0) else None, _Activation(
        plain=lambda a, slope: F.softplus(a),
        inplace=lambda a, slope: F.softplus(a),  # not in place: softplus has no such kernel
        into=lambda a, out, slope: _aten.softplus.out(a, 1.0, 20.0, out=out),
        grad=lambda grad, out, slope: _softplus_derivative(out).mul_(grad),
        grad_=lambda grad, out, slope: grad.mul_(_softplus_derivative(out)),
    )),
}


def _activation_backward(grad, out, activation, slope):
    """∂/∂a of the activation, from its output ``out``, times ``grad``.

    Written over ``grad`` (a temporary of the backward: one large allocation fewer per layer)
    unless ``grad`` is a broadcast view, which the result is then allocated for.
    """
    backward = activation.grad if 0 in grad.stride() else activation.grad_
    return backward(grad, out, slope)


def rescaled(gradient, scale):
    """A first-layer gradient times the rank-one factor (R, width, 1) of the last hidden
    layer's gradient, where that factor was left out (``backward_to_first_layer``)."""
    if scale is None:
        return gradient
    return gradient.mul_(scale if gradient.ndim == 3 else scale.squeeze(2))


def backward_to_first_layer(grad_v, hidden, weights, activations, wanted, grads):
    """Back-propagate the logits' gradient down to the first hidden layer's pre-activations.

    Fills ``grads`` (weights and biases, in layer order; only where ``wanted``) for the output
    layer and the hidden layers above the first; ``hidden`` are the hidden layers' outputs,
    feature-major (R, width, b). Returns ``(grad_a, scale)``: the first layer's
    pre-activation gradient is ``grad_a`` times ``scale`` (R, width, 1) when ``scale`` is
    not None. The last hidden layer's gradient is rank one per member, w_outᵀ grad_vᵀ: its
    activation's backward reads grad_v broadcast over the units, and the output weights scale
    the small products after it, one pass over the hidden activations fewer than forming
    w_outᵀ grad_vᵀ.
    """
    if wanted[-2]:
        grads[-2] = torch.bmm(grad_v.unsqueeze(1), hidden[-1].transpose(1, 2))
    if wanted[-1]:
        grads[-1] = grad_v.sum(1, keepdim=True)
    scale = weights[-1].transpose(1, 2)
    grad_h = grad_v.unsqueeze(1).expand(-1, scale.shape[1], -1)  # (R, width, b)
    for k in range(len(hidden) - 1, 0, -1):
        grad_a = _activation_backward(grad_h, hidden[k], *activations[k])
        if wanted[2 * k]:
            grads[2 * k] = rescaled(weight_gradient(grad_a, hidden[k - 1]), scale)
        if wanted[2 * k + 1]:
            grads[2 * k + 1] = rescaled(grad_a.sum(2), scale)
        w = weights[k] if scale is None else weights[k] * scale
        grad_h = torch.bmm(w.transpose(1, 2), grad_a)
        scale = None
    return _activation_backward(grad_h, hidden[0], *activations[0]), scale


def location_model_forward(x_real, half, location, n_model, activations, params, factor=None):
    """The logits of ``_LocationModelMLP`` and what its backward needs (no autograd).

    With ``factor`` L (R, p, p), the model's rows are those of a Gaussian model, η + Lz.
    """
    weights, biases = params[0::2], params[1::2]
    w1, b1 = weights[0], biases[0]
    first, first_slope = activations[0]
    members, m = half.shape[0], half.shape[1]
    b = 0 if x_real is None else x_real.shape[1]
    # The first layer's pre-activations, real rows then the model's, in one tensor, and the
    # activation over all of it at once: the real rows' product goes into a column range,
    # through a temporary (MKL writes contiguous matrices), and still costs less than writing
    # them with the activation and activating the model's rows apart (two activations over
    # strided views: 2.5 times one over the whole, at p = 100). Not baddbmm, whose result for
    # a member depends on the batch's size (``robustgan.batched``); the same sums as before.
    h = w1.new_empty(members, w1.shape[1], b + n_model)
    bias = b1.unsqueeze(-1)
    if b:
        torch.bmm(w1, x_real.transpose(1, 2), out=h[:, :, :b])
        h[:, :, :b] += bias
    centre = torch.bmm(w1, location.unsqueeze(2))
    centre += bias
    # A Gaussian model's first layer is W₁η + b₁ ± (W₁L)h: L costs one (width, p) product.
    spread = torch.bmm(w1 if factor is None else torch.bmm(w1, factor), half.transpose(1, 2))
    torch.add(centre, spread, out=h[:, :, b:b + m])
    torch.sub(centre, spread[:, :, :n_model - m], out=h[:, :, b + m:])
    h = first.inplace(h, first_slope)
    outputs = [h]
    for (activation, slope), w, bias in zip(activations[1:], weights[1:-1], biases[1:-1]):
        a = torch.bmm(w, h)
        a += bias.unsqueeze(-1)
        h = activation.inplace(a, slope)
        outputs.append(h)
    v = torch.bmm(weights[-1], h).squeeze(1) + biases[-1]
    return v, (x_real, half, location, factor, *outputs, *weights)


def location_model_backward(saved, grad_v, activations, wanted, model_wanted):
    """Gradients of the location, of the factor and of ``_LocationModelMLP``'s parameters.

    From the logits' gradient, as ``(grad_location, grad_factor, grads)``: the model's
    gradients are None unless ``model_wanted`` (the factor's also where the model has none),
    the parameters' None where not ``wanted``. The factor's is lower-triangular, as
    autograd's through ``torch.tril``.
    """
    n_hidden = len(activations)
    x_real, half, location, factor = saved[:4]
    outputs, weights = saved[4:4 + n_hidden], saved[4 + n_hidden:]
    b, m = (0 if x_real is None else x_real.shape[1]), half.shape[1]
    tail = outputs[0].shape[2] - b - m  # rows of −h
    grads = [None] * (2 * len(weights))
    grad_a, scale = backward_to_first_layer(grad_v, outputs, weights, activations, wanted,
                                            grads)
    grad_location = grad_factor = None
    model = grad_a[:, :, b:]
    model_sum = model.sum(2)
    if wanted[0] or (model_wanted and factor is not None):
        plus, minus = model[:, :, :m], model[:, :, m:]
        if tail == m:
            paired = plus - minus
        else:
            paired = plus.clone()
            paired[:, :, :tail] -= minus
        noise = torch.bmm(paired, half)  # Σ g zᵀ over the model's rows
    if wanted[0]:
        grad_w = noise if factor is None else torch.bmm(noise, factor.transpose(1, 2))
        if b:
            grad_w += torch.bmm(grad_a[:, :, :b], x_real)
        grad_w += model_sum.unsqueeze(2) * location.unsqueeze(1)
        grads[0] = rescaled(grad_w, scale)
    if model_wanted:
        w = weights[0] if scale is None else weights[0] * scale
        grad_location = torch.bmm(w.transpose(1, 2), model_sum.unsqueeze(2)).squeeze(2)
        if factor is not None:
            grad_factor = torch.bmm(w.transpose(1, 2), noise).tril_()
    if wanted[1]:  # last: without real rows it scales model_sum in place
        grads[1] = rescaled(model_sum if not b else grad_a[:, :, :b].sum(2) + model_sum, scale)
    return grad_location, grad_factor, grads


def location_model_gradients(x_real, half, location, n_model, activations, params,
                             loss_and_gradient, wrt="weights", factor=None):
    """A step's losses and gradients for the location or Gaussian game, without autograd.

    Scores the real rows (or none) and ``n_model`` model rows (``location_model_forward``),
    hands the logits to ``loss_and_gradient(v)``, which returns each member's loss (R,) and
    ∂(Σ losses)/∂v, and back-propagates that gradient (``location_model_backward``).
    ``wrt="weights"``: the network's parameters' gradients, in the order of ``params``;
    ``"location"``: the location's gradient, or given ``factor`` the location's and the
    factor's (lower-triangular). Returns ``(losses, gradients)``.
    """
    v, saved = location_model_forward(x_real, half, location, n_model, activations, params,
                                      factor)
    losses, grad_v = loss_and_gradient(v)
    weights = wrt == "weights"
    grad_location, grad_factor, grads = location_model_backward(
        saved, grad_v, activations, (weights,) * len(params), not weights)
    if weights:
        return losses, grads
    return losses, grad_location if factor is None else (grad_location, grad_factor)


def weight_gradient(grad_a, h):
    """Σ_b grad_a[:, :, b] h[:, :, b]ᵀ, (R, out, in), contiguous, from feature-major operands.

    The first layer's ``h`` is the row-major input seen transposed: grad_a times that input is
    one plain product (1.6–1.8 times faster than the alternative at p = 10 and 100). For a
    hidden layer's feature-major ``h``, MKL is faster at the first of the two equivalent
    products for narrow layers and at the second for wide ones. The choice depends on layouts
    and shapes only, never on R. Contiguous because a member's gradient norm (for clipping)
    must be summed in one order.
    """
    if h.shape[1] < 32 and not h.transpose(1, 2).is_contiguous():
        return torch.bmm(h, grad_a.transpose(1, 2)).transpose(1, 2).contiguous()
    return torch.bmm(grad_a, h.transpose(1, 2))


def mlp_layers(module):
    """((kernels, slope) per hidden activation, linear layers) of an MLPDiscriminator, or
    None when it has other parts (or activations ``_ACTIVATIONS`` does not compute)."""
    if (type(module).forward is not MLPDiscriminator.forward
            or type(getattr(module, "net", None)) is not nn.Sequential):
        return None
    layers = list(module.net)
    linears, activations = layers[0::2], layers[1::2]
    # Alternating linear layers and activations, at least one hidden layer, a scalar output.
    if not activations or len(linears) != len(activations) + 1:
        return None
    if not all(type(m) is nn.Linear for m in linears) or linears[-1].out_features != 1:
        return None  # spectrally normalised (parametrised) layers take the vmap path
    kernels = []
    for act in activations:
        slope_of, activation = _ACTIVATIONS.get(type(act), (lambda m: None, None))
        slope = slope_of(act)
        if slope is None:
            return None
        kernels.append((activation, slope))
    return tuple(kernels), linears


def takes_closed_form(divergence):
    """Whether both players' gradients of a game of ``divergence`` have the closed form.

    The divergence must state its scores' derivatives and keep the variational bound's
    losses (a subclass that changes a loss, or the objective, changes the gradients).

    Examples
    --------
    >>> from robustgan.divergences import get_divergence
    >>> takes_closed_form(get_divergence("js")), takes_closed_form(get_divergence("kl"))
    (True, False)
    """
    kind = type(divergence)
    return (has_closed_form_derivatives(divergence)
            and kind.discriminator_loss is Divergence.discriminator_loss
            and kind.generator_loss is Divergence.generator_loss
            and kind.objective is Divergence.objective)


# Divergences whose real score is c − softplus(−v) and fake score softplus(v) − c, with the
# derivatives σ(−v) and σ(v): c by class. The class itself only: a subclass may change a score.
_LOGISTIC_OFFSETS = {JensenShannon: math.log(2.0), GAN: 0.0}


@lru_cache(maxsize=8)
def _row_signs(n, dtype, device):
    """(−1 for the real rows, +1 for the model's; −1/n and 1/n), each (1, 2, 1): the logistic
    bound's constants, made once per game size (read only)."""
    signs = torch.tensor([-1.0, 1.0], dtype=dtype, device=device).view(1, 2, 1)
    return signs, signs / n


def bound_and_gradient(divergence, v):
    """Each member's discriminator loss and the gradient of their sum, from the logits.

    ``v`` (R, 2n): each member's n real rows, then its n model rows. The loss is
    mean f*(g(v)) over the model's rows minus mean g(v) over the real ones (the negated
    variational bound, ``Divergence.discriminator_loss``).

    Examples
    --------
    >>> from robustgan.divergences import get_divergence
    >>> v = torch.tensor([[0.5, -0.5]], requires_grad=True)
    >>> loss, grad = bound_and_gradient(get_divergence("js"), v.detach())
    >>> auto = get_divergence("js").discriminator_loss(v[:, :1], v[:, 1:])
    >>> auto_grad = torch.autograd.grad(auto, v)[0]
    >>> bool(torch.allclose(loss, auto)), bool(torch.allclose(grad, auto_grad))
    (True, True)
    """
    n_model = v.shape[1] // 2
    offset = _LOGISTIC_OFFSETS.get(type(divergence))
    if offset is not None:
        # Scores softplus(±v) up to constants: with the real rows' logits negated, one softplus
        # and one sigmoid over both halves give what two of each and their scalar operations
        # did (a third of the kernels, two thirds of this function's time). The negated logits
        # are written as (R, 2, n) rows of a wider buffer, which the kernels cannot merge into
        # one loop: each half is then computed as it was alone, to the bit (over one merged
        # loop, the last elements would take the scalar path, the sigmoid rounding them
        # otherwise, and a member's gradient would depend on R).
        signs, scaled = _row_signs(n_model, v.dtype, v.device)
        signed = v.new_empty(v.shape[0], 2, n_model + 1)[:, :, :n_model]
        torch.mul(v.unflatten(1, (2, n_model)), signs, out=signed)
        losses = F.softplus(signed).sum((1, 2)).div_(n_model).sub_(2.0 * offset)
        return losses, torch.sigmoid(signed).mul_(scaled).flatten(1)
    v_real, v_model = v[:, :n_model], v[:, n_model:]
    losses = divergence.fake_score(v_model).mean(-1) - divergence.real_score(v_real).mean(-1)
    grad_v = torch.empty_like(v)
    torch.mul(divergence.real_score_derivative(v_real), -1.0 / n_model, out=grad_v[:, :n_model])
    torch.mul(divergence.fake_score_derivative(v_model), 1.0 / n_model, out=grad_v[:, n_model:])
    return losses, grad_v


def generator_loss_and_gradient(divergence, v):
    """Each member's generator loss, −mean f*(g(v)) over its model rows ``v`` (R, n), and the
    gradient of their sum (``Divergence.generator_loss``).

    Examples
    --------
    >>> from robustgan.divergences import get_divergence
    >>> v = torch.tensor([[0.5, -0.5]], requires_grad=True)
    >>> loss, grad = generator_loss_and_gradient(get_divergence("js"), v.detach())
    >>> auto = get_divergence("js").generator_loss(v)
    >>> auto_grad = torch.autograd.grad(auto, v)[0]
    >>> bool(torch.allclose(loss, auto)), bool(torch.allclose(grad, auto_grad))
    (True, True)
    """
    losses = divergence.fake_score(v).mean(-1).neg_()
    return losses, divergence.fake_score_derivative(v).mul_(-1.0 / v.shape[1])
