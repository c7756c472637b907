"""Classic robust scatter estimators: rank correlations, Tyler's M-estimator and the spatial
sign covariance matrix.

Each estimator is a thin class over module-level functions that take arrays and return arrays
(:func:`kendall_tau_matrix`, :func:`spearman_rho_matrix`, :func:`rank_correlation_scatter`,
:func:`tyler_shape`, :func:`spatial_sign_covariance`, :func:`sign_covariance_scatter`, with
the shared step :func:`nearest_psd`). All carry ``location_``,
``covariance_`` and ``precision_``, and score points by the Mahalanobis distance under
``covariance_`` through ``RobustLocationMixin``.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import linalg, stats
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from .._validation import (
    check_generator,
    check_training_data,
    refusing_bools,
    warn_at_user,
)
from ..multivariate import (
    EIGEN_FLOOR,
    correlation_from_products,
    floored_scatter_and_precision,
    spatial_sign_covariance,
    spearman_rho_matrix,
)
from ..outliers import CONTAMINATION_CONSTRAINT, RobustLocationMixin
from ..univariate import robust_scale
from .location import ScatterDistances, geometric_median

__all__ = [
    "KendallTauScatter",
    "OGK",
    "SpatialSignCovariance",
    "SpearmanScatter",
    "TylerScatter",
    "kendall_tau_matrix",
    "nearest_psd",
    "rank_correlation_scatter",
    "robust_scales",
    "sign_covariance_scatter",
    "spatial_sign_covariance",
    "spearman_rho_matrix",
    "tyler_shape",
]

_SCALE_CONSTRAINT = [StrOptions({"mad"}), callable]


# ---------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------


def robust_scales(Y, scale="mad"):
    """Deprecated alias of ``robustgan.univariate.robust_scale``; removed in robustgan 0.3."""
    warnings.warn("robust_scales is deprecated; use robustgan.univariate.robust_scale",
                  DeprecationWarning, stacklevel=2)
    return robust_scale(Y, scale)


def nearest_psd(S, floor=0.0):
    """The symmetric matrix nearest to S in Frobenius norm with eigenvalues ≥ ``floor``:
    eigenvalue clipping (Higham, 1988).

    Examples
    --------
    >>> nearest_psd(np.array([[1.0, 2.0], [2.0, 1.0]]))
    array([[1.5, 1.5],
           [1.5, 1.5]])
    """
    values, vectors = np.linalg.eigh((S + S.T) / 2.0)
    return (vectors * np.maximum(values, floor)) @ vectors.T


def _within_span(X, span, location, scatter):
    """``location`` and ``scatter`` moved into the smallest affine subspace that holds the rows
    of X, ``span`` = (centre, basis) (``check_training_data(..., return_span=True)``): the
    location projected on it, the scatter compressed to it (B·BᵀSB·Bᵀ, B an orthonormal basis
    of its directions), exactly 0 across it; both unchanged when the rows span ℝ^p.

    A rank correlation or a sign covariance of rows in a proper subspace (a constant column,
    collinear features) is singular across it only to its own sampling error, or to rounding:
    KendallTauScatter gave inliers on the plane x2 = x0 + x1 + 5 a median squared distance
    of 5e5, and SpatialSignCovariance, with a constant column, a variance of 1e-31 there, a
    location 2e-15 off the column's value, and flagged every row. Compressed, the scatter is
    singular across the subspace by construction, and ``_store_scatter``'s floor puts it at
    the relative size TylerScatter's and RobustGANScatter's have there: rows on the subspace
    get distances from their spread within it, rows off it huge ones. A constant column keeps
    its value exactly, as the location on it.
    """
    centre, basis = span
    if basis.shape[1] == X.shape[1]:
        return location, scatter
    location, basis = _onto_span(X, centre, basis, location)
    compressed = basis @ (basis.T @ scatter @ basis) @ basis.T
    return location, (compressed + compressed.T) / 2.0


def _onto_span(X, centre, basis, location):
    """``location`` projected on the affine span (``centre``, ``basis``) of X's rows, with a
    constant column's value exactly (the projection is 1e-14 off it), and the basis with
    exactly 0 in the constant columns' rows (not the 1e-17 of a null space computed by SVD:
    the scatter's floor would measure the column's variance against that)."""
    constant = np.ptp(X, axis=0) == 0
    basis = basis.copy()
    basis[constant] = 0.0
    location = centre + basis @ (basis.T @ (location - centre))
    location[constant] = X[0, constant]
    return location, basis


def _store_scatter(estimator, X, location, covariance):
    """Set ``location_``, ``covariance_``, ``precision_`` and ``offset_`` of a fitted
    scatter estimator."""
    estimator.location_ = location
    estimator.covariance_, estimator.precision_ = floored_scatter_and_precision(covariance)
    estimator._set_offset(X)


# ---------------------------------------------------------------------------------------------
# Rank correlations
# ---------------------------------------------------------------------------------------------


def kendall_tau_matrix(X, *, max_pairs=1_000_000, random_state=None):
    """Kendall's τ_b between every pair of columns of X, exactly or from random pairs of rows.

    τ_b(j, k) = Σ s_j s_k / √(Σ s_j² Σ s_k²) with s_j = sign(X_aj − X_bj) summed over pairs of
    rows (a, b): one matrix product SᵀS for all column pairs at once, computed in blocks. With
    n(n − 1)/2 ≤ ``max_pairs`` the sums run over all pairs (the exact τ_b of
    ``scipy.stats.kendalltau``); otherwise over ``max_pairs`` pairs drawn at random with
    replacement, an incomplete U-statistic (Blom, 1976) with variance (1 − τ²)/max_pairs on
    top of that of the full statistic, about 4/(9n) at τ = 0. For n = 50,000 rows and the
    default 10⁶ pairs that adds about 11% to the variance of each entry, at a cost of
    10⁶·p² flops instead of the full statistic's 1.25·10⁹·p². The pairs are drawn among the
    rows sorted lexicographically (by the first column, ties by the next ones), so that a
    seeded τ does not change when the rows are permuted or the features mapped by increasing
    functions, as the full statistic does not.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    max_pairs : int, default=1_000_000
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default=None
        Draws the pairs when they are sampled.

    Returns
    -------
    ndarray of shape (p, p)

    References
    ----------
    .. [1] M. G. Kendall, "The treatment of ties in ranking problems", Biometrika 33(3),
       239-251, 1945 (τ_b).
    .. [2] G. Blom, "Some properties of incomplete U-statistics", Biometrika 63(3), 573-580,
       1976.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, 3.0]])
    >>> kendall_tau_matrix(X)
    array([[1.        , 0.33333333],
           [0.33333333, 1.        ]])
    """
    n, p = X.shape
    if n * (n - 1) // 2 <= max_pairs:
        first, second = np.triu_indices(n, 1)
    else:
        rng = check_generator(random_state)
        # Positions in an order of the rows that depends on their values only: drawn in the
        # given order, the same seed paired other rows once the rows were permuted (entries
        # of the covariance moved by 8e-3 at n = 2,000). The lexicographic order, unlike
        # robustgan.multivariate.canonical_row_order's projections, also keeps τ's
        # invariance under increasing maps of each feature, at the cost of one sort.
        order = _lexicographic_row_order(X)
        position = rng.integers(n, size=max_pairs)
        first = order[position]
        second = order[(position + rng.integers(1, n, size=max_pairs)) % n]
    C = np.zeros((p, p))
    # Float32 sums of ±1 products stay exact below 2²⁴ terms.
    block = int(min(max(1, (1 << 22) // p), 1 << 23))
    for start in range(0, first.size, block):
        S = np.sign(X[first[start : start + block]] - X[second[start : start + block]])
        S = S.astype(np.float32)
        C += S.T @ S
    return correlation_from_products(C)


def _lexicographic_row_order(X):
    """The permutation that sorts the rows of X lexicographically, first column first.

    Only equal rows keep their given order among themselves, so the sorted rows depend on
    the rows' values only, and increasing maps of the columns leave the order unchanged. A
    column is read only where the ones before it tie: on continuous data it costs one sort.

    Examples
    --------
    >>> _lexicographic_row_order(np.array([[2.0, 1.0], [1.0, 5.0], [2.0, 0.0]]))
    array([1, 2, 0])
    """
    order = np.argsort(X[:, 0], kind="stable")
    column = X[order, 0]
    # tied[k]: the k-th and (k+1)-th sorted rows agree on every column read so far.
    tied = column[1:] == column[:-1]
    for j in range(1, X.shape[1]):
        if not tied.any():
            break
        # Sorting within the runs of tied rows leaves the runs where they are.
        run = np.concatenate(([0], np.cumsum(~tied)))
        order = order[np.lexsort((X[order, j], run))]
        column = X[order, j]
        tied &= column[1:] == column[:-1]
    return order


def rank_correlation_scatter(R, scales):
    """The scatter D·P·D from a matrix of Pearson correlations P (not necessarily PSD) and
    scales D = diag(scales): P is projected on the PSD matrices by eigenvalue clipping and
    brought back to unit diagonal first.

    Examples
    --------
    >>> rank_correlation_scatter(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([2.0, 1.0]))
    array([[4., 1.],
           [1., 1.]])
    """
    P = nearest_psd(R, floor=EIGEN_FLOOR)
    d = np.sqrt(np.diag(P))
    P = P / np.outer(d, d)
    return P * np.outer(scales, scales)


class _RankScatter(ScatterDistances, RobustLocationMixin, BaseEstimator):
    """What the Kendall and Spearman estimators share: a correlation matrix mapped to Pearson's,
    scaled by robust scales, around the coordinatewise median."""

    def _fit_correlation(self, X, span, pearson):
        location = np.median(X, axis=0)
        scatter = rank_correlation_scatter(pearson, robust_scale(X, self.scale))
        _store_scatter(self, X, *_within_span(X, span, location, scatter))
        return self


class KendallTauScatter(_RankScatter):
    """Robust scatter from Kendall's τ: Σ̂ = D·sin(π/2·τ̂)·D, with D the robust scales.

    For elliptical data Pearson's correlation is r = sin(π/2·τ) (Greiner's relation, exact for
    every elliptical law), so the map turns the rank correlation into a consistent estimate of
    the correlation; robust scales (MAD by default) turn that into a scatter matrix, which is
    projected on the positive semi-definite matrices when it is not (eigenvalue clipping). The
    location is the coordinatewise median. τ is computed from ``max_pairs`` random pairs of
    rows when there are more pairs than that: see :func:`kendall_tau_matrix` (≈1 s at
    n = 50,000, p = 100 with the default, against minutes for all 1.25·10⁹ pairs).

    On rows in a proper affine subspace (a constant column, collinear features) the fit warns
    (``DegenerateDataWarning``) and is moved into the subspace: the location projected on it
    (a constant column keeps its value), the scatter compressed to it, singular across it as
    every scatter there is (floored at ``EIGEN_FLOOR`` of the largest eigenvalue of its
    correlation form, so ``precision_`` is huge there, as the warning says): rows on the
    subspace get distances from their spread within it, rows off it huge ones.

    Parameters
    ----------
    max_pairs : int, default=1_000_000
        Pairs of rows behind τ; all pairs when n(n − 1)/2 is not larger.
    scale : "mad" or callable, default="mad"
        Robust scale of each feature: see :func:`robustgan.univariate.robust_scale`.
    random_state : int, RandomState instance or None, default=None
        Draws the pairs of rows when they are sampled.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict``: see ``RobustLocationMixin``. The default labels the tenth of
        the training rows farthest from the fit, as ``EllipticEnvelope``'s; ``"auto"`` (the
        χ²_p 0.975 cutoff) may label none on light-tailed data.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
        The coordinatewise median (projected on the rows' affine span, where they lie in a
        proper one).
    covariance_ : ndarray of shape (n_features, n_features)
    precision_ : ndarray of shape (n_features, n_features)
    correlation_ : ndarray of shape (n_features, n_features)
        Kendall's τ_b matrix.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    .. [1] R. Greiner, "Über das Fehlersystem der Kollektivmasslehre", Zeitschrift für
       Mathematik und Physik 57, 121-158, 1909; F. Lindskog, A. McNeil and U. Schmock,
       "Kendall's tau for elliptical distributions", in Credit Risk, Physica, 2003 (Theorem 2:
       r = sin(π/2·τ) for every elliptical law).
    .. [2] H. Liu, F. Han, M. Yuan, J. Lafferty and L. Wasserman, "High-dimensional
       semiparametric Gaussian copula graphical models", Annals of Statistics 40(4),
       2293-2326, 2012 (rank-based correlation matrices and their PSD projection).
    .. [3] C. Gao, Y. Yao and W. Zhu, "Generative adversarial nets for robust scatter
       estimation: a proper scoring rule perspective", JMLR 21(160), 2020 (Kendall's τ as a
       baseline).

    Examples
    --------
    >>> from robustgan.datasets import make_huber_contamination
    >>> sigma = [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]
    >>> data = make_huber_contamination(2000, 3, 0.0, scatter=sigma, random_state=0)
    >>> est = KendallTauScatter().fit(data.X)
    >>> bool(np.abs(est.covariance_ - data.scatter).max() < 0.15)
    True
    """

    _parameter_constraints = refusing_bools({
        "max_pairs": [Interval(Integral, 1, None, closed="left")],
        "scale": _SCALE_CONSTRAINT,
        "random_state": ["random_state"],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(
        self, *, max_pairs=1_000_000, scale="mad", random_state=None, contamination=0.1
    ):
        self.max_pairs = max_pairs
        self.scale = scale
        self.random_state = random_state
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the scatter of X from Kendall's τ.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : KendallTauScatter
        """
        X, span = check_training_data(self, X, scatter=True, return_span=True)
        # Checked here, not where the pairs are drawn: with few rows τ uses every pair and
        # never reads it, and random_state=True (an int to scikit-learn's constraint) passed.
        rng = check_generator(self.random_state)
        self.correlation_ = kendall_tau_matrix(X, max_pairs=self.max_pairs, random_state=rng)
        return self._fit_correlation(X, span, np.sin(math.pi / 2.0 * self.correlation_))


