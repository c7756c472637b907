"""RobustGANMean: the JS-GAN / TV-GAN / f-GAN robust location estimators of Gao et al. (2019)."""

import math
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import torch
from scipy import stats
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from .._threads import beside, help_beside
from .._validation import (
    check_scatter_representable,
    check_training_data,
    refusing_bools,
    warn_at_user,
    warn_exact_fit,
    warn_tied_columns,
)
from ..clusters import (
    BIMODAL_COEFFICIENT,
    HEAVY_TAIL_DF,
    bimodality_coefficient,
    correct_absorbed_cluster,
    group_apart,
    group_of_discrete_levels,
    tight_group_centre,
)
from ..divergences import Divergence, check_robust_divergence, get_divergence
from ..engine import (
    AdversarialProblem,
    History,
    first_averaged_step,
    resolve_device,
    robust_learning_rates,
)
from ..multivariate import (
    canonical_row_order,
    radial_tail_df,
    squared_mahalanobis,
    squared_mahalanobis_from_factor,
    trimmed_scatter,
)
from ..nets import ACTIVATIONS, LocationGenerator, seed_first_layer
from ..outliers import AUTO_INLIER_QUANTILE, CONTAMINATION_CONSTRAINT, RobustLocationMixin
from ..univariate import discrete_features, reweighted_location_scale, robust_scale
from ._base import UsableDevice, fit_adversarial
from .game_setup import (
    MAX_STEPS,
    as_training_tensor,
    auto_n_steps,
    check_hidden_sizes,
    principal_directions,
    rows_in_memory,
    seeded_discriminator,
)

__all__ = ["MAX_PENALTY", "RobustGANMean", "resolve_auto"]

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
# With scale="auto" on up to this many rows the floor is lower: the robust start is the
# estimate there and the game only its referee (the direction of the skewness test). 50 steps
# gave the same estimates and selections as 300 on every small atlas cell (n21-p2, n21-p4,
# n100-p5, n500, p1, p2, p5; 3 seeds each) at a fifth of the time (100 × 5: 0.9 s to 0.2 s).
_SMALL_DATA_ROWS = 1_000
_SMALL_DATA_STEPS = (50, 3000)
# ``scale="auto"`` chooses between the game's estimate and the robust start's (``_select``).
# The start is taken unless its inliers, projected on the direction in which it departs from
# the game's estimate, are skewed towards that side with a z-score ≥ _SKEW_Z (the sample
# skewness of h symmetric values is about N(0, 6/h)): the mark of a cluster inside its subset.
# Atlas (39 cells × 3 seeds): z ≥ 4.4 in every close-cluster cell (p100-close05: 30), where
# the game was the better estimate, and |z| ≤ 3.1 in every cell with symmetric inliers around
# far or spread outliers, where the start was. Below a fitted ν of 4 (``radial_tail_df``,
# biased low: clean t₃ 1.8–2.0, t₅ 3.0–3.4, t₁₀ 5.7–6.8, Gaussian 24–450 at n = 5,000,
# p = 20) the game's Gaussian model is wrong, and sample skewness too noisy: the start is kept,
# unless the projection has two modes (BIMODAL_COEFFICIENT).
_SKEW_Z = 4.0
# A start whose ellipsoid holds a tight cluster beside the inliers looks heavy-tailed too: the
# cluster's rows are a lump of small distances, the inliers' the large ones (fitted ν 0.5-2.4
# on tight clusters, s = 0.25-0.5, at 0.7-1.5·1 with ε = 0.2-0.4, p = 20, where the start
# erred by 0.7-3.5 and the game by 0.07-0.55, where robustgan.clusters.split_tight_cluster
# did not set the cluster aside). Along the direction that separates the start from the game,
# heavy-tailed inliers give one peaked mode, and such a start two: Sarle's bimodality
# coefficient of the projected inliers (``bimodality_coefficient``: 1/3 for a Gaussian, below
# it for t) exceeds 5/9 there (measured 0.57-0.7). On fewer than _BIMODAL_MIN_ROWS inliers
# its kurtosis is too noisy (standard error √(24/h): 0.49 at 100) and the start is kept.
_BIMODAL_MIN_ROWS = 100
# Where a robust start referees the game, the game's estimate after its first _REFEREE_STEPS
# steps is what the start is compared with first, and the rest of the game is played only
# where that takes the game. On the atlas (41 cells × 3 seeds), 90 designs with close and
# tight clusters, 60 random ones and 38 real data sets (311 fits, two of them counted
# twice), the choice changed on 6: five where game and start erred within 10% of each other
# (the start taken now, each time the better), and statsmodels' fair, where it turns on the
# game's path in any case (benchmarks/RESULTS.md, "The game as a referee, in 100 steps").
_REFEREE_STEPS = 100
# Generator steps between the checks of the game's rest, where it is played while the start
# is computing: how late, at most, it stops once the start is there and taken.
_REST_CHECK_EVERY = 2
# A known scale this many times the data's MAD-based scale, or this many times smaller, is
# named in a warning: the game's model N(η, diag(s²)) then misfits every row (on N(0, I) data,
# scale = 10 put the estimate 0.9 away, scale = 100 outside the data's range). Contamination
# moves the MAD by less (a cluster at 5·1: 1.37 at ε = 0.2, 2.8 at 0.4, 3.4 at 0.45). It is
# read on at most _SCALE_CHECK_ROWS rows taken evenly through the data.
_SCALE_MISFIT = 4.0
_SCALE_CHECK_ROWS = 2_000
# The largest weight penalty λ taken. A penalty far above the discriminator's loss (of order 1:
# the divergences the estimators take are bounded) only holds its weights at 0: every λ from 1
# to 1e10 left the game at its start (n = 1,000, p = 3, ε = 0.1, the default clipping). Near
# 1e19 the float32 squares of its gradient overflow in the clipping norm, which then stops
# clipping (λ = 1e30: the game ended 26 units off). 1e6 is past any useful λ and far from that.
MAX_PENALTY = 1e6


