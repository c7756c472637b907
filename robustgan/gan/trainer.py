"""GANTrainer: a generative adversarial network trained on the engine's one loop.

``GANTrainer`` configures ``robustgan.engine.AdversarialLoop`` for general generative modelling:
any generator/discriminator pair of ``torch.nn.Module``, any loss of ``robustgan.gan.losses``
(and every f-divergence), the recipe's penalty, clipping or spectral normalisation, TTUR,
generator EMA, gradient clipping, callbacks, and checkpoints from which a run resumes bit for
bit on the CPU. Given lists of modules (or ``GANTrainer.ensemble``), it trains R independent
pairs at once as one batched game (``robustgan.batched``).

A checkpoint is data: tensors, numbers, the names of robustgan's own losses and samplers, and
the constructor arguments of its MLPs. ``GANTrainer.load`` reads it with torch's weights-only
loader, so opening a file someone sent runs none of their code; unpickling a user's own modules
or callables needs ``trust_pickle=True``.
"""

import copy
import inspect
import os
import pickle
import re
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from torch.nn.utils import parametrize
from tqdm.auto import tqdm

from .. import nets
from .._validation import refusing_bools
from ..batched import MemberIndexSampler, MemberLatentSampler, MemberPenalty, stack_modules
from ..engine import (
    LR_SCHEDULES,
    OPTIMIZERS,
    AdversarialLoop,
    ExponentialAverage,
    IndexSampler,
    LoaderSampler,
    resolve_device,
    standard_normal,
)
from ..io_utils import atomic_open
from . import nets as gan_nets
from .losses import WeightClipping, apply_spectral_norm, get_loss, get_penalty

__all__ = ["Checkpoint", "EarlyStopping", "GANTrainer", "LossLogger", "atomic_save"]

# 2: configuration and architectures as data (weights-only); 1: both pickled (trust_pickle).
_FORMAT = 2
_FORMATS = (1, 2)


def atomic_save(obj, path):
    """``torch.save(obj, path)`` through ``robustgan.io_utils.atomic_open``.

    A run killed mid-write leaves the previous checkpoint intact, never a truncated one.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.pt")
    >>> atomic_save({"a": 1}, path)
    >>> torch.load(path)
    {'a': 1}
    """
    with atomic_open(path, "wb") as handle:
        torch.save(obj, handle)


# ---------------------------------------------------------------------------------------------
# Checkpoints as data: what torch's weights-only loader reads, so loading runs no stored code
# ---------------------------------------------------------------------------------------------

# Functions and classes a checkpoint may name. Load looks names up here, never imports a
# module a file names, and rebuilds objects as ``cls.__new__`` plus their attributes: no
# stored callable is ever called.
_SAFE_MODULES = ("robustgan.engine", "robustgan.gan.losses", "robustgan.divergences")
_DTYPES = ("float16", "bfloat16", "float32", "float64")
_TAG = "__robustgan__"


class _NotData(TypeError):
    """A value that has no plain-data form (a user's function or object)."""


def _safe_global(name):
    """The function or class ``name`` ("module.Name") of a module of ``_SAFE_MODULES``."""
    module, _, attr = str(name).rpartition(".")
    found = getattr(sys.modules.get(module), attr, None) if module in _SAFE_MODULES else None
    # Defined in a safe module, not only named there: a re-export (AlphaDivergence, which
    # checkpoints before 0.2 name as robustgan.gan.losses') is as safe as its definition.
    if not (inspect.isfunction(found) or inspect.isclass(found)) or \
            found.__module__ not in _SAFE_MODULES:
        raise pickle.UnpicklingError(f"the checkpoint names {name!r}, which is not a function "
                                     f"or class of {', '.join(_SAFE_MODULES)}")
    return found


def _global_name(obj):
    """``obj``'s "module.Name" when ``_safe_global`` gives it back, else None."""
    name = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
    try:
        return name if _safe_global(name) is obj else None
    except pickle.UnpicklingError:
        return None


def _to_data(value):
    """``value`` as plain data: numbers, strings, tensors, containers, and tagged dicts for
    robustgan's own functions and objects and for RandomState instances.

    Examples
    --------
    >>> from robustgan.engine import standard_normal
    >>> _to_data((0.5, standard_normal))
    (0.5, {'__robustgan__': 'global', 'name': 'robustgan.engine.standard_normal'})
    """
    if value is None or isinstance(value, (bool, int, float, str, bytes, torch.Tensor)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (list, tuple):
        return type(value)(_to_data(v) for v in value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _to_data(v) for k, v in value.items()}
    if isinstance(value, np.random.RandomState):
        name, keys, pos, has_gauss, cached = value.get_state(legacy=True)
        return {_TAG: "RandomState",
                "state": [name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached]}
    name = _global_name(value)
    if name is not None:
        return {_TAG: "global", "name": name}
    if _global_name(type(value)) is not None and hasattr(value, "__dict__"):
        return {_TAG: "object", "class": _global_name(type(value)),
                "state": _to_data(vars(value))}
    raise _NotData(f"{type(value).__module__}.{type(value).__qualname__}")


def _from_data(value):
    """The inverse of ``_to_data``; it looks names up in ``_SAFE_MODULES`` and calls nothing."""
    if type(value) in (list, tuple):
        return type(value)(_from_data(v) for v in value)
    if not isinstance(value, dict):
        return value
    kind = value.get(_TAG)
    if kind is None:
        return {k: _from_data(v) for k, v in value.items()}
    if kind == "global":
        return _safe_global(value["name"])
    if kind == "object":
        cls = _safe_global(value["class"])
        if not inspect.isclass(cls):
            raise pickle.UnpicklingError(f"{value['class']!r} is not a class")
        obj = cls.__new__(cls)
        obj.__dict__.update(_from_data(value["state"]))
        return obj
    if kind == "RandomState":
        name, keys, pos, has_gauss, cached = value["state"]
        state = np.random.RandomState()
        state.set_state((str(name), np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss),
                         float(cached)))
        return state
    raise pickle.UnpicklingError(f"unknown tagged value {kind!r} in the checkpoint")


def _config_to_data(config):
    """The configuration as data; a user's callable is pickled, read back only on opt-in."""
    encoded = {}
    for key, value in config.items():
        try:
            encoded[key] = _to_data(value)
        except _NotData as kind:
            try:
                blob = pickle.dumps(value)
            except Exception as error:
                raise ValueError(
                    f"the trainer's configuration cannot be saved ({key}: {error}): use "
                    "module-level callables, not lambdas or local functions, for losses, "
                    "penalties and samplers"
                ) from error
            encoded[key] = {_TAG: "pickle", "type": str(kind), "bytes": blob}
    return encoded


