"""Classic robust location estimators.

Each estimator is a thin class over a module-level function that takes arrays and returns
arrays: ``numpy.median``, ``scipy.stats.trim_mean``, :func:`geometric_median`,
:func:`robustgan.baselines.depth.tukey_median`, :func:`filtered_mean` and
:func:`dimension_halving_mean`. The location-only ones score points by the Euclidean distance
to ``location_`` in units of each feature's MAD (``_FeatureScaleDistances``); ``IterativeFilter``
(under the Σ it is given) and the scatter estimators of :mod:`robustgan.baselines.scatter` by
the Mahalanobis distance under their ``covariance_`` (``ScatterDistances``).
"""

import math
from numbers import Integral, Real

import numpy as np
from scipy import linalg, special, stats
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import (
    check_fitted_data,
    check_generator,
    check_training_data,
    refusing_bools,
    warn_at_user,
)
from ..outliers import CONTAMINATION_CONSTRAINT, RobustLocationMixin
from ..univariate import robust_scale
from .depth import halfspace_depth, tukey_median

__all__ = [
    "CoordinatewiseMedian",
    "DimensionHalving",
    "GeometricMedian",
    "IterativeFilter",
    "TrimmedMean",
    "TukeyMedian",
    "dimension_halving_mean",
    "filtered_mean",
    "geometric_median",
    "shortest_interval_mean",
]


class _FeatureScaleDistances:
    """Squared distances to ``location_`` in units of each feature's robust scale
    (``feature_scale_``: the MAD, ``robustgan.univariate.robust_scale``): Mahalanobis under
    the diagonal scatter diag(feature_scale_²).

    The location-only estimators estimate no scatter; under the identity their labels
    depended on the data's units (wine: 99% of the rows flagged, and all of them at ×10⁶).
    """

    def _set_feature_scale(self, X, median=None):
        """``median``: X's coordinatewise median, where the estimator has it."""
        self.feature_scale_ = robust_scale(X, center=median)

    def _squared_distances(self, X):
        return _squared_norms(X, self.location_, self.feature_scale_)

    def _log_det_scatter(self):
        return 2.0 * float(np.sum(np.log(self.feature_scale_)))


def _centred_rows(X, location, scale=1.0):
    """(X − location)/scale with each row divided by its largest magnitude, and those
    magnitudes.

    A row at the location has magnitude 1; a row whose difference overflows float64 (1.7e308
    against a location at −1e308) has magnitude inf and the zero row.
    """
    with np.errstate(over="ignore"):
        Z = (X - location) / scale
    unit = np.max(np.abs(Z), axis=1, initial=0.0)
    finite = np.isfinite(unit)
    unit = np.where(unit > 0, unit, 1.0)
    Z = np.where(finite[:, None], Z, 0.0) / np.where(finite, unit, 1.0)[:, None]
    return Z, unit


def _in_row_units(form, unit):
    """``form·unit²``: a quadratic form of rows divided by ``unit``, brought back to the rows'
    own units; +inf where that exceeds float64 or ``unit`` is infinite, 0 where the form is 0
    (a row at the location, or in the null space of a singular form), without overflow
    warnings."""
    form = np.maximum(form, 0.0)  # the rounding of a form of a positive semi-definite matrix
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.where(form > 0, form * np.square(unit), 0.0)
    return np.where(np.isinf(unit), np.inf, scaled)


def _squared_norms(X, location, scale):
    """‖(xᵢ − location)/scale‖² of each row, +inf where it exceeds float64, without overflow
    warnings: the squares are taken in units of each row's largest magnitude."""
    Z, unit = _centred_rows(X, location, scale)
    return _in_row_units(np.einsum("ij,ij->i", Z, Z), unit)


def _quadratic_form(X, location, A):
    """(xᵢ − location)ᵀ·A·(xᵢ − location) of each row for a positive semi-definite A, +inf
    where it exceeds float64.

    In units of each row's largest magnitude: taken as it stands, the form of a row at 1e155
    summed terms of ±1e310, inf − inf, and the distance was NaN.
    """
    Z, unit = _centred_rows(X, location)
    return _in_row_units(np.einsum("ij,jk,ik->i", Z, A, Z), unit)


