"""RobustGANMean: the JS-GAN / TV-GAN / f-GAN robust location estimators of Gao et al. (2019)."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import check_training_data
from ..divergences import Divergence, check_robust_divergence, get_divergence
from ..engine import AdversarialProblem, resolve_device, robust_learning_rates
from ..nets import ACTIVATIONS, LocationGenerator, MLPDiscriminator, seed_first_layer
from ..univariate import reweighted_location_scale
from ._base import CONTAMINATION_CONSTRAINT, RobustLocationMixin, fit_adversarial

__all__ = [
    "RobustGANMean",
    "as_training_tensor",
    "auto_n_steps",
    "canonical_row_order",
    "check_hidden_sizes",
    "principal_directions",
    "resolve_auto",
    "robust_scale",
    "second_moment_directions",
    "seeded_discriminator",
]

# What the "auto" parameters resolve to, per divergence (benchmarks/bench_mean_defaults.py has
# the study behind them). ``epochs``: generator steps per pass over the data, so that enough
# iterates are averaged for the optimisation noise to stay below the sampling noise √(p/n).
# ``start``: where η starts, the coordinatewise median or the JS-GAN estimate ("js").
#
# TV: the population TV objective is flat around θ (with Q = N(5·1, I) its excess is 0.002 at
# distance 0.13) and, played from θ, the TV game drifts towards the outliers at a rate ∝ lr_g
# with no equilibrium near θ for the discriminators we tried (benchmarks/results/tv_study.md:
# from the JS-GAN estimate, 1,000 steps at lr_g 0.01 ended 0.26 away on the close design).
# So the TV game starts at the JS-GAN estimate, inside TV's flat region at its most accurate
# point, with the JS-trained discriminator, and takes a fixed, small number of slow steps
# (not a number that grows with n: the drift does not shrink with n).
# The learning rates lr_d and lr_g come from ``robustgan.engine.robust_learning_rates`` (per
# optimiser, and per divergence for SGD) unless a divergence's entry here sets them.
_AUTO = {
    "default": {"n_critic": 3, "l2_penalty": 0.0, "epochs": 4, "start": "median"},
    "tv": {"n_critic": 5, "lr_g": 0.005, "l2_penalty": 0.0, "n_steps": 300, "start": "js"},
}
_AUTO_STEPS = (300, 3000)


def canonical_row_order(X):
    """A row order that depends on the rows' values only, not on how they were ordered.

    Training on the rows in this order makes a seeded fit exactly invariant to permutations of
    the input. The keys are two fixed projections, so the order is also unchanged by translating
    the data.

    Examples
    --------
    >>> X = np.array([[3.0, 0.0], [1.0, 0.5], [2.0, 0.0]])
    >>> Y = X[[2, 0, 1]]
    >>> np.array_equal(X[canonical_row_order(X)], Y[canonical_row_order(Y)])
    True
    """
    keys = np.random.default_rng(20190101).standard_normal((X.shape[1], 2))
    # torch's product, not NumPy's: OpenBLAS's threads keep spinning after a product and slowed
    # the torch work that follows a fit's preparation (the principal directions' eigh ran
    # 27 against 3 ms at n = 20,000, p = 100; the first training steps, too).
    X = np.ascontiguousarray(X, dtype=np.float64)
    projections = (torch.from_numpy(X) @ torch.from_numpy(keys)).numpy()
    return np.lexsort((projections[:, 1], projections[:, 0]))


def second_moment_directions(Z):
    """The eigenvectors of ZᵀZ/n as rows (p, p), largest eigenvalue first.

    Examples
    --------
    >>> Z = torch.tensor([[3.0, 0.0], [-3.0, 0.1], [0.0, 0.2]])
    >>> second_moment_directions(Z).abs().round()
    tensor([[1., 0.],
            [0., 1.]])
    """
    second_moment = Z.T @ Z / Z.shape[0]
    _, vectors = torch.linalg.eigh(second_moment.double())
    return vectors.T.flip(0).to(Z.dtype)


def principal_directions(Z, k):
    """The ``k`` eigenvectors of ZᵀZ/n with the largest eigenvalues, as rows (k, p).

    With Z centred at a robust location, contamination that shifts the mean also inflates the
    second moment along its direction (the observation behind the filter of Diakonikolas et al.),
    so these are where a discriminator should look first.

    Examples
    --------
    >>> Z = torch.tensor([[3.0, 0.0], [-3.0, 0.1], [0.0, 0.2]])
    >>> principal_directions(Z, 1).abs().round()
    tensor([[1., 0.]])
    """
    return second_moment_directions(Z)[:k]


def robust_scale(X):
    """Per-feature MAD rescaled to be consistent at the Gaussian (1.4826·MAD); 1 where it is 0.

    Examples
    --------
    >>> robust_scale(np.array([[0.0], [1.0], [2.0], [100.0]])).round(3)
    array([1.483])
    """
    median = np.median(X, axis=0)
    mad = 1.482602218505602 * np.median(np.abs(X - median), axis=0)
    return np.where(mad > 0, mad, 1.0)


def auto_n_steps(epochs, n_samples, batch_size, bounds):
    """Generator steps for ``epochs`` passes over the data in batches, clipped to ``bounds``.

    Examples
    --------
    >>> auto_n_steps(4, 50_000, 500, (300, 3000))
    400
    """
    steps = math.ceil(epochs * n_samples / min(batch_size, n_samples))
    return int(np.clip(steps, *bounds))


def as_training_tensor(Z, device, out=None):
    """Z as the float32 tensor on ``device`` that the game trains on, written into ``out`` if given.

    ``out`` lets a batched fit place every data set in one preallocated buffer, so that each is
    copied once (``robustgan.batched``); the values are the same either way.

    Examples
    --------
    >>> as_training_tensor(np.ones((2, 3)), "cpu").dtype
    torch.float32
    """
    if out is not None and tuple(out.shape) == Z.shape:
        return out.copy_(torch.from_numpy(np.ascontiguousarray(Z)))
    return torch.as_tensor(Z, dtype=torch.float32).to(device)


def check_hidden_sizes(hidden_sizes):
    """``hidden_sizes`` as a tuple of positive ints, or a ValueError that names it.

    Examples
    --------
    >>> check_hidden_sizes([20, 5])
    (20, 5)
    """
    sizes = tuple(np.atleast_1d(np.asarray(hidden_sizes)).tolist())
    if not sizes or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise ValueError(
            f"hidden_sizes must be a non-empty sequence of positive ints, got {hidden_sizes!r}"
        )
    return sizes


def seeded_discriminator(in_features, seed, device, **network):
    """An ``MLPDiscriminator`` initialised from ``seed`` without touching torch's global RNG.

    Examples
    --------
    >>> a = seeded_discriminator(3, 0, "cpu", hidden_sizes=(4,))
    >>> b = seeded_discriminator(3, 0, "cpu", hidden_sizes=(4,))
    >>> torch.equal(a.first_layer.weight, b.first_layer.weight)
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLPDiscriminator(in_features, **network).to(device)