def _config_from_data(config, trust_pickle, overrides):
    decoded = {}
    for key, value in config.items():
        if key in overrides:
            continue
        if isinstance(value, dict) and value.get(_TAG) == "pickle":
            if not trust_pickle:
                raise pickle.UnpicklingError(
                    f"the checkpoint's {key!r} is a pickled {value['type']}, and unpickling "
                    f"can run any code: pass {key}= to load, or trust_pickle=True if you trust "
                    "the file's source"
                )
            decoded[key] = pickle.loads(value["bytes"])
        else:
            decoded[key] = _from_data(value)
    return decoded


def _activation_name(layer):
    for name, make in nets.ACTIVATIONS.items():
        made = make()
        if type(made) is type(layer) and repr(made) == repr(layer):
            return name
    raise _NotData(type(layer).__qualname__)


def _mlp_generator_kwargs(module):
    layers = list(module.net)
    linears = [layer for layer in layers if isinstance(layer, torch.nn.Linear)]
    hidden = [layer for layer in layers[:-1] if not isinstance(layer, torch.nn.Linear)]
    last = layers[-1]
    return {"latent_dim": module.latent_dim, "out_dim": module.out_dim,
            "hidden_sizes": [layer.out_features for layer in linears[:-1]],
            "activation": _activation_name(hidden[0]) if len(linears) > 1 else "relu",
            "output_activation": (None if isinstance(last, torch.nn.Linear)
                                  else _activation_name(last))}


def _mlp_discriminator_kwargs(module):
    linears = [layer for layer in module.net if isinstance(layer, torch.nn.Linear)]
    return {"in_features": linears[0].in_features,
            "hidden_sizes": [layer.out_features for layer in linears[:-1]],
            "activation": [_activation_name(layer) for layer in module.net
                           if not isinstance(layer, torch.nn.Linear)],
            "spectral_norm": parametrize.is_parametrized(linears[0], "weight")}


# The library's networks that a checkpoint records as constructor arguments.
_ARCHITECTURES = {
    "robustgan.nets.MLPGenerator": (nets.MLPGenerator, _mlp_generator_kwargs),
    "robustgan.nets.MLPDiscriminator": (nets.MLPDiscriminator, _mlp_discriminator_kwargs),
    "robustgan.gan.nets.MLPDiscriminator": (gan_nets.MLPDiscriminator, _mlp_discriminator_kwargs),
}


def _structure(module):
    """Everything but the weights that decides what ``module`` computes: each submodule's
    class, scalar settings (widths, slopes, power iterations) and tensor shapes and dtypes."""
    scalars = (bool, int, float, str, tuple, type(None))
    return [(name, type(m).__qualname__,
             {k: v for k, v in vars(m).items() if isinstance(v, scalars) and k != "training"})
            for name, m in module.named_modules()] + \
        [(k, tuple(v.shape), v.dtype) for k, v in module.state_dict().items()]


def _build(spec):
    """A fresh module from a recorded spec, without touching torch's global random state."""
    if spec.get("class") not in _ARCHITECTURES or spec.get("dtype") not in _DTYPES:
        raise pickle.UnpicklingError(f"the checkpoint names an unknown architecture {spec!r}")
    cls = _ARCHITECTURES[spec["class"]][0]
    kwargs = dict(spec["kwargs"])
    if "in_dim" in kwargs:  # robustgan.gan.nets.MLPDiscriminator's argument before 0.2
        kwargs["in_features"] = kwargs.pop("in_dim")
    with torch.random.fork_rng(devices=[]):
        return cls(**kwargs).to(getattr(torch, spec["dtype"]))


def _module_spec(module):
    """``module``'s class and constructor arguments as data, or None when they are not enough
    to rebuild it (another class, or a module changed after construction)."""
    name = f"{type(module).__module__}.{type(module).__qualname__}"
    if name not in _ARCHITECTURES:
        return None
    params = list(module.parameters())
    try:
        spec = {"class": name, "kwargs": _ARCHITECTURES[name][1](module),
                "dtype": str(params[0].dtype if params else torch.float32).removeprefix("torch.")}
        same = _structure(_build(spec)) == _structure(module)
    except Exception:  # noqa: BLE001 - any mismatch means "not recordable": pass it to load
        return None
    return spec if same else None


def _module_bytes(module):
    """The pickled module, or None when it cannot be pickled (a parametrised or local class)."""
    try:
        return pickle.dumps(module)
    except Exception:  # noqa: BLE001 - any pickling failure means "pass the module to load"
        return None


def _architecture(modules):
    """How load rebuilds a module (or a list of R): a spec as data, else pickled bytes that
    load reads only under ``trust_pickle=True``."""
    members = list(modules) if isinstance(modules, (list, tuple)) else None
    first = modules if members is None else members[0]
    spec = _module_spec(first)
    if spec is not None and members is not None:
        structure = _structure(first)
        if any(type(m) is not type(first) or _structure(m) != structure for m in members):
            spec = None
    return {"spec": spec, "members": None if members is None else len(members),
            "pickle": None if spec is not None else _module_bytes(modules)}


def _rebuilt_modules(entry, name, trust_pickle):
    """The module (or list of R) a checkpoint's architecture entry describes."""
    if isinstance(entry, dict) and entry.get("spec") is not None:
        if entry.get("members") is None:
            return _build(entry["spec"])
        return [_build(entry["spec"]) for _ in range(int(entry["members"]))]
    blob = entry.get("pickle") if isinstance(entry, dict) else entry  # format 1: the bytes
    if blob is None:
        raise ValueError(
            f"the checkpoint holds no {name} architecture (it is not one of robustgan's "
            f"MLPs and could not be pickled when the trainer was built): pass {name}= to load"
        )
    if not trust_pickle:
        raise pickle.UnpicklingError(
            f"the checkpoint holds the {name} as a pickled module, and unpickling can run any "
            f"code: pass {name}= (a fresh module of the saved architecture) to load, or "
            "trust_pickle=True if you trust the file's source"
        )
    return pickle.loads(blob)


