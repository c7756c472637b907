"""GANTrainer: a generative adversarial network trained on the engine's one loop.

``GANTrainer`` configures ``robustgan.engine.AdversarialLoop`` for general generative modelling:
any generator/discriminator pair of ``torch.nn.Module``, any loss of ``robustgan.gan.losses``
(and every f-divergence), the recipe's penalty, clipping or spectral normalisation, TTUR,
generator EMA, gradient clipping, callbacks, and checkpoints from which a run resumes bit for
bit on the CPU. Given lists of modules (or ``GANTrainer.ensemble``), it trains R independent
pairs at once as one batched game (``robustgan.batched``).
"""

import io
import os
import pickle
import sys
import tempfile

import numpy as np
import torch
from sklearn.utils import check_random_state
from tqdm.auto import tqdm

from ..batched import MemberIndexSampler, MemberLatentSampler, MemberPenalty, stack_modules
from ..engine import (
    AdversarialLoop,
    ExponentialAverage,
    IndexSampler,
    LoaderSampler,
    resolve_device,
    standard_normal,
)
from .losses import WeightClipping, apply_spectral_norm, get_loss, get_penalty

__all__ = ["Checkpoint", "EarlyStopping", "GANTrainer", "LossLogger", "atomic_save"]

_FORMAT = 1


def atomic_save(obj, path):
    """``torch.save(obj, path)`` through a temporary file and ``os.replace``.

    A run killed mid-write leaves the previous checkpoint intact, never a truncated one.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.pt")
    >>> atomic_save({"a": 1}, path)
    >>> torch.load(path)
    {'a': 1}
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _module_bytes(module):
    """The pickled module, or None when it cannot be pickled (a parametrised or local class)."""
    try:
        return pickle.dumps(module)
    except Exception:  # noqa: BLE001 - any pickling failure means "pass the module to load"
        return None


def _member_lists(generator, discriminator):
    """The members' modules of an ensemble, or (None, None) for a single pair."""
    listed = [isinstance(m, (list, tuple)) for m in (generator, discriminator)]
    if not any(listed):
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


def _optimizer_factory(spec, betas):
    if spec == "adam" and betas is not None:
        return lambda params, lr: torch.optim.Adam(params, lr=lr, betas=tuple(betas))
    return spec


