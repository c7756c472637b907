"""The adversarial training loop shared by every estimator and trainer of robustgan.

One loop, ``AdversarialLoop``: n_critic discriminator steps on the discriminator side of a loss,
then one generator step on its generator side, with pluggable pieces around it: how real
minibatches are drawn (``IndexSampler``, ``LoaderSampler``), how latent noise is drawn
(``standard_normal``, ``antithetic_normal``, ``NormalPool``), penalties added to the
discriminator's loss (weights, gradients), constraints applied after its step (weight clipping),
hooks after the generator's step (Polyak–Ruppert averaging, EMA), a learning-rate schedule and a
check every ``check_every`` steps that the losses and the generator are finite and that the
generator has not run away past a bound (``TrainingDivergedError``). The loop never reads a
tensor back to the host between checks: losses go into device-side buffers that become
``History`` on demand. Small games run on one intra-op thread (``robustgan._threads``).
The robust estimators' own games (a location or Gaussian model against a plain
``MLPDiscriminator``, pool noise, a divergence with stated score derivatives) take their
gradients in closed form (``robustgan.closed_form``) instead of through autograd: the same
draws and the same gradients, rounded otherwise, in two thirds of the time. ``SGD`` is
torch's plain SGD without ``torch.optim`` (whose first optimiser imports the compiler stack).

``train_adversarial`` (the robust estimators) and ``robustgan.gan.GANTrainer`` (general GANs,
with checkpoints) are two configurations of that loop. With ``members=R`` the same loop plays R
independent games at once (``robustgan.batched``): every tensor carries a leading member
dimension, each member's loss is its own mean loss (the loop minimises their sum, so each
member's gradient is the one it would have alone), gradient clipping is per member, and a
member whose game fails its check is recorded, not raised, so the others carry on. The
loop's whole state (models, optimisers, RNG, step, history, hooks) round-trips through
``state_dict``, so a run saved at a check and resumed continues bit for bit.
"""

import math
import warnings
from dataclasses import dataclass, field
from functools import partial
from itertools import chain

import numpy as np
import torch
from sklearn.utils import check_random_state

from . import _step_graphs
from ._threads import step_work, threads_for
from .closed_form import (
    bound_and_gradient,
    generator_loss_and_gradient,
    location_model_gradients,
    mlp_layers,
    takes_closed_form,
)
from .divergences import Divergence, check_robust_divergence, get_divergence
from .nets import GaussianGenerator, LocationGenerator

__all__ = [
    "AdversarialFit",
    "AdversarialLoop",
    "AdversarialProblem",
    "ExponentialAverage",
    "History",
    "IndexSampler",
    "IterateAverage",
    "LoaderSampler",
    "NormalPool",
    "ROBUST_LEARNING_RATES",
    "RUNAWAY_FACTOR",
    "SGD",
    "TrainingDivergedError",
    "WeightPenalty",
    "antithetic_normal",
    "available_devices",
    "clip_grad_norm_",
    "clip_grad_norm_per_member_",
    "first_averaged_step",
    "latent_pool_size",
    "make_optimizer",
    "member_losses",
    "resolve_device",
    "robust_learning_rates",
    "runaway_bound",
    "standard_normal",
    "torch_generator",
    "train_adversarial",
    "uses_latent_pool",
]


class SGD:
    """Plain stochastic gradient descent, p ← p − lr·∇p, per parameter group.

    ``torch.optim.SGD(params, lr)`` (no momentum, no weight decay) to the bit, with its
    ``param_groups``, ``step``, ``zero_grad`` and state dicts (each loads the other's), but
    not a ``torch.optim.Optimizer``: building the first of those in a process imports
    torch's compiler stack (``torch._dynamo``, sympy; 1.5 s here), which the estimators' fits
    do not use; and its ``step`` took 70 µs for a default mean fit's four tensors, this one's
    23 (one thread, measured side by side). ``torch.optim.lr_scheduler`` does not take it:
    for those, pass ``d_optimizer=lambda params, lr: torch.optim.SGD(params, lr=lr)``.

    Parameters
    ----------
    params : iterable of tensors, or of dicts with "params" (and "lr")
    lr : float
        The learning rate of the groups that do not set one (≥ 0).

    Examples
    --------
    >>> w = torch.ones(2, requires_grad=True)
    >>> w.grad = torch.tensor([1.0, -2.0])
    >>> opt = SGD([w], lr=0.5)
    >>> opt.step()
    >>> w
    tensor([0.5000, 2.0000], requires_grad=True)
    """

    # What torch's SGD keeps per group besides lr and params, at the values this one computes.
    _TORCH_GROUP = {"momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
                    "maximize": False, "foreach": None, "differentiable": False, "fused": None}

    def __init__(self, params, lr):
        if torch.is_tensor(params):
            raise TypeError("params must be an iterable of tensors or of parameter groups "
                            f"(dicts), not a {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError("SGD got an empty parameter list")
        groups = ([dict(group) for group in params] if isinstance(params[0], dict)
                  else [{"params": params}])
        seen = set()
        for group in groups:
            tensors = group["params"]
            group["params"] = [tensors] if torch.is_tensor(tensors) else list(tensors)
            if not all(torch.is_tensor(p) for p in group["params"]):
                raise TypeError("SGD takes tensors or parameter groups (dicts) of tensors; "
                                "named parameters are not supported")
            if not all(p.is_leaf for p in group["params"]):
                raise ValueError("can't optimize a non-leaf Tensor")
            group.setdefault("lr", lr)
            if not group["lr"] >= 0:
                raise ValueError(f"Invalid learning rate: {group['lr']!r} (must be >= 0)")
            group["lr"] = float(group["lr"])
            if seen & {id(p) for p in group["params"]}:
                raise ValueError("some parameters appear in more than one parameter group")
            seen |= {id(p) for p in group["params"]}
        self.param_groups = groups

    def step(self, closure=None):
        """One update; with ``closure``, first re-evaluate the loss (returned) with it."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                for parameter in group["params"]:
                    if parameter.grad is not None:
                        parameter.add_(parameter.grad, alpha=-group["lr"])
        return loss

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for parameter in group["params"]:
                if set_to_none:
                    parameter.grad = None
                elif parameter.grad is not None:
                    parameter.grad.zero_()

    def state_dict(self):
        """As torch's SGD writes it: each group's settings, parameters numbered in order; no
        per-parameter state."""
        groups, first = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            groups.append({"lr": group["lr"], **self._TORCH_GROUP,
                           "params": list(range(first, first + count))})
            first += count
        return {"state": {}, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore the learning rates of a state dict of this class or of torch's SGD."""
        saved = state_dict["param_groups"]
        if [len(g["params"]) for g in saved] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("the saved optimiser state has other parameter groups than this one")
        for group in saved:
            changed = {key: group[key] for key in ("momentum", "weight_decay", "nesterov",
                                                   "maximize")
                       if group.get(key, self._TORCH_GROUP[key]) != self._TORCH_GROUP[key]}
            if changed:
                raise ValueError(f"the saved optimiser is SGD with {changed}, which this plain "
                                 "SGD does not compute; build torch.optim.SGD for it")
        for group, saved_group in zip(self.param_groups, saved):
            group["lr"] = saved_group["lr"]


OPTIMIZERS = {
    "sgd": SGD,
    # β₁ = 0.5 is the GAN convention (Radford et al., 2016): less momentum against a moving target.
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999)),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
}

# The robust estimators' learning rates per optimiser: what their "auto" learning rates resolve
# to (discriminator: lr_d; location: RobustGANMean's lr_g and RobustGANScatter's lr_location;
# scatter: RobustGANScatter's lr_scatter). SGD's are the papers' (Gao et al. 2019: lr_D 0.2,
# η 0.1), scaled per divergence (``Divergence.learning_rate_scale``): an SGD step is the
# gradient's size, which the divergence's scores set. Adam's and RMSprop's steps are about the
# learning rate in every coordinate whatever the gradient's size, so theirs are step sizes, the
# same for every divergence: with SGD's rates RobustGANMean ran away (Adam: 85 and 14 from θ at
# p = 100). Their rate for Γ's factor is small because every one of its p(p+1)/2 entries takes
# a step of that size, signal or not: at 1e-3 and 3e-3 the factor walked away from its start
# (‖Σ̂ − Σ‖_op 0.78–0.82 at p = 100 where SGD gave 0.22), at 1e-4 it did not (0.225).
# Study: far design (ε = 0.2, Q = N(5·1, I)), n = 10,000, p = 20 and 100, seeds 0–2; the
# errors are in the table of ``robustgan.divergences``; tests/test_divergence_defaults.py
# checks every optimiser and divergence against the JS-GAN.
ROBUST_LEARNING_RATES = {
    "sgd": {"discriminator": 0.2, "location": 0.1, "scatter": 0.005},
    "adam": {"discriminator": 0.005, "location": 0.01, "scatter": 1e-4},
    "rmsprop": {"discriminator": 0.001, "location": 0.01, "scatter": 1e-4},
}