def _read_checkpoint(path, trust_pickle):
    """The checkpoint's state: torch's weights-only loader unless ``trust_pickle``."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except pickle.UnpicklingError as error:
        found = re.search(r"WeightsUnpickler error:\s*(.+?)(?:\.\s|\n|$)", str(error))
        reason = found.group(1) if found else "it holds objects other than tensors and data"
        raise pickle.UnpicklingError(
            f"{os.fspath(path)!r} is not a weights-only GANTrainer checkpoint ({reason}); "
            "unpickling it can run any code: load it with trust_pickle=True only if you trust "
            "its source"
        ) from None
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise  # a file that cannot be opened is not a damaged checkpoint
    except (EOFError, KeyError, OSError, RuntimeError) as error:
        # What torch raises for a truncated, empty or non-torch file varies with the damage.
        raise ValueError(f"{os.fspath(path)!r} is not a GANTrainer checkpoint: torch cannot "
                         f"read it ({type(error).__name__}: {error})") from error
    if not isinstance(state, dict) or state.get("format") not in _FORMATS:
        raise ValueError(f"{os.fspath(path)!r} is not a GANTrainer checkpoint")
    return state


def _resume_device(path, saved, device):
    """Where ``load`` continues: ``device``, by default the device type saved (``saved``).

    A random stream's state belongs to its device type (a CPU generator's cannot set a CUDA
    one's), so a checkpoint resumes only on a device of the type it was saved on.
    """
    if saved is None:  # checkpoints written before the device type was recorded
        return resolve_device("auto" if device is None else device)
    where = (f"{os.fspath(path)!r} was saved on a {saved!r} device and resumes only on one "
             "(the states of its random streams are that device type's)")
    if device is None:
        try:
            return resolve_device(saved)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
    resolved = resolve_device(device)
    if resolved.type != saved:
        raise ValueError(f"{where}, not on {str(resolved)!r}")
    return resolved


def _member_lists(generator, discriminator):
    """The members' modules of an ensemble, or (None, None) for a single pair."""
    listed = [isinstance(m, (list, tuple)) for m in (generator, discriminator)]
    if not any(listed):
        if not isinstance(generator, torch.nn.Module) or \
                not isinstance(discriminator, torch.nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module instances")
        return None, None
    if not all(listed) or len(generator) != len(discriminator) or not generator:
        raise ValueError(
            "an ensemble needs two non-empty lists of the same length, R generators and R "
            "discriminators"
        )
    for module in (*generator, *discriminator):
        if not isinstance(module, torch.nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module instances")
    return list(generator), list(discriminator)


def _has_batch_norm(module):
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules())


def _is_loader(X):
    """Whether ``fit`` reads ``X`` as a loader of minibatches: an iterable that is not array-like
    (not a list or tuple, and without ``__array__`` as arrays, tensors and DataFrames have)."""
    return hasattr(X, "__iter__") and not isinstance(X, (list, tuple)) and \
        not hasattr(X, "__array__")


class _CheckedLoaderSampler(LoaderSampler):
    """``LoaderSampler`` with the checks ``fit`` makes of an array: every batch's row shape
    (free: shapes live on the host) and the first batch's finiteness (a later batch's would
    wait for the device at every step)."""

    def __init__(self, loader, device, dtype, check_rows):
        super().__init__(loader, device, dtype)
        self.check_rows = check_rows
        self.first = True

    def __call__(self, generator):
        batch = super().__call__(generator)
        self.check_rows(batch, "a data loader batch")
        if self.first and not bool(torch.isfinite(batch).all()):
            raise ValueError("the data loader's first batch contains NaN or infinity")
        self.first = False
        return batch


def _optimizer_factory(spec, betas):
    if spec == "adam" and betas is not None:
        return lambda params, lr: torch.optim.Adam(params, lr=lr, betas=tuple(betas))
    return spec


def _latent_dim(latent_dim, generator):
    """``latent_dim``, or the generator's own ``latent_dim`` when it is None."""
    if latent_dim is None:
        latent_dim = getattr(generator, "latent_dim", None)
        if latent_dim is None:
            raise ValueError("the generator has no latent_dim attribute: pass latent_dim=")
    return int(latent_dim)


def _recipe(loss, n_critic, clip_value, spectral_norm):
    """(n_critic, clip_value, spectral_norm) with each ``"auto"`` replaced by ``loss``'s recipe."""
    if n_critic == "auto":
        n_critic = getattr(loss, "n_critic", 1)
    if int(n_critic) < 1:
        raise ValueError(f"n_critic must be >= 1, got {n_critic}")
    if clip_value == "auto":
        clip_value = getattr(loss, "clip_value", None)
    if spectral_norm == "auto":
        spectral_norm = getattr(loss, "spectral_norm", False)
    return int(n_critic), clip_value, bool(spectral_norm)


def _penalties(loss, penalty, penalty_weight):
    """The loss's own penalty, then the ones asked for, without the Nones."""
    extra = penalty if isinstance(penalty, (list, tuple)) else [penalty]
    penalties = [getattr(loss, "penalty", None)]
    penalties += [get_penalty(p, penalty_weight) for p in extra if p is not None]
    return [p for p in penalties if p is not None]


# The constructor's arguments after the two modules, in the order of a checkpoint's
# configuration (``callbacks`` are not saved).
_PARAMETERS = (
    "loss", "latent_dim", "n_critic", "batch_size", "d_optimizer", "g_optimizer", "lr_d", "lr_g",
    "betas", "lr_schedule", "penalty", "penalty_weight", "clip_value", "spectral_norm",
    "ema_decay", "max_grad_norm", "g_max_grad_norm", "latent_sampler", "check_every", "device",
    "random_state", "progress",
)

# No bool passes for a count (bool is an Integral: n_steps=True ran one step).
(_POSITIVE_INT,), (_COUNT,) = refusing_bools({
    "positive": [Interval(Integral, 1, None, closed="left")],
    "count": [Interval(Integral, 0, None, closed="left")],
}).values()
# Checked by ``initialize`` (scikit-learn's checker: its error names the parameter and the
# values allowed). loss, penalty and the modules are checked where they are resolved.
_PARAMETER_CONSTRAINTS = refusing_bools({
    "latent_dim": [_POSITIVE_INT, None],
    # Its range is checked by _recipe, once "auto" has become the loss's number.
    "n_critic": [Interval(Integral, None, None, closed="neither"), StrOptions({"auto"})],
    "batch_size": [_POSITIVE_INT],
    "d_optimizer": [StrOptions(set(OPTIMIZERS)), callable],
    "g_optimizer": [StrOptions(set(OPTIMIZERS)), callable],
    # 0 freezes a player, which torch's optimisers allow.
    "lr_d": [Interval(Real, 0, None, closed="left")],
    "lr_g": [Interval(Real, 0, None, closed="left")],
    "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
    "penalty_weight": [Interval(Real, 0, None, closed="left")],
    "clip_value": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"}), None],
    "spectral_norm": ["boolean", StrOptions({"auto"})],
    "ema_decay": [Interval(Real, 0, 1, closed="left"), None],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "g_max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "latent_sampler": [callable],
    "check_every": [_POSITIVE_INT],
    "device": [str, torch.device, None],
})


def _check_betas(betas):
    pair = tuple(betas) if isinstance(betas, (list, tuple, np.ndarray)) else ()
    if betas is not None and (len(pair) != 2 or not all(
            isinstance(b, Real) and 0 <= b < 1 for b in pair)):
        raise ValueError(f"betas must be None or a pair (beta1, beta2) of numbers in [0, 1), "
                         f"got {betas!r}")


class GANTrainer:
    """Train a generator against a discriminator with a standard adversarial loss.

    Built like skorch's ``NeuralNet``: the constructor stores its arguments as given,
    ``initialize`` validates them and builds what trains (copies of the modules on the device,
    the loss, optimisers, random streams), and ``fit``, ``sample`` and ``save`` call it when it
    has not been called. The modules passed in are never changed: the trainer trains deep
    copies of them, ``generator_`` and ``discriminator_``.

    Parameters
    ----------
    generator : torch.nn.Module or list of them
        Maps latent noise (b, latent_dim) to samples shaped like the data's rows. A list of R
        modules of one architecture (with a list of R discriminators) trains an ensemble: R
        independent games advanced together, each member with its own minibatches and noise
        (see ``ensemble``).
    discriminator : torch.nn.Module or list of them
        Maps samples to raw outputs (logits / critic values) of shape (b,) or (b, 1).
    loss : str or loss object, default="non-saturating"
        A name of ``robustgan.gan.losses.available_losses()`` (``"minimax"``,
        ``"non-saturating"``, ``"wgan"``, ``"wgan-gp"``, ``"wgan-lp"``, ``"sn-gan"``,
        ``"hinge"``, ``"lsgan"``, ``"lsgan-pearson"``, ``"alpha-<α>"`` or any f-divergence such
        as ``"kl"``), or an object with ``discriminator_loss`` and ``generator_loss``.
    latent_dim : int, optional
        Dimension of the noise; ``generator.latent_dim`` by default.
    n_critic : int or "auto", default="auto"
        Discriminator steps per generator step; ``"auto"``: the loss's recipe (5 for the WGANs,
        1 otherwise).
    batch_size : int, default=256
        Real and generated rows per step (a DataLoader's own batch size wins).
    d_optimizer, g_optimizer : {"adam", "sgd", "rmsprop"} or callable, default="adam"
        Separate optimisers (TTUR): a name or a factory ``(params, lr) -> Optimizer``.
    lr_d, lr_g : float, default=2e-4
    betas : tuple of float, default=(0.5, 0.999)
        Adam's (β₁, β₂) for the optimisers named ``"adam"``.
    lr_schedule : {"constant", "linear", "cosine"}, default="constant"
        A function of step / n_steps of ``fit``: resume a scheduled run with the same n_steps.
    penalty : str, callable, sequence of them or None, default=None
        Extra discriminator penalties on top of the loss's own: ``"gp"``, ``"lp"``, ``"r1"``,
        ``"r2"`` (weight ``penalty_weight``) or callables
        ``(discriminator, x_real, x_fake, generator) -> scalar``.
    penalty_weight : float, default=10.0
    clip_value : float, None or "auto", default="auto"
        Clip every discriminator parameter to [−c, c] after its steps; ``"auto"``: the
        loss's recipe (0.01 for ``"wgan"``).
    spectral_norm : bool or "auto", default="auto"
        Spectrally normalise every Linear/Conv layer of (the trainer's copy of) the
        discriminator; ``"auto"``: the loss's recipe (True for ``"sn-gan"``).
    ema_decay : float or None, default=None
        Keep an exponential moving average of the generator (β = ``ema_decay``, e.g. 0.999);
        ``sample`` uses it.
    max_grad_norm, g_max_grad_norm : float or None, default=None
        Gradient-norm clipping of the discriminator / generator.
    latent_sampler : callable, default=robustgan.engine.standard_normal
        ``(n, dim, generator, device) -> Tensor``.
    check_every : int, default=50
        Generator steps between non-finite checks, callbacks and progress updates.
    callbacks : sequence of callables, default=()
        ``callback(trainer) -> bool`` at every check; True stops ``fit``. See ``LossLogger``,
        ``EarlyStopping``, ``Checkpoint``.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds every draw of training and of ``sample``.
    progress : bool, default=False
        Show a tqdm progress bar.

    Attributes
    ----------
    generator_, discriminator_ : torch.nn.Module
        The modules trained: deep copies of ``generator`` and ``discriminator`` on
        ``device_`` (the discriminator spectrally normalised if asked); for an ensemble,
        ``robustgan.batched.MemberStack`` modules holding every member.
    ema_generator : torch.nn.Module or None
    loss_ : loss object
        ``loss`` resolved by ``robustgan.gan.losses.get_loss``.
    latent_dim_ : int
    device_ : torch.device
    penalties_ : list of callables
        The loss's own penalty and ``penalty``'s.
    n_members_ : int or None
        R for an ensemble, None for a single pair.
    history_ : robustgan.engine.History
        Losses per generator step (for an ensemble, arrays of shape (steps, R)).
    step_ : int
        Generator steps run.
    initialized_ : bool
        Whether ``initialize`` has run.

    Notes
    -----
    Changed in 0.2: the constructor no longer validates or builds, so a bad argument is
    reported by ``initialize`` (or the first ``fit``, ``sample`` or ``save``); the modules
    passed in are copied, never spectrally normalised, moved or trained in place; and
    ``generator``, ``discriminator`` and ``loss`` hold the arguments as given, the built
    objects being ``generator_``, ``discriminator_`` and ``loss_``. ``n_members`` and
    ``penalties`` are deprecated aliases of ``n_members_`` and ``penalties_`` (removed in 0.3).
    Spectral normalisation draws its power-iteration vectors from torch's global random state
    when ``initialize`` runs.

    Examples
    --------
    >>> import numpy as np
    >>> from robustgan.gan import MLPDiscriminator, MLPGenerator
    >>> X = np.random.default_rng(0).normal(3.0, 0.5, size=(500, 2))
    >>> _ = torch.manual_seed(0)  # the modules' initialisation
    >>> trainer = GANTrainer(MLPGenerator(4, 2, hidden_sizes=(16,)),
    ...                      MLPDiscriminator(2, hidden_sizes=(16,)), loss="hinge",
    ...                      lr_d=2e-3, lr_g=2e-3, ema_decay=0.9, device="cpu", random_state=0)
    >>> trainer.fit(X, n_steps=300).step_
    300
    >>> bool((trainer.sample(2000).mean(0) - 3.0).abs().max() < 1.0)  # from about 0
    True
    """

    def __init__(
        self,
        generator,
        discriminator,
        loss="non-saturating",
        *,
        latent_dim=None,
        n_critic="auto",
        batch_size=256,
        d_optimizer="adam",
        g_optimizer="adam",
        lr_d=2e-4,
        lr_g=2e-4,
        betas=(0.5, 0.999),
        lr_schedule="constant",
        penalty=None,
        penalty_weight=10.0,
        clip_value="auto",
        spectral_norm="auto",
        ema_decay=None,
        max_grad_norm=None,
        g_max_grad_norm=None,
        latent_sampler=standard_normal,
        check_every=50,
        callbacks=(),
        device="auto",
        random_state=None,
        progress=False,
    ):
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.batch_size = batch_size
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.lr_d = lr_d
        self.lr_g = lr_g
        self.betas = betas
        self.lr_schedule = lr_schedule
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.clip_value = clip_value
        self.spectral_norm = spectral_norm
        self.ema_decay = ema_decay
        self.max_grad_norm = max_grad_norm
        self.g_max_grad_norm = g_max_grad_norm
        self.latent_sampler = latent_sampler
        self.check_every = check_every
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.initialized_ = False

    # -- building -----------------------------------------------------------------------------
    def initialize(self):
        """Validate the arguments and build the trainer: a fresh run at step 0.

        Deep-copies the modules passed in, applies the loss's recipe (spectral normalisation
        of the copied discriminator, clipping, penalties, critic steps), moves the copies to
        the device (stacking the members of an ensemble), checks that they compose, seeds the
        random streams and builds the optimisers. ``fit``, ``sample``, ``save`` and
        ``load_state_dict`` call it when it has not run; calling it again starts over from
        the arguments.

        Returns
        -------
        self : GANTrainer

        Raises
        ------
        TypeError
            When a module is not a ``torch.nn.Module``.
        ValueError
            For a bad argument, named with the values allowed (most as scikit-learn's
            ``InvalidParameterError``, which is also a TypeError), or modules that do not
            compose.
        """
        validate_parameter_constraints(
            _PARAMETER_CONSTRAINTS, {name: getattr(self, name) for name in _PARAMETERS},
            caller_name=type(self).__name__)
        _check_betas(self.betas)
        generators, _ = _member_lists(self.generator, self.discriminator)
        self.n_members_ = None if generators is None else len(generators)
        first = self.generator if generators is None else generators[0]
        self.loss_ = get_loss(self.loss)
        self.latent_dim_ = _latent_dim(self.latent_dim, first)
        self.device_ = resolve_device(self.device)
        # Architectures as given, before spectral normalisation: load() rebuilds from them.
        self._architecture = {"generator": _architecture(self.generator),
                              "discriminator": _architecture(self.discriminator)}
        n_critic, clip_value, spectral_norm = _recipe(self.loss_, self.n_critic,
                                                      self.clip_value, self.spectral_norm)
        if spectral_norm and generators is not None:
            raise ValueError(
                "spectral normalisation is not available for ensembles (its power iteration "
                "cannot be batched): train the members one at a time, or use another loss"
            )
        self.penalties_ = _penalties(self.loss_, self.penalty, self.penalty_weight)
        self._build_modules(spectral_norm)
        self._check_modules()
        self._seed_streams()
        self._ema = (None if self.ema_decay is None
                     else ExponentialAverage(self.generator_, self.ema_decay))
        self._loop = AdversarialLoop(
            self.generator_,
            self.discriminator_,
            self.loss_,
            latent_dim=self.latent_dim_,
            generator_rng=self._rng,
            latent_sampler=self._train_latent,
            n_critic=n_critic,
            d_optimizer=_optimizer_factory(self.d_optimizer, self.betas),
            g_optimizer=_optimizer_factory(self.g_optimizer, self.betas),
            lr_d=self.lr_d,
            lr_g=self.lr_g,
            lr_schedule=self.lr_schedule,
            d_penalties=self.penalties_,
            d_constraints=[WeightClipping(clip_value)] if clip_value is not None else [],
            g_hooks=[self._ema] if self._ema is not None else [],
            max_grad_norm=self.max_grad_norm,
            g_max_grad_norm=self.g_max_grad_norm,
            joint_forward=not _has_batch_norm(self.discriminator_),
            members=self.n_members_,
        )
        self._sampler_state = None
        self._active_sampler = None
        self.initialized_ = True
        return self

    def _build_modules(self, spectral_norm):
        """``generator_`` and ``discriminator_``: the arguments copied, normalised if asked,
        on the device; an ensemble's members stacked (and its penalties made per member)."""
        # One copy of both keeps a submodule they share shared.
        generator, discriminator = copy.deepcopy((self.generator, self.discriminator))
        if self.n_members_ is None:
            if spectral_norm:
                apply_spectral_norm(discriminator)
            self.generator_ = generator.to(self.device_)
            self.discriminator_ = discriminator.to(self.device_)
            return
        self.generator_ = stack_modules([g.to(self.device_) for g in generator])
        # Penalties on input gradients need a twice-differentiable discriminator.
        self.discriminator_ = stack_modules([d.to(self.device_) for d in discriminator],
                                            fused=not self.penalties_)
        self.penalties_ = [MemberPenalty(p, self.n_members_) for p in self.penalties_]

    def _seed_streams(self):
        """The random streams of training and of ``sample``, from ``random_state``."""
        seeds = check_random_state(self.random_state).randint(np.iinfo(np.int32).max, size=2)
        self._rng = torch.Generator(device=self.device_).manual_seed(int(seeds[0]))
        self._sample_rng = torch.Generator(device=self.device_).manual_seed(int(seeds[1]))
        self._member_seeds = None
        self._train_latent = self.latent_sampler
        self._sample_latent = None
        if self.n_members_ is not None:
            # Per member: its minibatch stream, its training noise and its sampling noise.
            streams = np.random.SeedSequence(int(seeds[0])).generate_state(3 * self.n_members_)
            self._member_seeds = (streams >> 1).reshape(3, self.n_members_).tolist()
            self._train_latent = MemberLatentSampler(self.latent_sampler,
                                                     self._member_seeds[1], self.device_,
                                                     self._dtype())
            self._sample_latent = MemberLatentSampler(self.latent_sampler,
                                                      self._member_seeds[2], self.device_,
                                                      self._dtype())

    def _initialized(self):
        """``self``, initialised first if it has not been."""
        return self if self.initialized_ else self.initialize()

    @classmethod
    def ensemble(cls, make_generator, make_discriminator, n_members, *, random_state=None,
                 **kwargs):
        """R generator/discriminator pairs, each built by the factories under its own seed,
        trained at once.

        The factories are called under ``torch.random.fork_rng`` with a seed per member, so the
        modules' own initialisation runs and torch's global random state is left alone. Each
        member then has its own minibatches and latent noise; the losses are per member
        (``history_`` has a column per member) and ``sample`` returns (R, n, ...) samples.
        Spectral normalisation (``"sn-gan"``) is not available for ensembles; gradient
        penalties are (drawn from the trainer's stream, shared by the members).

        Parameters
        ----------
        make_generator, make_discriminator : callable
            ``() -> torch.nn.Module``, each call a fresh module of one architecture.
        n_members : int
            R.
        random_state : int, RandomState instance or None
            Seeds the members' initialisations and every draw of training.
        **kwargs
            The other parameters of ``GANTrainer``.

        Returns
        -------
        GANTrainer

        Examples
        --------
        >>> import numpy as np
        >>> from robustgan.gan import MLPDiscriminator, MLPGenerator
        >>> X = np.random.default_rng(0).normal(3.0, 0.5, size=(500, 2))
        >>> trainer = GANTrainer.ensemble(lambda: MLPGenerator(4, 2, hidden_sizes=(16,)),
        ...                               lambda: MLPDiscriminator(2, hidden_sizes=(16,)), 3,
        ...                               loss="hinge", lr_d=2e-3, lr_g=2e-3, device="cpu",
        ...                               random_state=0)
        >>> trainer.fit(X, n_steps=300).sample(1000).shape
        torch.Size([3, 1000, 2])
        >>> trainer.history_.d_loss.shape
        (300, 3)
        """
        validate_parameter_constraints({"n_members": [_POSITIVE_INT]}, {"n_members": n_members},
                                       caller_name=f"{cls.__name__}.ensemble")
        rng = check_random_state(random_state)
        init_seeds = rng.randint(np.iinfo(np.int32).max, size=n_members)
        generators, discriminators = [], []
        for seed in init_seeds:
            with nets.seeded_torch(int(seed)):
                generators.append(make_generator())
                discriminators.append(make_discriminator())
        seed = int(rng.randint(np.iinfo(np.int32).max))
        return cls(generators, discriminators, random_state=seed, **kwargs)

    def member(self, r, *, ema=True):
        """Member ``r``'s generator as a single module (a copy; the EMA one when there is one).

        Only for ensembles.
        """
        if self._initialized().n_members_ is None:
            raise ValueError("member() is for ensembles; this trainer has a single generator")
        stack = self.ema_generator if (ema and self._ema is not None) else self.generator_
        return stack.member(int(r))

    # -- properties ---------------------------------------------------------------------------
    @property
    def step_(self):
        return self._initialized()._loop.step

    @property
    def history_(self):
        return self._initialized()._loop.history()

    @property
    def ema_generator(self):
        return None if self._initialized()._ema is None else self._ema.average

    @property
    def n_members(self):
        """Deprecated alias of ``n_members_`` (since 0.2; removed in 0.3)."""
        _deprecated_attribute("n_members")
        return self._initialized().n_members_

    @property
    def penalties(self):
        """Deprecated alias of ``penalties_`` (since 0.2; removed in 0.3)."""
        _deprecated_attribute("penalties")
        return self._initialized().penalties_

    # -- validation ---------------------------------------------------------------------------
    def _dtype(self):
        params = list(self.generator_.parameters())
        return params[0].dtype if params else torch.get_default_dtype()

    @torch.no_grad()
    def _probe(self):
        """One forward pass of each module in eval mode (no state changes): output shapes."""
        modes = [m.training for m in (self.generator_, self.discriminator_)]
        self.generator_.eval()
        self.discriminator_.eval()
        members = () if self.n_members_ is None else (self.n_members_,)
        try:
            z = torch.zeros(members + (2, self.latent_dim_), device=self.device_,
                            dtype=self._dtype())
            x = self.generator_(z)
            v = self.discriminator_(x)
        finally:
            self.generator_.train(modes[0])
            self.discriminator_.train(modes[1])
        return x, v

    def _check_modules(self):
        try:
            x, v = self._probe()
        except Exception as error:
            raise ValueError(
                f"the generator (latent_dim={self.latent_dim_}) and the discriminator do not "
                f"compose: {error}"
            ) from error
        members = () if self.n_members_ is None else (self.n_members_,)
        if tuple(v.shape) not in {members + (2,), members + (2, 1)}:
            raise ValueError(
                "the discriminator must return one value per row, shape (b,) or (b, 1); got "
                f"{tuple(v.shape[len(members):])} for a batch of 2"
            )
        self._sample_shape = tuple(x.shape[1 + len(members):])

    def _check_rows(self, data, what):
        """Refuse a batch or data set whose rows are not shaped like the generator's samples.

        Only shapes are read, so it costs no wait for the device.
        """
        if data.ndim < 2 or data.shape[0] < 1:
            raise ValueError(
                f"{what} must have shape (n_samples, ...) with n_samples >= 1 and at least 2 "
                f"dimensions, got {tuple(data.shape)}"
            )
        if tuple(data.shape[1:]) != self._sample_shape:
            raise ValueError(
                f"{what}'s rows have shape {tuple(data.shape[1:])} but the generator makes rows "
                f"of shape {self._sample_shape}"
            )

    def _make_sampler(self, X):
        """The real minibatches of ``fit``: the batches of a loader (see ``_is_loader``), else
        rows drawn from ``X`` converted like an array."""
        if _is_loader(X):
            if self.n_members_ is not None:
                raise ValueError("an ensemble trains on an array or tensor X, not on a DataLoader")
            return _CheckedLoaderSampler(X, self.device_, self._dtype(), self._check_rows)
        array = X if isinstance(X, torch.Tensor) else np.asarray(X)
        if isinstance(array, np.ndarray):
            real = array.dtype.kind in "biuf"  # checked before torch, whose error names no X
        else:
            real = array.is_floating_point() or array.dtype in (
                torch.int32, torch.int64, torch.uint8, torch.int16, torch.int8, torch.bool)
        if not real:
            raise ValueError(f"X must be real numbers, got dtype {array.dtype}")
        if isinstance(array, np.ndarray) and not array.flags.writeable:
            array = array.copy()  # a DataFrame's values: torch warns on read-only memory
        data = torch.as_tensor(array)
        self._check_rows(data, "X")
        data = data.to(device=self.device_, dtype=self._dtype())
        if not bool(torch.isfinite(data).all()):
            raise ValueError("X contains NaN or infinity")
        if self.n_members_ is not None:
            # Every member samples the one copy of the data with its own stream.
            return MemberIndexSampler([data] * self.n_members_, int(self.batch_size),
                                      self._member_seeds[0])
        return IndexSampler(data, int(self.batch_size))

    # -- training -----------------------------------------------------------------------------
    def fit(self, X, n_steps=5_000):
        """Train until generator step ``n_steps`` (counted from the start of the run).

        A trainer restored by ``load`` continues from the step it was saved at, so calling
        ``fit`` with the same arguments after a crash finishes the interrupted run.

        Parameters
        ----------
        X : array-like, torch.Tensor or torch.utils.data.DataLoader
            Rows of data (n_samples, ...) shaped like the generator's samples: an array, a
            tensor, a list or tuple of rows, a DataFrame or anything else with ``__array__``.
            Any other iterable (a ``DataLoader``, a generator) is a loader of such minibatches
            (tuples contribute their first element), read epoch after epoch.
        n_steps : int, default=5000
            Total generator steps, >= 0.

        Returns
        -------
        self : GANTrainer

        Raises
        ------
        ValueError
            For NaN or infinite data, rows shaped unlike the generator's samples, a loader
            that yields no batches, or a bad ``n_steps``. Of a loader, every batch's shape is
            checked but only the first batch's values (checking each would make every step
            wait for the device): a later non-finite batch shows as a ``FloatingPointError``.
        FloatingPointError
            When training diverges (a loss or a generator parameter is no longer finite).
        """
        validate_parameter_constraints({"n_steps": [_COUNT]}, {"n_steps": n_steps},
                                       caller_name=f"{type(self).__name__}.fit")
        sampler = self._initialized()._make_sampler(X)
        if self._sampler_state is not None:
            sampler.load_state_dict(self._sampler_state)
        self._active_sampler = sampler  # save() during fit (a Checkpoint callback) reads it
        callbacks = [lambda step, g, d, cb=cb: bool(cb(self)) for cb in self.callbacks]
        try:
            with tqdm(total=int(n_steps), initial=self.step_, disable=not self.progress,
                      desc=type(self).__name__, file=sys.stderr) as bar:
                self._loop.run(sampler, n_steps, check_every=int(self.check_every),
                               callbacks=callbacks, progress=bar.update)
        finally:
            self._sampler_state = sampler.state_dict()
            self._active_sampler = None
        return self

    @torch.no_grad()
    def sample(self, n, *, ema=True, random_state=None):
        """``n`` generated samples, a tensor on the trainer's device.

        Parameters
        ----------
        n : int
            >= 0.
        ema : bool, default=True
            Use the EMA generator when there is one.
        random_state : int, RandomState instance or None
            None continues the trainer's own sampling stream (seeded by its random_state).

        Returns
        -------
        torch.Tensor of shape (n, ...), or (R, n, ...) for an ensemble

        Raises
        ------
        ValueError
            When ``n`` is not an int >= 0.
        """
        validate_parameter_constraints({"n": [_COUNT]}, {"n": n},
                                       caller_name=f"{type(self).__name__}.sample")
        rng = self._initialized()._sample_rng
        if random_state is not None:
            seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
            rng = torch.Generator(device=self.device_).manual_seed(seed)
        generator = self.ema_generator if (ema and self._ema is not None) else self.generator_
        if self.n_members_ is None:
            z = self._loop.latent_sampler(int(n), self.latent_dim_, rng, self.device_)
        else:
            sampler = self._sample_latent
            if random_state is not None:
                seeds = (np.random.SeedSequence(seed).generate_state(self.n_members_)
                         >> 1).tolist()
                sampler = MemberLatentSampler(self.latent_sampler, seeds, self.device_,
                                              self._dtype())
            z = sampler(int(n), self.latent_dim_, None, self.device_)
        return generator(z.to(self._dtype()))

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self):
        """The trainer's whole state as data: configuration, architectures, models,
        optimisers, RNGs, step, history, and the type of the device (``"cpu"``, ``"cuda"``)
        whose random streams it holds; not the device itself, so that a run saved on one GPU
        resumes on another.

        Everything is tensors, numbers, strings and containers (robustgan's own losses,
        penalties and samplers by name), so ``torch.load(..., weights_only=True)`` reads it. A
        user's own callable in the configuration, or a module that is not one of robustgan's
        MLPs, is kept pickled, and ``load`` reads it only when asked to (``trust_pickle``).

        Raises
        ------
        ValueError
            When a configured callable can be neither named nor pickled (a lambda).
        """
        sampler = self._initialized()._active_sampler
        config = {name: getattr(self, name) for name in _PARAMETERS if name != "device"}
        return {
            "format": _FORMAT,
            "config": _config_to_data(config),
            "device": self.device_.type,
            "architecture": self._architecture,
            "loop": self._loop.state_dict(),
            "sample_rng": self._sample_rng.get_state(),
            "sampler": sampler.state_dict() if sampler is not None else self._sampler_state,
            "sample_latent": (self._sample_latent.state_dict() if self.n_members_ is not None
                              else None),
        }

    def load_state_dict(self, state):
        """Restore a ``state_dict`` into a trainer built with the same configuration."""
        if state.get("format") not in _FORMATS:
            raise ValueError(f"not a GANTrainer checkpoint (formats {_FORMATS})")
        self._initialized()._loop.load_state_dict(state["loop"])
        self._sample_rng.set_state(state["sample_rng"])
        self._sampler_state = state["sampler"]
        if state.get("sample_latent") is not None:
            self._sample_latent.load_state_dict(state["sample_latent"])
        return self

    def save(self, path):
        """Write a checkpoint to ``path`` atomically (temporary file, then ``os.replace``).

        The file is data that ``load`` reads with torch's weights-only loader (see
        ``state_dict``). Callbacks are not saved.

        Parameters
        ----------
        path : str or os.PathLike

        Raises
        ------
        ValueError
            When a configured loss, penalty or sampler is a lambda or a local function: use
            module-level callables.
        """
        atomic_save(self.state_dict(), path)

    @classmethod
    def load(cls, path, generator=None, discriminator=None, *, device=None, callbacks=(),
             trust_pickle=False, **overrides):
        """A trainer restored from ``save``: ``fit`` continues the run exactly where it stopped.

        The file is read with ``torch.load(..., weights_only=True)``, which builds tensors and
        plain data only, so a crafted file cannot run code. robustgan's ``MLPGenerator`` and
        ``MLPDiscriminator`` are rebuilt from their recorded constructor arguments; other
        modules are passed in. A configuration entry that is a user's own callable is passed
        in too, as an override (``penalty=my_penalty``).

        Parameters
        ----------
        path : str or os.PathLike
        generator, discriminator : torch.nn.Module or list of them, optional
            Fresh modules of the saved architecture (not spectrally normalised: the trainer
            does that again); lists of R for an ensemble. Needed when the saved ones are not
            robustgan's MLPs.
        device : str or torch.device, optional
            Where to continue; by default a device of the type saved (``"cpu"``, or
            ``"cuda"``: the current GPU), or ``"auto"`` for a checkpoint that names none. The
            states of the random streams belong to their device type, so a run resumes only on
            the type it was saved on: a ValueError says so when ``device`` is of another type or
            the saved type is not available here.
        callbacks : sequence of callables, default=()
        trust_pickle : bool, default=False
            Read the file with Python's unpickler (``weights_only=False``), and with it the
            pickled modules and callables it may hold and checkpoints of format 1.
            **Unpickling a file runs whatever code its author put there: only for files you
            made yourself or whose source you trust.**
        **overrides
            Configuration to change (e.g. ``progress=True``, or a callable the file could
            only hold pickled).

        Returns
        -------
        GANTrainer

        Raises
        ------
        pickle.UnpicklingError
            When the file (or an entry of it) needs unpickling and ``trust_pickle`` is False;
            the message says which entry to pass in instead.
        ValueError
            When the file is not a GANTrainer checkpoint (empty, truncated, not torch's), its
            weights do not fit the modules passed, a module is neither recorded nor passed, or
            ``device`` is not of the type the run was saved on.
        FileNotFoundError, PermissionError
            When the file cannot be opened.

        Examples
        --------
        >>> import os, tempfile
        >>> from robustgan.gan import MLPDiscriminator, MLPGenerator
        >>> X = np.random.default_rng(0).normal(size=(200, 2))
        >>> trainer = GANTrainer(MLPGenerator(4, 2, hidden_sizes=(8,)),
        ...                      MLPDiscriminator(2, hidden_sizes=(8,)), device="cpu",
        ...                      random_state=0).fit(X, n_steps=20)
        >>> path = os.path.join(tempfile.mkdtemp(), "run.pt")
        >>> trainer.save(path)
        >>> GANTrainer.load(path).fit(X, n_steps=40).step_  # no pickle involved
        40
        """
        state = _read_checkpoint(path, trust_pickle)
        architecture = state.get("architecture", {})
        modules = {"generator": generator, "discriminator": discriminator}
        for name, module in modules.items():
            if module is None:
                modules[name] = _rebuilt_modules(architecture.get(name), name, trust_pickle)
        if state["format"] == 1:  # a pickled configuration, read under trust_pickle only
            config = {k: v for k, v in state["config"].items() if k not in overrides}
        else:
            config = _config_from_data(state["config"], trust_pickle, overrides)
        config = {**config, **overrides}
        config["device"] = _resume_device(path, state.get("device"), device)
        trainer = cls(modules["generator"], modules["discriminator"], callbacks=callbacks, **config)
        try:
            return trainer.load_state_dict(state)
        except RuntimeError as error:  # torch's "size mismatch", "missing key(s)"
            raise ValueError(f"{os.fspath(path)!r} does not fit the trainer it is loaded into "
                             f"(pass modules of the architecture it was saved with): {error}"
                             ) from error

    def __repr__(self):
        step = self._loop.step if self.initialized_ else 0
        return (f"{type(self).__name__}(loss={getattr(self.loss, 'name', self.loss)!r}, "
                f"step_={step})")