def resolve_auto(divergence, n_samples, batch_size, optimizer="sgd", **params):
    """The training parameters with every ``"auto"`` replaced by its value for ``divergence``
    and ``optimizer``.

    Examples
    --------
    >>> resolve_auto(get_divergence("js"), 50_000, 500, n_steps="auto", n_critic="auto",
    ...              lr_g=0.3, l2_penalty="auto")
    {'n_steps': 400, 'n_critic': 3, 'lr_g': 0.3, 'l2_penalty': 0.0}
    >>> resolve_auto(get_divergence("js"), 50_000, 500, "adam", lr_d="auto", lr_g="auto")
    {'lr_d': 0.005, 'lr_g': 0.01}
    """
    rates = robust_learning_rates(optimizer, divergence)
    auto = {"lr_d": rates["discriminator"], "lr_g": rates["location"],
            **_AUTO.get(divergence.name, _AUTO["default"])}
    if "n_steps" not in auto:
        auto["n_steps"] = auto_n_steps(auto["epochs"], n_samples, batch_size, _AUTO_STEPS)
    return {name: auto[name] if value == "auto" else value for name, value in params.items()}


class RobustGANMean(RobustLocationMixin, BaseEstimator):
    """Robust location by an adversarial (GAN) estimator under Huber's contamination model.

    The generator is the location model N(η, diag(s²)), s the per-feature inlier scale
    (``scale``); the discriminator a one-hidden-layer network. The estimate is

        η̂ = argmin_η max_D  Ê_data[g_f(D(X))] − E_{N(η, I)}[f*(g_f(D(X)))],

    the variational form of the chosen f-divergence (Nowozin et al., 2016): with
    ``divergence="js"`` it is the JS-GAN of Gao et al. (2019), with ``"tv"`` their TV-GAN.
    Both reach the minimax rate p/n + ε² with a hidden layer in the discriminator.

    Defaults need no tuning for p in [2, 200], ε in [0, 0.3] and n ≥ 50p (see
    ``benchmarks/bench_mean_defaults.py``), and no knowledge of the data's units: the scale s is
    estimated per feature (``scale="auto"``), the data are centred at the coordinatewise median,
    where η starts, and standardised by s; the first hidden units are seeded along the top
    principal directions of the centred data, where a shifted contamination shows up, and the
    estimate is the average of the second half of the generator's iterates.

    The TV-GAN estimate (``divergence="tv"``, ``start="auto"``) is computed in two stages:

    1. the JS-GAN fit with the same parameters (every ``"auto"`` resolved for JS), from the
       median, with the same discriminator initialisation and training seed as
       ``RobustGANMean("js")``: its estimate is ``start_location_``;
    2. the TV game from there: η starts at that estimate and the discriminator is the
       JS-trained one, then 300 generator steps (5 discriminator steps each, SGD, lr_d 0.2,
       lr_g 0.005, no weight penalty, gradient clipping at 1.0); ``location_`` is the
       average of the second half of those iterates.

    Why: the TV objective is flat around θ (Q = N(5·1, I): excess 0.002 at distance 0.13), so
    the TV game does not pull η towards θ; played from θ it drifts towards the outliers at a
    rate proportional to lr_g (benchmarks/results/tv_study.md). The first stage places η in
    TV's flat region at its most accurate point; the second is a short, slow TV descent from
    there, whose drift (median 0.011 on Q = N(5·1, I), 0.043 on Q = N(0.5·1, I), both towards
    the outliers, at n=50,000, p=100, ε=0.2) is bounded by its fixed length; a longer TV stage
    drifts further (1,000 steps at lr_g 0.01: 0.21 on the close design). The estimate is thus
    an approximate minimiser of the TV objective near the JS-GAN estimate, not the end point of
    a converged TV game. ``history_`` and ``n_iter_`` describe the second stage, whose draws
    come from a seed derived from the first's. A TV fit costs a JS fit and about as much again.

    Parameters
    ----------
    divergence : str or Divergence, default="js"
        ``"js"`` (JS-GAN), ``"tv"`` (TV-GAN) or any name of
        ``robustgan.divergences.available_divergences()``.
    hidden_sizes : tuple of int, default=(20,)
        Hidden layers of the discriminator.
    activation : str, default="leaky_relu"
        Hidden activation: ``"leaky_relu"``, ``"sigmoid"`` (the paper's theory), ``"tanh"``,
        ``"relu"`` or ``"softplus"``. Leaky ReLU units seeded along a direction respond to the
        contamination on one side of the centre and the ±pair on the other; in our study they
        resolved close contaminations that sigmoid units did not.
    spectral_norm : bool, default=False
        Spectrally normalise the discriminator's layers (Miyato et al., 2018).
    n_directions : int, default=5
        Principal directions seeded into the first layer (two units each, ±v); 0 keeps the
        Xavier initialisation.
    n_steps : int or "auto", default="auto"
        Generator steps. ``"auto"``: 4 passes over the data, clipped to [300, 3000]; for TV,
        300 steps from the JS-GAN start (whatever n).
    n_critic : int or "auto", default="auto"
        Discriminator steps per generator step. ``"auto"``: 3, and 5 for TV.
    batch_size : int, default=500
        Real and generated rows per step.
    optimizer : {"sgd", "adam", "rmsprop"}, default="sgd"
        Optimiser of both players.
    lr_d : float or "auto", default="auto"
        Learning rate of the discriminator. ``"auto"``:
        ``robustgan.engine.robust_learning_rates(optimizer, divergence)``: 0.2 with SGD (times
        the divergence's ``learning_rate_scale``: 0.8 for Brier, 0.05 for Neyman), 0.005 with
        Adam, 0.001 with RMSprop (their steps are step-sized whatever the gradient).
    lr_g : float or "auto", default="auto"
        Learning rate of η, in units of ``scale``. ``"auto"``: 0.1 with SGD (0.4 for Brier),
        0.01 with Adam and RMSprop; 0.005 for TV.
    lr_schedule : {"constant", "linear", "cosine"}, default="constant"
    average : float in (0, 1], default=0.5
        Fraction of the last generator iterates averaged into ``location_``.
    l1_penalty : float, default=0.0
        λ·Σ|W| on the discriminator's weight matrices (the ℓ₁ bound of the paper's theory).
    l2_penalty : float or "auto", default="auto"
        λ·ΣW² on the discriminator's weight matrices. ``"auto"``: 0.
    max_grad_norm : float or None, default=1.0
        Clip the discriminator's gradient norm at every step. Far outliers (5·1_p at p=200 is
        70 units away) otherwise give the unbounded leaky-ReLU features gradients that blew the
        discriminator up in our study (NaN at p=200, n=10,000, ε=0.2); None disables it.
    scale : "auto", "mad", float or array of shape (n_features,), default="auto"
        Per-feature inlier standard deviation s of the model N(η, diag(s²)). ``"auto"``: the
        reweighted scale of ``robustgan.univariate.reweighted_location_scale`` (the MAD, then
        two steps that keep the values within 2.24 scales of the centre), which far outliers
        do not inflate (Q = N(5·1, I), ε = 0.2: 1.04 where the MAD gives 1.39). ``"mad"``:
        1.4826·MAD. A number or an array: a known scale (the papers' design is ``scale=1``).
        A feature whose training values are all equal has scale 0 and its location is that
        value.

        Equivariance: with an estimated scale, ``fit(a·X·D + b)`` gives
        ``a·location_·D + b`` for a scalar a > 0, a positive diagonal D and any shift b, to
        rounding, and the same ``predict`` labels. It is not equivariant under rotations or
        other linear maps: the model is N(η, diag(s²)), so correlated inliers are outside it
        (their location is still estimated, with a loss of accuracy); ``RobustGANScatter``
        models a full scatter for such data.
    start : {"auto", "median", "js"}, default="auto"
        Where η starts. ``"median"``: the coordinatewise median, with the seeded discriminator.
        ``"js"``: the JS-GAN estimate with these same parameters, with its trained
        discriminator (the game of ``divergence`` then continues from there; two fits'
        time). ``"auto"``: ``"js"`` for TV, ``"median"`` otherwise.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict`` (see ``RobustLocationMixin``): a number c labels the fraction c
        of the training rows farthest from the fit outliers (EllipticEnvelope's rule and
        default, which scikit-learn's ``check_estimator`` expects); ``"auto"`` labels the rows
        beyond the model's χ²_p 0.975 quantile, about 2.5% of Gaussian inliers plus the
        outliers.
    device : {"auto", "cpu", "cuda"} or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds the discriminator's initialisation and every draw of training.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
        The robust location estimate η̂.
    scale_ : ndarray of shape (n_features,)
        The inlier standard deviations used.
    initial_location_ : ndarray of shape (n_features,)
        The coordinatewise median, the centre of the data the game trains on.
    start_location_ : ndarray of shape (n_features,)
        Where η started in the game of ``divergence``: ``initial_location_``, or with
        ``start="js"`` the JS-GAN estimate.
    offset_ : float
        Threshold of ``decision_function``.
    history_ : robustgan.engine.History
        Discriminator and generator losses per generator step (of the last stage).
    n_iter_ : int
        Generator steps run (in the last stage).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only with DataFrame input whose columns are all strings.

    See Also
    --------
    CoordinatewiseMedian : the classic robust baseline, error of order √p·ε.

    References
    ----------
    .. [1] C. Gao, J. Liu, Y. Yao, W. Zhu. "Robust Estimation and Generative Adversarial Nets."
       ICLR 2019, arXiv:1810.02030: JS-GAN (eq. 9), TV-GAN (eq. 8), Theorems 3.1 and 3.2.
    .. [2] S. Nowozin, B. Cseke, R. Tomioka. "f-GAN." NeurIPS 2016, eq. (6) and Table 2.

    Examples
    --------
    >>> from robustgan.datasets import make_huber_contamination
    >>> data = make_huber_contamination(2000, 5, 0.2, random_state=0)
    >>> est = RobustGANMean(random_state=0).fit(data.X)
    >>> bool(np.linalg.norm(est.location_ - data.location) < 0.3)
    True
    """

    _parameter_constraints = {
        "divergence": [str, Divergence],
        "hidden_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "spectral_norm": ["boolean"],
        "n_directions": [Interval(Integral, 0, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_critic": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions({"sgd", "adam", "rmsprop"})],
        "lr_d": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "lr_g": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "lr_schedule": [StrOptions({"constant", "linear", "cosine"})],
        "average": [Interval(Real, 0, 1, closed="right")],
        "l1_penalty": [Interval(Real, 0, None, closed="left")],
        "l2_penalty": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "scale": [Interval(Real, 0, None, closed="neither"), "array-like",
                  StrOptions({"auto", "mad"})],
        "start": [StrOptions({"auto", "median", "js"})],
        "contamination": CONTAMINATION_CONSTRAINT,
        "device": [StrOptions({"auto", "cpu", "cuda"}), torch.device],
        "random_state": ["random_state"],
        "verbose": ["boolean"],
    }

    def __init__(
        self,
        divergence="js",
        *,
        hidden_sizes=(20,),
        activation="leaky_relu",
        spectral_norm=False,
        n_directions=5,
        n_steps="auto",
        n_critic="auto",
        batch_size=500,
        optimizer="sgd",
        lr_d="auto",
        lr_g="auto",
        lr_schedule="constant",
        average=0.5,
        l1_penalty=0.0,
        l2_penalty="auto",
        max_grad_norm=1.0,
        scale="auto",
        start="auto",
        contamination=0.1,
        device="auto",
        random_state=None,
        verbose=False,
    ):
        self.divergence = divergence
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.spectral_norm = spectral_norm
        self.n_directions = n_directions
        self.n_steps = n_steps
        self.n_critic = n_critic
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr_d = lr_d
        self.lr_g = lr_g
        self.lr_schedule = lr_schedule
        self.average = average
        self.l1_penalty = l1_penalty
        self.l2_penalty = l2_penalty
        self.max_grad_norm = max_grad_norm
        self.scale = scale
        self.start = start
        self.contamination = contamination
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the robust location of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, possibly contaminated; at least 2 rows.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : RobustGANMean

        See Also
        --------
        robustgan.fit_many : many fits (replicates, seeds, data sets) as one batched game.
        """
        return fit_adversarial(self, X)

    def _adversarial_problem(self, X, out=None):
        """Validate, preprocess and build the game: everything of ``fit`` before training.

        Sets the fitted attributes known before the game (``scale_``, ``initial_location_``,
        ``n_features_in_``). ``out``: see ``as_training_tensor``.
        """
        # Refused divergences are refused before any work (start="js" plays a whole game).
        divergence = check_robust_divergence(get_divergence(self.divergence))
        init_seed, train_seed = check_random_state(self.random_state).randint(2**31 - 1, size=2)
        hidden_sizes = check_hidden_sizes(self.hidden_sizes)
        X = check_training_data(self, X)
        self.scale_ = self._check_scale(X)
        self.initial_location_ = np.median(X, axis=0)
        # Centring at the median makes the fit translation-equivariant to rounding error and
        # keeps float32 accurate for data far from the origin.
        Z = (X - self.initial_location_) / np.where(self.scale_ > 0, self.scale_, 1.0)
        Z = Z[canonical_row_order(Z)]

        device = resolve_device(self.device)
        real = as_training_tensor(Z, device, out)
        schedule = resolve_auto(
            divergence,
            len(Z),
            self.batch_size,
            self.optimizer,
            n_steps=self.n_steps,
            n_critic=self.n_critic,
            lr_d=self.lr_d,
            lr_g=self.lr_g,
            l2_penalty=self.l2_penalty,
            start=self.start,
        )
        start = schedule.pop("start")
        generator = LocationGenerator(torch.zeros(Z.shape[1], device=device))
        discriminator = self._init_discriminator(real, hidden_sizes, device, int(init_seed))
        options = dict(
            **schedule,
            batch_size=self.batch_size,
            d_optimizer=self.optimizer,
            g_optimizer=self.optimizer,
            lr_schedule=self.lr_schedule,
            l1_penalty=self.l1_penalty,
            max_grad_norm=self.max_grad_norm,
            average=self.average,
            latent_sampler="pool",
        )
        train_seed = int(train_seed)
        if start == "js":
            generator = self._js_start(real, generator, discriminator, options, train_seed)
            # The second game's draws: a seed derived from the first's, never equal to it.
            train_seed = int(np.random.RandomState(train_seed).randint(2**31 - 1))
        eta = generator.location.detach().double().cpu().numpy()
        self.start_location_ = self.initial_location_ + self.scale_ * eta
        return AdversarialProblem(real, generator, discriminator, divergence, options,
                                  train_seed, context={"X": X})

    def _js_start(self, real, generator, discriminator, options, seed):
        """Play the JS-GAN game with these parameters (its "auto" values) from the median.

        Trains ``discriminator`` in place; returns a generator at the JS-GAN estimate (the
        average of its iterates). With the same seed this is ``RobustGANMean("js")``'s game.
        """
        js = get_divergence("js")
        schedule = resolve_auto(js, real.shape[0], self.batch_size, self.optimizer,
                                n_steps=self.n_steps, n_critic=self.n_critic, lr_d=self.lr_d,
                                lr_g=self.lr_g, l2_penalty=self.l2_penalty)
        fit = AdversarialProblem(real, generator, discriminator, js, {**options, **schedule},
                                 seed).solve()
        return LocationGenerator(fit.averaged_parameters["location"].detach().clone())

    def _adversarial_result(self, problem, fit):
        """Store the fitted attributes from the solved game; returns self."""
        eta = fit.averaged_parameters["location"].double().cpu().numpy()
        # A constant feature (scale 0) keeps its value: s·η is 0 there.
        self.location_ = self.initial_location_ + self.scale_ * eta
        self.history_ = fit.history
        self.n_iter_ = fit.n_iter
        self._set_offset(problem.context["X"])
        return self

    def _init_discriminator(self, real, hidden_sizes, device, seed):
        discriminator = seeded_discriminator(
            real.shape[1],
            seed,
            device,
            hidden_sizes=hidden_sizes,
            activation=self.activation,
            spectral_norm=self.spectral_norm,
        )
        k = min(self.n_directions, real.shape[1], hidden_sizes[0] // 2)
        if k > 0:
            seed_first_layer(discriminator, principal_directions(real, k))
        return discriminator

    def _check_scale(self, X):
        if isinstance(self.scale, str):
            return reweighted_location_scale(X)[1] if self.scale == "auto" else robust_scale(X)
        scale = np.broadcast_to(np.asarray(self.scale, dtype=np.float64), (X.shape[1],)).copy()
        if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError(f"scale must be positive and finite, got {self.scale!r}")
        return scale

    def _squared_distances(self, X):
        varying = self.scale_ > 0
        d2 = np.sum(np.square((X[:, varying] - self.location_[varying]) / self.scale_[varying]),
                    axis=1)
        # A feature that was constant in training: any other value is infinitely far.
        off_constant = np.any(X[:, ~varying] != self.location_[~varying], axis=1)
        return np.where(off_constant, np.inf, d2)

    def _log_det_scatter(self):
        # The density of the model on the features that vary.
        return 2.0 * np.sum(np.log(self.scale_[self.scale_ > 0]))