# Draws in a latent pool at the least (``latent_pool_size``).
_MIN_POOL = 10_000

LR_SCHEDULES = {
    "constant": lambda frac: 1.0,
    "linear": lambda frac: 1.0 - 0.9 * frac,
    "cosine": lambda frac: 0.1 + 0.45 * (1.0 + math.cos(math.pi * frac)),
}


def resolve_device(device):
    """``torch.device`` from ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or a device.

    Raises
    ------
    ValueError
        For a name torch does not know, or a device this machine does not have (an absent
        GPU, an index past the last one); the message names the devices it has.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except RuntimeError as error:  # torch's message lists every device type it knows
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or another name of a torch "
                         f"device ('cuda:1', 'mps'), got {device!r}") from error
    # torch builds a device of any type it knows, present or not; the first tensor put there
    # fails. A type with a backend module (cuda, mps, xpu) is checked against it here.
    backend = getattr(torch, device.type, None)
    if not getattr(backend, "is_available", lambda: True)():
        missing = f"{device.type.upper()} is not available"
    elif device.type != "cpu" and (device.index or 0) >= _device_count(backend):
        missing = f"there is no {device.type}:{device.index}"
    else:
        return device
    here = ", ".join(repr(name) for name in available_devices())
    raise ValueError(f"device={str(device)!r} was asked for but {missing} (devices here: {here})")


def _device_count(backend):
    return getattr(backend, "device_count", lambda: 1)()


def available_devices(types=("cpu", "cuda", "mps", "xpu")):
    """The names of the devices of ``types`` this machine has: ``"cpu"``, one ``"cuda:N"`` per
    CUDA device, and so on.

    Examples
    --------
    >>> available_devices()[0]
    'cpu'
    """
    names = []
    for kind in types:
        backend = getattr(torch, kind, None)
        if kind == "cpu":
            names.append("cpu")
        elif backend is not None and backend.is_available():
            names += [f"{kind}:{index}" for index in range(_device_count(backend))]
    return names


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


def standard_normal(n, dim, generator, device, dtype=torch.float32):
    """n independent standard normal vectors of dimension ``dim``: the usual GAN latent noise.

    Examples
    --------
    >>> standard_normal(5, 3, torch_generator(0, "cpu"), "cpu").shape
    torch.Size([5, 3])
    """
    return torch.randn(n, dim, generator=generator, device=device, dtype=dtype)


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

    @staticmethod
    def check_dim(pool_dim, dim):
        """Refuse a call for ``dim``-dimensional noise of a pool of ``pool_dim``-dimensional
        noise (this pool's and ``robustgan.batched.MemberNormalPool``'s check)."""
        if dim != pool_dim:
            raise ValueError(f"this pool holds {pool_dim}-dimensional noise, not {dim}")

    def __call__(self, n, dim, generator, device):
        self.check_dim(self.half.shape[1], dim)
        rows = self.half_rows(n, generator, device)
        return torch.cat([rows, -rows])[:n]

    def half_rows(self, n, generator, device):
        """The ⌈n/2⌉ draws h of a call for n rows, which returns the first n of [h; −h]: the
        same draw from ``generator``, for games that never form the rows
        (``robustgan.closed_form``)."""
        index = torch.randint(len(self.half), ((n + 1) // 2,), generator=generator, device=device)
        return self.half.index_select(0, index)  # as IndexSampler: a fifth of half[index]'s cost


def uses_latent_pool(latent_sampler):
    """Whether a ``latent_sampler`` argument asks for a pool of latent noise (``"pool"``)
    rather than being a sampler (a callable).

    Raises
    ------
    ValueError
        For any other string.

    Examples
    --------
    >>> uses_latent_pool("pool"), uses_latent_pool(standard_normal)
    (True, False)
    """
    if not isinstance(latent_sampler, str):
        return False
    if latent_sampler != "pool":
        raise ValueError(f"latent_sampler must be a callable or 'pool', got {latent_sampler!r}")
    return True


def latent_pool_size(n_rows):
    """Draws in the latent pool of a game on ``n_rows`` rows of data: ``n_rows``, and at least
    10,000, so that a small data set's model distribution is not a coarse one.

    Examples
    --------
    >>> latent_pool_size(500), latent_pool_size(50_000)
    (10000, 50000)
    """
    return max(int(n_rows), _MIN_POOL)


def robust_learning_rates(optimizer, divergence="js"):
    """The robust estimators' automatic learning rates for ``optimizer`` and ``divergence``.

    Parameters
    ----------
    optimizer : {"sgd", "adam", "rmsprop"}
    divergence : str or Divergence, default="js"

    Returns
    -------
    dict
        ``{"discriminator": lr_d, "location": lr of η, "scatter": lr of Γ's factor}``.

    Examples
    --------
    >>> robust_learning_rates("sgd")
    {'discriminator': 0.2, 'location': 0.1, 'scatter': 0.005}
    >>> robust_learning_rates("sgd", "brier")["discriminator"]
    0.8
    """
    try:
        rates = dict(ROBUST_LEARNING_RATES[optimizer])
    except KeyError:
        raise ValueError(f"no robust learning rates for optimizer {optimizer!r}; valid: "
                         f"{sorted(ROBUST_LEARNING_RATES)}") from None
    if optimizer == "sgd":
        if isinstance(divergence, str):
            divergence = get_divergence(divergence)
        d_scale, g_scale = getattr(divergence, "learning_rate_scale", (1.0, 1.0))
        rates = {"discriminator": rates["discriminator"] * d_scale,
                 "location": rates["location"] * g_scale, "scatter": rates["scatter"] * g_scale}
    return rates


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
    and the current model, on the last minibatch. A batched loop (``members=R``) keeps one
    column per member: arrays of shape (steps, R). ``d_loss`` includes the discriminator's
    penalties; when there are any, ``d_penalty`` holds their part of it (empty otherwise).

    Examples
    --------
    >>> History(d_loss=np.array([1.0]), g_loss=np.array([2.0])).to_dict()
    {'d_loss': [1.0], 'g_loss': [2.0]}
    """

    d_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    g_loss: np.ndarray = field(default_factory=lambda: np.empty(0))
    d_penalty: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def objective(self):
        return -self.d_loss

    def __len__(self):
        return len(self.d_loss)

    def to_dict(self):
        out = {"d_loss": self.d_loss.tolist(), "g_loss": self.g_loss.tolist()}
        if len(self.d_penalty):
            out["d_penalty"] = self.d_penalty.tolist()
        return out


@dataclass
class AdversarialFit:
    """What ``train_adversarial`` returns.

    ``failed_at`` is None for a single game; for a batched one (``members=R``), per member, the
    generator step at whose check its loss or generator was first found non-finite or past the
    runaway bound (−1: never), and ``failures`` per member its ``TrainingDivergedError`` (None
    for the members that did not fail).
    """

    averaged_parameters: dict
    history: History
    n_iter: int
    failed_at: np.ndarray = None
    failures: list = None


@dataclass
class AdversarialProblem:
    """One game of a robust estimator, ready to train: what ``fit`` hands to the engine.

    ``solve()`` is ``train_adversarial(real, generator, discriminator, divergence, **options,
    random_state=random_state)``; ``robustgan.batched.solve_many`` plays many such problems as
    one batched game. Either way the problem's generator and discriminator are trained in
    place, and the answer is an ``AdversarialFit``. Stating a fit's game(s) as problems is what
    lets a single fit and a batched one share every line but the solving.

    Attributes
    ----------
    real : torch.Tensor of shape (n, p)
        The prepared data, on the device and dtype to train in.
    generator, discriminator : torch.nn.Module
        Initialised modules.
    divergence : Divergence or loss object
    options : dict
        Keyword arguments of ``train_adversarial`` (steps, learning rates, ...).
    random_state : int
        Seed of the training draws.
    generator_optimizer : callable or None
        ``(generator) -> optimiser spec``, for optimisers built from the generator's parameters
        by name (per-parameter learning rates); it is called on whichever module is trained.

    Raises
    ------
    ValueError
        For a divergence the robust estimators refuse (``check_robust_divergence``: its
        score is unbounded on far outliers, so the game would follow them).
    """

    real: torch.Tensor
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    divergence: object
    options: dict
    random_state: int
    generator_optimizer: object = None

    def __post_init__(self):
        check_robust_divergence(self.divergence)

    def solve(self, progress=None):
        """Train the game alone; returns an ``AdversarialFit``."""
        options = dict(self.options)
        if self.generator_optimizer is not None:
            options["g_optimizer"] = self.generator_optimizer(self.generator)
        return train_adversarial(self.real, self.generator, self.discriminator, self.divergence,
                                 **options, random_state=self.random_state, progress=progress)


# --- real minibatches ------------------------------------------------------------------------
# A real sampler is called as ``sampler(generator)`` and returns one minibatch whose first
# dimension is the batch; the loop draws as many fakes as it returns rows. Batched fits (one
# leading "member" dimension) change only these samplers and the latent sampler.


class IndexSampler:
    """Minibatches of a tensor held on the device, rows drawn uniformly with replacement.

    Parameters
    ----------
    data : torch.Tensor of shape (n, ...)
        Already on the device and dtype to train in.
    batch_size : int
        Rows per minibatch (capped at n).

    Examples
    --------
    >>> sampler = IndexSampler(torch.arange(10.0).reshape(5, 2), 3)
    >>> sampler(torch_generator(0, "cpu")).shape
    torch.Size([3, 2])
    """

    def __init__(self, data, batch_size):
        self.data = data
        self.n = data.shape[0]
        self.batch_size = min(int(batch_size), self.n)
        self.device = data.device
        self.dtype = data.dtype

    def __call__(self, generator):
        index = torch.randint(self.n, (self.batch_size,), generator=generator, device=self.data.device)
        # index_select, not self.data[index]: the same rows, at a fifth of advanced indexing's
        # cost on the CPU (0.26 against 0.05 ms for 500 rows of 100 floats), a step's largest
        # single cost in a default fit.
        return self.data.index_select(0, index)

    def radius(self):
        """The largest row norm of the data (a scalar tensor on its device)."""
        return self.data.flatten(1).norm(dim=1).amax()

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


_NO_BATCH = object()


class LoaderSampler:
    """Minibatches from a ``torch.utils.data.DataLoader``, epoch after epoch.

    The order is the loader's own (seed its ``generator`` for reproducible shuffling); a batch
    that is a tuple or list contributes its first element (the inputs of an ``(x, y)`` dataset).
    The loop's generator is not used. The number of batches consumed is saved, so a resumed run
    restarts at the same batch of a new epoch iterator; that is the same batch only when the
    loader's order is a function of the epoch alone. A loader that yields no batch is a
    ValueError at the draw that finds it empty.

    Parameters
    ----------
    loader : iterable of tensors
    device : torch.device
    dtype : torch.dtype

    Examples
    --------
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(torch.zeros(10, 2)), batch_size=4)
    >>> sampler = LoaderSampler(loader, "cpu", torch.float32)
    >>> [sampler(None).shape[0] for _ in range(4)]
    [4, 4, 2, 4]
    """

    def __init__(self, loader, device, dtype):
        self.loader = loader
        self.device = device
        self.dtype = dtype
        self.consumed = 0
        self._iterator = None

    def __call__(self, generator):
        if self._iterator is None:
            self._iterator = iter(self.loader)
        try:
            batch = next(self._iterator)
        except StopIteration:
            self._iterator = iter(self.loader)
            batch = next(self._iterator, _NO_BATCH)
            if batch is _NO_BATCH:
                raise ValueError("the data loader yields no batches (a one-shot iterable, such "
                                 "as a generator, yields none after its first pass)") from None
        self.consumed += 1
        if isinstance(batch, (tuple, list)):
            batch = batch[0]
        return torch.as_tensor(batch).to(device=self.device, dtype=self.dtype, non_blocking=True)

    def state_dict(self):
        return {"consumed": self.consumed}

    def load_state_dict(self, state):
        self.consumed = int(state["consumed"])
        self._iterator = None
        try:
            skip = self.consumed % len(self.loader)
        except (TypeError, ZeroDivisionError):
            # An iterable without a length starts a fresh pass; an empty loader is refused by
            # the first draw.
            return
        self._iterator = iter(self.loader)
        for _ in range(skip):
            next(self._iterator)


# --- penalties, constraints and hooks ----------------------------------------------------------
# A penalty is called as ``penalty(discriminator, x_real, x_fake, generator)`` and returns a
# scalar added to the discriminator's loss; a constraint as ``constraint(discriminator)`` after
# each discriminator step; a generator hook as ``hook(step)`` after each generator step.


class WeightPenalty:
    """λ₁·Σ|W| + λ₂·ΣW² over a discriminator's weight matrices (every parameter with ndim > 1).

    With ``members=R`` the discriminator's parameters are stacked along a leading member
    dimension and the penalty is one value per member, shape (R,).

    Examples
    --------
    >>> from robustgan.nets import MLPDiscriminator
    >>> float(WeightPenalty(l1=0.0, l2=0.0)(MLPDiscriminator(2), None, None, None))
    0.0
    """

    def __init__(self, l1=0.0, l2=0.0, members=None):
        self.l1 = l1
        self.l2 = l2
        self.members = members

    def __call__(self, discriminator, x_real, x_fake, generator):
        if self.members is not None:
            return self._per_member(discriminator)
        weights = [p for name, p in discriminator.named_parameters() if p.ndim > 1]
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * sum(w.abs().sum() for w in weights)
        if self.l2:
            penalty = penalty + self.l2 * sum(w.square().sum() for w in weights)
        return penalty

    def _per_member(self, discriminator):
        weights = [p for p in discriminator.parameters() if p.ndim > 2]
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * sum(w.abs().flatten(1).sum(1) for w in weights)
        if self.l2:
            penalty = penalty + self.l2 * sum(w.square().flatten(1).sum(1) for w in weights)
        return penalty


class IterateAverage:
    """Polyak–Ruppert average of a module's parameters from generator step ``start`` on.

    Examples
    --------
    >>> module = torch.nn.Linear(1, 1)
    >>> average = IterateAverage(module, start=0)
    >>> average(0); average(1)
    >>> torch.equal(average.result(2)["weight"], module.weight.detach())
    True
    """

    def __init__(self, module, start):
        self.module = module
        self.start = start
        self.sums = {name: torch.zeros_like(p) for name, p in module.named_parameters()}

    @torch.no_grad()
    def __call__(self, step):
        if step >= self.start:
            for name, p in self.module.named_parameters():
                self.sums[name] += p

    def result(self, n_steps):
        """The average over steps [start, n_steps), or the last iterate when that is empty."""
        count = n_steps - self.start
        if count > 0:
            return {name: s / count for name, s in self.sums.items()}
        return {name: p.detach().clone() for name, p in self.module.named_parameters()}

    def state_dict(self):
        return {"start": self.start, "sums": self.sums}

    def load_state_dict(self, state):
        self.start = state["start"]
        for name, s in state["sums"].items():
            self.sums[name].copy_(s)


class ExponentialAverage:
    """An exponential moving average (EMA) of a module: θ̄ ← β·θ̄ + (1 − β)·θ after every step.

    ``average`` is a copy of the module whose parameters hold θ̄ and whose buffers (BatchNorm
    statistics) follow the module's. Sampling from the averaged generator is the usual way to
    evaluate a GAN (Yazıcı et al., 2019).

    Parameters
    ----------
    module : torch.nn.Module
    decay : float in [0, 1)
        β.
    average : torch.nn.Module, optional
        A module of the same architecture to hold θ̄ (a deep copy of ``module`` by default).

    Examples
    --------
    >>> module = torch.nn.Linear(1, 1)
    >>> ema = ExponentialAverage(module, decay=0.5)
    >>> with torch.no_grad():
    ...     _ = module.weight.add_(2.0)
    >>> ema(0)
    >>> bool(torch.allclose(ema.average.weight, module.weight - 1.0))
    True
    """

    def __init__(self, module, decay, average=None):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"the EMA decay must be in [0, 1), got {decay!r}")
        if average is None:
            import copy

            average = copy.deepcopy(module)
        self.average = average.requires_grad_(False)
        self.decay = decay
        self._pairs = list(zip(self.average.parameters(), module.parameters()))
        self._buffers = list(zip(self.average.buffers(), module.buffers()))

    @torch.no_grad()
    def __call__(self, step):
        weight = 1.0 - self.decay
        for average, p in self._pairs:
            average.lerp_(p, weight)
        for average, b in self._buffers:
            average.copy_(b)

    def state_dict(self):
        return self.average.state_dict()

    def load_state_dict(self, state):
        self.average.load_state_dict(state)