def resolve_auto(divergence, n_samples, batch_size, optimizer="sgd", *, step_bounds=_AUTO_STEPS,
                 **params):
    """The training parameters with every ``"auto"`` replaced by its value for ``divergence``
    and ``optimizer``; an ``"auto"`` step count is 4 passes clipped to ``step_bounds``.

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
        auto["n_steps"] = auto_n_steps(auto["epochs"], n_samples, batch_size, step_bounds)
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

    Choosing between the game and the start (``scale="auto"``): beside the game, the robust
    start of ``RobustGANScatter`` (``trimmed_scatter``, an MCD-type location and full
    scatter) is computed. Where it is right it is the more efficient estimate, and it follows
    any affine map of the data (correlated inliers: atlas cell toeplitz 0.054 against the
    game's 0.12). It is wrong where a cluster of outliers is too close to trim: the cluster
    then sits inside its subset and pulls its location, and the game, whose model
    N(η, diag(s²)) cannot absorb it, is better (Gao et al.'s close design, n = 50,000,
    p = 100: the game 0.08, the start 1.0). Two tests look for that mark. First the start's
    inliers are projected on each direction of its correlation eigenbasis: where one is
    skewed beyond chance and the exact one-dimensional MCD of half the rows there is
    narrower than the start's model, or (a cluster of 30-45% of the rows) the peak there is
    flattened and the larger group of a two-Gaussian mixture fitted there is the bulk, the
    start is corrected along it (``robustgan.clusters.correct_absorbed_cluster``;
    ``cluster_direction_``) and taken, as the game is pulled by the same cluster (atlas
    close05: 0.11-0.17 against the game's 0.34; close05-eps0.4: 0.082 against 0.79).
    Otherwise the rows are projected on the direction in which the start's location departs
    from the game's. On more than 1,000 rows, where they form a bulk and a tight group there
    (``robustgan.clusters.tight_group_centre``: a tight cluster close to the inliers, which
    the start takes with the inliers beside it), the estimate nearer the bulk's centre is
    taken (Q = N(0.7·1, 0.1²·I), ε = 0.2, p = 20: the game, 0.15-0.19 against the start's
    0.72-0.76). Where they do not, a sample-skewness z-score of 4 or more of the start's
    inliers towards the start's side (a cluster the half-sample would sit on) takes the
    game, where the skewed rows hold a group apart (``robustgan.clusters.group_apart``;
    skewed inliers, an exponential feature among Gaussian ones at n = 2,500, p = 50: the
    start 0.155-0.167, the game 0.28-0.31). The game's own failure is heavy tails: its
    model is Gaussian, and on t₃ or Cauchy inliers the discriminator separates real from
    generated rows by their radius, which one-sided outliers turn into a pull on η (atlas
    cauchy: 0.53 against the start's 0.08); where the start's distances fit a multivariate t
    with ν < 4, the start is kept. But a tight cluster held beside the inliers makes the
    distances look heavy-tailed too (Q = N(1·1, I/4), ε = 0.3, p = 20: the start 1.54-1.58
    from θ). Its inliers then have two modes along the cluster: where the
    cluster's group is cleanly apart, it is set aside and the start computed again without it
    (``robustgan.clusters.split_tight_cluster``: 0.06-0.11, the oracle's 0.08); otherwise,
    where the projection on the start's departure from the game has two modes (Sarle's
    bimodality coefficient above 5/9) and the game is the nearer to the larger one, the game
    is taken. ``selected_`` says which was taken; both estimates are kept
    (``game_location_``, ``trimmed_location_``). With the default game on more than 1,000
    rows (see ``n_iter_``), the choice reads the game's estimate after its first 100 steps,
    and the rest of the game is played only where that takes the game, which is then taken if
    its whole estimate is taken too: where the start is, a fit costs the start and those 100
    steps. On n ≤ k + 2 rows (k features that vary) no start is computed, as MCD's subset
    would be every row, and the game is the estimate. For heavy-tailed data with close
    outliers ``RobustGANScatter(model="elliptical")`` plays a game whose model has the right
    tails. On data of 10⁶ values or more, fitted from the main thread of a machine with a
    spare CPU (by the load average), the start is computed on a background thread while the
    game plays (one BLAS thread; the same estimate as in line, 1.37 times sooner at
    n = 50,000, p = 100 on two cores, before the 100-step referee).

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
    come from a seed derived from the first's. A TV fit costs a JS fit and about as much again;
    ``robustgan.fit_many`` plays each stage of many fits as one batched game.

    When to use TV: to reproduce or study Gao et al.'s TV-GAN. For an estimate, JS is as
    accurate or more on every design measured, at half the cost (games alone, n = 50,000,
    p = 100, 5 seeds: far 0.054 against TV's 0.056, close 0.082 against 0.116;
    ``benchmarks/results/tv_study.md``); with ``scale="auto"`` both are refereed against the
    same robust start.

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
        Generator steps. ``"auto"``: 4 passes over the data, clipped to [300, 3000] (to
        [50, 3000] with ``scale="auto"`` on up to 1,000 rows, where the robust start is the
        estimate and the game its referee); for TV, 300 steps from the JS-GAN start (whatever
        n).
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
    l1_penalty : float in [0, 1e6], default=0.0
        λ·Σ|W| on the discriminator's weight matrices (the ℓ₁ bound of the paper's theory).
    l2_penalty : float in [0, 1e6] or "auto", default="auto"
        λ·ΣW² on the discriminator's weight matrices. ``"auto"``: 0.
    max_grad_norm : float or None, default=1.0
        Clip the discriminator's gradient norm at every step. Far outliers (5·1_p at p=200 is
        70 units away) otherwise give the unbounded leaky-ReLU features gradients that blew the
        discriminator up in our study (NaN at p=200, n=10,000, ε=0.2); None disables it.
    scale : "auto", "diagonal", "mad", float or array of shape (n_features,), default="auto"
        Per-feature inlier standard deviation s of the game's model N(η, diag(s²)), and
        whether the robust start may replace the game's estimate.

        - ``"auto"``: s is the reweighted scale of ``robustgan.univariate.
          reweighted_location_scale`` (the MAD, then steps that keep the values within 2.24
          scales of the centre), which far outliers do not inflate (Q = N(5·1, I), ε = 0.2:
          1.04 where the MAD gives 1.39); and the robust start (``robustgan.multivariate.
          trimmed_scatter``, a full scatter) is computed beside the game. ``location_`` is the
          start's unless the start shows the mark of a close cluster inside its subset, or
          the game's model is wrong for heavy tails (see "Choosing between the game and the
          start" above and ``selected_``).
        - ``"diagonal"``: the same s, the game's estimate always.
        - ``"mad"``: s = 1.4826·MAD, the game's estimate always.
        - A number or an array: a known scale (the papers' design is ``scale=1``), the game's
          estimate always. One 4 times the data's MAD or more, or 4 times less, is named in a
          warning (a wrong unit): the model then misfits every row.

        A feature whose training values are all equal has scale 0 and its location is that
        value.

        Equivariance: with an estimated scale, ``fit(a·X·D + b)`` gives
        ``a·location_·D + b`` for a scalar a > 0, a positive diagonal D and any shift b, to
        rounding, and the same ``predict`` labels. With ``"auto"``, where the start is kept
        (correlated or heavy-tailed inliers, far outliers), the estimate is the start's,
        which follows any affine map x ↦ Ax + b up to its random directions; the game's
        model N(η, diag(s²)) is not rotation-equivariant, and is used only where the start
        has absorbed a cluster.
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
    device : "auto", "cpu", "cuda", "cuda:N" or torch.device, default="auto"
        Where the game is played: ``"auto"`` is CUDA where there is a GPU. A device this
        machine does not have, or of another type than CPU and CUDA, is refused.
    random_state : int, RandomState instance or None, default=None
        Seeds the discriminator's initialisation and every draw of training.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
        The robust location estimate η̂.
    scatter_ : ndarray of shape (n_features, n_features)
        The inliers' scatter of the selected model, whose Mahalanobis distances ``predict``,
        ``decision_function`` and ``score_samples`` use: diag(s²) for the game, the start's
        full scatter when ``selected_`` is ``"trimmed"``.
    inlier_factor_ : ndarray of shape (n_features, n_features)
        Its lower-triangular Cholesky factor, with zero rows and columns for constant
        features.
    scale_ : ndarray of shape (n_features,)
        The per-feature inlier standard deviations s of the game.
    initial_location_ : ndarray of shape (n_features,)
        The coordinatewise median, the centre of the data the game trains on.
    game_location_ : ndarray of shape (n_features,)
        The game's estimate (the average of the generator's last iterates). Where the robust
        start was taken after the game's first 100 steps (see ``n_iter_``), the estimate of
        those steps.
    trimmed_location_, trimmed_scatter_ : ndarray or None
        With ``scale="auto"``: the robust start's location and scatter, else None.
    tail_df_ : float or None
        With ``scale="auto"``: ν of the multivariate t fitted to the closest half of the
        start's squared distances (``robustgan.multivariate.radial_tail_df``; inf for a
        Gaussian fit), else None.
    cluster_direction_ : ndarray of shape (n_features,) or None
        With ``scale="auto"``: the direction along which the robust start was corrected for a
        cluster of outliers it held (``robustgan.clusters.correct_absorbed_cluster``), None
        where it held none.
    selected_ : {"game", "trimmed"}
        Which estimate ``location_`` is (see "Choosing between the game and the start").
    start_location_ : ndarray of shape (n_features,)
        Where η started in the game of ``divergence``: ``initial_location_``, or with
        ``start="js"`` the JS-GAN estimate.
    offset_ : float
        Threshold of ``decision_function``.
    history_ : robustgan.engine.History
        Discriminator and generator losses per generator step (of the last stage).
    n_iter_ : int
        Generator steps run (in the last stage). With ``scale="auto"``, 100 where the robust
        start is taken after the first part of a game played in two parts (SGD at a constant
        rate from the median, at least 200 steps, and its averaged iterates all after step
        100: the defaults on more than 1,000 rows); the rest of the game is not needed.
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

    _parameter_constraints = refusing_bools({
        "divergence": [str, Divergence],
        "hidden_sizes": ["array-like"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "spectral_norm": ["boolean"],
        "n_directions": [Interval(Integral, 0, None, closed="left")],
        "n_steps": [Interval(Integral, 1, MAX_STEPS, closed="both"), StrOptions({"auto"})],
        "n_critic": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions({"sgd", "adam", "rmsprop"})],
        "lr_d": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "lr_g": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "lr_schedule": [StrOptions({"constant", "linear", "cosine"})],
        "average": [Interval(Real, 0, 1, closed="right")],
        "l1_penalty": [Interval(Real, 0, MAX_PENALTY, closed="both")],
        "l2_penalty": [Interval(Real, 0, MAX_PENALTY, closed="both"), StrOptions({"auto"})],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "scale": [Interval(Real, 0, None, closed="neither"), "array-like",
                  StrOptions({"auto", "diagonal", "mad"})],
        "start": [StrOptions({"auto", "median", "js"})],
        "contamination": CONTAMINATION_CONSTRAINT,
        "device": [UsableDevice()],
        "random_state": ["random_state"],
        "verbose": ["boolean"],
    })

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
            Training data, possibly contaminated; at least 2 rows. A ``numpy.memmap``, an
            h5py/zarr-like or a Dask array is not read whole: the fit uses a seeded random
            subsample of ``robustgan.estimators.game_setup.OUT_OF_CORE_ROWS`` (50,000) rows,
            read chunk by chunk (``robustgan.sources``); the same seed gives the same fit
            whatever the storage.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : RobustGANMean

        See Also
        --------
        robustgan.fit_many : many fits (replicates, seeds, data sets) as one batched game.
        """
        return fit_adversarial(self, rows_in_memory(X, self.random_state))

    def _adversarial_games(self, X, out=None):
        """The fitting protocol (``robustgan.estimators._base``): validate and preprocess X,
        yield the game (with ``start="js"`` first the JS-GAN game, then the game of
        ``divergence`` from its estimate and its trained discriminator), store the fit.

        Sets the fitted attributes known before the games (``scale_``, ``initial_location_``,
        ``n_features_in_``) first. ``out``: see ``as_training_tensor``.
        """
        # Refused divergences are refused before any work (start="js" plays a whole game).
        divergence = check_robust_divergence(get_divergence(self.divergence))
        init_seed, train_seed = check_random_state(self.random_state).randint(2**31 - 1, size=2)
        hidden_sizes = check_hidden_sizes(self.hidden_sizes)
        X = check_training_data(self, X)
        auto = isinstance(self.scale, str) and self.scale == "auto"
        if auto:
            check_scatter_representable(X)  # the robust start is a full scatter
        self.scale_ = self._check_scale(X)
        median = self.__dict__.pop("_median", None)
        if auto:
            # Their reweighted scale is about 0 ("mad" falls back to the standard deviation).
            warn_tied_columns(X, median)
        self.initial_location_ = np.median(X, axis=0) if median is None else median
        # Computed beside the games (on a second core, where there is one): they do not
        # need it, only the choice between their estimate and it does.
        robust_start = self._robust_start(X, int(init_seed))
        try:
            yield from self._games(X, divergence, hidden_sizes, int(init_seed),
                                   int(train_seed), robust_start, out)
        except BaseException:
            # A failed or abandoned game (fit_adversarial closes the games on an error): no
            # start is left computing after the fit has ended.
            if robust_start is not None:
                _wait_quietly(robust_start)
            raise
        finally:
            start_distances = self.__dict__.pop("_start_distances", None)
        self._set_model()
        # The uncorrected start taken is the model: its rows' distances were computed beside
        # the game, and a second pass cost 28 ms at 50,000 × 100 on the fit's critical path.
        self._set_offset(X, start_distances if self.selected_ == "trimmed" else None)

    def _games(self, X, divergence, hidden_sizes, init_seed, train_seed, robust_start, out):
        """The games of ``_adversarial_games`` (with ``start="js"`` the JS-GAN game first):
        yields each problem, stores the game's estimate (``_adopt_game``) and the choice
        between it and the robust start (``_referee``). ``robust_start``: the start being
        computed beside the games, or None.

        With the default game (SGD at a constant rate, from the median) and a robust start,
        the game is played in two parts: its first ``_REFEREE_STEPS`` steps, whose estimate
        is what ``_select`` compares with the start, and the rest, only where that takes the
        game; the game is then taken if its whole estimate is taken too. While the start is
        still computing, the rest is played meanwhile and stopped once the start is there and
        taken; the fit does not depend on when that happens.
        """
        refereed = robust_start is not None
        # Centring at the median makes the fit translation-equivariant to rounding error and
        # keeps float32 accurate for data far from the origin.
        Z = X - self.initial_location_
        Z /= np.where(self.scale_ > 0, self.scale_, 1.0)  # in place: one copy of the data
        device = resolve_device(self.device)
        real = as_training_tensor(Z, device, out, order=canonical_row_order(Z))
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
            step_bounds=self._step_bounds(len(Z), refereed),
        )
        start = schedule.pop("start")
        generator = LocationGenerator(torch.zeros(Z.shape[1], device=device))
        discriminator = self._init_discriminator(real, hidden_sizes, device, init_seed)
        del Z  # the games train on ``real``; this frame waits through them (fit_many: all)
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
        if start == "js":
            js_fit = yield self._js_start(real, generator, discriminator, options,
                                          train_seed, refereed)
            # From the JS-GAN estimate, with the discriminator its game trained (in place).
            generator = LocationGenerator(
                js_fit.averaged_parameters["location"].detach().clone())
            # The second game's draws: a seed derived from the first's, never equal to it.
            train_seed = int(np.random.RandomState(train_seed).randint(2**31 - 1))
        eta = generator.location.detach().double().cpu().numpy()
        self.start_location_ = self.initial_location_ + self.scale_ * eta
        game = AdversarialProblem(real, generator, discriminator, divergence, options, train_seed)
        if not (refereed and start == "median" and _refereed_in_two_parts(options)):
            fit = yield game
            self._adopt_game(fit)
            if refereed:
                self._referee(X, robust_start)
            else:
                self.selected_ = "game"
            return
        referee = yield replace(game, options={**options, "n_steps": _REFEREE_STEPS})
        self._adopt_game(referee)
        rest = replace(game, options=_rest_of_game(options),
                       random_state=int(np.random.RandomState(train_seed).randint(2**31 - 1)))
        if robust_start.done():
            self._referee(X, robust_start)
            if self.selected_ == "trimmed":
                return
            fit = yield rest
        else:
            fit = yield from self._rest_beside_start(X, rest, robust_start)
            if fit is None:
                return
        self._adopt_game(fit, referee)
        # Taken only if the whole game shows the mark too: on data that are not elliptical the
        # start's inliers can be skewed along most directions, and the departure from the game
        # turns as the game moves (statsmodels' fair, 6,366 × 9: z = 6.2, 6.9, 2.0 and -6.9
        # after 100, 200, 300 and 600 steps).
        self._select(X)

    def _rest_beside_start(self, X, rest, robust_start):
        """Play the ``rest`` of the game while the robust start is computed on another thread:
        its fit, or None where the start is taken (the rest is then stopped and dropped, and
        so is its failure: a game not needed has not failed the fit)."""
        decided = False

        def start_taken(step, generator, discriminator):
            nonlocal decided
            # This game is needed only where the start is not taken: the start's parts that
            # it offers are run first (``help_beside``).
            help_beside()
            if not decided and robust_start.done():
                self._referee(X, robust_start)
                decided = True
            return decided and self.selected_ == "trimmed"

        try:
            fit = yield replace(rest, options={**rest.options, "callbacks": (start_taken,)})
        except FloatingPointError:
            if not decided:
                self._referee(X, robust_start)
            if self.selected_ == "trimmed":
                return None
            raise
        if not decided:
            self._referee(X, robust_start)
        return None if self.selected_ == "trimmed" else fit

    def _js_start(self, real, generator, discriminator, options, seed, refereed):
        """The JS-GAN game with these parameters (its "auto" values) from the median: with the
        same seed, ``RobustGANMean("js")``'s game. Solving it trains ``discriminator``."""
        js = get_divergence("js")
        schedule = resolve_auto(js, real.shape[0], self.batch_size, self.optimizer,
                                n_steps=self.n_steps, n_critic=self.n_critic, lr_d=self.lr_d,
                                lr_g=self.lr_g, l2_penalty=self.l2_penalty,
                                step_bounds=self._step_bounds(real.shape[0], refereed))
        return AdversarialProblem(real, generator, discriminator, js, {**options, **schedule},
                                  seed)

    def _adopt_game(self, fit, referee=None):
        """Store the game's estimate, ``history_`` and ``n_iter_`` from its solved ``fit``;
        ``referee``: the game's first part, where ``fit`` is its rest."""
        eta = fit.averaged_parameters["location"].double().cpu().numpy()
        # A constant feature (scale 0) keeps its value: s·η is 0 there.
        self.game_location_ = self.initial_location_ + self.scale_ * eta
        self.history_ = fit.history if referee is None else _joined(referee.history, fit.history)
        self.n_iter_ = fit.n_iter if referee is None else referee.n_iter + fit.n_iter

    def _referee(self, X, robust_start):
        """Store the robust start and choose between it and the game's estimate so far."""
        self._adopt_start(X, robust_start.result())
        self._select(X)

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

    def _step_bounds(self, n_samples, refereed):
        """Bounds of the "auto" step count: lower on small data where the start is the estimate
        (``refereed``: there is a robust start for the game to referee)."""
        return _SMALL_DATA_STEPS if refereed and n_samples <= _SMALL_DATA_ROWS else _AUTO_STEPS

    def _robust_start(self, X, seed):
        """With ``scale="auto"``: the robust start (``trimmed_scatter``, MinCovDet's coverage
        h = (n + p + 1)/2) on the varying features, corrected for a cluster it holds
        (``correct_absorbed_cluster``), as work run ``beside`` the games (its ``result()``
        is for ``_adopt_start``); None where there is no start."""
        self.trimmed_location_ = self.trimmed_scatter_ = self.tail_df_ = None
        self.cluster_direction_ = None
        location_scale = self.__dict__.pop("_location_scale", None)
        varying = self.scale_ > 0
        n, k = len(X), int(varying.sum())
        # On n ≤ k + 2 rows MCD's subset of (n + k + 1)/2 rows, at least k + 1 of them, is
        # every row: the start would be the sample mean, which one gross outlier moves
        # anywhere. The game, whose model has k scales and no correlations, is the estimate.
        auto = isinstance(self.scale, str) and self.scale == "auto"
        if not auto or k == 0 or n <= k + 2:
            return None
        centre, scale = location_scale
        return beside(_corrected_start, _varying_columns(X, varying), (n + k + 1) / (2 * n),
                      seed, (centre[varying], scale[varying]), work=n * k)

    def _adopt_start(self, X, start):
        """Store the robust start ``_corrected_start`` computed. ``_select`` reads the tail of
        its distances."""
        location, scatter, direction, distances = start
        varying = self.scale_ > 0
        # _select reads the start's distances again: those of an uncorrected start are these.
        self._start_distances = distances if direction is None else None
        if direction is not None:
            self.cluster_direction_ = np.zeros(X.shape[1])
            self.cluster_direction_[varying] = direction
        warn_exact_fit(X, location, scatter,
                       columns=None if varying.all() else np.flatnonzero(varying))
        self.trimmed_location_ = self.initial_location_.copy()
        self.trimmed_location_[varying] = location
        self.trimmed_scatter_ = np.zeros((X.shape[1], X.shape[1]))
        self.trimmed_scatter_[np.ix_(varying, varying)] = scatter

    def _select(self, X):
        """``selected_``: whether ``location_`` is the game's estimate or the robust start's.

        The start (an MCD-type estimate) is the more efficient where it is right. It is wrong
        in one recognisable way, and the game in another (both found on the accuracy atlas,
        benchmarks/bench_atlas.py):

        - a cluster of outliers too close to trim sits inside the start's subset and pulls its
          location. Where ``_robust_start`` found and took it out (``cluster_direction_``)
          the corrected start is the estimate. Otherwise, along the direction of that pull
          (the departure from the game's estimate), the rows form a bulk and a tight group
          with the game nearer the bulk, or the start's inliers are skewed towards it
          (``_start_absorbed_a_cluster``), and the game, whose model N(η, diag(s²)) cannot
          absorb a cluster, is the estimate;
        - heavy tails (``tail_df_`` < 4) make the game's Gaussian model wrong and the start
          right (atlas t3 and cauchy: 0.078 and 0.083 against the game's 0.085 and 0.529),
          unless the skewness test's projection has two modes (a tight cluster inside the
          start, whose distances then look heavy-tailed).
        """
        self.selected_ = "game"
        if self.trimmed_location_ is not None:
            varying = self.scale_ > 0
            distances = self.__dict__.get("_start_distances")
            if distances is None:
                distances = squared_mahalanobis(_varying_columns(X, varying),
                                                self.trimmed_location_[varying],
                                                self.trimmed_scatter_[np.ix_(varying, varying)])
            self.tail_df_ = radial_tail_df(distances, int(varying.sum()))
            # A start corrected for the cluster it held is taken: the cluster is still in the
            # data, so its inliers stay skewed, and the game is pulled by it (atlas close05:
            # the corrected start 0.11-0.17, the game 0.34).
            corrected = self.cluster_direction_ is not None
            if corrected or not self._start_absorbed_a_cluster(X, distances):
                self.selected_ = "trimmed"

    def _set_model(self):
        """``location_`` and the model ``predict`` uses, of the estimate ``selected_``."""
        varying = self.scale_ > 0
        p = len(self.scale_)
        self.scatter_ = np.diag(self.scale_**2)
        self.inlier_factor_ = np.diag(self.scale_)
        if self.selected_ == "trimmed":
            self.location_ = self.trimmed_location_
            self.scatter_ = self.trimmed_scatter_
            self.inlier_factor_ = np.zeros((p, p))
            self.inlier_factor_[np.ix_(varying, varying)] = np.linalg.cholesky(
                self.trimmed_scatter_[np.ix_(varying, varying)])
        else:
            self.location_ = self.game_location_

    def _start_absorbed_a_cluster(self, X, distances):
        """Whether the game's estimate is to be taken: the start holds a cluster along its
        departure from the game's estimate.

        Under (m, S), the start's location and scatter, the rows are projected on S⁻¹(m − η),
        the direction that best separates the two estimates. Where every row's projection is
        a bulk and a tight group (``tight_group_centre``), the game is taken if it is the
        nearer to the bulk's centre, and the start otherwise: a tight cluster close to the
        inliers is taken by the start with the inliers beside it, and the game, whose model
        cannot absorb it, is pulled less (on 150 designs of such clusters, n 2,000-10,000,
        p 5-50, this changed 30 choices, each to the better estimate; benchmarks/RESULTS.md).
        Otherwise the rows inside the start's 0.975 ellipsoid are read: symmetric inliers
        give a sample skewness of about N(0, 6/h) on h rows; a cluster held inside the
        ellipsoid skews it towards the side the start moved to. The game is taken when that
        z-score is at least ``_SKEW_Z`` and the skewed rows hold a group apart
        (``group_apart``: a skewed feature's long side does not); where the start's
        distances look heavy-tailed (``tail_df_`` < 4), when that projection has two modes
        (``BIMODAL_COEFFICIENT``) and the game is the nearer to the larger one. Discrete
        features (``discrete_features``) are set aside, and the start is kept where their
        levels make the projection's group (``group_of_discrete_levels``): a dummy's levels
        read as a bulk and a tight group, and a group indicator that the continuous features
        follow skews them.
        """
        varying = self.scale_ > 0
        k = int(varying.sum())
        rows = _varying_columns(X, varying)
        location = self.trimmed_location_[varying]
        scatter = self.trimmed_scatter_[np.ix_(varying, varying)]
        game_location = self.game_location_[varying]
        # A 0/1 feature's levels are a bulk and a group beside it, and they skew every
        # direction the feature enters: the model of the continuous features is read (a dummy
        # among 49 Gaussian features, clean: the start 0.14-0.16 from the truth, the game
        # 0.45-0.91, and the game was taken on the dummy's levels).
        discrete = discrete_features(rows)
        levels = rows[:, discrete]
        if discrete.any() and not discrete.all():
            rows, location, game_location = (
                rows[:, ~discrete], location[~discrete], game_location[~discrete])
            scatter = scatter[np.ix_(~discrete, ~discrete)]
        direction = np.linalg.solve(scatter, location - game_location)
        # Every row along it, and the game, the start at 0.
        along = (rows - location) @ direction
        game = float((game_location - location) @ direction)
        # The continuous features can depend on a dummy (they move where it is 1): its levels
        # then make a group along the departure, the data's structure, not a cluster (clean,
        # such a group 3.5 SD away at p = 50: the start 0.14-0.16 from the truth, the game
        # 0.45-0.48).
        if discrete.any() and group_of_discrete_levels(along, levels):
            return False
        spread = math.sqrt(max(float(direction @ scatter @ direction), 0.0))
        if spread > 0:
            # In units of the start's spread there: where a tight group sits beside a bulk,
            # the inliers are the bulk, and the nearer estimate to its centre is taken.
            bulk = tight_group_centre(along / spread,
                                      math.sqrt(stats.chi2.ppf(AUTO_INLIER_QUANTILE, k)))
            if bulk is not None:
                return abs(bulk - game / spread) < abs(bulk)
        inside = distances <= stats.chi2.ppf(AUTO_INLIER_QUANTILE, k)
        projected = along[inside]
        if inside.sum() < 3 or not np.ptp(projected) > 0:
            return False
        # About the median: along a start that took one level of a 0/1 feature (its variance
        # at the floor, 1e-32) the projections sit near 5e15 and differ by 1, and their moments
        # about the mean lose every digit (scipy warns of catastrophic cancellation).
        skewness = stats.skew(projected - np.median(projected))
        if self.tail_df_ < HEAVY_TAIL_DF:
            if inside.sum() < _BIMODAL_MIN_ROWS:
                return False
            shape = bimodality_coefficient(skewness, stats.kurtosis(projected))
            if shape <= BIMODAL_COEFFICIENT:
                return False
            # Which mode is the inliers': they are most of the rows (ε < 1/2), so the median
            # of every row's projection lies in theirs. A game drawn to the cluster instead
            # (Cauchy inliers) is farther from it than the start, which sits between the two.
            centre = np.median(along)
            return abs(centre - game) < abs(centre)
        if skewness * math.sqrt(inside.sum() / 6.0) < _SKEW_Z:
            return False
        # A skewed feature's long side skews the projection too, and the game, pulled towards
        # the bulk's mode, is the worse estimate there: the skewed rows must hold a group apart
        # (``group_apart``). On the held-out designs drawn at n = 200-2,500 and the atlas,
        # every game this test took without it was on skewed inliers (an exponential or
        # lognormal feature; Ashman's D 1.3-2.45) and farther from the truth than the start
        # (exp1-clean, n = 2,500, p = 50: 0.28-0.31 against 0.155-0.167).
        return group_apart(projected - np.median(projected), skewness)

    def _check_scale(self, X):
        if isinstance(self.scale, str):
            if self.scale == "mad":
                return robust_scale(X)
            # Kept for the robust start, which standardises by the same pass, and the median
            # for initial_location_.
            self._median, *self._location_scale = reweighted_location_scale(
                X, return_median=True)
            return self._location_scale[1]
        try:
            scale = np.asarray(self.scale, dtype=np.float64)
        except (TypeError, ValueError):
            # scikit-learn's "array-like" lets any sized object through (a dict, a string list).
            raise ValueError(f"scale must be a number or one per feature ({X.shape[1]}), got "
                             f"{self.scale!r}") from None
        if scale.ndim > 1 or scale.size not in (1, X.shape[1]):
            raise ValueError(f"scale must be a number or one per feature ({X.shape[1]}), got "
                             f"{scale.size} values of shape {scale.shape}")
        scale = np.broadcast_to(scale, (X.shape[1],)).copy()
        if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError(f"scale must be positive and finite, got {self.scale!r}")
        _warn_if_scale_misfits(X, scale)
        return scale

    def _squared_distances(self, X):
        varying = np.diag(self.inlier_factor_) > 0
        d2 = squared_mahalanobis_from_factor(_varying_columns(X, varying),
                                             self.location_[varying],
                                             self.inlier_factor_[np.ix_(varying, varying)])
        if varying.all():
            return d2
        # A feature that was constant in training: any other value is infinitely far.
        off_constant = np.any(X[:, ~varying] != self.location_[~varying], axis=1)
        return np.where(off_constant, np.inf, d2)

    def _model_dimension(self, n_features):
        return int(np.count_nonzero(np.diag(self.inlier_factor_) > 0))

    def _log_det_scatter(self):
        # The density of the model on the features that vary.
        diagonal = np.diag(self.inlier_factor_)
        return 2.0 * np.sum(np.log(diagonal[diagonal > 0]))