class GANTrainer:
    """Train a generator against a discriminator with a standard adversarial loss.

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
        Spectrally normalise every Linear/Conv layer of the discriminator; ``"auto"``: the
        loss's recipe (True for ``"sn-gan"``).
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
    generator, discriminator : torch.nn.Module
        The modules, on ``device`` (the discriminator spectrally normalised if asked); for an
        ensemble, ``robustgan.batched.MemberStack`` modules holding every member.
    ema_generator : torch.nn.Module or None
    loss : loss object
    history_ : robustgan.engine.History
        Losses per generator step (for an ensemble, arrays of shape (steps, R)).
    step_ : int
        Generator steps run.
    n_members : int or None
        R for an ensemble, None for a single pair.

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
        generators, discriminators = _member_lists(generator, discriminator)
        self.n_members = None if generators is None else len(generators)
        if generators is not None:
            generator, discriminator = generators[0], discriminators[0]
        if not isinstance(generator, torch.nn.Module) or not isinstance(discriminator, torch.nn.Module):
            raise TypeError("generator and discriminator must be torch.nn.Module instances")
        self._config = {
            "loss": loss, "latent_dim": latent_dim, "n_critic": n_critic,
            "batch_size": batch_size, "d_optimizer": d_optimizer, "g_optimizer": g_optimizer,
            "lr_d": lr_d, "lr_g": lr_g, "betas": betas, "lr_schedule": lr_schedule,
            "penalty": penalty, "penalty_weight": penalty_weight, "clip_value": clip_value,
            "spectral_norm": spectral_norm, "ema_decay": ema_decay,
            "max_grad_norm": max_grad_norm, "g_max_grad_norm": g_max_grad_norm,
            "latent_sampler": latent_sampler, "check_every": check_every, "device": device,
            "random_state": random_state, "progress": progress,
        }
        self.loss = get_loss(loss)
        if latent_dim is None:
            latent_dim = getattr(generator, "latent_dim", None)
            if latent_dim is None:
                raise ValueError("the generator has no latent_dim attribute: pass latent_dim=")
        self.latent_dim = int(latent_dim)
        if int(batch_size) < 1 or int(check_every) < 1:
            raise ValueError(f"batch_size and check_every must be >= 1, got {batch_size}, {check_every}")
        self.batch_size = int(batch_size)
        self.check_every = int(check_every)
        self.callbacks = list(callbacks)
        self.progress = progress
        self.device = resolve_device(device)
        # Architectures as given, before spectral normalisation: load() rebuilds from them.
        self._architecture = {
            "generator": _module_bytes(generator if generators is None else generators),
            "discriminator": _module_bytes(discriminator if generators is None else discriminators),
        }

        if spectral_norm == "auto":
            spectral_norm = getattr(self.loss, "spectral_norm", False)
        if spectral_norm and generators is not None:
            raise ValueError(
                "spectral normalisation is not available for ensembles (its power iteration "
                "cannot be batched): train the members one at a time, or use another loss"
            )
        if spectral_norm:
            apply_spectral_norm(discriminator)
        if clip_value == "auto":
            clip_value = getattr(self.loss, "clip_value", None)
        if n_critic == "auto":
            n_critic = getattr(self.loss, "n_critic", 1)
        if int(n_critic) < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic}")
        penalties = [getattr(self.loss, "penalty", None)]
        extra = penalty if isinstance(penalty, (list, tuple)) else [penalty]
        penalties += [get_penalty(p, penalty_weight) for p in extra if p is not None]
        self.penalties = [p for p in penalties if p is not None]

        if generators is None:
            self.generator = generator.to(self.device)
            self.discriminator = discriminator.to(self.device)
        else:
            self.generator = stack_modules([g.to(self.device) for g in generators])
            # Penalties on input gradients need a twice-differentiable discriminator.
            self.discriminator = stack_modules([d.to(self.device) for d in discriminators],
                                               fused=not self.penalties)
            self.penalties = [MemberPenalty(p, self.n_members) for p in self.penalties]
        self._check_modules()

        seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=2)
        self._rng = torch.Generator(device=self.device).manual_seed(int(seeds[0]))
        self._sample_rng = torch.Generator(device=self.device).manual_seed(int(seeds[1]))
        self._member_seeds = None
        if generators is not None:
            # Per member: its minibatch stream, its training noise and its sampling noise.
            streams = np.random.SeedSequence(int(seeds[0])).generate_state(3 * self.n_members)
            self._member_seeds = (streams >> 1).reshape(3, self.n_members).tolist()
            latent_sampler = MemberLatentSampler(latent_sampler, self._member_seeds[1],
                                                 self.device, self._dtype())
            self._sample_latent = MemberLatentSampler(self._config["latent_sampler"],
                                                      self._member_seeds[2], self.device,
                                                      self._dtype())
        self._ema = None if ema_decay is None else ExponentialAverage(self.generator, ema_decay)
        self._loop = AdversarialLoop(
            self.generator,
            self.discriminator,
            self.loss,
            latent_dim=self.latent_dim,
            generator_rng=self._rng,
            latent_sampler=latent_sampler,
            n_critic=int(n_critic),
            d_optimizer=_optimizer_factory(d_optimizer, betas),
            g_optimizer=_optimizer_factory(g_optimizer, betas),
            lr_d=lr_d,
            lr_g=lr_g,
            lr_schedule=lr_schedule,
            d_penalties=self.penalties,
            d_constraints=[WeightClipping(clip_value)] if clip_value is not None else [],
            g_hooks=[self._ema] if self._ema is not None else [],
            max_grad_norm=max_grad_norm,
            g_max_grad_norm=g_max_grad_norm,
            joint_forward=not _has_batch_norm(self.discriminator),
            members=self.n_members,
        )
        self._sampler_state = None
        self._active_sampler = None

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
        n_members = int(n_members)
        if n_members < 1:
            raise ValueError(f"n_members must be >= 1, got {n_members}")
        rng = check_random_state(random_state)
        init_seeds = rng.randint(np.iinfo(np.int32).max, size=n_members)
        generators, discriminators = [], []
        for seed in init_seeds:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                generators.append(make_generator())
                discriminators.append(make_discriminator())
        seed = int(rng.randint(np.iinfo(np.int32).max))
        return cls(generators, discriminators, random_state=seed, **kwargs)

    def member(self, r, *, ema=True):
        """Member ``r``'s generator as a single module (a copy; the EMA one when there is one).

        Only for ensembles.
        """
        if self.n_members is None:
            raise ValueError("member() is for ensembles; this trainer has a single generator")
        stack = self.ema_generator if (ema and self._ema is not None) else self.generator
        return stack.member(int(r))

    # -- properties ---------------------------------------------------------------------------
    @property
    def step_(self):
        return self._loop.step

    @property
    def history_(self):
        return self._loop.history()

    @property
    def ema_generator(self):
        return None if self._ema is None else self._ema.average

    # -- validation ---------------------------------------------------------------------------
    def _dtype(self):
        params = list(self.generator.parameters())
        return params[0].dtype if params else torch.get_default_dtype()

    @torch.no_grad()
    def _probe(self):
        """One forward pass of each module in eval mode (no state changes): output shapes."""
        modes = [m.training for m in (self.generator, self.discriminator)]
        self.generator.eval()
        self.discriminator.eval()
        members = () if self.n_members is None else (self.n_members,)
        try:
            z = torch.zeros(members + (2, self.latent_dim), device=self.device, dtype=self._dtype())
            x = self.generator(z)
            v = self.discriminator(x)
        finally:
            self.generator.train(modes[0])
            self.discriminator.train(modes[1])
        return x, v

    def _check_modules(self):
        try:
            x, v = self._probe()
        except Exception as error:
            raise ValueError(
                f"the generator (latent_dim={self.latent_dim}) and the discriminator do not "
                f"compose: {error}"
            ) from error
        members = () if self.n_members is None else (self.n_members,)
        if tuple(v.shape) not in {members + (2,), members + (2, 1)}:
            raise ValueError(
                "the discriminator must return one value per row, shape (b,) or (b, 1); got "
                f"{tuple(v.shape[len(members):])} for a batch of 2"
            )
        self._sample_shape = tuple(x.shape[1 + len(members):])

    def _make_sampler(self, X):
        if isinstance(X, (np.ndarray, torch.Tensor)) or not hasattr(X, "__iter__"):
            data = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X)
            if not (data.is_floating_point() or data.dtype in (torch.int32, torch.int64, torch.uint8,
                                                                torch.int16, torch.int8, torch.bool)):
                raise ValueError(f"X must be real numbers, got dtype {data.dtype}")
            if data.ndim < 2 or data.shape[0] < 1:
                raise ValueError(
                    f"X must have shape (n_samples, ...) with n_samples >= 1 and at least 2 "
                    f"dimensions, got {tuple(data.shape)}"
                )
            if tuple(data.shape[1:]) != self._sample_shape:
                raise ValueError(
                    f"X's rows have shape {tuple(data.shape[1:])} but the generator makes rows of "
                    f"shape {self._sample_shape}"
                )
            data = data.to(device=self.device, dtype=self._dtype())
            if not bool(torch.isfinite(data).all()):
                raise ValueError("X contains NaN or infinity")
            if self.n_members is not None:
                # Every member samples the one copy of the data with its own stream.
                return MemberIndexSampler([data] * self.n_members, self.batch_size,
                                          self._member_seeds[0])
            return IndexSampler(data, self.batch_size)
        if self.n_members is not None:
            raise ValueError("an ensemble trains on an array or tensor X, not on a DataLoader")
        return LoaderSampler(X, self.device, self._dtype())

    # -- training -----------------------------------------------------------------------------
    def fit(self, X, n_steps=5_000):
        """Train until generator step ``n_steps`` (counted from the start of the run).

        A trainer restored by ``load`` continues from the step it was saved at, so calling
        ``fit`` with the same arguments after a crash finishes the interrupted run.

        Parameters
        ----------
        X : array-like, torch.Tensor or torch.utils.data.DataLoader
            Rows of data (n_samples, ...) shaped like the generator's samples, or a loader of
            such minibatches (tuples contribute their first element).
        n_steps : int, default=5000
            Total generator steps.

        Returns
        -------
        self : GANTrainer

        Raises
        ------
        ValueError
            For NaN or infinite data or rows shaped unlike the generator's samples.
        FloatingPointError
            When training diverges (a loss or a generator parameter is no longer finite).
        """
        sampler = self._make_sampler(X)
        if self._sampler_state is not None:
            sampler.load_state_dict(self._sampler_state)
        self._active_sampler = sampler  # save() during fit (a Checkpoint callback) reads it
        callbacks = [lambda step, g, d, cb=cb: bool(cb(self)) for cb in self.callbacks]
        try:
            with tqdm(total=int(n_steps), initial=self.step_, disable=not self.progress,
                      desc=type(self).__name__, file=sys.stderr) as bar:
                self._loop.run(sampler, n_steps, check_every=self.check_every,
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
        ema : bool, default=True
            Use the EMA generator when there is one.
        random_state : int, RandomState instance or None
            None continues the trainer's own sampling stream (seeded by its random_state).

        Returns
        -------
        torch.Tensor of shape (n, ...), or (R, n, ...) for an ensemble
        """
        rng = self._sample_rng
        if random_state is not None:
            seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
            rng = torch.Generator(device=self.device).manual_seed(seed)
        generator = self.ema_generator if (ema and self._ema is not None) else self.generator
        if self.n_members is None:
            z = self._loop.latent_sampler(int(n), self.latent_dim, rng, self.device)
        else:
            sampler = self._sample_latent
            if random_state is not None:
                seeds = (np.random.SeedSequence(seed).generate_state(self.n_members) >> 1).tolist()
                sampler = MemberLatentSampler(self._config["latent_sampler"], seeds, self.device,
                                              self._dtype())
            z = sampler(int(n), self.latent_dim, None, self.device)
        return generator(z.to(self._dtype()))

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self):
        """The trainer's whole state: configuration, models, optimisers, RNGs, step, history."""
        sampler = self._active_sampler
        return {
            "format": _FORMAT,
            "config": {k: v for k, v in self._config.items() if k != "device"},
            "architecture": self._architecture,
            "loop": self._loop.state_dict(),
            "sample_rng": self._sample_rng.get_state(),
            "sampler": sampler.state_dict() if sampler is not None else self._sampler_state,
            "sample_latent": (self._sample_latent.state_dict() if self.n_members is not None
                              else None),
        }

    def load_state_dict(self, state):
        """Restore a ``state_dict`` into a trainer built with the same configuration."""
        if state.get("format") != _FORMAT:
            raise ValueError(f"not a GANTrainer checkpoint of format {_FORMAT}")
        self._loop.load_state_dict(state["loop"])
        self._sample_rng.set_state(state["sample_rng"])
        self._sampler_state = state["sampler"]
        if state.get("sample_latent") is not None:
            self._sample_latent.load_state_dict(state["sample_latent"])
        return self

    def save(self, path):
        """Write a checkpoint to ``path`` atomically (temporary file, then ``os.replace``).

        The configuration must be picklable (losses, penalties and samplers defined at module
        level, not lambdas); callbacks are not saved.
        """
        state = self.state_dict()
        try:
            buffer = io.BytesIO()
            torch.save(state["config"], buffer)
        except Exception as error:
            raise ValueError(
                f"the trainer's configuration cannot be saved ({error}): use module-level "
                "callables, not lambdas or local functions, for losses, penalties and samplers"
            ) from error
        atomic_save(state, path)

    @classmethod
    def load(cls, path, generator=None, discriminator=None, *, device=None, callbacks=(), **overrides):
        """A trainer restored from ``save``: ``fit`` continues the run exactly where it stopped.

        Only load checkpoints you trust: they hold pickled Python objects.

        Parameters
        ----------
        path : str or os.PathLike
        generator, discriminator : torch.nn.Module, optional
            Fresh modules of the saved architecture (not spectrally normalised: the trainer
            does that again). Needed only when the saved ones could not be pickled.
        device : str or torch.device, optional
            Where to continue; the saved device by default.
        callbacks : sequence of callables, default=()
        **overrides
            Configuration to change (e.g. ``progress=True``).

        Returns
        -------
        GANTrainer
        """
        state = torch.load(path, map_location="cpu", weights_only=False)
        modules = {"generator": generator, "discriminator": discriminator}
        for name, module in modules.items():
            if module is None:
                blob = state["architecture"][name]
                if blob is None:
                    raise ValueError(
                        f"the checkpoint holds no pickled {name} (it could not be pickled when "
                        f"the trainer was built): pass {name}= to load"
                    )
                modules[name] = pickle.loads(blob)
        config = {**state["config"], **overrides}
        config["device"] = device if device is not None else config.get("device", "auto")
        if config["device"] is None:
            config["device"] = "auto"
        trainer = cls(modules["generator"], modules["discriminator"], callbacks=callbacks, **config)
        return trainer.load_state_dict(state)

    def __repr__(self):
        return (f"{type(self).__name__}(loss={getattr(self.loss, 'name', self.loss)!r}, "
                f"step_={self.step_})")


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
