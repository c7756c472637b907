"""Batched adversarial fits: R independent games advanced by one tensor program.

A contamination study fits thousands of small GANs; one at a time, the hardware waits on Python
and kernel launches, not on arithmetic. Here R games of one configuration become one game whose
tensors carry a leading member dimension: the discriminators' weights are stacked, shape
(R, out, in), and applied with batched matrix products; the generators' parameters likewise; the
real minibatches are (R, b, p). ``robustgan.engine.AdversarialLoop`` plays it with
``members=R``: each member minimises its own mean loss (the loop minimises their sum, whose
gradient with respect to member r's parameters is member r's own gradient), clipping is per
member, and a member that diverges is recorded, not raised. One training step advances all R
games with the same number of kernel launches as one.

What makes member r's fit the fit it would have alone:

* the same algorithm: every member is an ``AdversarialProblem``, the game its single fit
  would solve (``AdversarialProblem.solve``), prepared by the same code; its step count,
  options and the averaging of its last iterates are that problem's;
* its own randomness: every member has its own torch generators, seeded from its own
  ``random_state``; draws are made in chunks of ``_CHUNK`` calls per member, so the streams do
  not depend on R or on the other members;
* its own arithmetic: every operation of the step acts on each member's slice separately, with
  kernels chosen so that a member's slice is computed the same way whatever the batch's size
  (no ``baddbmm``, whose kernel for a batch of one differs; weight gradients made contiguous
  before the per-member norms), and a phantom member closes every batch so that no real
  member's elements fall in the scalar remainder loop of a vectorised kernel.

So a member's result does not depend on which other members share its batch, nor on how many
(bit for bit on one CPU thread, tested; multithreaded kernels split work at points that move
with the batch's size). It is *statistically*, not bit for bit, the single fit's: its random
draws come in another order and batched products round differently
(``benchmarks/bench_batched.py`` compares the error distributions of both paths).

No step reads a tensor back to the host: losses stay in device buffers and the non-finite
check, per member, reads one flag per ``check_every`` steps.

The estimators' location game (``RobustGANMean``) never forms its generated rows: with
antithetic noise z = ±h, the discriminator's first layer on η + z is W₁η + b₁ ± W₁h, a product
over half the rows, and its gradients follow in closed form (``_LocationModelMLP``, on the
kernels of ``robustgan.closed_form``, which single games use too). Where
the divergence states its scores' derivatives (JS, GAN, TV), both players' gradients are
computed without autograd at all; the engine's clipping and optimisers then take them as
they would take backward's. The scatter game's Gaussian model (``RobustGANScatter``) takes
the same closed form for such divergences (its rows are formed otherwise): on η ± Lh the first
layer is W₁η + b₁ ± (W₁L)h, and L's gradient is the lower triangle of W₁ᵀ(g₊ − g₋)h. In
every batched game the generator's step computes no gradient for the discriminator's weights.

Data sets of different sizes need no padding: the real rows of all members live in one
(N, p) tensor and member r draws its row indices from its own range. Games that differ in
anything else (the number of steps, the dimension, the options, the architectures) cannot share
a batch; the caller forms the groups (``robustgan.fit_many`` does, for the estimators).

Solving trains each problem's modules, as ``AdversarialProblem.solve`` does: ``solve_many``
writes every member's trained parameters back into its own generator and discriminator, so an
estimator with stages (TV-GAN plays a JS-GAN game first and continues from its trained
discriminator) plays them batched as it plays them alone.
"""

import copy
import math
import warnings
from functools import partial

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from .closed_form import (
    backward_to_first_layer,
    bound_and_gradient,
    generator_loss_and_gradient,
    location_model_backward,
    location_model_forward,
    location_model_gradients,
    mlp_layers,
    rescaled,
    takes_closed_form,
    weight_gradient,
)
from .engine import (
    AdversarialFit,
    AdversarialLoop,
    History,
    NormalPool,
    antithetic_normal,
    latent_pool_size,
    standard_normal,
    train_adversarial,
    uses_latent_pool,
)
from .nets import GaussianGenerator, LocationGenerator, MLPDiscriminator

__all__ = [
    "MemberIndexSampler",
    "MemberLatentSampler",
    "MemberNormalPool",
    "MemberPenalty",
    "MemberStack",
    "StackedGaussianGenerator",
    "StackedLocationGenerator",
    "StackedMLPDiscriminator",
    "solve_many",
    "stack_modules",
]

# Draws per member per refill of a sampler: enough to take the per-member generator calls out of
# the step's cost, few enough to keep the index buffers small (R·b·_CHUNK integers).
_CHUNK = 16
_MAX_LATENT_CHUNK_ELEMENTS = 1 << 22
_HIDDEN_CHUNK_ELEMENTS = 1 << 22


def _member_generators(seeds, device):
    return [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]


def _stream_seeds(random_state, n_streams):
    """Independent seeds for a member's samplers, from the member's own training seed."""
    state = np.random.SeedSequence(int(random_state)).generate_state(n_streams, dtype=np.uint64)
    return [int(s >> np.uint64(1)) for s in state]