def _refereed_in_two_parts(options):
    """Whether a game of these options can be played as its first ``_REFEREE_STEPS`` steps and
    then the rest: the same game in law (the rest draws from a seed of its own) where the
    players carry no state but their parameters (SGD at a constant rate) and its averaged
    iterates all lie in the rest."""
    return (options["d_optimizer"] == options["g_optimizer"] == "sgd"
            and options["lr_schedule"] == "constant"
            and first_averaged_step(options["n_steps"], options["average"]) >= _REFEREE_STEPS)


def _rest_of_game(options):
    """The options of the game's steps after its first ``_REFEREE_STEPS``: the same iterates
    averaged (those from the whole game's ``round(n_steps·(1 − average))``)."""
    n_steps = options["n_steps"]
    first_averaged = first_averaged_step(n_steps, options["average"])
    rest = n_steps - _REFEREE_STEPS
    return {**options, "n_steps": rest, "average": (n_steps - first_averaged) / rest,
            "check_every": _REST_CHECK_EVERY}


def _joined(first, second):
    """The ``History`` of a game played in two parts."""
    return History(d_loss=np.concatenate([first.d_loss, second.d_loss]),
                   g_loss=np.concatenate([first.g_loss, second.g_loss]),
                   d_penalty=np.concatenate([first.d_penalty, second.d_penalty]))