class TrainingDivergedError(FloatingPointError, RuntimeError):
    """A game whose losses or generator stopped being finite, or whose generator ran away.

    A ``FloatingPointError`` (the engine's failure type) and a ``RuntimeError`` (what a
    scikit-learn ``fit`` that cannot finish raises); the message names the step, what was
    seen and the settings that usually cause it.
    """


# A generator parameter this many times farther out than the data's farthest row (the data's
# radius, at least 1) has left the data: the robust games are played in standardised
# coordinates, where a location, a Cholesky factor's entries and a radial network's output all
# live within the data's radius, so such a value is a game running away (a learning rate too
# large for its optimiser, a divergence whose score follows the far outliers), never an estimate.
RUNAWAY_FACTOR = 10.0

_NON_FINITE, _RAN_AWAY = 1, 2

# Steps of loss history a run holds at first; the buffers double as the steps run, up to the
# run's length. Held for the whole run up front, n_steps=10⁹ zeroed 12 GB before its first step
# and 10¹³ asked torch for 40 TB: now memory follows the steps run, and a long run can be
# stopped (Ctrl-C, a callback) with its history so far.
_HISTORY_CHUNK = 1024


def _failure_message(step, kind, settings, size=None, bound=None):
    """The message of a ``TrainingDivergedError``: what happened, by when, and what to change."""
    if kind == _NON_FINITE:
        what = "a loss or a generator parameter is no longer finite"
    else:
        what = (f"the generator ran away, a parameter reached |value| {size:.3g}, beyond "
                f"{bound:.3g} ({RUNAWAY_FACTOR:g}x the data's radius)")
    return (f"adversarial training diverged before generator step {step}: {what}. "
            f"Settings: {settings}.")