def _row_storage(tensors):
    """One tensor holding every member's rows and each member's first row in it.

    When the members' tensors are row ranges of one contiguous tensor (``robustgan.fit_many`` puts every
    data set in one buffer; a GAN ensemble shares one data set) that tensor is used as it is:
    no copy. Otherwise the tensors are concatenated.
    """
    first = tensors[0]
    base = first if first._base is None else first._base
    row_shape = tuple(first.shape[1:])
    shared = (
        base.is_contiguous()
        and tuple(base.shape[1:]) == row_shape
        and all(
            (t is base or t._base is base) and t.is_contiguous() and tuple(t.shape[1:]) == row_shape
            for t in tensors
        )
    )
    if shared:
        row_bytes = max(1, math.prod(row_shape)) * base.element_size()
        offsets = [(t.data_ptr() - base.data_ptr()) // row_bytes for t in tensors]
        return base, offsets
    offsets = np.concatenate([[0], np.cumsum([t.shape[0] for t in tensors])[:-1]]).tolist()
    return torch.cat(list(tensors)), offsets


# --- samplers with one random stream per member --------------------------------------------------


class _MemberStreams:
    """Saving and restoring a sampler with one generator per member that draws a chunk of calls
    at a time: the generators' states, and the attributes named in ``_STATE`` (saved under
    their names without the underscore)."""

    _STATE = ()

    def state_dict(self):
        return {"generators": [g.get_state() for g in self.generators],
                **{name.lstrip("_"): getattr(self, name) for name in self._STATE}}

    def load_state_dict(self, state):
        for g, s in zip(self.generators, state["generators"]):
            g.set_state(s)
        for name in self._STATE:
            setattr(self, name, state[name.lstrip("_")])


class MemberIndexSampler(_MemberStreams):
    """Real minibatches of R members, shape (R, b, ...): rows drawn with replacement, per member.

    Member r draws from its own rows with its own generator, ``_CHUNK`` calls at a time, so its
    minibatches depend on its seed only. The batched counterpart of
    ``robustgan.engine.IndexSampler``.

    Parameters
    ----------
    data : sequence of torch.Tensor of shape (n_r, ...)
        Each member's rows, on one device, rows of one shape. Row ranges of one tensor are used
        without a copy; otherwise they are concatenated once.
    batch_size : int
        Rows per member per minibatch, capped at each n_r; the capped sizes must agree.
    seeds : sequence of int
        One per member.

    Examples
    --------
    >>> data = [torch.zeros(5, 2), torch.ones(8, 2)]
    >>> sampler = MemberIndexSampler(data, 3, seeds=[0, 1])
    >>> batch = sampler(None)
    >>> batch.shape, batch[0].max().item(), batch[1].min().item()
    (torch.Size([2, 3, 2]), 0.0, 1.0)
    """

    def __init__(self, data, batch_size, seeds, chunk=_CHUNK):
        data = list(data)
        if len(seeds) != len(data):
            raise ValueError(f"got {len(seeds)} seeds for {len(data)} members")
        self.sizes = [int(t.shape[0]) for t in data]
        caps = {min(int(batch_size), n) for n in self.sizes}
        if len(caps) != 1:
            raise ValueError(
                f"the members' minibatch sizes min(batch_size, n) differ ({sorted(caps)}): batch "
                "data sets with n >= batch_size, or of one size"
            )
        self.batch_size = caps.pop()
        self.storage, self.offsets = _row_storage(data)
        self.members = len(data)
        self.row_shape = tuple(self.storage.shape[1:])
        self.device = self.storage.device
        self.dtype = self.storage.dtype
        self.n = self.sizes
        self.chunk = int(chunk)
        self.generators = _member_generators(seeds, self.device)
        self._buffer = None
        self._next = self.chunk

    def _refill(self):
        b = self.batch_size
        draws = [
            torch.randint(n, (self.chunk, b), generator=g, device=self.device) + offset
            for n, g, offset in zip(self.sizes, self.generators, self.offsets)
        ]
        self._buffer = torch.stack(draws, dim=1).reshape(self.chunk, self.members * b)
        self._next = 0

    def __call__(self, generator):
        if self._next >= self.chunk:
            self._refill()
        index = self._buffer[self._next]
        self._next += 1
        rows = self.storage.index_select(0, index)
        return rows.view((self.members, self.batch_size) + self.row_shape)

    def radius(self):
        """Each member's largest row norm, shape (R,), on the data's device."""
        norms = self.storage.flatten(1).norm(dim=1)
        return torch.stack([norms[o:o + n].amax() for o, n in zip(self.offsets, self.sizes)])

    _STATE = ("_buffer", "_next")


class MemberNormalPool(_MemberStreams):
    """Per-member antithetic normal pools, resampled: the batched ``engine.NormalPool``.

    Member r's pool holds ``sizes[r]`` draws (half of them the negatives of the other half) made
    with its own generator, which then draws the pool rows of each call, ``_CHUNK`` calls at a
    time: the same model distribution as the single fit's pool, member by member.

    Parameters
    ----------
    sizes : sequence of int
        Pool size per member (``robustgan.engine.latent_pool_size(n_r)`` for the robust
        estimators, as alone).
    dim : int
    seeds : sequence of int
    device : torch.device or str
    dtype : torch.dtype, default=torch.float32

    Examples
    --------
    >>> pool = MemberNormalPool([100, 200], 3, seeds=[0, 1], device="cpu")
    >>> z = pool(4, 3, None, "cpu")
    >>> z.shape, torch.equal(z[:, :2], -z[:, 2:])
    (torch.Size([2, 4, 3]), True)
    """

    def __init__(self, sizes, dim, seeds, device, dtype=torch.float32, chunk=_CHUNK):
        self.generators = _member_generators(seeds, device)
        halves = [
            torch.randn((int(size) + 1) // 2, dim, generator=g, device=device, dtype=dtype)
            for size, g in zip(sizes, self.generators)
        ]
        self.half_sizes = [len(h) for h in halves]
        self.offsets = np.concatenate([[0], np.cumsum(self.half_sizes)[:-1]]).tolist()
        self.half = torch.cat(halves)
        self.members = len(halves)
        self.dim = int(dim)
        self.device = self.half.device
        self.chunk = int(chunk)
        self._buffer = None
        self._next = self.chunk
        self._rows = None

    def _refill(self, rows):
        draws = [
            torch.randint(size, (self.chunk, rows), generator=g, device=self.device) + offset
            for size, g, offset in zip(self.half_sizes, self.generators, self.offsets)
        ]
        self._buffer = torch.stack(draws, dim=1).reshape(self.chunk, self.members * rows)
        self._next, self._rows = 0, rows

    def __call__(self, n, dim, generator, device):
        NormalPool.check_dim(self.dim, dim)
        half = self.half_rows(n)
        return torch.cat([half, -half], dim=1)[:, :n]

    def half_rows(self, n):
        """The draws h of the next call for n rows, (R, ⌈n/2⌉, dim): that call returns the
        first n rows of [h; −h]. Consumes the call."""
        rows = (n + 1) // 2
        if self._next >= self.chunk or rows != self._rows:
            self._refill(rows)
        index = self._buffer[self._next]
        self._next += 1
        return self.half.index_select(0, index).view(self.members, rows, self.dim)

    _STATE = ("_buffer", "_next", "_rows")


class MemberLatentSampler(_MemberStreams):
    """Latent noise of R members, shape (R, n, dim), each from its own generator.

    ``standard_normal`` and ``antithetic_normal`` are drawn a chunk of calls at a time per
    member; any other sampler ``(n, dim, generator, device) -> Tensor`` is called once per
    member per call.

    Parameters
    ----------
    sampler : callable
        A single-game latent sampler (``robustgan.engine``).
    seeds : sequence of int
    device : torch.device or str
    dtype : torch.dtype, default=torch.float32

    Examples
    --------
    >>> from robustgan.engine import antithetic_normal
    >>> z = MemberLatentSampler(antithetic_normal, [0, 1], "cpu")(4, 2, None, "cpu")
    >>> z.shape, torch.equal(z[:, :2], -z[:, 2:])
    (torch.Size([2, 4, 2]), True)
    """

    def __init__(self, sampler, seeds, device, dtype=torch.float32):
        self.sampler = sampler
        self.generators = _member_generators(seeds, device)
        self.device = torch.device(device)
        self.dtype = dtype
        self.members = len(self.generators)
        self._buffer = None
        self._next = 0
        self._shape = None

    def _chunked(self, n, dim):
        if self._buffer is None or self._next >= len(self._buffer) or self._shape != (n, dim):
            half = (n + 1) // 2 if self.sampler is antithetic_normal else n
            chunk = int(np.clip(_MAX_LATENT_CHUNK_ELEMENTS // max(1, self.members * half * dim),
                                1, _CHUNK))
            draws = [torch.randn(chunk, half, dim, generator=g, device=self.device,
                                 dtype=self.dtype) for g in self.generators]
            self._buffer = torch.stack(draws, dim=1)
            self._next, self._shape = 0, (n, dim)
        z = self._buffer[self._next]
        self._next += 1
        if self.sampler is antithetic_normal:
            z = torch.cat([z, -z], dim=1)[:, :n]
        return z

    def __call__(self, n, dim, generator, device):
        if self.sampler is standard_normal or self.sampler is antithetic_normal:
            return self._chunked(n, dim)
        return torch.stack([self.sampler(n, dim, g, device) for g in self.generators])

    _STATE = ("_buffer", "_next", "_shape")


# --- stacked modules ------------------------------------------------------------------------------


def _set_tensor(module, name, value):
    owner_name, _, leaf = name.rpartition(".")
    owner = module.get_submodule(owner_name) if owner_name else module
    if isinstance(value, nn.Parameter):
        owner._parameters[leaf] = value
    else:
        owner._buffers[leaf] = value


class MemberStack(nn.Module):
    """R modules of one architecture as one module: parameters and buffers stacked on dim 0.

    ``self.module`` is a copy of the first module whose tensors are replaced by the stacks, so
    every parameter keeps its name (under the prefix ``module.``) and member r's state is the
    slice [r] of each. The forward maps the module over the members with ``torch.func.vmap``
    and ``functional_call``; the subclasses for the estimators' networks use batched matrix
    products instead (same results, fewer passes over memory).

    Parameters
    ----------
    modules : sequence of torch.nn.Module
        Same class, same parameter and buffer names and shapes.

    Attributes
    ----------
    members : int
        R.
    module : torch.nn.Module
        Holds the stacked tensors.

    Examples
    --------
    >>> nets = [torch.nn.Linear(3, 2) for _ in range(4)]
    >>> stack = MemberStack(nets)
    >>> x = torch.randn(4, 5, 3)
    >>> torch.allclose(stack(x)[1], nets[1](x[1]))
    True
    >>> stack.member(1).weight.shape
    torch.Size([2, 3])
    """

    def __init__(self, modules):
        super().__init__()
        modules = list(modules)
        if not modules:
            raise ValueError("cannot stack zero modules")
        if any(parametrize.is_parametrized(m) for m in modules[0].modules()):
            # Spectral normalisation's power iteration writes its vectors with out= ops,
            # which vmap cannot batch.
            raise NotImplementedError(
                "modules with parametrizations (spectral normalisation) cannot be stacked; "
                "fit them one at a time"
            )
        _check_same_architecture(modules)
        template = modules[0]
        self.members = len(modules)
        params, buffers = torch.func.stack_module_state(modules)
        self.module = copy.deepcopy(template)
        for name, value in params.items():
            _set_tensor(self.module, name, nn.Parameter(value))
        for name, value in buffers.items():
            _set_tensor(self.module, name, value)
        # A clean copy of one member, from which ``member`` builds single modules.
        self._template = [copy.deepcopy(template)]
        latent_dim = getattr(template, "latent_dim", None)
        if latent_dim is not None:
            self.latent_dim = int(latent_dim)

    def forward(self, *inputs):
        params = dict(self.module.named_parameters())
        buffers = dict(self.module.named_buffers())

        def one(p, b, *x):
            return torch.func.functional_call(self.module, (p, b), x)

        return torch.func.vmap(one)(params, buffers, *inputs)

    def unstack(self, tensors, member):
        """Member ``member``'s slices of stacked tensors keyed by this module's names, keyed
        by the single module's names."""
        prefix = "module."
        return {name.removeprefix(prefix): t[member] for name, t in tensors.items()}

    def member_state_dict(self, member):
        """The state dict member ``member`` would have as a single module."""
        return {name: t[member].clone() for name, t in self.module.state_dict().items()}

    def member(self, member):
        """Member ``member`` as a single module (a copy, detached from the stack)."""
        single = copy.deepcopy(self._template[0])
        single.load_state_dict(self.member_state_dict(member))
        return single

    def load_member(self, member, module):
        """Write member ``member``'s parameters and buffers into ``module``, a single module of
        this architecture, in place (its tensors keep their identity)."""
        module.load_state_dict(
            {name: t[member] for name, t in self.module.state_dict().items()})


def _check_same_architecture(modules):
    first = modules[0]
    shapes = {k: (tuple(v.shape), v.dtype) for k, v in first.state_dict().items()}
    for r, module in enumerate(modules[1:], start=1):
        if type(module) is not type(first):
            raise ValueError(f"member {r} is a {type(module).__name__}, member 0 a "
                             f"{type(first).__name__}: stacked modules must share a class")
        other = {k: (tuple(v.shape), v.dtype) for k, v in module.state_dict().items()}
        if other != shapes or repr(module) != repr(first):
            raise ValueError(f"member {r}'s architecture differs from member 0's")


class StackedLocationGenerator(MemberStack):
    """R location models N(η_r, I) at once: x = η_r + z for latent noise z of shape (R, b, p)."""

    def forward(self, z):
        return self.module.location.unsqueeze(-2) + z


class StackedGaussianGenerator(MemberStack):
    """R Gaussian models N(η_r, L_r L_rᵀ) at once: x = η_r + z L_rᵀ, one batched product."""

    def forward(self, z):
        factor = torch.tril(self.module.factor)
        # Not baddbmm, whose kernel for a batch of one differs (see _StackedMLP).
        return torch.bmm(z, factor.transpose(1, 2)) + self.module.location.unsqueeze(-2)


class _StackedMLP(torch.autograd.Function):
    """R multilayer perceptrons with a scalar output, forward and backward by batched products.

    The hidden activations are kept feature-major, (R, width, b): the bias and the activation
    then run along contiguous rows of b values, the output layer is a vector–matrix product,
    and every product has the shapes at which MKL is fastest here (a half to a quarter of the
    time of the row-major layout for the input gradient at p = 10). Autograd's own graph of the
    same network also makes more passes over the hidden activations than the arithmetic needs;
    at the estimators' sizes those passes, not the products, are the step's cost, hence this
    hand-written backward. Every product is one whose result for a member does not depend on
    the batch's size (``baddbmm`` and h·wᵀ are not). It is differentiable once: gradient
    penalties need ``MemberStack``'s vmap path (``stack_modules(..., fused=False)``).
    """

    @staticmethod
    def forward(ctx, x, activations, *params):
        weights, biases = params[0::2], params[1::2]
        h = x.transpose(1, 2)  # (R, p, b)
        outputs = [h]
        for (activation, slope), w, b in zip(activations, weights[:-1], biases[:-1]):
            a = torch.bmm(w, h)
            a += b.unsqueeze(-1)
            h = activation.inplace(a, slope)
            outputs.append(h)
        v = torch.bmm(weights[-1], h).squeeze(1) + biases[-1]
        ctx.activations = activations
        ctx.save_for_backward(*outputs, *weights)
        return v

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_v):
        activations = ctx.activations
        n_hidden = len(activations)
        saved = ctx.saved_tensors
        outputs, weights = saved[: n_hidden + 1], saved[n_hidden + 1:]
        # The generator's step needs only the input's gradient: skip the weights' products.
        wanted = ctx.needs_input_grad[2:]
        grads = [None] * (2 * len(weights))
        grad_a, scale = backward_to_first_layer(grad_v, outputs[1:], weights, activations,
                                                wanted, grads)
        if wanted[0]:
            grads[0] = rescaled(weight_gradient(grad_a, outputs[0]), scale)
        if wanted[1]:
            grads[1] = rescaled(grad_a.sum(2), scale)
        if ctx.needs_input_grad[0]:
            w = weights[0] if scale is None else weights[0] * scale
            grad_h = torch.bmm(w.transpose(1, 2), grad_a)
        # Contiguous, like the chunks' gradients concatenated: what reduces it downstream (the
        # location's gradient, a sum over rows) must see one layout whatever the chunking.
        grad_x = grad_h.transpose(1, 2).contiguous() if ctx.needs_input_grad[0] else None
        return (grad_x, None, *grads)


class _LocationModelMLP(torch.autograd.Function):
    """``_StackedMLP`` on [real rows; rows of a location model], the model's rows never formed.

    The rows of member r's location model are η_r + z for antithetic noise z, the first n of
    [h; −h]. The first layer's pre-activations of those rows are W₁η + b₁ ± W₁h: a product over
    the ⌈n/2⌉ rows of h, not over n rows of η + z, and neither η + z, nor the mirrored noise,
    nor the concatenation with the real rows is written. In the backward, the first layer's
    weight gradient over those rows is (Σ g)ηᵀ + (g₊ − g₋)h and η's gradient W₁ᵀΣ g (g: the
    pre-activations' gradient over the model's rows, g₊ and g₋ over the rows of +h and −h),
    again without an (R, n, p) temporary. Same arithmetic rules as ``_StackedMLP``: every
    operation acts on each member's slice alone.
    """

    @staticmethod
    def forward(ctx, x_real, half, location, n_model, activations, *params):
        v, saved = location_model_forward(x_real, half, location, n_model, activations, params)
        ctx.activations = activations
        ctx.save_for_backward(*saved)
        return v

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_v):
        grad_location, _, grads = location_model_backward(
            ctx.saved_tensors, grad_v, ctx.activations, ctx.needs_input_grad[5:],
            ctx.needs_input_grad[2])
        return (None, None, grad_location, None, None, *grads)