def _deprecated_attribute(name):
    warnings.warn(f"GANTrainer.{name} is deprecated since robustgan 0.2 and will be removed in "
                  f"0.3: use {name}_", DeprecationWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------------
# Callbacks: callables (trainer) -> bool, True to stop
# ---------------------------------------------------------------------------------------------

class LossLogger:
    """Print the mean losses of the last ``every`` generator steps.

    Parameters
    ----------
    every : int, default=500
        Generator steps between lines (at the trainer's checks).
    stream : file-like, default=sys.stderr
    """

    def __init__(self, every=500, stream=None):
        self.every = int(every)
        self.stream = stream
        self._last = None

    def __call__(self, trainer):
        step = trainer.step_
        if self._last is not None and step - self._last < self.every:
            return False
        self._last = step
        history = trainer.history_
        recent = slice(max(0, step - self.every), step)
        line = (f"step {step}: d_loss {np.mean(history.d_loss[recent]):.4f}  "
                f"g_loss {np.mean(history.g_loss[recent]):.4f}")
        if len(history.d_penalty):
            line += f"  penalty {np.mean(history.d_penalty[recent]):.4f}"
        print(line, file=self.stream or sys.stderr)
        return False


class EarlyStopping:
    """Stop when a monitored quantity has not improved by ``min_delta`` for ``patience`` checks.

    Parameters
    ----------
    monitor : str or callable, default="g_loss"
        A column of ``History`` (its mean over the steps since the previous check) or a
        callable ``(trainer) -> float``, e.g. an MMD to held-out data. Lower is better.
    patience : int, default=5
        Checks without improvement before stopping.
    min_delta : float, default=0.0
    """

    def __init__(self, monitor="g_loss", patience=5, min_delta=0.0):
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.best = np.inf
        self.best_step = 0
        self.wait = 0
        self._last_step = 0

    def _value(self, trainer):
        if callable(self.monitor):
            return float(self.monitor(trainer))
        column = getattr(trainer.history_, self.monitor)
        value = float(np.mean(column[self._last_step: trainer.step_]))
        self._last_step = trainer.step_
        return value

    def __call__(self, trainer):
        value = self._value(trainer)
        if value < self.best - self.min_delta:
            self.best, self.best_step, self.wait = value, trainer.step_, 0
            return False
        self.wait += 1
        return self.wait >= self.patience


class Checkpoint:
    """Save the trainer to ``path`` (atomically) every ``every`` generator steps.

    Parameters
    ----------
    path : str or os.PathLike
    every : int, default=1000
        Counted in generator steps; saves happen at the trainer's checks, so make it a multiple
        of ``check_every``.
    """

    def __init__(self, path, every=1000):
        self.path = path
        self.every = int(every)

    def __call__(self, trainer):
        if trainer.step_ % self.every == 0:
            trainer.save(self.path)
        return False