class CoordinatewiseMedian(_FeatureScaleDistances, RobustLocationMixin, BaseEstimator):
    """The median of each feature: breakdown point 1/2, but error of order √p·ε in p dimensions.

    Under Huber's contamination the bias of each coordinate is of order ε, so the Euclidean error
    grows like √p·ε (about 3.2 at p=100, ε=0.2 with outliers at N(5·1_p, I_p)), against ε for the
    minimax-optimal estimators such as ``RobustGANMean``.

    Parameters
    ----------
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict`` (see ``RobustLocationMixin``), on distances in units of the
        features' robust scales ``feature_scale_``: the default labels the tenth of the
        training rows farthest from ``location_``, as ``EllipticEnvelope``'s.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    feature_scale_ : ndarray of shape (n_features,)
        Each feature's robust scale (``robust_scale``: the MAD, or the standard deviation
        where the MAD is 0, 1 for a constant feature), the units of ``mahalanobis``.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    RobustGANMean : minimax-optimal robust location.

    References
    ----------
    .. [1] M. Chen, C. Gao, Z. Ren. "Robust covariance and scatter matrix estimation under
       Huber's contamination model." Annals of Statistics 46(5), 2018 (the √p·ε lower bound of
       the coordinatewise median, Section 1).

    Examples
    --------
    >>> CoordinatewiseMedian().fit([[0.0, 1.0], [1.0, 3.0], [5.0, 2.0]]).location_
    array([1., 2.])
    """

    _parameter_constraints = refusing_bools({"contamination": CONTAMINATION_CONSTRAINT})

    def __init__(self, *, contamination=0.1):
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the coordinatewise median of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : CoordinatewiseMedian
        """
        X = check_training_data(self, X)
        self.location_ = np.median(X, axis=0)
        self._set_feature_scale(X, median=self.location_)
        self._set_offset(X)
        return self


class ScatterDistances:
    """Squared Mahalanobis distances under ``covariance_`` (through ``precision_``), for the
    estimators that carry a scatter matrix."""

    def _squared_distances(self, X):
        return _quadratic_form(X, self.location_, self.precision_)

    def _log_det_scatter(self):
        return np.linalg.slogdet(self.covariance_)[1]


# ---------------------------------------------------------------------------------------------
# Trimmed mean
# ---------------------------------------------------------------------------------------------


class TrimmedMean(_FeatureScaleDistances, RobustLocationMixin, BaseEstimator):
    """The coordinatewise trimmed mean: in each feature, the mean of the values left after
    cutting a fraction ``proportiontocut`` from each end.

    Its breakdown point is ``proportiontocut``; like the coordinatewise median it works one
    coordinate at a time, so its error under ε-contamination grows like √p·ε.

    Parameters
    ----------
    proportiontocut : float in [0, 0.5), default=0.1
        Fraction cut from each end of each feature, as in ``scipy.stats.trim_mean`` (which
        computes it: it cuts ⌊proportiontocut·n⌋ values from each end).
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict`` (see ``RobustLocationMixin``), on distances in units of the
        features' robust scales ``feature_scale_``: the default labels the tenth of the
        training rows farthest from ``location_``, as ``EllipticEnvelope``'s.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    feature_scale_ : ndarray of shape (n_features,)
        Each feature's robust scale (``robust_scale``: the MAD, or the standard deviation
        where the MAD is 0, 1 for a constant feature), the units of ``mahalanobis``.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    CoordinatewiseMedian : the limit ``proportiontocut`` → 1/2.

    References
    ----------
    .. [1] P. J. Huber and E. M. Ronchetti, "Robust Statistics", 2nd ed., Wiley, 2009,
       Section 3.3 (the α-trimmed mean).

    Examples
    --------
    >>> X = [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [3.0, 4.0], [100.0, -50.0]]
    >>> TrimmedMean(proportiontocut=0.2).fit(X).location_
    array([2., 2.])
    """

    _parameter_constraints = refusing_bools({
        "proportiontocut": [Interval(Real, 0.0, 0.5, closed="left")],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(self, proportiontocut=0.1, *, contamination=0.1):
        self.proportiontocut = proportiontocut
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the coordinatewise trimmed mean of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : TrimmedMean
        """
        X = check_training_data(self, X)
        self.location_ = np.asarray(stats.trim_mean(X, self.proportiontocut, axis=0))
        self._set_feature_scale(X)
        self._set_offset(X)
        return self


# ---------------------------------------------------------------------------------------------
# Geometric (spatial) median
# ---------------------------------------------------------------------------------------------