class StackedMLPDiscriminator(MemberStack):
    """R ``MLPDiscriminator`` networks at once: x of shape (R, b, p) to logits (R, b).

    Examples
    --------
    >>> nets = [MLPDiscriminator(3, hidden_sizes=(4,)) for _ in range(2)]
    >>> stack = StackedMLPDiscriminator(nets)
    >>> x = torch.randn(2, 5, 3)
    >>> bool(torch.allclose(stack(x)[1], nets[1](x[1]), atol=1e-6))
    True
    """

    def __init__(self, modules, fused=True):
        super().__init__(modules)
        self.activations, _ = mlp_layers(self.module)
        self._compiled = None
        self.fused = fused

    def _params(self):
        params = []
        for layer in list(self.module.net)[0::2]:
            params += [layer.weight, layer.bias]
        return params

    def forward(self, x):
        params = self._params()
        if self._compiled is not None:
            return self._compiled(x, params)
        if not self.fused:
            return _plain_mlp(x, params, self.activations)
        return self._fused(_StackedMLP, x.shape[1], params, x)

    def _chunk(self, rows):
        """Members per chunk for minibatches of ``rows`` rows (see ``_fused``)."""
        width = max(layer.out_features for layer in list(self.module.net)[0:-1:2])
        return max(1, _HIDDEN_CHUNK_ELEMENTS // max(1, rows * width))

    def fits_one_chunk(self, rows):
        """Whether minibatches of ``rows`` rows are scored without splitting the members."""
        return self._chunk(rows) >= self.members

    def _fused(self, function, rows, params, *inputs):
        """``function.apply(*inputs, activations, *params)``, members in chunks if need be.

        Members are split only past 4M hidden activations (16 MB): smaller chunks, meant to
        keep each chunk in cache, cost more in launches and concatenations than they saved
        (measured in benchmarks/RESULTS.md, "Batched fits"); the cap bounds the temporaries of
        very large batches. Inputs that are not tensors with a member dimension are passed to
        every chunk as they are.
        """
        chunk = self._chunk(rows)
        if chunk >= self.members:
            return function.apply(*inputs, self.activations, *params)
        n_chunks = math.ceil(self.members / chunk)
        # split, not slicing: its backward concatenates, where a slice's backward would fill
        # a zero tensor of the full size per chunk.
        split = [x.split(chunk) if torch.is_tensor(x) else [x] * n_chunks
                 for x in (*inputs, *params)]
        n_inputs = len(inputs)
        return torch.cat([function.apply(*piece[:n_inputs], self.activations, *piece[n_inputs:])
                          for piece in zip(*split)])

    def score_location_model(self, x_real, half, location, n_model, weights_grad=True):
        """Logits (R, b + n_model) of the real rows and of n_model rows of N(η_r, I) models.

        The model's rows are η_r + z for z the first ``n_model`` rows of [h; −h]; they are
        scored without being formed (``_LocationModelMLP``).

        Parameters
        ----------
        x_real : torch.Tensor of shape (R, b, p) or None
        half : torch.Tensor of shape (R, ⌈n_model/2⌉, p)
            The antithetic draws h (``MemberNormalPool.half_rows``).
        location : torch.Tensor of shape (R, p)
            η; its gradient flows if it requires one.
        n_model : int
        weights_grad : bool, default=True
            False: no gradient for this network's parameters (the generator's step).
        """
        params = self._params()
        if not weights_grad:
            params = [p.detach() for p in params]
        rows = n_model + (0 if x_real is None else x_real.shape[1])
        return self._fused(_LocationModelMLP, rows, params, x_real, half, location, n_model)

    def location_model_gradients(self, x_real, half, location, n_model, loss_and_gradient,
                                 wrt="weights", factor=None):
        """A step's losses and gradients for the location or Gaussian game, without autograd.

        Scores the real rows (or none) and ``n_model`` rows of the location model as
        ``score_location_model`` does, or of the Gaussian model N(η_r, L_r L_rᵀ), rows
        η_r + L_r z, given ``factor``; hands the logits to ``loss_and_gradient(v)``, which
        returns each member's loss (R,) and ∂(Σ losses)/∂v, and back-propagates that
        gradient by the same closed forms. All members in one pass: callers keep batches that
        need member chunks (``fits_one_chunk``) on the autograd path.

        Parameters
        ----------
        x_real, half, location, n_model
            As in ``score_location_model``.
        loss_and_gradient : callable
        wrt : {"weights", "location"}, default="weights"
            The discriminator's step (this network's parameters' gradients, in the order of
            its stacked parameters) or the generator's (the location's gradient; given
            ``factor``, the location's and the factor's, lower-triangular).
        factor : torch.Tensor of shape (R, p, p) or None, default=None
            L, lower-triangular (``torch.tril`` of ``StackedGaussianGenerator``'s factor);
            None for a location model.

        Returns
        -------
        (losses, gradients)
        """
        params = [p.detach() for p in self._params()]
        return location_model_gradients(x_real, half, location, n_model, self.activations,
                                        params, loss_and_gradient, wrt, factor)

    def score_inputs(self, x):
        """``self(x)`` with a gradient for ``x`` only (the generator's step): the hand-written
        backward then skips the weights' products."""
        if self._compiled is not None or not self.fused:
            return self(x)
        params = [p.detach() for p in self._params()]
        return self._fused(_StackedMLP, x.shape[1], params, x)

    def compile(self):
        """Use a ``torch.compile``d forward (autograd's backward, fused by Inductor)."""
        activations = self.activations
        self._compiled = _compile_or_eager(lambda x, params: _plain_mlp(x, params, activations))
        return self


def _plain_mlp(x, params, activations):
    """The stacked MLP in autograd's own operations: differentiable twice (gradient penalties)."""
    h = x
    for (activation, slope), w, b in zip(activations, params[0:-2:2], params[1:-2:2]):
        h = activation.plain(torch.bmm(h, w.transpose(1, 2)) + b.unsqueeze(1), slope)
    return (h * params[-2]).sum(-1) + params[-1]


def _compile_or_eager(fn):
    """``torch.compile(fn)``, falling back to ``fn`` (with a warning) where compiling fails."""
    try:
        compiled = torch.compile(fn, dynamic=False)
    except Exception as error:  # noqa: BLE001 - no compiler on this platform
        warnings.warn(f"torch.compile is unavailable ({error}); running eagerly", stacklevel=3)
        return fn
    state = {"fn": compiled}

    def call(*args):
        try:
            return state["fn"](*args)
        except Exception as error:  # compilation happens, and fails, lazily
            if state["fn"] is fn:
                raise
            warnings.warn(f"torch.compile failed ({type(error).__name__}: {error}); running "
                          "eagerly", stacklevel=3)
            state["fn"] = fn
            return fn(*args)

    return call


def stack_modules(modules, fused=True):
    """One module playing R modules of one architecture: a ``MemberStack``.

    The estimators' networks (``MLPDiscriminator`` without spectral normalisation,
    ``LocationGenerator``, ``GaussianGenerator``) get batched-product forwards; any other module
    is mapped over the members with ``torch.func.vmap``.

    Parameters
    ----------
    modules : sequence of torch.nn.Module
    fused : bool, default=True
        Give ``MLPDiscriminator`` stacks the hand-written backward (differentiable once);
        False keeps autograd's, for penalties on input gradients.

    Returns
    -------
    MemberStack

    Examples
    --------
    >>> from robustgan.nets import LocationGenerator
    >>> stack = stack_modules([LocationGenerator(torch.full((2,), float(r))) for r in range(3)])
    >>> stack(torch.zeros(3, 1, 2)).squeeze(1)
    tensor([[0., 0.],
            [1., 1.],
            [2., 2.]], grad_fn=<SqueezeBackward1>)
    """
    modules = list(modules)
    kind = type(modules[0])
    if kind is LocationGenerator:
        return StackedLocationGenerator(modules)
    if kind is GaussianGenerator:
        return StackedGaussianGenerator(modules)
    if isinstance(modules[0], MLPDiscriminator) and mlp_layers(modules[0]) is not None:
        return StackedMLPDiscriminator(modules, fused=fused)
    return MemberStack(modules)


class MemberPenalty:
    """A single game's discriminator penalty, applied to a batched game.

    The members' rows are presented to ``penalty`` as the rows of one game, through a view of
    the stacked discriminator that scores (R·b, ...) rows; a penalty that is a mean over rows
    (gradient penalties, R1, R2) then returns the mean of the members' penalties, and R times it
    is their sum. Its random draws come from the loop's generator, not the members' own.

    Parameters
    ----------
    penalty : callable
        ``(discriminator, x_real, x_fake, generator) -> scalar``.
    members : int
    """

    def __init__(self, penalty, members):
        self.penalty = penalty
        self.members = int(members)

    def __call__(self, discriminator, x_real, x_fake, generator):
        flat = _RowsOfMembers(discriminator, self.members)
        value = self.penalty(flat, x_real.flatten(0, 1), x_fake.flatten(0, 1), generator)
        return self.members * value

    def state_dict(self):
        inner = self.penalty
        return inner.state_dict() if hasattr(inner, "state_dict") else None

    def load_state_dict(self, state):
        if state is not None and hasattr(self.penalty, "load_state_dict"):
            self.penalty.load_state_dict(state)

    def __repr__(self):
        return f"MemberPenalty({self.penalty!r})"


class _RowsOfMembers(nn.Module):
    """A stacked discriminator seen as one scoring (R·b, ...) rows, member-major."""

    def __init__(self, stacked, members):
        super().__init__()
        self.stacked = stacked
        self.members = members

    def forward(self, x):
        v = self.stacked(x.reshape((self.members, -1) + tuple(x.shape[1:])))
        return v.reshape(-1)


# --- the batched loop ----------------------------------------------------------------------------


class _StackedLoop(AdversarialLoop):
    """``AdversarialLoop`` with the stacked estimators' networks scored by their fused forms.

    The discriminator's weights get no gradient in the generator's step (the hand-written
    backward otherwise computes them: a custom function cannot see that ``autograd.grad``
    asks for the generator's only). A location game (``StackedLocationGenerator``, an
    antithetic ``MemberNormalPool``, a fused ``StackedMLPDiscriminator``, no penalty that
    needs the generated rows) is scored without forming the generated rows at all
    (``StackedMLPDiscriminator.score_location_model``); so is a Gaussian game
    (``StackedGaussianGenerator``, same conditions) where its steps take the closed form.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        discriminator = self.discriminator
        fused = (isinstance(discriminator, StackedMLPDiscriminator) and discriminator.fused
                 and discriminator._compiled is None)
        self._fused_inputs = fused
        unformed = (fused and self.joint_forward and not self.d_penalties
                    and isinstance(self.latent_sampler, MemberNormalPool))
        model = type(self.generator)
        self._location_game = unformed and model is StackedLocationGenerator
        # A divergence whose losses are the variational bound's and whose score derivatives
        # are stated: both players' gradients in closed form, with no autograd graph.
        loss = self.loss
        self._closed_form = (
            unformed and model in (StackedLocationGenerator, StackedGaussianGenerator)
            and takes_closed_form(loss)
            and [id(p) for p in self.g_params] == [id(p) for p in self._model_parameters()]
        )

    def _model_parameters(self):
        """The parameters the closed forms differentiate: η, and a Gaussian model's L."""
        module = self.generator.module
        factor = getattr(module, "factor", None)
        return [module.location] if factor is None else [module.location, factor]

    def _model(self):
        """η and the factor's lower triangle L (None for a location model), detached."""
        location, *factor = (p.detach() for p in self._model_parameters())
        return location, (torch.tril(factor[0]) if factor else None)

    def _closed_form_for(self, rows):
        # Batches too large for one member chunk are scored chunk by chunk, through autograd.
        return self._closed_form and self.discriminator.fits_one_chunk(rows)

    def _discriminator_gradients(self, sample_real):
        """The location or Gaussian game's discriminator gradient in closed form, else the
        engine's.

        Written to the parameters' ``grad`` as backward would write them; the engine's
        clipping, optimiser step and constraints follow.
        """
        b = getattr(sample_real, "batch_size", None)
        if b is None or not self._closed_form_for(2 * b):
            return super()._discriminator_gradients(sample_real)
        x_real = sample_real(self.rng)
        half = self.latent_sampler.half_rows(b)
        location, factor = self._model()
        with torch.no_grad():
            d_loss, grads = self.discriminator.location_model_gradients(
                x_real, half, location, b, partial(bound_and_gradient, self.loss), factor=factor)
        for param, grad in zip(self.discriminator._params(), grads):
            param.grad = grad
        return d_loss, None, b, x_real.device

    def _generator_gradients(self, b, device):
        """The location or Gaussian game's gradients for η (and L) in closed form, else the
        engine's."""
        if not self._closed_form_for(b):
            return super()._generator_gradients(b, device)
        half = self.latent_sampler.half_rows(b)
        location, factor = self._model()
        with torch.no_grad():
            g_loss, grads = self.discriminator.location_model_gradients(
                None, half, location, b, partial(generator_loss_and_gradient, self.loss),
                wrt="location", factor=factor)
        for param, grad in zip(self.g_params, (grads,) if factor is None else grads):
            param.grad = grad
        return g_loss

    def _score_minibatches(self, sample_real):
        if not self._location_game:
            return super()._score_minibatches(sample_real)
        x_real = sample_real(self.rng)
        b = x_real.shape[1]
        half = self.latent_sampler.half_rows(b)
        location = self.generator.module.location.detach()
        logits = self.discriminator.score_location_model(x_real, half, location, b)
        return logits[:, :b], logits[:, b:], x_real, None

    def _score_generated(self, b, device):
        if self._location_game:
            half = self.latent_sampler.half_rows(b)
            return self.discriminator.score_location_model(
                None, half, self.generator.module.location, b, weights_grad=False)
        if not self._fused_inputs:
            return super()._score_generated(b, device)
        x_fake = self.generator(self.latent_sampler(b, self.latent_dim, self.rng, device))
        return self.discriminator.score_inputs(x_fake)


# --- solving many problems ------------------------------------------------------------------------


def solve_many(problems, *, progress=None, compile=False):
    """Solve compatible ``AdversarialProblem`` objects as one batched game.

    Like ``AdversarialProblem.solve``, this trains each problem's own modules: when it
    returns, every problem's generator and discriminator hold that member's trained
    parameters (the last iterates; the averaged ones are in its fit), so that a second game
    can continue from them.

    Parameters
    ----------
    problems : sequence of AdversarialProblem
        Same options, divergence, dimension and architectures (the caller groups them:
        ``robustgan.fit_many`` does); their data sets may differ in size.
    progress : callable or None
        Called with the number of generator steps done since the last call.
    compile : bool, default=False
        ``torch.compile`` the stacked discriminator (falls back to eager where unavailable).

    Returns
    -------
    list
        Per problem, an ``AdversarialFit`` (its averaged generator parameters, named as in its
        own generator, and its own ``History``), or the ``FloatingPointError`` of a member whose
        game diverged.

    Raises
    ------
    NotImplementedError
        For modules that cannot be stacked (spectral normalisation): solve those one by one.
    ValueError
        For a problem with ``callbacks`` in its options.

    Examples
    --------
    >>> from robustgan.divergences import get_divergence
    >>> from robustgan.engine import AdversarialProblem
    >>> from robustgan.nets import LocationGenerator
    >>> def problem(seed):
    ...     real = torch.randn(200, 3, generator=torch.Generator().manual_seed(seed)) + 1.0
    ...     return AdversarialProblem(real, LocationGenerator(torch.zeros(3)),
    ...                               MLPDiscriminator(3, hidden_sizes=(8,)),
    ...                               get_divergence("js"), {"n_steps": 20}, random_state=seed)
    >>> problems = [problem(0), problem(1)]
    >>> [fit.averaged_parameters["location"].shape for fit in solve_many(problems)]
    [torch.Size([3]), torch.Size([3])]
    >>> bool(problems[0].generator.location.abs().sum() > 0)  # trained in place
    True
    """
    problems = list(problems)
    first = problems[0]
    members = len(problems)
    if any(problem.options.get("callbacks") for problem in problems):
        # They would see the stacked modules, and one member's True would stop every member.
        raise ValueError("solve_many plays no callbacks: solve a problem that has them alone "
                         "(AdversarialProblem.solve)")
    _settle_allocator()
    # A phantom member, a copy of the last, closes the batch: vectorised kernels round the
    # trailing elements of a tensor differently (scalar remainder loops, no fused
    # multiply-add), and with the phantom there no real member's elements are ever last, so
    # each member's arithmetic is the same whatever the batch's size (on one thread).
    problems = problems + [copy.copy(problems[-1])]
    generator = stack_modules([p.generator for p in problems])
    discriminator = stack_modules([p.discriminator for p in problems])
    if compile and isinstance(discriminator, StackedMLPDiscriminator):
        discriminator.compile()
    seeds = [_stream_seeds(p.random_state, 2) for p in problems]
    options = dict(first.options)
    batch_size = options.pop("batch_size", 500)
    latent = options.pop("latent_sampler", antithetic_normal)
    real = MemberIndexSampler([p.real for p in problems], batch_size, [s[0] for s in seeds])
    latent_dim = generator.latent_dim
    if uses_latent_pool(latent):
        latent = MemberNormalPool([latent_pool_size(n) for n in real.sizes], latent_dim,
                                  [s[1] for s in seeds], real.device, real.dtype)
    else:
        latent = MemberLatentSampler(latent, [s[1] for s in seeds], real.device, real.dtype)
    if first.generator_optimizer is not None:
        options["g_optimizer"] = first.generator_optimizer(generator)
    fit = train_adversarial(real, generator, discriminator, first.divergence, **options,
                            batch_size=batch_size, latent_sampler=latent,
                            members=len(problems), random_state=first.random_state,
                            progress=progress, loop_class=_StackedLoop)
    for r, problem in enumerate(problems[:members]):
        generator.load_member(r, problem.generator)
        discriminator.load_member(r, problem.discriminator)
    results = []
    for r in range(members):
        if fit.failed_at[r] >= 0:
            results.append(fit.failures[r])
            continue
        history = History(d_loss=fit.history.d_loss[:, r].copy(),
                          g_loss=fit.history.g_loss[:, r].copy())
        averaged = generator.unstack(fit.averaged_parameters, r)
        results.append(AdversarialFit(averaged_parameters=averaged, history=history,
                                      n_iter=fit.n_iter))
    return results


def _settle_allocator():
    """Free one large untouched block, so that the step's megabyte-sized temporaries are reused.

    glibc serves large allocations with mmap until a freed mmapped block raises its threshold
    to that block's size (and the heap's trim threshold to twice that). Until then every
    step's temporaries are mapped, page-faulted in and unmapped again, and the first batched
    game of a process ran a quarter slower than the next ones (benchmarks/RESULTS.md,
    "Batched fits"). Freeing a 24 MiB block (under glibc's 32 MiB cap on that threshold, alignment included)
    settles both at once: the first game then runs as fast as the next ones. Its pages are
    never touched, so it costs microseconds; other allocators are unaffected.
    """
    block = torch.empty(24 << 20, dtype=torch.uint8)
    del block
