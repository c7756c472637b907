"""The adversarial training loop shared by every estimator and trainer of robustgan.

One loop: n_critic discriminator steps on the variational objective of a divergence, then one
generator step on the same objective, optional penalties on the discriminator's weights, a
learning-rate schedule, Polyak–Ruppert averaging of the generator's last iterates, and a
non-finite check every ``check_every`` steps. The loop never reads a tensor back to the host
between checks: losses go into device-side buffers that become ``History`` once.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.utils import check_random_state

from .divergences import get_divergence

__all__ = [
    "AdversarialFit",
    "History",
    "NormalPool",
    "antithetic_normal",
    "make_optimizer",
    "resolve_device",
    "torch_generator",
    "train_adversarial",
]

OPTIMIZERS = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    # β₁ = 0.5 is the GAN convention (Radford et al., 2016): less momentum against a moving target.
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999)),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
}

_MIN_POOL = 10_000

LR_SCHEDULES = {
    "constant": lambda frac: 1.0,
    "linear": lambda frac: 1.0 - 0.9 * frac,
    "cosine": lambda frac: 0.1 + 0.45 * (1.0 + math.cos(math.pi * frac)),
}


def resolve_device(device):
    """``torch.device`` from ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or a device.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was asked for but CUDA is not available")
    return device