def _parameter_sizes(generator_module, members):
    """The largest absolute value of the generator's parameters: a scalar, or per member (R,).

    NaN propagates through the maximum, so a non-finite parameter gives a non-finite size.
    Device-side, no host sync.
    """
    params = [p.detach() for p in generator_module.parameters()]
    if not params:
        return None
    if members is None:
        return torch.stack([p.abs().amax() for p in params]).amax()
    return torch.stack([p.abs().flatten(1).amax(1) for p in params]).amax(0)


def _losses_finite(buffers):
    """Whether every loss in ``buffers`` is finite: a scalar, or per member (the last dimension)."""
    finite = None
    for b in buffers:
        ok = torch.isfinite(b).all(dim=0) if b.ndim > 1 else torch.isfinite(b).all()
        finite = ok if finite is None else finite & ok
    return finite


def _settings(loss, d_opt, g_opt, base_lrs, penalties=()):
    """The settings a failure message names (divergence, optimisers, learning rates, weight
    penalties) and what to change."""
    def rates(lrs):
        lrs = sorted({float(lr) for lr in lrs}, reverse=True)
        return "/".join(format(lr, "g") for lr in lrs)

    d_name, g_name = (type(opt).__name__.lower() for opt in (d_opt, g_opt))
    optimizer = (repr(d_name) if d_name == g_name
                 else f"{d_name!r} (discriminator), {g_name!r} (generator)")
    divergence = getattr(loss, "name", "") or type(loss).__name__
    advice = f"Lower the learning rates (lr_d, lr_g) for optimizer {optimizer}"
    if d_name != "sgd" or g_name != "sgd":
        advice += " (Adam and RMSprop steps are learning-rate sized, not gradient sized)"
    # A weight penalty's gradient grows with λ: an SGD step on it overshoots zero once
    # lr_d·λ is of order 1, unless the gradient is clipped.
    weights = ", ".join(f"{name}={value:g}" for p in penalties if isinstance(p, WeightPenalty)
                        for name, value in (("l1_penalty", p.l1), ("l2_penalty", p.l2)) if value)
    if weights:
        advice += f", or the weight penalties ({weights}), or clip the gradient (max_grad_norm)"
    refusal = getattr(loss, "robust_refusal", "")
    if refusal:
        advice += f", or change divergence {divergence!r}: {refusal}"
    return (f"divergence={divergence!r}, optimizer={optimizer}, lr_d={rates(base_lrs[0])}, "
            f"lr_g={rates(base_lrs[1])}. {advice}")


def _check_representable(base_lrs, params, settings):
    """Refuse a learning rate the parameters' dtype cannot hold.

    torch converts an optimiser's step size to the parameters' dtype inside ``step``, where
    one beyond it (1e39 in float32) ends in a RuntimeError from torch's internals.
    """
    for lrs, group, role in zip(base_lrs, params, ("discriminator", "generator")):
        dtypes = {p.dtype for p in group if p.is_floating_point()}
        if not dtypes:
            continue
        largest = min(torch.finfo(dtype).max for dtype in dtypes)
        for lr in lrs:
            if float(lr) > largest:
                raise ValueError(f"the {role}'s learning rate {float(lr):g} is beyond the "
                                 f"largest value its parameters' dtype holds ({largest:.3g}); "
                                 f"the game would diverge at its first step. Settings: {settings}")


def _rows_per_step(sample_real):
    """Rows of one real minibatch (per member), or None when the sampler does not say."""
    rows = getattr(sample_real, "batch_size", None)
    if rows is None:
        rows = getattr(getattr(sample_real, "loader", None), "batch_size", None)
    return rows


def _has_state(obj):
    return hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict")


def member_losses(loss_fn, *outputs):
    """Each member's own loss, shape (R,): ``loss_fn`` mapped over the leading member dimension.

    ``torch.func.vmap`` runs ``loss_fn`` once on the stacked outputs, so a loss written for one
    game (a mean over its rows) becomes R means in one call, with the same arithmetic.

    Examples
    --------
    >>> v = torch.tensor([[1.0, 3.0], [0.0, 0.0]])
    >>> member_losses(lambda x: x.mean(), v)
    tensor([2., 0.])
    """
    divergence = getattr(loss_fn, "__self__", None)
    function = getattr(loss_fn, "__func__", None)
    if isinstance(divergence, Divergence) and type(divergence).objective is Divergence.objective:
        # A divergence's losses are means of its per-sample scores: the same arithmetic as
        # the vmap, without its per-call cost.
        if function is Divergence.discriminator_loss:
            v_real, v_fake = outputs
            return (divergence.fake_score(v_fake).mean(-1)
                    - divergence.real_score(v_real).mean(-1))
        if function is Divergence.generator_loss:
            return -divergence.fake_score(outputs[0]).mean(-1)
    return torch.func.vmap(loss_fn)(*outputs)


@torch.no_grad()
def clip_grad_norm_(parameters, max_norm):
    """``torch.nn.utils.clip_grad_norm_(parameters, max_norm, foreach=True)``, to the bit.

    The same operations, without the grouping by device and dtype and the argument handling
    that made torch's function a step's second largest cost at the robust estimators' sizes
    (180 against 40 µs per call for a 100 → 20 → 1 network on one CPU thread). Gradients on
    several devices or of several dtypes go to torch's function. Tensor ops only: no host sync.

    Parameters
    ----------
    parameters : iterable of torch.Tensor
    max_norm : float

    Returns
    -------
    torch.Tensor or None
        The total norm before clipping (None without gradients).

    Examples
    --------
    >>> w = torch.zeros(3, requires_grad=True)
    >>> w.grad = torch.tensor([3.0, 4.0, 0.0])
    >>> clip_grad_norm_([w], 1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000, 0.0000])
    """
    parameters = [parameters] if torch.is_tensor(parameters) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    first = grads[0]
    if any(g.device != first.device or g.dtype != first.dtype for g in grads):
        return torch.nn.utils.clip_grad_norm_(parameters, max_norm, foreach=True)
    total_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
    coefficient = torch.clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)
    torch._foreach_mul_(grads, coefficient)
    return total_norm