def geometric_median(X, *, tol=1e-7, max_iter=500):
    """The geometric (spatial, L1) median argmin_y Σᵢ ‖Xᵢ − y‖, by the modified Weiszfeld
    algorithm of Vardi & Zhang (2000).

    Weiszfeld's step y ← T(y) = Σ wᵢXᵢ / Σ wᵢ with wᵢ = 1/‖Xᵢ − y‖ is undefined when y is a
    data point. Vardi & Zhang's step, with η(y) the number of data points equal to y and
    R(y) = Σ_{Xᵢ≠y} wᵢ(Xᵢ − y), r = ‖R(y)‖, is

        y ← (1 − min(1, η/r))·T(y) + min(1, η/r)·y,

    which stays at a data point exactly when it is the median (r ≤ η) and leaves it otherwise.
    The iteration starts at the coordinatewise median and stops when a step is shorter than
    ``tol`` times the mean distance of the data to the start (a translation- and
    scale-invariant unit). Cost O(np) per iteration.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    tol : float, default=1e-7
    max_iter : int, default=500

    Returns
    -------
    median : ndarray of shape (p,)
    n_iter : int
        Iterations run; equal to ``max_iter`` when it did not converge (a
        ``ConvergenceWarning`` is raised then).

    References
    ----------
    .. [1] E. Weiszfeld, "Sur le point pour lequel la somme des distances de n points donnés
       est minimum", Tôhoku Mathematical Journal 43, 355-386, 1937.
    .. [2] Y. Vardi and C.-H. Zhang, "The multivariate L1-median and associated data depth",
       PNAS 97(4), 1423-1426, 2000 (the modified iteration, their equation 2.6 and Theorem 1).

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]])
    >>> median, n_iter = geometric_median(X)
    >>> median
    array([0.5, 0.5])
    """
    y = np.median(X, axis=0)
    unit = np.mean(np.linalg.norm(X - y, axis=1))
    if unit == 0.0:
        return y, 0
    for n_iter in range(1, max_iter + 1):
        D = X - y
        r = np.linalg.norm(D, axis=1)
        # Points within round-off of y count as y itself (their weights would overflow).
        at_y = r <= 1e-12 * unit
        w = 1.0 / r[~at_y]
        T = w @ X[~at_y] / w.sum()
        eta = np.count_nonzero(at_y)
        if eta:
            R = np.linalg.norm(w @ D[~at_y])
            gamma = min(1.0, eta / R) if R > 0 else 1.0
            y_new = (1.0 - gamma) * T + gamma * y
        else:
            y_new = T
        step = np.linalg.norm(y_new - y)
        y = y_new
        if step <= tol * unit:
            return y, n_iter
    # Both numbers in the unit of the stopping rule, so that the message reads the same for
    # the same data whatever their units, and at the user's line: the estimators call this
    # function from their own fit, where a fixed stacklevel would point.
    warn_at_user(
        f"geometric_median did not converge in {max_iter} iterations: its last step was "
        f"{step / unit:.3g} times the mean distance of the data to the start (their "
        f"coordinatewise median), against tol={tol:.3g}; increase max_iter (the iteration "
        "is slow when the median lies close to a data point)",
        ConvergenceWarning,
    )
    return y, max_iter


# Largest magnitude whose square, summed over a million rows, stays finite in float64.
_SQUARABLE = 1e150


def _at_unit_scale(estimate, X):
    """``estimate(X)`` (a tuple whose first item is a location) computed on X centred at its
    coordinatewise median and divided by a power of two near its largest deviation, then mapped
    back.

    For estimates equivariant under shifts and scalar rescaling this is the same answer (a
    power of two divides exactly), but the squared distances inside no longer overflow for data
    at 1e160 or underflow at 1e-160: the geometric median returned NaN at the first and its
    start, the coordinatewise median, at the second.
    """
    centre = np.median(X, axis=0)
    deviation = np.max(np.abs(X - centre))
    if not 0 < deviation < np.inf:
        return estimate(X)
    scale = 2.0 ** np.round(np.log2(deviation))
    location, *rest = estimate((X - centre) / scale)
    return (centre + scale * location, *rest)