def torch_generator(random_state, device):
    """A seeded ``torch.Generator`` on ``device`` from a scikit-learn style ``random_state``.

    Examples
    --------
    >>> g = torch_generator(0, "cpu")
    >>> torch.rand(1, generator=g).item() == torch.rand(1, generator=torch_generator(0, "cpu")).item()
    True
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def antithetic_normal(n, dim, generator, device, dtype=torch.float32):
    """n standard normal vectors in ±pairs, so every batch has mean exactly zero.

    The generator's gradient is an average over its noise; pairing z with −z cancels the odd part
    of that average, which for a location model is most of its variance.

    Examples
    --------
    >>> z = antithetic_normal(4, 3, torch_generator(0, "cpu"), "cpu")
    >>> torch.equal(z[:2], -z[2:])
    True
    """
    half = torch.randn((n + 1) // 2, dim, generator=generator, device=device, dtype=dtype)
    return torch.cat([half, -half])[:n]


class NormalPool:
    """Antithetic standard normal noise drawn once and resampled: a latent sampler.

    Drawing fresh normals costs more than a training step's arithmetic at the sizes of the robust
    estimators; resampling ±pairs from a pool of ``size`` draws makes the model distribution the
    symmetric empirical law of the pool, whose mean is exactly zero and whose covariance is the
    identity up to O(√(dim/size)).

    Parameters
    ----------
    size : int
        Rows in the pool (half drawn, half their negatives).
    dim : int
    generator : torch.Generator
    device : torch.device or str

    Examples
    --------
    >>> g = torch_generator(0, "cpu")
    >>> pool = NormalPool(1000, 3, g, "cpu")
    >>> z = pool(10, 3, g, "cpu")
    >>> z.shape, torch.equal(z[:5], -z[5:])
    (torch.Size([10, 3]), True)
    """

    def __init__(self, size, dim, generator, device, dtype=torch.float32):
        self.half = torch.randn((size + 1) // 2, dim, generator=generator, device=device, dtype=dtype)

    def __call__(self, n, dim, generator, device):
        if dim != self.half.shape[1]:
            raise ValueError(f"this pool holds {self.half.shape[1]}-dimensional noise, not {dim}")
        rows = self.half[torch.randint(len(self.half), ((n + 1) // 2,), generator=generator, device=device)]
        return torch.cat([rows, -rows])[:n]


def make_optimizer(spec, params, lr):
    """An optimiser from a name in ``OPTIMIZERS`` or a callable ``(params, lr) -> Optimizer``."""
    if callable(spec):
        return spec(params, lr)
    try:
        return OPTIMIZERS[spec](params, lr)
    except KeyError:
        raise ValueError(f"unknown optimizer {spec!r}; valid optimizers are {sorted(OPTIMIZERS)}") from None


def _schedule(name):
    try:
        return LR_SCHEDULES[name]
    except KeyError:
        raise ValueError(
            f"unknown lr_schedule {name!r}; valid schedules are {sorted(LR_SCHEDULES)}"
        ) from None


@dataclass
class History:
    """Per generator step: the discriminator's last loss and the generator's loss.

    ``objective`` is −``d_loss``: the variational estimate of the divergence between the data
    and the current model, on the last minibatch.
    """

    d_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    g_loss: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def objective(self):
        return -self.d_loss

    def __len__(self):
        return len(self.d_loss)

    def to_dict(self):
        return {"d_loss": self.d_loss.tolist(), "g_loss": self.g_loss.tolist()}


@dataclass
class AdversarialFit:
    """What ``train_adversarial`` returns."""

    averaged_parameters: dict
    history: History
    n_iter: int


def _weight_penalty(module, l1, l2):
    weights = [p for name, p in module.named_parameters() if p.ndim > 1]
    penalty = 0.0
    if l1:
        penalty = penalty + l1 * sum(w.abs().sum() for w in weights)
    if l2:
        penalty = penalty + l2 * sum(w.square().sum() for w in weights)
    return penalty


def _check_finite(step, buffers, generator_module):
    finite = all(torch.isfinite(b).all() for b in buffers)
    finite = finite and all(torch.isfinite(p).all() for p in generator_module.parameters())
    if not finite:
        raise FloatingPointError(
            f"adversarial training diverged before generator step {step}: a loss or a generator "
            "parameter is no longer finite. Lower the learning rates (lr_d, lr_g), or add a "
            "penalty on the discriminator's weights."
        )


def train_adversarial(
    real,
    generator,
    discriminator,
    divergence="js",
    *,
    n_steps=300,
    n_critic=5,
    batch_size=500,
    d_optimizer="sgd",
    g_optimizer="sgd",
    lr_d=0.2,
    lr_g=0.1,
    lr_schedule="constant",
    l1_penalty=0.0,
    l2_penalty=0.0,
    average=0.5,
    max_grad_norm=None,
    latent_sampler=antithetic_normal,
    check_every=50,
    callbacks=(),
    random_state=None,
    progress=None,
):
    """Train ``generator`` against ``discriminator`` on the variational bound of ``divergence``.

    Each generator step is preceded by ``n_critic`` discriminator steps; both minimise the losses
    of the same ``Divergence`` object (``discriminator_loss`` and ``generator_loss``), so a new
    divergence needs no change here.

    Parameters
    ----------
    real : torch.Tensor of shape (n, p)
        The data, already on the device and dtype to train in.
    generator : torch.nn.Module
        Maps latent noise of shape (b, ``generator.latent_dim``) to samples of shape (b, p).
    discriminator : torch.nn.Module
        Maps samples (b, p) to logits (b,).
    divergence : str or Divergence, default="js"
        See ``robustgan.divergences.available_divergences()``.
    n_steps : int, default=300
        Generator steps.
    n_critic : int, default=5
        Discriminator steps per generator step.
    batch_size : int, default=500
        Rows of real data, and of generated data, per step (capped at n).
    d_optimizer, g_optimizer : {"sgd", "adam", "rmsprop"} or callable, default="sgd"
        A name or a factory ``(params, lr) -> torch.optim.Optimizer``.
    lr_d, lr_g : float
        Learning rates of the discriminator and the generator.
    lr_schedule : {"constant", "linear", "cosine"}, default="constant"
        Multiplier of both learning rates over the run (linear and cosine end at 0.1).
    l1_penalty, l2_penalty : float, default=0.0
        λ·Σ|W| and λ·ΣW² over the discriminator's weight matrices (the papers' ℓ₁ bound is the
        first).
    average : float in (0, 1], default=0.5
        Fraction of the last generator iterates averaged into the result (Polyak–Ruppert).
    max_grad_norm : float or None, default=None
        Clip the discriminator's gradient to this norm at every step (no clipping when None).
    latent_sampler : callable or "pool", default=antithetic_normal
        ``(n, dim, generator, device) -> Tensor`` of latent noise; ``"pool"`` resamples a
        ``NormalPool`` of max(n, 10,000) draws made at the start (faster, same law to
        O(√(dim/size))).
    check_every : int, default=50
        Generator steps between the non-finite checks and the callbacks (the only host syncs).
    callbacks : sequence of callables, default=()
        Each called as ``callback(step, generator, discriminator)`` at every check; a callback
        that returns True stops training.
    random_state : int, RandomState instance or None
        Seeds every draw of the loop.
    progress : callable or None
        Called with the number of generator steps done since the last call (a progress bar's
        ``update``).

    Returns
    -------
    AdversarialFit
        The averaged generator parameters (by name), the ``History`` and the steps run.

    Raises
    ------
    FloatingPointError
        When a loss or a generator parameter stops being finite.

    Examples
    --------
    >>> import torch
    >>> from robustgan.nets import LocationGenerator, MLPDiscriminator
    >>> x = torch.randn(1000, 2) + 3.0
    >>> fit = train_adversarial(x, LocationGenerator(torch.zeros(2)), MLPDiscriminator(2),
    ...                         n_steps=200, random_state=0)
    >>> bool(torch.allclose(fit.averaged_parameters["location"], torch.full((2,), 3.0), atol=0.3))
    True
    """
    divergence = get_divergence(divergence)
    device = real.device
    rng = torch_generator(random_state, device)
    n = real.shape[0]
    batch = min(int(batch_size), n)
    latent_dim = generator.latent_dim
    if isinstance(latent_sampler, str):
        if latent_sampler != "pool":
            raise ValueError(f"latent_sampler must be a callable or 'pool', got {latent_sampler!r}")
        latent_sampler = NormalPool(max(n, _MIN_POOL), latent_dim, rng, device, real.dtype)

    d_params = list(discriminator.parameters())
    d_opt = make_optimizer(d_optimizer, d_params, lr_d)
    g_params = list(generator.parameters())
    g_opt = make_optimizer(g_optimizer, g_params, lr_g)
    schedule = _schedule(lr_schedule)
    base_lrs = [[g["lr"] for g in opt.param_groups] for opt in (d_opt, g_opt)]

    start_average = min(n_steps - 1, int(round(n_steps * (1.0 - average))))
    averaged = {name: torch.zeros_like(p) for name, p in generator.named_parameters()}
    d_losses = torch.zeros(n_steps, device=device)
    g_losses = torch.zeros(n_steps, device=device)

    step = reported = 0
    while step < n_steps:
        factor = schedule(step / n_steps)
        for opt, lrs in zip((d_opt, g_opt), base_lrs):
            for group, lr in zip(opt.param_groups, lrs):
                group["lr"] = lr * factor

        for _ in range(n_critic):
            x_real = real[torch.randint(n, (batch,), generator=rng, device=device)]
            with torch.no_grad():
                x_fake = generator(latent_sampler(batch, latent_dim, rng, device))
            # One forward pass over both batches halves the per-step overhead, which dominates
            # at these sizes; it differs from two passes only for batch-dependent layers
            # (BatchNorm), which discriminators here do not use.
            logits = discriminator(torch.cat([x_real, x_fake]))
            d_loss = divergence.discriminator_loss(logits[:batch], logits[batch:])
            if l1_penalty or l2_penalty:
                d_loss = d_loss + _weight_penalty(discriminator, l1_penalty, l2_penalty)
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            if max_grad_norm is not None:
                # Outliers far from the data's centre give unbounded-activation discriminators
                # huge gradients; clipping the norm keeps one batch from blowing the net up.
                torch.nn.utils.clip_grad_norm_(d_params, max_grad_norm, foreach=True)
            d_opt.step()

        x_fake = generator(latent_sampler(batch, latent_dim, rng, device))
        g_loss = divergence.generator_loss(discriminator(x_fake))
        # Only the generator's gradient: backward() would also fill the discriminator's.
        for p, grad in zip(g_params, torch.autograd.grad(g_loss, g_params)):
            p.grad = grad
        g_opt.step()

        d_losses[step] = d_loss.detach()
        g_losses[step] = g_loss.detach()
        if step >= start_average:
            with torch.no_grad():
                for name, p in generator.named_parameters():
                    averaged[name] += p
        step += 1

        if step % check_every == 0 or step == n_steps:
            _check_finite(step, (d_losses[:step], g_losses[:step]), generator)
            if progress is not None:
                progress(step - reported)
                reported = step
            if any(callback(step, generator, discriminator) for callback in callbacks):
                break

    n_averaged = step - start_average
    if n_averaged > 0:
        averaged = {name: a / n_averaged for name, a in averaged.items()}
    else:  # stopped by a callback before averaging began: the last iterate
        averaged = {name: p.detach().clone() for name, p in generator.named_parameters()}
    history = History(d_loss=d_losses[:step].cpu().numpy(), g_loss=g_losses[:step].cpu().numpy())
    return AdversarialFit(averaged_parameters=averaged, history=history, n_iter=step)