@torch.no_grad()
def clip_grad_norm_per_member_(parameters, max_norm, eps=1e-6):
    """Clip each member's gradient to norm ``max_norm``, as ``clip_grad_norm_`` would alone.

    Member r's gradient is the slice [r] of every parameter's ``grad``; its norm is taken over
    those slices only, so clipping one member never rescales another. Tensor ops only: no
    host sync.

    Parameters
    ----------
    parameters : iterable of torch.Tensor
        Stacked parameters, shape (R, ...).
    max_norm : float
    eps : float, default=1e-6
        Added to the norm, as in ``torch.nn.utils.clip_grad_norm_``.

    Returns
    -------
    torch.Tensor of shape (R,)
        The norms before clipping.

    Examples
    --------
    >>> w = torch.zeros(2, 3, requires_grad=True)
    >>> w.grad = torch.tensor([[3.0, 4.0, 0.0], [0.3, 0.4, 0.0]])
    >>> clip_grad_norm_per_member_([w], 1.0)
    tensor([5.0000, 0.5000])
    >>> w.grad.norm(dim=1)
    tensor([1.0000, 0.5000])
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    # Summed parameter by parameter, elementwise: a reduction across a stacked dimension
    # (torch.stack(...).sum(0)) rounded differently with the batch's size in about 40% of
    # batches with six parameter tensors, so a member's clipped game depended on its batch.
    norms = sum(g.flatten(1).square().sum(1) for g in grads).sqrt()
    coef = (max_norm / (norms + eps)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view((-1,) + (1,) * (g.ndim - 1)))
    return norms


_MODULE_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                 "_backward_pre_hooks")


def _altered(loop, parameters):
    """Whether a hook (global, on a module of either player, or on a parameter) or a module's
    own ``forward`` (set on the instance) could act on a step that autograd would run: the
    closed form runs neither."""
    module_state = torch.nn.modules.module
    if any(getattr(module_state, "_global" + name, None) for name in _MODULE_HOOKS):
        return True
    modules = chain(loop.generator.modules(), loop.discriminator.modules())
    if any("forward" in vars(m) or any(getattr(m, name, None) for name in _MODULE_HOOKS)
           for m in modules):
        return True
    return any(p._backward_hooks or getattr(p, "_post_accumulate_grad_hooks", None)
               for p in parameters)


class AdversarialLoop:
    """The state of one adversarial game and the step that advances it.

    Each generator step is preceded by ``n_critic`` discriminator steps. The discriminator
    minimises ``loss.discriminator_loss(v_real, v_fake)`` plus its penalties, then its
    constraints are applied; the generator minimises ``loss.generator_loss(v_fake)``, then the
    hooks run. A ``robustgan.divergences.Divergence`` is such a loss, and so is every entry of
    ``robustgan.gan.losses``: a new loss needs no change here.

    Parameters
    ----------
    generator : torch.nn.Module
        Maps latent noise (b, ``latent_dim``) to samples shaped like the real minibatches.
    discriminator : torch.nn.Module
        Maps samples to logits of shape (b,) (or (b, 1)).
    loss : object with ``discriminator_loss`` and ``generator_loss``
    latent_dim : int
    latent_sampler : callable, default=standard_normal
        ``(n, dim, generator, device) -> Tensor``.
    n_critic : int, default=1
    d_optimizer, g_optimizer : {"sgd", "adam", "rmsprop"} or callable, default="adam"
        A name or a factory ``(params, lr) -> torch.optim.Optimizer`` (separate optimisers and
        learning rates: the two time-scale update rule, TTUR, of Heusel et al., 2017).
    lr_d, lr_g : float, default=1e-4
    lr_schedule : {"constant", "linear", "cosine"}, default="constant"
        Multiplier of both learning rates, a function of step / n_steps of the current ``run``.
    d_penalties : sequence of callables, default=()
        ``(discriminator, x_real, x_fake, generator) -> scalar`` added to the discriminator loss.
    d_constraints : sequence of callables, default=()
        ``(discriminator) -> None`` applied after each discriminator step (weight clipping).
    g_hooks : sequence of callables, default=()
        ``(step) -> None`` after each generator step (averaging, EMA).
    max_grad_norm, g_max_grad_norm : float or None, default=None
        Clip the discriminator's / generator's gradient norm at every step.
    joint_forward : bool, default=True
        Score real and fake minibatches in one forward pass (halves the per-step overhead;
        differs from two passes only for batch-dependent layers such as BatchNorm).
    generator_rng : torch.Generator
        Every draw of the loop comes from it (batched samplers keep per-member streams).
    members : int or None, default=None
        Play R independent games at once: modules with parameters stacked along a leading
        member dimension (``robustgan.batched.stack_modules``), samplers returning (R, b, ...)
        batches. Each member minimises its own mean loss (``member_losses``); gradient clipping
        is per member; failed members (non-finite, or past ``generator_bound``) are recorded
        in ``failed_at`` at the checks instead of raising (``member_failures`` turns the
        records into errors), and the loop stops early only when every member has failed.
    generator_bound : float, tensor or None, default=None
        The runaway bound: at each check, a generator parameter whose absolute value exceeds
        it fails the game like a non-finite one. A tensor of shape (R,) gives each member its
        own bound. None: no bound (generators whose parameters are not in data units, such
        as ``robustgan.gan``'s networks).
    cuda_graphs : bool or None, default=None
        On a CUDA device, replay the steps between two checks from a captured CUDA graph
        (``robustgan._step_graphs``) where the game allows it: a single game drawing from an
        ``IndexSampler`` with plain ``SGD``, the robust estimators' games. False: always
        step by step. None: ``robustgan._step_graphs.BY_DEFAULT``, read at each ``run``,
        which is False until the replays have been checked on a GPU (see that module).

    Examples
    --------
    >>> from robustgan.nets import LocationGenerator, MLPDiscriminator
    >>> from robustgan.divergences import get_divergence
    >>> rng = torch_generator(0, "cpu")
    >>> loop = AdversarialLoop(LocationGenerator(torch.zeros(2)), MLPDiscriminator(2),
    ...                        get_divergence("js"), latent_dim=2, generator_rng=rng)
    >>> loop.run(IndexSampler(torch.randn(100, 2), 50), n_steps=10)
    10
    >>> len(loop.history())
    10
    """

    def __init__(
        self,
        generator,
        discriminator,
        loss,
        *,
        latent_dim,
        generator_rng,
        latent_sampler=standard_normal,
        n_critic=1,
        d_optimizer="adam",
        g_optimizer="adam",
        lr_d=1e-4,
        lr_g=1e-4,
        lr_schedule="constant",
        d_penalties=(),
        d_constraints=(),
        g_hooks=(),
        max_grad_norm=None,
        g_max_grad_norm=None,
        joint_forward=True,
        members=None,
        generator_bound=None,
        cuda_graphs=None,
    ):
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.latent_dim = int(latent_dim)
        self.rng = generator_rng
        self.latent_sampler = latent_sampler
        self.n_critic = int(n_critic)
        self.d_penalties = list(d_penalties)
        self.d_constraints = list(d_constraints)
        self.g_hooks = list(g_hooks)
        self.max_grad_norm = max_grad_norm
        self.g_max_grad_norm = g_max_grad_norm
        self.joint_forward = joint_forward
        self.schedule = _schedule(lr_schedule)
        self.constant_schedule = lr_schedule == "constant"
        self.d_params = list(discriminator.parameters())
        self.g_params = list(generator.parameters())
        self.d_opt = make_optimizer(d_optimizer, self.d_params, lr_d)
        self.g_opt = make_optimizer(g_optimizer, self.g_params, lr_g)
        self.base_lrs = [[g["lr"] for g in opt.param_groups] for opt in (self.d_opt, self.g_opt)]
        self.settings = _settings(loss, self.d_opt, self.g_opt, self.base_lrs, self.d_penalties)
        _check_representable(self.base_lrs, (self.d_params, self.g_params), self.settings)
        self.generator_bound = generator_bound
        self.cuda_graphs = cuda_graphs
        self.step = 0
        self._losses = None  # device buffers (d_loss, g_loss, d_penalty), grown by run()
        self.members = None if members is None else int(members)
        # Rows are the first dimension of a single game's batches, the second of a batched one.
        self._rows = 0 if self.members is None else 1
        self.failed_at = None
        self.failure_kind = None
        self.failure_size = None
        self._checked = 0
        self._vmap_losses = True
        if self.members is not None:
            device = next(chain(self.g_params, self.d_params)).device
            self.failed_at = torch.full((self.members,), -1, dtype=torch.long, device=device)
            self.failure_kind = torch.zeros((self.members,), dtype=torch.long, device=device)
            self.failure_size = torch.zeros((self.members,), device=device)
        self._activations = self._closed_form_activations()
        self._closed_form_views = None  # (storages, views) of ``_closed_form_parameters``

    # -- the closed form of the estimators' games ------------------------------------------
    def _closed_form_activations(self, dtype=None):
        """The discriminator's activation kernels where this game's gradients take the closed
        form (``robustgan.closed_form``), else None.

        A single game of a location or Gaussian model against a plain ``MLPDiscriminator``,
        with antithetic pool noise (``NormalPool``), both batches scored in one pass, no
        penalty and a divergence whose scores' derivatives are stated: the robust
        estimators' games. Its steps draw what autograd's steps draw and compute the same
        gradients, rounded otherwise (float32: a default mean fit's game agreed to 3e-5 relative).
        Anything autograd would honour and the closed form cannot see (a hook, a module's own
        ``forward`` set on the instance, a frozen parameter, mixed dtypes, ``dtype`` of the
        real rows, ``no_grad``, inference and anomaly modes) keeps autograd's step; ``run``
        asks again at its start and after its callbacks, which may change such things. Not
        seen: pre-hooks registered on a parameter's gradient accumulator node
        (``torch.autograd.graph.get_gradient_edge(p).node``), which this step does not run.
        """
        if self.members is not None or not self.joint_forward or self.d_penalties:
            return None
        generator, pool = self.generator, self.latent_sampler
        if (type(generator) not in (LocationGenerator, GaussianGenerator)
                or type(pool) is not NormalPool or not takes_closed_form(self.loss)
                or generator.location.ndim != 1
                or not generator.location.shape[0] == pool.half.shape[1] == self.latent_dim):
            return None
        # A subclass that scores or weighs the losses otherwise (robustgan.batched) keeps its
        # own step; so does a context autograd's step would honour (no_grad, anomaly mode).
        kind = type(self)
        if any(getattr(kind, name) is not getattr(AdversarialLoop, name)
               for name in ("_score_minibatches", "_score_generated", "_loss")):
            return None
        if (not torch.is_grad_enabled() or torch.is_inference_mode_enabled()
                or torch.is_anomaly_enabled()):
            return None
        layers = mlp_layers(self.discriminator)
        if layers is None:
            return None
        activations, linears = layers
        weights_and_biases = [p for layer in linears for p in (layer.weight, layer.bias)]
        if (any(p is None for p in weights_and_biases)
                or [id(p) for p in self.d_params] != [id(p) for p in weights_and_biases]
                or [id(p) for p in self.g_params] != [id(p) for p in self._model_parameters()]):
            return None
        parameters = self.d_params + self.g_params
        dtypes = {p.dtype for p in parameters} | {pool.half.dtype}
        if (not all(p.requires_grad for p in parameters) or len(dtypes) > 1
                or (dtype is not None and dtypes != {dtype}) or _altered(self, parameters)):
            return None
        self._closed_form_dtype = dtypes.pop()
        return activations

    def _model_parameters(self):
        """η, and a Gaussian model's factor L: the parameters the closed forms differentiate."""
        factor = getattr(self.generator, "factor", None)
        return [self.generator.location] + ([] if factor is None else [factor])

    def _closed_form(self, x_real, n_model, device, *, discriminator):
        """Loss and gradients of one step in closed form, written to the parameters' ``grad``.

        ``discriminator``: its step (the network's gradients, on ``x_real`` and ``n_model``
        model rows) or the generator's (η's and L's, on ``n_model`` model rows). Tensors take
        a member dimension of one, as ``robustgan.closed_form`` wants them.
        """
        half = self.latent_sampler.half_rows(n_model, self.rng, device).unsqueeze(0)
        params, location, factor, losses = self._closed_form_parameters()
        factor = None if factor is None else torch.tril(factor).unsqueeze(0)
        with torch.no_grad():
            loss, grads = location_model_gradients(
                None if x_real is None else x_real.unsqueeze(0), half, location, n_model,
                self._activations, params, losses[discriminator],
                wrt="weights" if discriminator else "location", factor=factor)
        if not discriminator and factor is None:
            grads = (grads,)
        for parameter, grad in zip(self.d_params if discriminator else self.g_params, grads):
            parameter.grad = grad.squeeze(0)
        return loss.squeeze(0)

    def _closed_form_parameters(self):
        """(the discriminator's parameters and η, detached with a member dimension of one; L
        detached; the generator's and the discriminator's loss-and-gradient functions).

        Views of the parameters, which the optimisers update in place: made once per ``run``
        (and after its callbacks), not at each of its thousands of steps, where they cost a
        tenth of a default mean fit's step. Made again where a parameter's storage was
        replaced (``p.data = ...``), which the views would not see.
        """
        parameters = self.d_params + self.g_params
        storages = [p.data_ptr() for p in parameters]
        if self._closed_form_views is None or self._closed_form_views[0] != storages:
            location, *factor = (p.detach() for p in self._model_parameters())
            views = ([p.detach().unsqueeze(0) for p in self.d_params], location.unsqueeze(0),
                     factor[0] if factor else None,
                     (partial(generator_loss_and_gradient, self.loss),
                      partial(bound_and_gradient, self.loss)))
            self._closed_form_views = storages, views
        return self._closed_form_views[1]

    # -- the step ---------------------------------------------------------------------------
    def _loss(self, loss_fn, *outputs):
        """The loss of a single game; of a batched one, each member's, shape (R,)."""
        if self.members is None:
            return loss_fn(*outputs)
        if self._vmap_losses:
            try:
                return member_losses(loss_fn, *outputs)
            except Exception as error:  # noqa: BLE001 - a loss vmap cannot map, e.g. in-place
                warnings.warn(f"this loss cannot be mapped over members ({error}); every member "
                              "records the members' mean loss instead", stacklevel=3)
                self._vmap_losses = False
        # Every member has the same rows, so the mean over all of them is the mean of the
        # members' means: R times it has each member's own gradient.
        return loss_fn(*outputs).expand(self.members)

    def _penalty(self, value):
        # A scalar penalty of a batched game is a total over members: share it out so that
        # the summed loss counts it once.
        if self.members is not None and not (torch.is_tensor(value) and value.ndim == 1):
            return value / self.members
        return value

    def _clip(self, params, max_norm):
        if self.members is None:
            clip_grad_norm_(params, max_norm)
        else:
            clip_grad_norm_per_member_(params, max_norm)

    def _score_minibatches(self, sample_real):
        """Draw a real and a generated minibatch and score both with the discriminator.

        Returns ``(v_real, v_fake, x_real, x_fake)``; the generator gets no gradient.
        Subclasses may score without forming ``x_fake`` (``robustgan.batched``) and then
        return None for it.
        """
        generator, discriminator, rows = self.generator, self.discriminator, self._rows
        x_real = sample_real(self.rng)
        b = x_real.shape[rows]
        with torch.no_grad():
            x_fake = generator(self.latent_sampler(b, self.latent_dim, self.rng, x_real.device))
        if not self.joint_forward:
            return discriminator(x_real), discriminator(x_fake), x_real, x_fake
        # One forward pass over both batches halves the per-step overhead, which dominates at
        # the robust estimators' sizes.
        logits = discriminator(torch.cat([x_real, x_fake], dim=rows))
        v_real = logits.narrow(rows, 0, b)
        v_fake = logits.narrow(rows, b, logits.shape[rows] - b)
        return v_real, v_fake, x_real, x_fake

    def _score_generated(self, b, device):
        """The discriminator's logits of b fresh generated rows, differentiable in the generator."""
        x_fake = self.generator(self.latent_sampler(b, self.latent_dim, self.rng, device))
        return self.discriminator(x_fake)

    def _discriminator_step(self, sample_real):
        d_loss, penalty, b, device = self._discriminator_gradients(sample_real)
        if self.max_grad_norm is not None:
            # Outliers far from the data's centre give unbounded-activation discriminators
            # huge gradients; clipping the norm keeps one batch from blowing the net up.
            self._clip(self.d_params, self.max_grad_norm)
        self.d_opt.step()
        for constraint in self.d_constraints:
            constraint(self.discriminator)
        return d_loss, penalty, b, device

    def _discriminator_gradients(self, sample_real):
        """Draw and score minibatches and set the discriminator's ``grad`` to its loss's
        gradient; returns ``(d_loss, penalty, rows per minibatch, device)``."""
        if self._activations is not None:
            x_real = sample_real(self.rng)
            b = x_real.shape[0]
            if x_real.dtype != self._closed_form_dtype:
                # What autograd's step does: the rows are promoted with the generated ones'.
                x_real = x_real.to(torch.promote_types(x_real.dtype, self._closed_form_dtype))
            d_loss = self._closed_form(x_real, b, x_real.device, discriminator=True)
            return d_loss, None, b, x_real.device
        v_real, v_fake, x_real, x_fake = self._score_minibatches(sample_real)
        d_loss = self._loss(self.loss.discriminator_loss, v_real, v_fake)
        penalty = None
        for term in self.d_penalties:
            value = self._penalty(term(self.discriminator, x_real, x_fake, self.rng))
            penalty = value if penalty is None else penalty + value
        if penalty is not None:
            d_loss = d_loss + penalty
        # What d_opt.zero_grad(set_to_none=True) does, without its per-call bookkeeping
        # (about 30 µs a step at the robust estimators' sizes).
        for parameter in self.d_params:
            parameter.grad = None
        # The sum over members: each member's gradient is that of its own loss.
        (d_loss if self.members is None else d_loss.sum()).backward()
        return d_loss, penalty, v_fake.shape[self._rows], v_real.device

    def _generator_step(self, b, device):
        g_loss = self._generator_gradients(b, device)
        if self.g_max_grad_norm is not None:
            self._clip(self.g_params, self.g_max_grad_norm)
        self.g_opt.step()
        return g_loss

    def _generator_gradients(self, b, device):
        """Score b generated rows and set the generator's ``grad`` to its loss's gradient;
        returns the loss."""
        if self._activations is not None:
            return self._closed_form(None, b, device, discriminator=False)
        g_loss = self._loss(self.loss.generator_loss, self._score_generated(b, device))
        total = g_loss if self.members is None else g_loss.sum()
        # Only the generator's gradient: backward() would also fill the discriminator's.
        for p, grad in zip(self.g_params, torch.autograd.grad(total, self.g_params)):
            p.grad = grad
        return g_loss

    def _set_learning_rates(self, n_steps):
        factor = self.schedule(self.step / n_steps)
        for opt, lrs in zip((self.d_opt, self.g_opt), self.base_lrs):
            for group, lr in zip(opt.param_groups, lrs):
                group["lr"] = lr * factor

    # -- the loop ---------------------------------------------------------------------------
    def run(self, sample_real, n_steps, *, check_every=50, callbacks=(), progress=None):
        """Advance to generator step ``n_steps`` (counted from the start of the game).

        Parameters
        ----------
        sample_real : callable
            ``(generator) -> Tensor``, one real minibatch per call (``IndexSampler``,
            ``LoaderSampler``).
        n_steps : int
            The step to stop at; a loop already there returns at once.
        check_every : int, default=50
            Generator steps between the non-finite checks and the callbacks (the only host
            syncs), counted from step 0 so that a resumed run checks at the same steps.
        callbacks : sequence of callables, default=()
            ``callback(step, generator, discriminator)`` at every check; True stops the loop.
        progress : callable or None
            Called with the number of generator steps done since its last call.

        Returns
        -------
        int
            The step reached.

        Raises
        ------
        TrainingDivergedError
            When a loss or a generator parameter stops being finite, or a generator parameter
            passes ``generator_bound`` (a single game; a batched one records the member in
            ``failed_at`` and goes on). It is a ``FloatingPointError``.
        """
        n_steps = int(n_steps)
        self._grow_history(min(n_steps, self.step + _HISTORY_CHUNK))
        device = next(chain(self.g_params, self.d_params)).device
        # Small steps run on one intra-op thread (the caller's setting is restored after).
        self._activations = self._closed_form_activations(getattr(sample_real, "dtype", None))
        self._closed_form_views = None
        graphs = self._step_graphs(sample_real, device, n_steps, check_every)
        with threads_for(step_work(_rows_per_step(sample_real), self.discriminator), device):
            return self._run(sample_real, n_steps, check_every, callbacks, progress, graphs)

    def _run(self, sample_real, n_steps, check_every, callbacks, progress, graphs):
        reported = self.step
        while self.step < n_steps:
            step = self.step
            next_check = min(n_steps, (step // check_every + 1) * check_every)
            if next_check > len(self._losses[0]):
                self._grow_history(min(n_steps, max(2 * step, next_check)))
            if not self.constant_schedule:
                self._set_learning_rates(n_steps)
            if graphs is not None and graphs.advance(sample_real, step, next_check - step):
                self.step = step = next_check
            else:
                self._advance(sample_real, step, step, self._losses)
                self.step = step = step + 1

            if step % check_every == 0 or step == n_steps:
                if self.members is None:
                    self._check(step)
                elif self._record_failures(step):
                    break
                if progress is not None:
                    progress(step - reported)
                    reported = step
                if any(callback(step, self.generator, self.discriminator) for callback in callbacks):
                    break
                if callbacks:  # they may have hooked or frozen a module
                    self._activations = self._closed_form_activations(
                        getattr(sample_real, "dtype", None))
                    self._closed_form_views = None
        return self.step

    def _advance(self, sample_real, step, slot, buffers):
        """Play generator step ``step`` (its ``n_critic`` discriminator steps first); its losses
        go to ``buffers[k][slot]`` (the history, or a captured window's own buffers)."""
        for _ in range(self.n_critic):
            d_loss, penalty, b, device = self._discriminator_step(sample_real)
        g_loss = self._generator_step(b, device)
        d_losses, g_losses, d_penalties = buffers
        d_losses[slot] = d_loss.detach()
        g_losses[slot] = g_loss.detach()
        if penalty is not None:
            d_penalties[slot] = penalty.detach()
        for hook in self.g_hooks:
            hook(step)

    def _step_graphs(self, sample_real, device, n_steps, check_every):
        """A ``StepGraphs`` for this run where its steps can be replayed from CUDA graphs, on
        a CUDA device, else None."""
        enabled = _step_graphs.BY_DEFAULT if self.cuda_graphs is None else self.cuda_graphs
        if (not enabled or device.type != "cuda" or self.rng.device.type != "cuda"
                or getattr(sample_real, "device", device).type != "cuda"
                or not self._steps_capturable(sample_real, n_steps, check_every)):
            return None
        return _step_graphs.StepGraphs(self, device, check_every)

    def _steps_capturable(self, sample_real, n_steps, check_every):
        """Whether this run's steps between two checks decide nothing on the host, so that a
        captured graph replays what they compute (``robustgan._step_graphs``), and enough of
        them lie ahead to pay for a capture."""
        latent = self.latent_sampler
        return bool(
            self.members is None
            and (n_steps - self.step) // check_every >= _step_graphs.MIN_WINDOWS
            and type(sample_real) is IndexSampler
            and (type(latent) is NormalPool
                 or any(latent is noise for noise in (standard_normal, antithetic_normal)))
            and self.constant_schedule and not self.d_constraints
            and not torch.is_anomaly_enabled()
            and type(self.d_opt) is SGD and type(self.g_opt) is SGD
            and all(type(term) is WeightPenalty for term in self.d_penalties)
            and all(type(hook) in (IterateAverage, ExponentialAverage) for hook in self.g_hooks))

    def _graph_settings(self, sample_real):
        """What a captured window bakes in besides its length and averaging phase: a window
        whose settings changed (a callback's doing) is captured anew."""
        params = self.d_params + self.g_params
        pool = getattr(self.latent_sampler, "half", None)
        return (self._activations, self.n_critic, self.max_grad_norm, self.g_max_grad_norm,
                tuple(p.data_ptr() for p in params), tuple(p.requires_grad for p in params),
                tuple(group["lr"] for opt in (self.d_opt, self.g_opt)
                      for group in opt.param_groups),
                sample_real.data.data_ptr(), sample_real.batch_size,
                None if pool is None else pool.data_ptr(), tuple(map(id, self.g_hooks)),
                tuple(map(id, self.d_penalties)))

    def _failures(self, step):
        """(non-finite, ran away) since the last check: device booleans, scalar or per member."""
        d_losses, g_losses, _ = self._losses
        since = slice(self._checked, step)
        self._checked = step
        finite = _losses_finite((d_losses[since], g_losses[since]))
        size = _parameter_sizes(self.generator, self.members)
        ran_away = torch.zeros_like(finite)
        if size is not None:
            finite = finite & torch.isfinite(size)
            if self.generator_bound is not None:
                ran_away = finite & (size > self.generator_bound)
        return ~finite, ran_away, size

    def _check(self, step):
        """Raise ``TrainingDivergedError`` when the single game went non-finite or ran away."""
        non_finite, ran_away, size = self._failures(step)
        non_finite, ran_away = torch.stack([non_finite, ran_away]).tolist()  # the one host sync
        if non_finite:
            raise TrainingDivergedError(_failure_message(step, _NON_FINITE, self.settings))
        if ran_away:
            raise TrainingDivergedError(_failure_message(
                step, _RAN_AWAY, self.settings, float(size), float(self.generator_bound)))

    def _record_failures(self, step):
        """Mark the members that went non-finite or ran away since the last check; True when all
        have."""
        non_finite, ran_away, size = self._failures(step)
        new = (non_finite | ran_away) & (self.failed_at < 0)
        self.failed_at = torch.where(new, step, self.failed_at)
        self.failure_kind = torch.where(new, torch.where(non_finite, _NON_FINITE, _RAN_AWAY),
                                        self.failure_kind)
        if size is not None:
            self.failure_size = torch.where(new, size.to(self.failure_size.dtype),
                                            self.failure_size)
        return bool((self.failed_at >= 0).all())  # the one host sync, once per check

    def member_failures(self):
        """Per member, its ``TrainingDivergedError`` or None (reads the records once)."""
        if self.members is None:
            return None
        bound = self.generator_bound
        if bound is None or not torch.is_tensor(bound) or bound.ndim == 0:
            bounds = [None if bound is None else float(bound)] * self.members
        else:
            bounds = bound.tolist()
        records = zip(self.failed_at.tolist(), self.failure_kind.tolist(),
                      self.failure_size.tolist(), bounds)
        return [None if step < 0 else TrainingDivergedError(
                    _failure_message(step, kind, self.settings, size, member_bound))
                for step, kind, size, member_bound in records]

    def _grow_history(self, n_steps):
        """The loss buffers (d_loss, g_loss, d_penalty), grown to hold ``n_steps`` steps."""
        if self._losses is not None and len(self._losses[0]) >= n_steps:
            return self._losses
        device = next(chain(self.g_params, self.d_params)).device
        shape = (n_steps,) if self.members is None else (n_steps, self.members)
        grown = tuple(torch.zeros(shape, device=device) for _ in range(3))
        if self._losses is not None:
            for new, old in zip(grown, self._losses):
                new[: self.step] = old[: self.step]
        self._losses = grown
        return grown

    def history(self):
        """The ``History`` of the steps run so far (reads the device buffers once)."""
        if self._losses is None:
            return History()
        d_loss, g_loss, d_penalty = (b[: self.step].cpu().numpy() for b in self._losses)
        return History(d_loss=d_loss, g_loss=g_loss,
                       d_penalty=d_penalty if self.d_penalties else np.empty(0))

    # -- checkpoints ------------------------------------------------------------------------
    def state_dict(self):
        """Everything a resumed run needs: models, optimisers, RNG, step, history, hooks."""
        losses = None if self._losses is None else [b[: self.step].clone() for b in self._losses]
        return {
            "step": self.step,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "d_optimizer": self.d_opt.state_dict(),
            "g_optimizer": self.g_opt.state_dict(),
            "rng": self.rng.get_state(),
            "losses": losses,
            "latent_sampler": (self.latent_sampler.state_dict()
                               if _has_state(self.latent_sampler) else None),
            "g_hooks": [h.state_dict() if _has_state(h) else None for h in self.g_hooks],
            "d_penalties": [t.state_dict() if _has_state(t) else None for t in self.d_penalties],
            "failed_at": (None if self.failed_at is None
                          else (self.failed_at.clone(), self._checked)),
            "failure": (None if self.failed_at is None
                        else (self.failure_kind.clone(), self.failure_size.clone())),
        }

    def load_state_dict(self, state):
        """Restore a ``state_dict``; the loop must be built with the same configuration."""
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.d_opt.load_state_dict(state["d_optimizer"])
        self.g_opt.load_state_dict(state["g_optimizer"])
        self.rng.set_state(state["rng"])
        self.step = int(state["step"])
        if state["latent_sampler"] is not None:
            self.latent_sampler.load_state_dict(state["latent_sampler"])
        for objects, key in ((self.g_hooks, "g_hooks"), (self.d_penalties, "d_penalties")):
            for obj, obj_state in zip(objects, state[key]):
                if obj_state is not None:
                    obj.load_state_dict(obj_state)
        if state.get("failed_at") is not None:
            failed_at, self._checked = state["failed_at"]
            self.failed_at = failed_at.to(self.failed_at.device)
            if state.get("failure") is not None:  # saved before the runaway check: all -1/0
                kind, size = state["failure"]
                self.failure_kind = kind.to(self.failed_at.device)
                self.failure_size = size.to(self.failed_at.device)
        self._losses = None
        if state["losses"] is not None:
            self._grow_history(self.step)
            for buffer, saved in zip(self._losses, state["losses"]):
                buffer.copy_(saved.to(buffer.device))


def runaway_bound(sample_real):
    """``RUNAWAY_FACTOR`` times the real data's radius (at least 1), on the data's device.

    The radius is ``sample_real.radius()``: a scalar tensor, or one per member for a member
    sampler. None for a sampler that cannot tell it (a ``LoaderSampler``). No host sync.

    Examples
    --------
    >>> float(runaway_bound(IndexSampler(torch.tensor([[3.0, 4.0], [0.0, 1.0]]), 2)))
    50.0
    """
    radius = getattr(sample_real, "radius", None)
    if radius is None:
        return None
    return RUNAWAY_FACTOR * radius().clamp_min(1.0)


def first_averaged_step(n_steps, average):
    """The first generator step whose iterate ``train_adversarial`` averages into its result:
    the last ``average`` fraction of ``n_steps``, at least the last step.

    Examples
    --------
    >>> first_averaged_step(400, 0.5), first_averaged_step(10, 0.01)
    (200, 9)
    """
    return min(n_steps - 1, round(n_steps * (1.0 - average)))


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
    members=None,
    loop_class=None,
    generator_bound="auto",
):
    """Train ``generator`` against ``discriminator`` on the variational bound of ``divergence``.

    A one-shot configuration of ``AdversarialLoop``: real rows drawn with replacement from a
    tensor, a Polyak–Ruppert average of the last generator iterates as the result. Both players
    minimise the losses of the same ``Divergence`` object (``discriminator_loss`` and
    ``generator_loss``), so a new divergence needs no change here.

    Parameters
    ----------
    real : torch.Tensor of shape (n, p) or sampler
        The data, already on the device and dtype to train in, or a real-minibatch sampler
        with ``device``, ``dtype`` and ``n`` attributes (``robustgan.batched`` passes one that
        draws (R, b, p) batches for its R members).
    generator : torch.nn.Module
        Maps latent noise of shape (b, ``generator.latent_dim``) to samples of shape (b, p).
    discriminator : torch.nn.Module
        Maps samples (b, p) to logits (b,).
    divergence : str or Divergence, default="js"
        See ``robustgan.divergences.available_divergences()``; any object with
        ``discriminator_loss`` and ``generator_loss`` also works.
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
    members : int or None, default=None
        Play R games at once (see ``AdversarialLoop``): stacked modules, a member sampler as
        ``real`` and a member latent sampler. Prefer ``robustgan.batched.solve_many``, which
        builds them.
    loop_class : subclass of AdversarialLoop or None
        The loop to play (None: ``AdversarialLoop``); ``robustgan.batched`` passes one that
        scores the estimators' stacked networks faster.
    generator_bound : "auto", float, tensor or None, default="auto"
        The runaway bound on the generator's parameters (see ``AdversarialLoop``). ``"auto"``:
        ``RUNAWAY_FACTOR`` (10) times the data's radius, the largest row norm (at least 1), per
        member for a batched game; None when the real sampler cannot tell its radius. The
        estimators' generators (a location, a Cholesky factor, a radial network) live within
        that radius in the standardised coordinates they are trained in.

    Returns
    -------
    AdversarialFit
        The averaged generator parameters (by name), the ``History``, the steps run and, for a
        batched game, the members that failed.

    Raises
    ------
    TrainingDivergedError
        When a loss or a generator parameter stops being finite, or the generator runs away
        past ``generator_bound`` (a single game; a batched one reports it in ``failures``). It
        is a ``FloatingPointError`` and a ``RuntimeError``; its message names the settings.

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
    if isinstance(divergence, str) or not hasattr(divergence, "discriminator_loss"):
        divergence = get_divergence(divergence)
    device = real.device
    rng = torch_generator(random_state, device)
    sample_real = IndexSampler(real, batch_size) if isinstance(real, torch.Tensor) else real
    latent_dim = generator.latent_dim
    if uses_latent_pool(latent_sampler):
        if members is not None:
            raise ValueError("latent_sampler='pool' is for single games: a batched game takes a "
                             "robustgan.batched.MemberNormalPool")
        latent_sampler = NormalPool(latent_pool_size(sample_real.n), latent_dim, rng, device,
                                    real.dtype)

    if isinstance(generator_bound, str):
        if generator_bound != "auto":
            raise ValueError(f"generator_bound must be 'auto', a number or None, got "
                             f"{generator_bound!r}")
        generator_bound = runaway_bound(sample_real)

    averaging = IterateAverage(generator, first_averaged_step(n_steps, average))
    penalties = ([WeightPenalty(l1_penalty, l2_penalty, members=members)]
                 if (l1_penalty or l2_penalty) else [])
    loop = (AdversarialLoop if loop_class is None else loop_class)(
        generator,
        discriminator,
        divergence,
        latent_dim=latent_dim,
        generator_rng=rng,
        latent_sampler=latent_sampler,
        n_critic=n_critic,
        d_optimizer=d_optimizer,
        g_optimizer=g_optimizer,
        lr_d=lr_d,
        lr_g=lr_g,
        lr_schedule=lr_schedule,
        d_penalties=penalties,
        g_hooks=[averaging],
        max_grad_norm=max_grad_norm,
        members=members,
        generator_bound=generator_bound,
    )
    step = loop.run(sample_real, n_steps, check_every=check_every, callbacks=callbacks,
                    progress=progress)
    history = loop.history()
    # The estimators' History keeps its two columns: the penalty is inside d_loss.
    history.d_penalty = np.empty(0)
    failed_at = None if members is None else loop.failed_at.cpu().numpy()
    return AdversarialFit(averaged_parameters=averaging.result(step), history=history, n_iter=step,
                          failed_at=failed_at, failures=loop.member_failures())