class GeometricMedian(_FeatureScaleDistances, RobustLocationMixin, BaseEstimator):
    """The geometric (spatial, L1) median: the point that minimises the sum of the Euclidean
    distances to the data.

    Breakdown point 1/2 and orthogonally (not affinely) equivariant; under ε-contamination
    its error does not grow like √p·ε as the coordinatewise median's, but it is not
    minimax-optimal either. Computed by the modified Weiszfeld algorithm of Vardi & Zhang
    (2000), see :func:`geometric_median`.

    Parameters
    ----------
    tol : float, default=1e-7
        Stop when a step is shorter than ``tol`` times the mean distance of the data to the
        coordinatewise median (the start).
    max_iter : int, default=500
        Largest number of iterations.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict`` (see ``RobustLocationMixin``), on distances in units of the
        features' robust scales ``feature_scale_``: the default labels the tenth of the
        training rows farthest from ``location_``, as ``EllipticEnvelope``'s.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    n_iter_ : int
        Iterations run.
    feature_scale_ : ndarray of shape (n_features,)
        Each feature's robust scale (``robust_scale``: the MAD, or the standard deviation
        where the MAD is 0, 1 for a constant feature), the units of ``mahalanobis``.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    geometric_median : the function that computes it.

    References
    ----------
    .. [1] Y. Vardi and C.-H. Zhang, "The multivariate L1-median and associated data depth",
       PNAS 97(4), 1423-1426, 2000.
    .. [2] H. P. Lopuhaä and P. J. Rousseeuw, "Breakdown points of affine equivariant
       estimators of multivariate location and covariance matrices", Annals of Statistics
       19(1), 229-248, 1991 (breakdown point 1/2 of the spatial median).

    Examples
    --------
    >>> X = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0], [100.0, 100.0]]
    >>> GeometricMedian().fit(X).location_.round(3)  # the point at 1 + 1/√3 along the diagonal
    array([1.577, 1.577])
    """

    _parameter_constraints = refusing_bools({
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(self, *, tol=1e-7, max_iter=500, contamination=0.1):
        self.tol = tol
        self.max_iter = max_iter
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the geometric median of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : GeometricMedian
        """
        X = check_training_data(self, X)
        self.location_, self.n_iter_ = _at_unit_scale(
            lambda Z: geometric_median(Z, tol=self.tol, max_iter=self.max_iter), X)
        self._set_feature_scale(X)
        self._set_offset(X)
        return self


# ---------------------------------------------------------------------------------------------
# Tukey median
# ---------------------------------------------------------------------------------------------


class TukeyMedian(_FeatureScaleDistances, RobustLocationMixin, BaseEstimator):
    """The Tukey (halfspace) median: a point of maximal halfspace depth.

    The minimax-optimal robust location under Huber's contamination (error of order
    p/n + ε², Chen, Gao & Ren 2018), with breakdown point 1/3 but no polynomial algorithm in
    high dimension. The algorithms (see :mod:`robustgan.baselines.depth`):

    - p = 1: the median.
    - p = 2, exact: the region of depth ≥ k is an intersection of at most 2n halfplanes on lines
      through two data points; a linear program tests it for emptiness, and the deepest level is
      searched upward from the depth of the coordinatewise median, jumping to the depth of the
      Chebyshev centre of each level. The median is the centroid of the deepest region. Cost
      O(n² log n) time and O(n²) memory (12 bytes per pair of points); about 0.6 s for
      n = 2,000 on two cores. Use ``algorithm="approximate"`` beyond n ≈ 10,000.
    - p > 2, approximate: the depth along ``n_directions`` random directions (and the p axes);
      the region where it is ≥ d is a polytope of slabs, so the deepest level along an active
      set of directions is found exactly by linear programs, and its analytic centre taken.
      Cutting-plane rounds (at most ``n_refinements``) evaluate the current point along all
      directions, refine the shallowest of them by projected gradient descent on the sphere
      (on a smoothed count of points in the halfspace), and add the directions along which
      the point is shallower than the linear program says. Cost per round O(n·K·p) for K
      directions, plus linear programs with 2·(active directions) rows; about 1 s for
      n = 5,000, p = 10 and 45 s for n = 50,000, p = 100 on two cores. The depth so found
      is an upper bound on the exact depth (a minimum over fewer directions than the
      sphere), reported in ``depth_``.

    Parameters
    ----------
    n_directions : int, default=1000
        Random directions of the approximate algorithm.
    n_refinements : int, default=20
        Largest number of cutting-plane rounds of the approximate algorithm.
    algorithm : {"auto", "exact", "approximate"}, default="auto"
        "auto" is exact for p ≤ 2 and approximate above; "exact" raises for p > 2.
    random_state : int, RandomState instance or None, default=None
        Draws the random directions.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict`` (see ``RobustLocationMixin``), on distances in units of the
        features' robust scales ``feature_scale_``: the default labels the tenth of the
        training rows farthest from ``location_``, as ``EllipticEnvelope``'s.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    depth_ : float
        Depth of ``location_`` as a fraction of the training rows (exact for the exact
        algorithms; along ``directions_`` otherwise).
    directions_ : ndarray of shape (n_directions_used, n_features) or None
        The unit directions of the approximate depth (the random ones, the axes and the
        refined ones); None for the exact algorithms.
    n_iter_ : int
        Cutting-plane rounds run (0 for the exact algorithms).
    feature_scale_ : ndarray of shape (n_features,)
        Each feature's robust scale (``robust_scale``: the MAD, or the standard deviation
        where the MAD is 0, 1 for a constant feature), the units of ``mahalanobis``.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    robustgan.baselines.depth.halfspace_depth : the depth function.

    References
    ----------
    .. [1] J. W. Tukey, "Mathematics and the picturing of data", Proceedings of the
       International Congress of Mathematicians, Vancouver, 1975.
    .. [2] P. J. Rousseeuw and I. Ruts, "Constructing the bivariate Tukey median", Statistica
       Sinica 8, 827-839, 1998 (the median as the centroid of the deepest region; depth
       regions bounded by lines through two data points).
    .. [3] J. A. Cuesta-Albertos and A. Nieto-Reyes, "The random Tukey depth", Computational
       Statistics & Data Analysis 52(11), 4979-4988, 2008 (depth along random directions).
    .. [4] M. Chen, C. Gao and Z. Ren, "Robust covariance and scatter matrix estimation under
       Huber's contamination model", Annals of Statistics 46(5), 1932-1960, 2018 (the
       minimax rate of the Tukey median).

    Examples
    --------
    >>> X = [[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [1.0, 1.0]]
    >>> est = TukeyMedian().fit(X)
    >>> est.location_.round(6), est.depth_
    (array([1., 1.]), 0.5)
    >>> est.depth([[1.0, 1.0], [2.0, 1.0], [3.0, 3.0]])
    array([0.5 , 0.25, 0.  ])
    """

    _parameter_constraints = refusing_bools({
        "n_directions": [Interval(Integral, 1, None, closed="left")],
        "n_refinements": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions({"auto", "exact", "approximate"})],
        "random_state": ["random_state"],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(
        self,
        *,
        n_directions=1000,
        n_refinements=20,
        algorithm="auto",
        random_state=None,
        contamination=0.1,
    ):
        self.n_directions = n_directions
        self.n_refinements = n_refinements
        self.algorithm = algorithm
        self.random_state = random_state
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the Tukey median of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : TukeyMedian
        """
        X = check_training_data(self, X)
        # Checked here, not where the directions are drawn: the exact algorithms (p ≤ 2) never
        # read it, and random_state=True (an int to scikit-learn's constraint) passed.
        rng = check_generator(self.random_state)
        if self.algorithm == "exact" and X.shape[1] > 2:
            raise ValueError(
                f"algorithm='exact' is implemented for n_features <= 2, got {X.shape[1]}; "
                "use algorithm='approximate'"
            )
        self.location_, self.depth_, self.directions_, self.n_iter_ = tukey_median(
            X,
            algorithm=self.algorithm,
            n_directions=self.n_directions,
            n_refinements=self.n_refinements,
            random_state=rng,
        )
        self._fit_X = X
        self._set_feature_scale(X)
        self._set_offset(X)
        return self

    def depth(self, X):
        """Halfspace depth of the rows of X with respect to the training data.

        Exact when the fit was (p ≤ 2 with ``algorithm`` "auto" or "exact"); otherwise the
        depth along ``directions_``, an upper bound on the exact depth.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Fractions of the training rows, in [0, 1] (at most about 1/2 except at points
            shared by many rows).
        """
        X = check_fitted_data(self, X)
        return halfspace_depth(X, self._fit_X, directions=self.directions_)


# ---------------------------------------------------------------------------------------------
# Iterative filtering (Diakonikolas, Kamath, Kane, Li, Moitra, Stewart)
# ---------------------------------------------------------------------------------------------


def filtered_mean(X, contamination_level, *, threshold_factor=3.0, tail_factor=2.5, tau=0.1):
    """Robust mean of N(μ, I_p) data by the filter of Diakonikolas et al. (2017).

    Repeat on the rows still kept: μ̂ and Σ̂ their mean and covariance (divided by N, their
    number); λ, v the top eigenpair of Σ̂. If λ < 1 + C·ε·log(1/ε) (C = ``threshold_factor``),
    return μ̂: no direction has the excess variance that ε-contamination would need to move
    the mean by more than O(ε·√log(1/ε)). Otherwise project on v, centre at the median of the
    projections, sort the rows by |vᵀx − median|, and keep the rows up to the first one, say
    the i-th, beyond which the empirical tail is too heavy for a Gaussian:

        N − i > c · N · (P(Z > T) + ε / (p·log(p·ε/τ))),  T = (i-th smallest deviation) − 2ε,

    with c = ``tail_factor`` and Z ~ N(0, 1). This is the tail test of the authors' code
    (``filterGaussianMean.m``, with δ = 2ε); when no row fails it, or the first one does, the
    mean of the kept rows is returned. The logarithm is clipped below at 1 so that the slack
    stays positive when p·ε/τ < e (the code leaves it negative or infinite there).

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Data, with inlier covariance the identity (whiten first otherwise).
    contamination_level : float in (0, 1/2)
        ε, the fraction of outliers the filter is tuned for.
    threshold_factor : float, default=3.0
        C in the eigenvalue test.
    tail_factor : float, default=2.5
        c in the tail test (``cher`` in the authors' code).
    tau : float, default=0.1
        τ, the failure probability in the slack of the tail test.

    Returns
    -------
    mean : ndarray of shape (p,)
    support : ndarray of shape (n,), bool
        The rows kept.
    n_iter : int
        Filtering rounds, each one removing rows.

    References
    ----------
    .. [1] I. Diakonikolas, G. Kamath, D. M. Kane, J. Li, A. Moitra and A. Stewart, "Being
       robust (in high dimensions) can be practical", ICML 2017, arXiv:1703.00893 (the filter
       for the mean with known covariance; code at github.com/hoonose/robust-filter).
    .. [2] I. Diakonikolas, G. Kamath, D. M. Kane, J. Li, A. Moitra and A. Stewart, "Robust
       estimators in high dimensions without the computational intractability", FOCS 2016,
       arXiv:1604.06443 (the filter and its guarantee, error O(ε·√log(1/ε))).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 20))
    >>> X[:200] += 8.0  # 10% outliers shifted along 1_p
    >>> mean, support, n_iter = filtered_mean(X, 0.1)
    >>> bool(np.linalg.norm(mean) < 0.5), int(support[:200].sum())
    (True, 0)
    """
    n, p = X.shape
    eps = contamination_level
    eigenvalue_bound = 1.0 + threshold_factor * eps * math.log(1.0 / eps)
    slack = eps / (p * max(math.log(p * eps / tau), 1.0))
    support = np.ones(n, dtype=bool)
    n_iter = 0
    while True:
        Y = X[support]
        N = Y.shape[0]
        mean = Y.mean(axis=0)
        if N < 2:
            return mean, support, n_iter
        centred = Y - mean
        top, v = linalg.eigh(centred.T @ centred / N, subset_by_index=[p - 1, p - 1])
        if top[0] < eigenvalue_bound:
            return mean, support, n_iter
        projections = Y @ v[:, 0]
        deviation = np.abs(projections - np.median(projections))
        sorted_deviation = np.sort(deviation)
        beyond = N - np.arange(1, N + 1)
        gaussian_tail = 0.5 * special.erfc((sorted_deviation - 2.0 * eps) / math.sqrt(2.0))
        too_heavy = beyond > tail_factor * N * (gaussian_tail + slack)
        if not too_heavy.any() or too_heavy[0]:
            return mean, support, n_iter
        keep = deviation <= sorted_deviation[np.argmax(too_heavy)]
        if keep.all():  # ties at the cut: nothing to remove
            return mean, support, n_iter
        support[np.flatnonzero(support)[~keep]] = False
        n_iter += 1


class IterativeFilter(ScatterDistances, RobustLocationMixin, BaseEstimator):
    """Robust mean by iterative filtering (Diakonikolas, Kamath, Kane, Li, Moitra, Stewart),
    for inliers N(μ, Σ) with known Σ (the identity by default).

    The data are whitened by Σ, filtered by :func:`filtered_mean` (remove the rows that stick
    out along the top eigenvector of the covariance while its top eigenvalue exceeds
    1 + C·ε·log(1/ε)) and the mean of the rows kept is mapped back. Error O(ε·√log(1/ε))
    given ε and Σ, independent of p; cost a few top-eigenvector computations, O(np²) each.

    Parameters
    ----------
    contamination_level : float in (0, 0.5), default=0.1
        ε, the fraction of outliers the filter is tuned for (not the ``predict`` rule).
    covariance : array-like of shape (n_features, n_features), default=None
        The known inlier covariance Σ, symmetric positive definite; None is the identity.
        It is also the scatter of ``mahalanobis`` and ``predict``.
    threshold_factor : float, default=3.0
        C in the stopping test λ < 1 + C·ε·log(1/ε).
    tail_factor : float, default=2.5
        Factor of the Gaussian tail bound in the filtering test (``cher`` in the authors'
        code).
    tau : float, default=0.1
        Failure probability τ in the slack ε/(p·log(p·ε/τ)) of the tail bound.
    contamination : "auto" or float in [0, 0.5), default="auto"
        Rule for ``predict``, with the scatter ``covariance``: see ``RobustLocationMixin``.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    covariance_ : ndarray of shape (n_features, n_features)
        Σ (the identity when ``covariance`` is None).
    precision_ : ndarray of shape (n_features, n_features)
        Σ⁻¹.
    support_ : ndarray of shape (n_samples,), bool
        The training rows kept by the filter.
    n_iter_ : int
        Filtering rounds.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    filtered_mean : the algorithm, step by step.

    References
    ----------
    .. [1] I. Diakonikolas, G. Kamath, D. M. Kane, J. Li, A. Moitra and A. Stewart, "Being
       robust (in high dimensions) can be practical", ICML 2017, arXiv:1703.00893.
    .. [2] I. Diakonikolas, G. Kamath, D. M. Kane, J. Li, A. Moitra and A. Stewart, "Robust
       estimators in high dimensions without the computational intractability", FOCS 2016,
       arXiv:1604.06443.

    Examples
    --------
    >>> from robustgan.datasets import make_huber_contamination
    >>> data = make_huber_contamination(2000, 20, 0.1, random_state=0)
    >>> est = IterativeFilter(contamination_level=0.1).fit(data.X)
    >>> bool(np.linalg.norm(est.location_) < 0.3), bool(np.all(~est.support_[~data.inlier_mask]))
    (True, True)
    """

    _parameter_constraints = refusing_bools({
        "contamination_level": [Interval(Real, 0.0, 0.5, closed="neither")],
        "covariance": ["array-like", None],
        "threshold_factor": [Interval(Real, 0.0, None, closed="neither")],
        "tail_factor": [Interval(Real, 0.0, None, closed="neither")],
        "tau": [Interval(Real, 0.0, 1.0, closed="neither")],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(
        self,
        contamination_level=0.1,
        *,
        covariance=None,
        threshold_factor=3.0,
        tail_factor=2.5,
        tau=0.1,
        contamination="auto",
    ):
        self.contamination_level = contamination_level
        self.covariance = covariance
        self.threshold_factor = threshold_factor
        self.tail_factor = tail_factor
        self.tau = tau
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Filter X and compute the mean of the rows kept.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : IterativeFilter
        """
        X = check_training_data(self, X)
        p = X.shape[1]
        covariance = _check_covariance(self.covariance, p)
        chol = np.linalg.cholesky(covariance)
        whitened = linalg.solve_triangular(chol, X.T, lower=True).T
        peak = np.max(np.abs(whitened))
        if not peak < _SQUARABLE:
            raise ValueError(
                f"IterativeFilter: the data whitened by the given covariance reach {peak:.3g}, "
                "whose squares overflow float64: the covariance (the identity by default) must "
                "be the inliers' in the data's units; pass covariance= or rescale the data")
        mean, self.support_, self.n_iter_ = filtered_mean(
            whitened,
            self.contamination_level,
            threshold_factor=self.threshold_factor,
            tail_factor=self.tail_factor,
            tau=self.tau,
        )
        self.location_ = chol @ mean
        self.covariance_ = covariance
        self.precision_ = linalg.cho_solve((chol, True), np.eye(p))
        self._set_offset(X)
        return self


def _check_covariance(covariance, p):
    """The known covariance as a float array, the identity for None; ValueError unless it is
    a symmetric positive definite (p, p) matrix."""
    if covariance is None:
        return np.eye(p)
    covariance = np.array(covariance, dtype=np.float64)
    if covariance.shape != (p, p):
        raise ValueError(
            f"covariance must have shape (n_features, n_features) = ({p}, {p}), "
            f"got {covariance.shape}"
        )
    if not np.all(np.isfinite(covariance)) or not np.allclose(covariance, covariance.T):
        raise ValueError("covariance must be finite and symmetric")
    try:
        np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        raise ValueError("covariance must be positive definite") from None
    return covariance


# ---------------------------------------------------------------------------------------------
# Dimension halving (Lai, Rao, Vempala)
# ---------------------------------------------------------------------------------------------


def shortest_interval_mean(x, size):
    """Mean of the ``size`` consecutive order statistics of x that span the shortest interval
    (the middle one among equally short ones).

    Examples
    --------
    >>> shortest_interval_mean(np.array([0.0, 1.0, 1.1, 1.2, 9.0]), 3)
    1.1
    """
    z = np.sort(x)
    widths = z[size - 1 :] - z[: z.size - size + 1]
    shortest = np.flatnonzero(widths == widths.min())
    start = shortest[shortest.size // 2]
    return float(np.mean(z[start : start + size]))


def dimension_halving_mean(X, contamination_level):
    """Robust mean by the recursive dimension halving of Lai, Rao & Vempala (2016).

    With η = ``contamination_level`` and the recipe of the authors' code
    (``agnosticMeanGeneral.m``):

    1. p = 1: the mean of the shortest interval holding ⌊n·(1 − η)²⌋ points.
    2. Outlier removal: drop the rows farther from the coordinatewise median than the
       (1 − η)²-quantile of the distances.
    3. Σ̂ the covariance of the rows kept; W the span of its ⌊p/2⌋ eigenvectors with the
       smallest eigenvalues, V the span of the others.
    4. The estimate in W is the sample mean of the kept rows projected on W: contamination
       large enough to bias it would inflate the variance it sees, which W was chosen to avoid.
    5. The estimate in V is this algorithm again, on all rows projected on V (⌈p/2⌉ dims).

    Cost O(np²) for the first covariance, a geometric series below: about twice that.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    contamination_level : float in [0, 1/2)
        η, the fraction of outliers.

    Returns
    -------
    ndarray of shape (p,)

    References
    ----------
    .. [1] K. A. Lai, A. B. Rao and S. Vempala, "Agnostic estimation of mean and covariance",
       FOCS 2016, arXiv:1604.06968 (the recursive algorithm; code at
       github.com/kevinalai/AgnosticMeanAndCovarianceCode).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5000, 8))
    >>> X[:500] += 5.0
    >>> bool(np.linalg.norm(dimension_halving_mean(X, 0.1)) < np.linalg.norm(X.mean(axis=0)))
    True
    """
    n, p = X.shape
    keep_fraction = (1.0 - contamination_level) ** 2
    if p == 1:
        size = max(1, math.floor(n * keep_fraction))
        return np.array([shortest_interval_mean(X[:, 0], size)])
    distances = np.sum(np.square(X - np.median(X, axis=0)), axis=1)
    kept = X[distances <= np.percentile(distances, 100.0 * keep_fraction)]
    centred = kept - kept.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)  # eigenvalues ascending
    low, high = vectors[:, : p // 2], vectors[:, p // 2 :]
    mean_low = low @ (low.T @ kept.mean(axis=0))
    return mean_low + high @ dimension_halving_mean(X @ high, contamination_level)


class DimensionHalving(_FeatureScaleDistances, RobustLocationMixin, BaseEstimator):
    """Robust mean by recursive dimension halving (Lai, Rao & Vempala, 2016).

    Remove the points far from the coordinatewise median, estimate the mean by the sample mean
    in the span of the bottom half of the eigenvectors of the remaining points' covariance, and
    recurse on the projection of the data on the top half (details in
    :func:`dimension_halving_mean`). Error O(ε·√log p) for Gaussian inliers, between the
    coordinatewise median's √p·ε and the filter's ε·√log(1/ε).

    Parameters
    ----------
    contamination_level : float in [0, 0.5), default=0.1
        η, the fraction of outliers the outlier removal is tuned for (not the ``predict``
        rule). With 0 the estimate is the sample mean.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict`` (see ``RobustLocationMixin``), on distances in units of the
        features' robust scales ``feature_scale_``: the default labels the tenth of the
        training rows farthest from ``location_``, as ``EllipticEnvelope``'s.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    feature_scale_ : ndarray of shape (n_features,)
        Each feature's robust scale (``robust_scale``: the MAD, or the standard deviation
        where the MAD is 0, 1 for a constant feature), the units of ``mahalanobis``.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    dimension_halving_mean : the algorithm, step by step.

    References
    ----------
    .. [1] K. A. Lai, A. B. Rao and S. Vempala, "Agnostic estimation of mean and covariance",
       FOCS 2016, arXiv:1604.06968.

    Examples
    --------
    >>> X = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.0]]
    >>> DimensionHalving(contamination_level=0.0).fit(X).location_
    array([2. , 0.8])
    """

    _parameter_constraints = refusing_bools({
        "contamination_level": [Interval(Real, 0.0, 0.5, closed="left")],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(self, contamination_level=0.1, *, contamination=0.1):
        self.contamination_level = contamination_level
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the dimension-halving mean of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : DimensionHalving
        """
        X = check_training_data(self, X)
        self.location_ = _at_unit_scale(
            lambda Z: (dimension_halving_mean(Z, self.contamination_level),), X)[0]
        self._set_feature_scale(X)
        self._set_offset(X)
        return self