class SpearmanScatter(_RankScatter):
    """Robust scatter from Spearman's ρ: Σ̂ = D·2 sin(π/6·ρ̂)·D, with D the robust scales.

    For Gaussian data Pearson's correlation is r = 2 sin(π/6·ρ) (Pearson, 1907); unlike
    Kendall's map this one holds for the Gaussian (copula) only. The rest is as in
    ``KendallTauScatter``: robust scales, PSD projection, coordinatewise median. Cost
    O(p·n log n + n·p²).

    On rows in a proper affine subspace the fit is moved into it, as ``KendallTauScatter``'s.

    Parameters
    ----------
    scale : "mad" or callable, default="mad"
        Robust scale of each feature: see :func:`robustgan.univariate.robust_scale`.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict``: see ``RobustLocationMixin``. The default labels the tenth of
        the training rows farthest from the fit, as ``EllipticEnvelope``'s; ``"auto"`` (the
        χ²_p 0.975 cutoff) may label none on light-tailed data.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
        The coordinatewise median (projected on the rows' affine span, where they lie in a
        proper one).
    covariance_ : ndarray of shape (n_features, n_features)
    precision_ : ndarray of shape (n_features, n_features)
    correlation_ : ndarray of shape (n_features, n_features)
        Spearman's ρ matrix.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    .. [1] K. Pearson, "On further methods of determining correlation", Drapers' Company
       Research Memoirs, Biometric Series IV, 1907 (r = 2 sin(π/6·ρ) at the Gaussian).
    .. [2] H. Liu, F. Han, M. Yuan, J. Lafferty and L. Wasserman, "High-dimensional
       semiparametric Gaussian copula graphical models", Annals of Statistics 40(4),
       2293-2326, 2012.

    Examples
    --------
    >>> from robustgan.datasets import make_huber_contamination
    >>> data = make_huber_contamination(2000, 2, 0.0, scatter=[[1, .5], [.5, 1]], random_state=0)
    >>> est = SpearmanScatter().fit(data.X)
    >>> bool(np.abs(est.covariance_ - data.scatter).max() < 0.15)
    True
    """

    _parameter_constraints = refusing_bools({
        "scale": _SCALE_CONSTRAINT,
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(self, *, scale="mad", contamination=0.1):
        self.scale = scale
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the scatter of X from Spearman's ρ.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : SpearmanScatter
        """
        X, span = check_training_data(self, X, scatter=True, return_span=True)
        self.correlation_ = spearman_rho_matrix(X)
        return self._fit_correlation(X, span, 2.0 * np.sin(math.pi / 6.0 * self.correlation_))


# ---------------------------------------------------------------------------------------------
# Tyler's M-estimator of shape
# ---------------------------------------------------------------------------------------------


def tyler_shape(X, location, *, tol=1e-6, max_iter=500):
    """Tyler's M-estimator of shape around a given location, normalised to trace p.

    The fixed point of V = (p/n) Σᵢ zᵢzᵢᵀ / (zᵢᵀV⁻¹zᵢ), zᵢ = Xᵢ − location, found by
    iterating the map from V = I and rescaling to trace p after each step (Tyler, 1987,
    equation 2.2 and the iteration of Section 3). Rows equal to the location are left out
    (their weight is undefined). The fixed point is affine equivariant, V(zA) ∝ AᵀV(z)A, and
    the map's rounding follows positive rescaling of the features; the stopping rule measures
    a step in the last iterate's own scales, D = diag V_k, and the test that V is positive
    definite looks at its correlation form R = V/√(diag V diag Vᵀ), neither of which depends
    on the features' units, so that the answer follows their rescaling at any ratio of units
    (to within ``tol``: the start, I, is in the data's units). It stops when
    ‖D^{-1/2}(V_{k+1} − V_k)D^{-1/2}‖_F ≤ tol·√p; O(np²) per iteration. The fixed point exists
    and is unique when no subspace of dimension q < p holds more than a fraction q/p of the
    rows (Kent & Tyler, 1988).

    Parameters
    ----------
    X : ndarray of shape (n, p)
    location : ndarray of shape (p,)
    tol : float, default=1e-6
    max_iter : int, default=500

    Returns
    -------
    shape : ndarray of shape (p, p)
        Symmetric positive definite, trace p.
    n_iter : int
        Iterations run; equal to ``max_iter`` when it did not converge (a
        ``ConvergenceWarning`` is raised then).

    Raises
    ------
    ValueError
        If the centred rows span less than ℝ^p (the shape does not exist).

    References
    ----------
    .. [1] D. E. Tyler, "A distribution-free M-estimator of multivariate scatter", Annals of
       Statistics 15(1), 234-251, 1987.
    .. [2] J. T. Kent and D. E. Tyler, "Maximum likelihood estimation for the wrapped Cauchy
       distribution", Journal of Applied Statistics 15(2), 247-254, 1988.

    Examples
    --------
    >>> X = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> shape, n_iter = tyler_shape(X, np.zeros(2))
    >>> shape.round(6)
    array([[1., 0.],
           [0., 1.]])
    """
    Z = X - location
    Z = Z[np.any(Z != 0.0, axis=1)]
    p = Z.shape[1]
    V = np.eye(p)
    for n_iter in range(1, max_iter + 1):
        try:
            chol = np.linalg.cholesky(V)
        except np.linalg.LinAlgError:
            raise ValueError(
                "Tyler's shape does not exist: the centred data lie in a proper subspace"
            ) from None
        d2 = np.sum(np.square(linalg.solve_triangular(chol, Z.T, lower=True)), axis=0)
        V_new = (Z.T / d2) @ Z
        V_new = (V_new + V_new.T) * (p / (2.0 * np.trace(V_new)))
        # The step in units of the last iterate's own scales, D^{-1/2}(V_new − V)D^{-1/2}: on
        # features in units 1e-8 and 1e8, V's entries are 1e32 apart, and its own norm saw the
        # large ones only (full-rank data were refused); the correlation form alone misses a
        # step of the diagonal (sign-symmetric data: it stopped after one step, 83 times off).
        scales = np.sqrt(np.diag(V))
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.linalg.norm((V_new - V) / np.outer(scales, scales)) / math.sqrt(p)
        V = V_new
        # A non-finite step (rows in a proper subspace) ends in the error below, not a warning.
        if not np.isfinite(change) or change <= tol:
            break
    else:
        warn_at_user(
            f"tyler_shape did not converge in {max_iter} iterations: its last step changed the "
            f"shape by {change:.3g} of its own scales, against tol={tol:.3g}; increase max_iter",
            ConvergenceWarning,
        )
    R = _correlation_form(V)
    if not np.all(np.isfinite(R)) or np.linalg.eigvalsh(R)[0] <= 0.0:
        raise ValueError("Tyler's shape does not exist: the centred data lie in a proper subspace")
    return V, n_iter


def _correlation_form(V):
    """V/√(diag V diag Vᵀ); entries where a diagonal entry is not positive become NaN."""
    d = np.sqrt(np.diag(V))
    with np.errstate(divide="ignore", invalid="ignore"):
        return V / np.outer(d, d)


class TylerScatter(ScatterDistances, RobustLocationMixin, BaseEstimator):
    """Tyler's M-estimator of scatter, around a robust location.

    ``shape_`` is Tyler's shape (:func:`tyler_shape`), normalised to trace p: the most robust
    M-estimator of shape for elliptical laws (distribution-free over them, breakdown point
    1/p) and affine equivariant up to scale given an equivariant location. ``covariance_`` is
    the shape scaled to be consistent at the Gaussian: by median(d²)/χ²_p(1/2), with d² the
    squared Mahalanobis distances of the training rows under the shape and χ²_p(1/2) the
    median of the χ² law with p degrees of freedom, the law of d² for Gaussian rows.

    Shape and scatter are computed in units that do not depend on the features' (see
    :func:`tyler_shape`), so features in units 1e-8 and 1e8 fit as well as standardised ones.
    With ``location="coordinatewise_median"`` the fit follows shifts and positive rescaling
    of the features (to within ``tol``); the spatial median follows rotations and a common
    scale instead, not per-feature rescaling, and the shape around it moves with it.

    On rows in a proper affine subspace of dimension r < p, where Tyler's shape of ℝ^p does not
    exist (``tyler_shape`` raises), the fit warns (``DegenerateDataWarning``) and computes the
    shape within the subspace, around the location projected on it (χ²_r for the scale):
    ``shape_`` and ``covariance_`` are then singular across it, as every scatter there is.

    Parameters
    ----------
    location : {"spatial_median", "coordinatewise_median"}, default="spatial_median"
        The location around which the shape is computed (and ``location_``): the geometric
        median (``geometric_median``, orthogonally equivariant) or the coordinatewise median.
    tol : float, default=1e-6
        Change of the shape in its own scales (``tyler_shape``'s rule) below which the
        fixed-point iteration stops.
    max_iter : int, default=500
        Largest number of fixed-point iterations, of the shape's and of the spatial median's
        (which stops at its own default tolerance, :func:`geometric_median`).
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict``: see ``RobustLocationMixin``. The default labels the tenth of
        the training rows farthest from the fit, as ``EllipticEnvelope``'s; ``"auto"`` (the
        χ²_p 0.975 cutoff) may label none on light-tailed data.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    shape_ : ndarray of shape (n_features, n_features)
        Tyler's shape, trace ``n_features`` (singular for rows in a proper subspace).
    covariance_ : ndarray of shape (n_features, n_features)
        The shape scaled to be consistent at the Gaussian.
    precision_ : ndarray of shape (n_features, n_features)
    n_iter_ : int
        Fixed-point iterations of the shape run.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    .. [1] D. E. Tyler, "A distribution-free M-estimator of multivariate scatter", Annals of
       Statistics 15(1), 234-251, 1987.
    .. [2] C. Gao, Y. Yao and W. Zhu, "Generative adversarial nets for robust scatter
       estimation: a proper scoring rule perspective", JMLR 21(160), 2020 (Tyler's M as a
       baseline).

    Examples
    --------
    >>> from robustgan.datasets import make_huber_contamination
    >>> data = make_huber_contamination(2000, 2, 0.0, scatter=[[2, .5], [.5, 1]], random_state=0)
    >>> est = TylerScatter().fit(data.X)
    >>> float(np.trace(est.shape_)), bool(np.abs(est.covariance_ - data.scatter).max() < 0.2)
    (2.0, True)
    """

    _parameter_constraints = refusing_bools({
        "location": [StrOptions({"spatial_median", "coordinatewise_median"})],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(self, *, location="spatial_median", tol=1e-6, max_iter=500, contamination=0.1):
        self.location = location
        self.tol = tol
        self.max_iter = max_iter
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the location and Tyler's scatter of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : TylerScatter
        """
        X, (centre, basis) = check_training_data(self, X, scatter=True, return_span=True)
        p = X.shape[1]
        if self.location == "spatial_median":
            # max_iter is the one handle on both iterations, so that the ConvergenceWarning's
            # advice (increase max_iter) is one the user can follow.
            location = geometric_median(X, max_iter=self.max_iter)[0]
        else:
            location = np.median(X, axis=0)
        rank = basis.shape[1]
        if rank == p:
            self.shape_, self.n_iter_ = tyler_shape(
                X, location, tol=self.tol, max_iter=self.max_iter
            )
            Z = X - location
            d2 = np.einsum("ij,ij->i", Z, np.linalg.solve(self.shape_, Z.T).T)
            factor = np.median(d2) / stats.chi2.median(p)
            _store_scatter(self, X, location, self.shape_ * factor)
            return self
        # The rows lie in a proper affine subspace (check_training_data has warned), where
        # Tyler's shape of ℝ^p does not exist: it is computed in the subspace's coordinates,
        # around the location projected on it, and embedded (singular across it).
        location, basis = _onto_span(X, centre, basis, location)
        Y = (X - location) @ basis
        shape, self.n_iter_ = tyler_shape(
            Y, np.zeros(rank), tol=self.tol, max_iter=self.max_iter
        )
        d2 = np.einsum("ij,ij->i", Y, np.linalg.solve(shape, Y.T).T)
        embedded = basis @ shape @ basis.T
        self.shape_ = embedded * (p / rank)
        _store_scatter(self, X, location, embedded * np.median(d2) / stats.chi2.median(rank))
        return self


# ---------------------------------------------------------------------------------------------
# Spatial sign covariance matrix
# ---------------------------------------------------------------------------------------------


def sign_covariance_scatter(X, location, scale="mad"):
    """A scatter from the spatial sign covariance: its eigenvectors V, and as eigenvalues the
    squared robust scales of the data projected on them, λⱼ = s(vⱼᵀ(Xᵢ − location))².

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5000, 2)) * [3.0, 1.0]
    >>> sign_covariance_scatter(X, np.zeros(2)).round(0)
    array([[ 9., -0.],
           [-0.,  1.]])
    """
    _, vectors = np.linalg.eigh(spatial_sign_covariance(X, location))
    values = robust_scale((X - location) @ vectors, scale) ** 2
    return (vectors * values) @ vectors.T


class SpatialSignCovariance(ScatterDistances, RobustLocationMixin, BaseEstimator):
    """Robust scatter from the spatial sign covariance matrix (SSCM) around the spatial median.

    The SSCM (1/n) Σ uᵢuᵢᵀ of the unit vectors uᵢ = (Xᵢ − μ̂)/‖Xᵢ − μ̂‖, μ̂ the spatial median,
    has the eigenvectors of the scatter of any elliptical law but shrunken eigenvalues; they
    are replaced by the squared robust scales (MAD by default) of the data projected on the
    eigenvectors (Visuri, Koivunen & Oja, 2000, Section 3; Croux, Ollila & Oja, 2002). The
    result is orthogonally (not affinely) equivariant, with a bounded influence function;
    cost O(np²) after the spatial median.

    On rows in a proper affine subspace the fit is moved into it, as ``KendallTauScatter``'s:
    the location on it, the scatter singular across it (the robust scale of the projections
    across it is rounding noise, which would set the scatter's size there).

    Parameters
    ----------
    scale : "mad" or callable, default="mad"
        Robust scale of the projections: see :func:`robustgan.univariate.robust_scale`.
    tol : float, default=1e-7
        Tolerance of the spatial median (:func:`geometric_median`).
    max_iter : int, default=500
        Iterations of the spatial median.
    contamination : "auto" or float in [0, 0.5), default=0.1
        Rule for ``predict``: see ``RobustLocationMixin``. The default labels the tenth of
        the training rows farthest from the fit, as ``EllipticEnvelope``'s; ``"auto"`` (the
        χ²_p 0.975 cutoff) may label none on light-tailed data.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
        The spatial median (projected on the rows' affine span, where they lie in a proper
        one).
    sign_covariance_ : ndarray of shape (n_features, n_features)
        The SSCM.
    covariance_ : ndarray of shape (n_features, n_features)
    precision_ : ndarray of shape (n_features, n_features)
    n_iter_ : int
        Iterations of the spatial median.
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    References
    ----------
    .. [1] S. Visuri, V. Koivunen and H. Oja, "Sign and rank covariance matrices", Journal of
       Statistical Planning and Inference 91(2), 557-575, 2000.
    .. [2] C. Croux, E. Ollila and H. Oja, "Sign and rank covariance matrices: statistical
       properties and application to principal components analysis", in Statistical Data
       Analysis Based on the L1-Norm and Related Methods, Birkhäuser, 2002.
    .. [3] A. F. Magyar and D. E. Tyler, "The asymptotic inadmissibility of the spatial sign
       covariance matrix for elliptically symmetric distributions", Biometrika 101(3),
       673-688, 2014.

    Examples
    --------
    >>> from robustgan.datasets import make_huber_contamination
    >>> data = make_huber_contamination(2000, 2, 0.0, scatter=[[2, .5], [.5, 1]], random_state=0)
    >>> est = SpatialSignCovariance().fit(data.X)
    >>> bool(np.abs(est.covariance_ - data.scatter).max() < 0.2)
    True
    """

    _parameter_constraints = refusing_bools({
        "scale": _SCALE_CONSTRAINT,
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "contamination": CONTAMINATION_CONSTRAINT,
    })

    def __init__(self, *, scale="mad", tol=1e-7, max_iter=500, contamination=0.1):
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the location and the SSCM-based scatter of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : SpatialSignCovariance
        """
        X, span = check_training_data(self, X, scatter=True, return_span=True)
        location, self.n_iter_ = geometric_median(X, tol=self.tol, max_iter=self.max_iter)
        self.sign_covariance_ = spatial_sign_covariance(X, location)
        scatter = sign_covariance_scatter(X, location, self.scale)
        _store_scatter(self, X, *_within_span(X, span, location, scatter))
        return self


# ---------------------------------------------------------------------------------------------
# OGK (statsmodels)
# ---------------------------------------------------------------------------------------------


class OGK(BaseEstimator):
    """statsmodels' orthogonalised Gnanadesikan–Kettenring estimator with the scikit-learn face
    the runner needs (``location_``, ``covariance_``).

    statsmodels' defaults (``cov_ogk``): MAD scales, and after the reweighting step a
    consistency factor for the rows kept, 0.9/P(χ²_{p+2} ≤ χ²_p(0.9)), with the (n − 1)
    covariance: on HBK ``covariance_`` is 1.228 times R's ``rrcov::CovOgk(beta = 0.9,
    smrob = "s_mad")``, which applies neither, and the location and the unreweighted fit
    (``reweight=None``) agree with R's to 1e-12.

    Parameters
    ----------
    maxiter : int, default=2
        Orthogonalisation passes (Maronna & Zamar 2002 find two enough).
    reweight : float or None, default=0.9
        χ² quantile of the hard-rejection reweighting step; None skips it.

    References
    ----------
    Maronna, R. A. and Zamar, R. H. (2002). Robust estimates of location and dispersion for
    high-dimensional datasets. Technometrics 44(4), 307–317.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((500, 3))
    >>> OGK().fit(X).covariance_.shape
    (3, 3)
    """

    def __init__(self, maxiter=2, reweight=0.9):
        self.maxiter = maxiter
        self.reweight = reweight

    def fit(self, X, y=None):
        """Compute the OGK location and scatter of X; returns self."""
        from statsmodels.robust.covariance import cov_ogk

        result = cov_ogk(np.asarray(X, dtype=np.float64), maxiter=self.maxiter,
                         reweight=self.reweight)
        self.location_ = np.asarray(result.mean, dtype=np.float64)
        self.covariance_ = np.asarray(result.cov, dtype=np.float64)
        return self