def _corrected_start(rows, support_fraction, seed, location_scale):
    """``trimmed_scatter`` of ``rows``, corrected for a cluster it holds: (location, scatter,
    the cluster's direction or None, the uncorrected start's squared distances). Reads its
    arguments only, so that it can run beside the games."""
    location, scatter, subset = trimmed_scatter(rows, support_fraction, random_state=seed,
                                                location_scale=location_scale)
    distances = squared_mahalanobis(rows, location, scatter)
    location, scatter, direction = correct_absorbed_cluster(
        rows, location, scatter, distances, support_fraction=support_fraction, random_state=seed,
        subset=subset)
    return location, scatter, direction, distances


def _wait_quietly(pending):
    """Wait for work run ``beside`` a game that has failed: the game's error is the one to
    report."""
    try:
        pending.result()
    except Exception:  # noqa: BLE001, S110 - the caller re-raises the game's error
        pass


def _warn_if_scale_misfits(X, scale):
    """Warn where a known ``scale`` is ``_SCALE_MISFIT`` times the data's robust scale or more,
    or as many times less (a wrong unit), naming the feature that misfits most."""
    sample = X[::max(1, len(X) // _SCALE_CHECK_ROWS)]
    data_scale = robust_scale(sample)
    varying = np.ptp(sample, axis=0) > 0
    if not varying.any():
        return
    ratio = np.where(varying, scale / data_scale, 1.0)
    worst = int(np.argmax(np.abs(np.log(ratio))))
    if max(ratio[worst], 1.0 / ratio[worst]) >= _SCALE_MISFIT:
        warn_at_user(
            f"scale={scale[worst]:.3g} for feature {worst}, where the data's robust scale (the "
            f"MAD) is {data_scale[worst]:.3g}: {ratio[worst]:.3g} times it. The game's model "
            "N(η, diag(scale²)) cannot fit the data at this scale and its estimate is not "
            "reliable; give the scale in the data's units, or scale='auto' to estimate it",
            UserWarning)


def _varying_columns(X, varying):
    """X's columns where ``varying``: X itself where every feature varies (no copy of the
    data, which a boolean index makes: 40 MB and about 20 ms at 50,000 × 100)."""
    return X if varying.all() else X[:, varying]
