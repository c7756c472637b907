"""Multivariate robust statistics that estimators and baselines share: the robust start.

A neutral module: it imports neither the estimators nor the baselines, and both use it.

* Rank and sign statistics: ``spearman_rho_matrix``, ``spatial_sign_covariance``.
* Mahalanobis geometry: ``squared_mahalanobis`` and ``regularised_scatter``, the one floor on a
  scatter's eigenvalues (``EIGEN_FLOOR``).
* MCD's steps: concentration (C-steps) and the reweighting step ``reweighted_estimate`` with its
  consistency factor ``truncation_consistency``.
* ``trimmed_scatter``: the robust start of every adversarial estimator, built from the above and
  two tools of projection pursuit.

The concentration steps of MCD shrink a start's determinant; a tight cluster of outliers lowers
the determinant of any subset that holds it, so on clustered contamination every start can
converge to a subset with the cluster inside, and the smallest determinant then picks it
(bench_scatter.py's condition-number-100 case: the three DetMCD starts all keep the 500
outliers). Two tools from projection pursuit fix both halves of that failure:

* ``outlyingness_start``: the rows least outlying in the Stahel–Donoho sense, over directions
  through the data's own rows, give a start that leaves such a cluster out (a direction through
  one of its rows sees it far from the projected median);
* ``projection_ks_distance``: which candidate to keep. A Gaussian N(μ, Σ) that fits the inliers
  matches every one-dimensional projection of the data up to the outliers' share ε (Kolmogorov
  distance ≤ ε plus sampling noise); one fitted to a subset that holds a cluster is stretched
  along the cluster's direction and mismatches the inliers' projection on it by much more.
"""

import functools
import math
from numbers import Integral

import numpy as np
from scipy import linalg, special, stats
from sklearn.utils import check_random_state

from ._threads import shared
from ._validation import (
    as_numbers,
    check_data,
    check_model,
    check_rows,
    check_scales_representable,
    check_square,
    check_vector,
)
from .outliers import AUTO_INLIER_QUANTILE, TIE_TOLERANCE, squared_tie_margin
from .univariate import column_median, discrete_features, reweighted_location_scale, robust_scale

__all__ = [
    "EIGEN_FLOOR",
    "EIGENVALUE_TIE",
    "HEAVY_TAIL_DF",
    "canonical_row_order",
    "correlation_from_products",
    "data_directions",
    "eigenvalues_apart",
    "elliptical_cutoff",
    "floored_scatter_and_precision",
    "key_directions",
    "outlyingness",
    "outlyingness_start",
    "projection_ks_distance",
    "projection_share",
    "radial_tail_df",
    "regularised_scatter",
    "relative_spread",
    "reweighted_estimate",
    "spatial_sign_covariance",
    "spearman_rho_matrix",
    "squared_mahalanobis",
    "squared_mahalanobis_from_factor",
    "trimmed_scatter",
    "truncation_consistency",
    "two_group_share",
    "unit_rows",
]


def data_directions(X, center, n_directions, rng):
    """Unit vectors from ``center`` through up to ``n_directions`` distinct random rows of X.

    Rows at the centre itself give no direction and are skipped.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((50, 3))
    >>> D = data_directions(X, np.zeros(3), 10, np.random.default_rng(0))
    >>> D.shape, bool(np.allclose(np.linalg.norm(D, axis=0), 1.0))
    ((3, 10), True)
    """
    X = check_rows(X)
    check_model(center, None, X.shape[1], names=("center", None))
    rows = rng.choice(len(X), size=min(int(n_directions), len(X)), replace=False)
    D = (X[rows] - center).T
    norms = np.linalg.norm(D, axis=0)
    # A row at the centre in exact arithmetic is 0 or some ulps from it, which the data's
    # units and the rows' order set; as a direction that rounding is noise (scikit-learn's
    # digits: a blank row at the median, and the start's candidate changed with the order).
    keep = norms > (_AT_CENTRE * np.median(norms) if norms.size else 0.0)
    return D[:, keep] / norms[keep]


# A row nearer the centre than this share of the median row's distance is at the centre
# (``data_directions``).
_AT_CENTRE = 1e-9


def unit_rows(vectors):
    """The rows of ``vectors`` scaled to unit Euclidean norm, safe at any finite scale.

    Each row is divided by its largest magnitude before its norm is taken, so that the squares
    inside the norm neither overflow nor underflow: directions in the coordinates of data at
    1e155 (entries near 1e-155) had norms of subnormal squares, or of 0, and at 1e-155 infinite
    ones, which left zero or NaN directions. A row that is zero or holds a non-finite entry has
    no direction: it comes out NaN, and ``usable`` leaves it out.

    Parameters
    ----------
    vectors : ndarray of shape (n_vectors, n_features) or (n_features,)
        The vectors as rows, or a single vector.

    Returns
    -------
    units : ndarray of the shape of ``vectors``
        The rows scaled to unit norm; NaN rows where ``usable`` is False.
    usable : ndarray of bool of shape (n_vectors,), or a bool for a single vector
        Whether the row's largest magnitude is positive and finite.

    Notes
    -----
    The norm of a single vector is taken as ``np.linalg.norm`` takes it (a dot product), those
    of the rows of an array by a sum along each row; the two can differ in the last bit, and
    each is kept so that no estimate that used one of them changes.

    Examples
    --------
    >>> units, usable = unit_rows(np.array([[3e-160, 4e-160], [3e160, -4e160], [0.0, 0.0]]))
    >>> units
    array([[ 0.6,  0.8],
           [ 0.6, -0.8],
           [ nan,  nan]])
    >>> usable
    array([ True,  True, False])
    """
    vectors = np.asarray(vectors)
    if vectors.ndim not in (1, 2):
        raise ValueError(f"vectors must be one vector or rows of vectors; got shape "
                         f"{vectors.shape}")
    peaks = np.max(np.abs(vectors), axis=-1, keepdims=True)
    usable = ((0 < peaks) & (peaks < np.inf))[..., 0]
    # Unusable rows divide 0 by 0 or inf by inf: NaN by design, not an error to report.
    with np.errstate(invalid="ignore"):
        scaled = vectors / peaks
        norms = np.linalg.norm(scaled, axis=None if scaled.ndim == 1 else -1, keepdims=True)
        return scaled / norms, usable


def outlyingness(X, directions):
    """Stahel–Donoho outlyingness of each row over the given directions.

    max over directions d of ``|dᵀx − med(dᵀX)| / MAD(dᵀX)``, with the MAD scaled to the normal
    standard deviation; directions whose projection has a zero MAD are ignored.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    directions : ndarray of shape (n_features, n_directions)

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> X = np.vstack([np.random.default_rng(0).standard_normal((99, 2)), [[30.0, 30.0]]])
    >>> int(np.argmax(outlyingness(X, np.eye(2))))
    99
    """
    X = check_rows(X)
    directions = _checked_directions(directions, X.shape[1])
    projections = X @ directions
    center = column_median(projections)
    # The absolute deviations serve both the MAD and the outlyingness: one median and one pass
    # fewer than scipy.stats.median_abs_deviation, whose values these are to the bit. Over the
    # projections themselves: one (n × directions) array fewer.
    in_place = projections if projections.dtype == np.result_type(projections, center) else None
    deviations = np.subtract(projections, center, out=in_place)
    np.abs(deviations, out=deviations)
    spread = column_median(deviations) / _NORMAL_MAD
    informative = spread > 0
    if not informative.any():
        return np.zeros(len(X))
    if not informative.all():
        deviations, spread = deviations[:, informative], spread[informative]
    deviations /= spread
    return np.max(deviations, axis=1)


# Φ⁻¹(3/4), the constant by which scipy.stats.median_abs_deviation(scale="normal") divides.
_NORMAL_MAD = 0.6744897501960817


def outlyingness_start(X, support_size, n_directions, rng, *, center=None):
    """Mean and covariance of the ``support_size`` least outlying rows (Stahel–Donoho).

    The directions run from the coordinatewise median through random rows, so a cluster of
    outliers is seen along its own direction as soon as one of its rows is drawn: with a share
    ε of outliers and m directions, about ε·m directions point at them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    support_size : int
        Rows kept.
    n_directions : int
    rng : numpy.random.Generator
    center : ndarray of shape (n_features,), optional
        The coordinatewise median of X, ``np.median(X, axis=0)`` if not given (a caller that
        has computed it saves that pass).

    Returns
    -------
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.standard_normal((900, 2)), 8 + 0.1 * rng.standard_normal((100, 2))])
    >>> location, scatter = outlyingness_start(X, 500, 100, rng)
    >>> bool(np.abs(location).max() < 0.2)
    True
    """
    X = check_data(X, min_samples=2)
    if not 2 <= support_size <= len(X):
        raise ValueError(f"support_size must be between 2 and {len(X)}; got {support_size}")
    if center is None:
        center = np.median(X, axis=0)
    directions = data_directions(X, center, n_directions, rng)
    if directions.shape[1] == 0:
        keep = np.arange(len(X))
    else:
        keep = _most_central(outlyingness(X, directions), support_size)
    subset = X[keep]
    return subset.mean(axis=0), np.atleast_2d(np.cov(subset, rowvar=False))


def projection_ks_distance(X, location, scatter, directions):
    """Largest Kolmogorov distance between the data's projections and N(μ, Σ)'s.

    For each direction d: ``sup_t |F_n(t) − Φ((t − dᵀμ) / √(dᵀΣd))|`` where F_n is the empirical
    distribution of dᵀX. Under Huber's model at the true (μ, Σ) every one of these is at most
    the contamination share plus sampling noise of order 1/√n.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
    directions : ndarray of shape (n_features, n_directions)

    Returns
    -------
    float

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((4000, 2))
    >>> bool(projection_ks_distance(X, np.zeros(2), np.eye(2), np.eye(2)) < 0.03)
    True
    >>> bool(projection_ks_distance(X, np.zeros(2), 9 * np.eye(2), np.eye(2)) > 0.2)
    True
    """
    X, location, scatter, directions = _checked_projection_arguments(X, location, scatter,
                                                                     directions)
    return _sorted_ks_distance(np.sort(X @ directions, axis=0), location, scatter, directions)


def _checked_projection_arguments(X, location, scatter, directions):
    """``projection_ks_distance``'s and ``projection_share``'s arguments, checked: data, a model
    of its features and directions as the columns of a (n_features, k) array."""
    X = check_data(X)
    location, scatter = check_model(location, scatter, X.shape[1])
    return X, location, scatter, _checked_directions(directions, X.shape[1])


def _checked_directions(directions, n_features):
    """``directions`` as the columns of a float64 (n_features, k) array, refused by name
    otherwise."""
    directions = as_numbers(directions, "directions")
    if directions.ndim != 2 or directions.shape[0] != n_features:
        raise ValueError(f"directions has shape {directions.shape} where the data's "
                         f"{n_features} features need (n_features, k) = ({n_features}, k)")
    return directions


def projection_share(X, location, scatter, directions, bins=10):
    """The smallest share of N(μ, Σ) that the data's projections hold, over bins of its mass.

    Each direction d's projections dᵀX are counted in ``bins`` intervals of equal mass under
    N(dᵀμ, dᵀΣd) (between its quantiles k/bins); a bin's share is its count over n/bins, and
    the result is the smallest over bins and directions. Under Huber's model at the true
    (μ, Σ) the data hold at least (1 − ε) of every bin, wherever the outliers lie; a model
    that is too wide, or moved, along d claims rows in its tails that the data do not have
    there. Between two estimates, the one with the larger share needs fewer outliers to
    explain the data (a total-variation criterion, as TV-GAN's, read on a few projections).
    One bin's share varies by about √(bins/n) from sampling alone. A row on an edge to
    ``robustgan.outliers.TIE_TOLERANCE`` of the projection's spread counts half in each of the
    two bins, so that the share does not depend on the data's units where rows of counts or
    scores lie on an edge.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
    directions : ndarray of shape (n_features, n_directions)
    bins : int, default=10

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.standard_normal((4000, 2)), 4 + rng.standard_normal((1000, 2))])
    >>> directions = np.eye(2)
    >>> share = projection_share(X, np.zeros(2), np.eye(2), directions)  # 1 − ε, less noise
    >>> bool(0.65 < share <= 0.8)
    True
    >>> bool(projection_share(X, np.zeros(2), 4 * np.eye(2), directions) < 0.1)  # too wide
    True
    """
    X, location, scatter, directions = _checked_projection_arguments(X, location, scatter,
                                                                     directions)
    projections = X @ directions
    centres = directions.T @ location
    spreads = np.sqrt(np.einsum("ij,ik,kj->j", directions, scatter, directions))
    quantiles = special.ndtri(np.arange(1, bins) / bins)
    share = np.inf
    for j in range(directions.shape[1]):
        edges = centres[j] + spreads[j] * quantiles
        # A row on an edge, to ``TIE_TOLERANCE`` of the spread, counts half in each of its two
        # bins. Rows of counts lie exactly on the middle edge where the centre is one of their
        # projections, and the data's units round them to either side: on 30 Poisson rows,
        # p = 2, one sat 4e-15 SD from it in X and 1.5e-8 SD in 1e-6·X·D + b, counted in
        # different bins, and RobustGANScatter took the start in one and the game in the other.
        margin = TIE_TOLERANCE * spreads[j]
        counts = (np.bincount(np.searchsorted(edges - margin, projections[:, j]), minlength=bins)
                  + np.bincount(np.searchsorted(edges + margin, projections[:, j]),
                                minlength=bins)) / 2
        share = min(share, counts.min() * bins / len(projections))
    return float(share)


def _sorted_ks_distance(sorted_projections, location, scatter, directions, cdf=special.ndtr):
    """``projection_ks_distance`` from the data's projections on ``directions``, each sorted.

    Standardising a projection, t ↦ (t − dᵀμ)/√(dᵀΣd), is increasing, and so is its rounding:
    the sorted standardised values are the standardised sorted ones to the bit, so projections
    that several (μ, Σ) share are sorted once.

    Φ is evaluated (by scipy.special.ndtr, what scipy.stats.norm.cdf evaluates without its
    argument checks) at every ``_KS_STRIDE``-th order statistic first. Between two of those,
    Φ and the empirical distribution function both increase, which bounds the distance at the
    order statistics in between; Φ is then evaluated only in the blocks whose bound reaches
    the largest distance already found. The result is the maximum over every order statistic
    to the bit, for 7–8% of the evaluations of Φ (in trimmed_scatter on 2,000 to 50,000 rows).
    ``cdf`` replaces Φ by another increasing distribution function of the standardised values.
    """
    n = len(sorted_projections)
    variances = np.einsum("ij,ik,kj->j", directions, scatter, directions)
    scales = np.sqrt(np.maximum(variances, np.finfo(float).tiny))
    standardised = sorted_projections - location @ directions
    standardised /= scales
    if n < 4 * _KS_STRIDE:
        return _largest_ks_term(cdf(standardised), np.arange(n)[:, None], n)
    coarse = np.arange(0, n, _KS_STRIDE)
    if coarse[-1] != n - 1:
        coarse = np.append(coarse, n - 1)
    model = cdf(standardised[coarse])
    found = _largest_ks_term(model, coarse[:, None], n)
    if not np.isfinite(found):
        return _largest_ks_term(cdf(standardised), np.arange(n)[:, None], n)
    # Rows strictly between coarse rows a < b have ranks a + 2 … b and Φ in [Φ_a, Φ_b].
    bound = np.maximum(coarse[1:, None] / n - model[:-1], model[1:] - (coarse[:-1, None] + 1) / n)
    # The margin covers rounding in the bound and ndtr's monotonicity to the last few ulps.
    blocks, columns = np.nonzero(bound >= found - 1e-12)
    if blocks.size == 0:
        return found
    rows = coarse[blocks, None] + np.arange(1, _KS_STRIDE)
    inside = rows < coarse[blocks + 1, None]
    rows = np.where(inside, rows, coarse[blocks, None])
    terms = _ks_terms(cdf(standardised[rows, columns[:, None]]), rows, n)
    return float(max(found, np.max(terms, where=inside, initial=-np.inf)))


def _ks_terms(model, rows, n):
    """Distance between the empirical distribution and ``model`` (Φ at the order statistics at
    0-based ``rows``) on either side of each jump: max(i/n − Φ, Φ − (i − 1)/n) at rank i."""
    ranks = rows + 1.0
    return np.maximum(ranks / n - model, model - (ranks - 1) / n)


def _largest_ks_term(model, rows, n):
    return float(np.max(_ks_terms(model, rows, n)))


# Order statistics apart at which _sorted_ks_distance evaluates Φ first. The bounds between
# them are loose by about _KS_STRIDE/n, so that at 2,000 rows about 1% of the order statistics
# are left to evaluate after this first 1/16.
_KS_STRIDE = 16


def correlation_from_products(C):
    """C / √(diag C diag Cᵀ), with 0 off the diagonal where a diagonal entry is 0 and 1 on it.

    ``C`` is a square matrix of sums of products (XᵀX of ranks, of signs): finite, with a
    diagonal of sums of squares, which is never negative.

    Examples
    --------
    >>> correlation_from_products(np.array([[4.0, 2.0], [2.0, 9.0]])).round(3).tolist()
    [[1.0, 0.333], [0.333, 1.0]]
    >>> try:
    ...     correlation_from_products(np.diag([1.0, -1.0]))
    ... except ValueError as error:
    ...     print(error)
    C has negative diagonal entries (at [1]); a matrix of products has sums of squares there
    """
    C = check_square(C, name="C")
    negative = np.flatnonzero(np.diag(C) < 0)
    if negative.size:
        raise ValueError(
            f"C has negative diagonal entries (at {negative[:10].tolist()}); a matrix of "
            "products has sums of squares there")
    d = np.sqrt(np.diag(C))
    with np.errstate(divide="ignore", invalid="ignore"):
        R = C / np.outer(d, d)
    R[~np.isfinite(R)] = 0.0
    np.fill_diagonal(R, 1.0)
    return R


def spearman_rho_matrix(X):
    """Spearman's ρ between every pair of columns of X: the Pearson correlation of the ranks
    (average ranks for ties), as ``scipy.stats.spearmanr``.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 4.0], [4.0, 3.0]])
    >>> spearman_rho_matrix(X)
    array([[1. , 0.6],
           [0.6, 1. ]])
    """
    ranks = _column_ranks(check_data(X))
    ranks -= ranks.mean(axis=0)
    return correlation_from_products(ranks.T @ ranks)


def _column_ranks(X):
    """``scipy.stats.rankdata(X, axis=0)``, the same values in the same (column-major) layout.

    Half of scipy's time at 10,000 × 100: one unstable sort of contiguous columns (average
    ranks do not depend on the order among ties), scipy's bookkeeping only for columns with ties.
    A block of columns at a time (``_RANK_BLOCK_VALUES``): the sort's order, the sorted values,
    the ranks and the tie marks are five arrays of the block's size, which for the whole data
    were the peak of a fit's memory (20,000 × 400: 330 MB above its 64 MB of data).
    """
    n, p = X.shape
    if n == 0:
        return stats.rankdata(X, axis=0)
    result = np.empty((p, n), dtype=np.result_type(X.dtype, np.float64))
    width = max(1, _RANK_BLOCK_VALUES // n)
    for first in range(0, p, width):
        block = slice(first, min(p, first + width))
        columns = np.ascontiguousarray(X[:, block].T)
        order = np.argsort(columns, axis=1)
        ordered = np.take_along_axis(columns, order, axis=1)
        if np.isnan(ordered[:, -1]).any():
            return stats.rankdata(X, axis=0)
        ranks = np.broadcast_to(np.arange(1.0, n + 1), columns.shape).copy()
        ties = ordered[:, 1:] == ordered[:, :-1]
        del ordered
        for column in np.flatnonzero(ties.any(axis=1)):
            # A run of equal values from 0-based position s, c long, gets rank s + (c + 1)/2.
            starts = np.flatnonzero(np.concatenate(([True], ~ties[column])))
            counts = np.diff(starts, append=n)
            ranks[column] = np.repeat(starts + (counts + 1) / 2, counts)
        np.put_along_axis(result[block], order, ranks, axis=1)
    return result.T


# Values per block of ``_column_ranks``: 1,000,000 float64 (8 MB) per temporary.
_RANK_BLOCK_VALUES = 1_000_000


def spatial_sign_covariance(X, location):
    """The spatial sign covariance matrix (1/n) Σᵢ uᵢuᵢᵀ, uᵢ = (Xᵢ − location)/‖Xᵢ − location‖
    (uᵢ = 0 for rows at the location). Its eigenvectors are those of the scatter of an
    elliptical law, not its eigenvalues.

    Examples
    --------
    >>> X = np.array([[3.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -5.0]])
    >>> spatial_sign_covariance(X, np.zeros(2))
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    X = check_data(X)
    check_model(location, None, X.shape[1])
    location = np.asarray(location)  # float32 rows and location keep float32 signs
    # The signs over the centred rows, in place, and their norms a block of rows at a time
    # (each row's norm is its own reduction): one array of the data's size, not three.
    U = np.subtract(X, location, dtype=np.result_type(X, location, 1.0))  # floating
    norms = np.empty(len(U), dtype=U.dtype)
    for start in range(0, len(U), _DISTANCE_ROWS):
        norms[start:start + _DISTANCE_ROWS] = np.linalg.norm(U[start:start + _DISTANCE_ROWS],
                                                             axis=1)
    U /= np.where(norms > 0, norms, 1.0)[:, None]
    return U.T @ U / X.shape[0]


# Below this fitted radial tail (``radial_tail_df``) the inliers are taken as heavy-tailed:
# Gaussian fits are measured against the multivariate t instead (``trimmed_scatter``'s choice
# of candidate), and sample skewness, whose variance is finite only with six moments, is not
# read (``robustgan.clusters``; RobustGANMean keeps its start).
HEAVY_TAIL_DF = 4.0

# Relative difference below which two eigenvalues are one (``eigenvalues_apart``): the
# estimates agree across affine transforms of the data to about 1e-11, and a vector whose
# eigenvalue is apart by 1e-6 moves by about 1e-5 with them.
EIGENVALUE_TIE = 1e-6

# Relative floor on the eigenvalues of the starting scatter, so that data on a subspace (or a
# constant feature) still give a whitening transform; the game then runs in the full space.
EIGEN_FLOOR = 1e-9

def key_directions(n_features):
    """The two fixed directions whose projections order rows where values tie
    (``canonical_row_order``; ``robustgan.clusters``' search for rows on a subspace): the same
    on every call, so that an order from them depends on nothing but the rows' values.

    Examples
    --------
    >>> key_directions(3).shape, bool(np.array_equal(key_directions(3), key_directions(3)))
    ((3, 2), True)
    """
    return np.random.default_rng(20190101).standard_normal((n_features, 2))


def eigenvalues_apart(value, neighbour):
    """Whether two eigenvalues differ by more than ``EIGENVALUE_TIE`` of the larger: an
    eigenvalue tied with its neighbour has no eigenvector of its own (rounding, which the data's
    units and the rows' order set, picks one in the shared eigenspace).

    Examples
    --------
    >>> eigenvalues_apart(1.0, 1.0 + 1e-9), eigenvalues_apart(1.0, 1.1)
    (False, True)
    """
    return abs(value - neighbour) > EIGENVALUE_TIE * max(abs(value), abs(neighbour))


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
    # No pass over the values: a fit orders its rows twice, and NaN keys sort last.
    X = check_data(X, min_samples=0, ensure_all_finite=False)
    keys = key_directions(X.shape[1])
    # einsum's own loop, on the caller's thread: no BLAS and no torch. OpenBLAS's threads keep
    # spinning after a product and slowed the torch work that followed (the principal
    # directions' eigh ran 27 against 3 ms at n = 20,000, p = 100). A torch product run on
    # robustgan's background thread (RobustGANMean's start beside its game) left a second
    # OpenMP team alive for the process's life, and libgomp, seeing more threads than CPUs,
    # then woke its workers from sleep for every parallel torch operation: a RobustGANScatter
    # fit of 50,000 × 100 after RobustGANMean fits took 3.72 s instead of 2.34 s. The sums
    # are the torch product's to the bit (one dot product per row, in feature order).
    X = np.ascontiguousarray(X, dtype=np.float64)
    first, second = (np.einsum("ij,j->i", X, key) for key in keys.T)
    return np.lexsort((second, first))


# Concentration steps per start, at most (``trimmed_scatter``). Four stopped short: from the
# Spearman start, a cluster N(1.5·1, I) at ε = 0.2, p = 20 kept 9-18% of its rows in the
# candidate's subset, and that candidate won the projection check (RESULTS.md, seventh and
# seventeenth sessions). Most starts reach a fixed point in 5-15 steps.
_CONCENTRATION_STEPS = 20


def trimmed_scatter(X, support_fraction=0.5, n_iter=_CONCENTRATION_STEPS, *, n_directions=250,
                    random_state=None, location_scale=None, return_first_step=False):
    """Location and scatter of the ``support_fraction`` most central rows, by concentration steps.

    From each of four starts (the coordinatewise median with the diagonal of squared MADs, with
    the Spearman correlation rescaled by the MADs, with the spatial sign covariance, as in
    DetMCD (Hubert, Rousseeuw & Verdonck 2012), and the least Stahel–Donoho-outlying rows over
    directions through the data's rows), each step keeps the h = ⌈support_fraction·n⌉ rows of
    smallest Mahalanobis distance and recomputes their mean and covariance: the C-step of
    Rousseeuw & Van Driessen's MCD. Each result is rescaled so that the median squared
    distance matches the median of χ²_p, which makes it consistent at the Gaussian and
    shape-consistent at any elliptical law. A step leaves a discrete feature
    (``robustgan.univariate.discrete_features``) at least the variance of its levels near its
    median: a 0/1 feature whose common level holds more than h rows would otherwise be kept at
    that level alone (MCD's exact fit), with no variance along it.

    The candidate kept is the one whose Gaussian matches the data's one-dimensional projections
    best (smallest largest Kolmogorov distance over the start's directions and the candidate's
    extreme eigenvectors, ``projection_ks_distance``), not MCD's smallest determinant: a tight
    cluster of outliers lowers the determinant of every subset that holds it, and wins it.
    Where the winner's distances fit a multivariate t with ν < ``HEAVY_TAIL_DF``
    (``radial_tail_df``), every Gaussian fits the projections badly, and each candidate is
    measured against the t its own distances fit instead. A winner whose 0.975 ellipsoid
    holds two groups along its major axis (``two_group_share`` ≥ 0.9: near ε = 1/2 a
    concentration can settle between the inliers and a far cluster) gives way to the best
    fitting candidate that holds one. A winner that holds a tight group which a candidate of
    smaller determinant leaves outside its ellipsoid gives way to that candidate
    (skewed or small tables, where no Gaussian fits the projections well).
    On more than max(5,000, 20·p) rows the candidates come from a random subsample of that
    size and the winner takes two more concentration steps on every row (FastMCD's nested
    subsets). Two reweighting steps follow (``reweighted_estimate``; MCD takes one); the
    first step's estimate is the result where the second kept fewer rows than h and than
    half the first's (``_collapsed``: a tight group in the subset at high p). With
    ``return_first_step`` the first step's estimate is returned too where the second let in
    clearly more rows than the first (``_cascaded``). The data
    are standardised per feature first (``robustgan.univariate.reweighted_location_scale``),
    so the result is equivariant under positive rescaling of the features and shifts.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    support_fraction : float in (0, 1], default=0.5
    n_iter : int, default=20
        Concentration steps per start, at most: a start's steps stop at a fixed point (the
        same rows twice), which 5-15 steps reach on the held-out designs. Fewer steps leave
        candidates between a cluster and the inliers, and the projection check may take
        one of those (its Gaussian, widened towards the cluster, covers more of the
        projections).
    n_directions : int, default=250
        Directions of the outlyingness start and of the projection check.
    random_state : int, RandomState instance or None, default=None
        Draws the rows the directions pass through.
    location_scale : tuple of two ndarrays of shape (n_features,), optional
        The per-feature standardisation, ``reweighted_location_scale(X)`` if not given (a
        caller that has computed it saves that pass).
    return_first_step : bool, default=False
        Return a fourth value: ``(location, scatter)`` of the first reweighting step where the
        second step cascaded (``_cascaded``), else None. The estimators fall back on it where
        no cluster explains the second step's extra rows (``correct_absorbed_cluster``).

    Returns
    -------
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
    support : ndarray of shape (n_samples,), bool
        The rows of the winning start's last subset.
    first_step : tuple of two ndarrays, or None
        Only with ``return_first_step=True``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.standard_normal((900, 2)), 50 + rng.standard_normal((100, 2))])
    >>> location, scatter, support = trimmed_scatter(X, random_state=0)
    >>> bool(np.abs(location).max() < 0.2), bool(np.abs(scatter - np.eye(2)).max() < 0.25)
    (True, True)
    """
    X = check_data(X, min_samples=2)
    # Standardised per feature first, so that the starts that are not equivariant themselves
    # (the spatial sign covariance, the floor on eigenvalues) do not depend on the units:
    # trimmed_scatter(a·X·D + b) is (a·μ·D + b, a²·DΣD) to rounding for a > 0, D > 0 diagonal.
    center, scale = reweighted_location_scale(X) if location_scale is None else location_scale
    # The scatter is returned in X's units: scale² must hold in float64 (data at 1e300
    # overflowed to inf with a RuntimeWarning). The estimators refuse such data before this.
    check_scales_representable(scale)
    scale = np.where(scale > 0, scale, 1.0)
    standardised = X - center
    # In place where the types allow: one temporary of the data's size instead of two.
    if (np.issubdtype(standardised.dtype, np.floating)
            and standardised.dtype == np.result_type(standardised, scale)):
        standardised /= scale
    else:
        standardised = standardised / scale
    # In the rows' canonical order, so that the subsample and the directions through rows, and
    # with them the estimate, do not depend on how the rows were ordered.
    # Reordered, the unordered copy is let go: the steps below hold one copy of the data.
    order = canonical_row_order(standardised)
    standardised = standardised[order]
    location, scatter, ordered_support, first_step = _trimmed_scatter(
        standardised, support_fraction, n_iter, n_directions, random_state)
    support = np.empty_like(ordered_support)
    support[order] = ordered_support
    estimate = center + scale * location, scatter * np.outer(scale, scale), support
    if not return_first_step:
        return estimate
    if first_step is not None:
        first_step = center + scale * first_step[0], first_step[1] * np.outer(scale, scale)
    return *estimate, first_step


def _trimmed_scatter(X, support_fraction, n_iter, n_directions, random_state):
    n, p = X.shape
    rng = np.random.default_rng(check_random_state(random_state).randint(2**31 - 1))
    # The candidates come from a subsample (FastMCD's nested subsets): a start and its
    # concentration steps need far fewer rows than the last steps, which use every row.
    m = min(n, max(_START_ROWS, _START_ROWS_PER_FEATURE * p))
    sample = X if m == n else X[np.sort(rng.choice(n, size=m, replace=False))]
    median = column_median(sample)
    starts = _deterministic_starts(sample, median)
    h_sample = _support_size(support_fraction, m, p)
    if p > 1:
        location, scatter = outlyingness_start(sample, h_sample, n_directions, rng, center=median)
        starts.append((location, regularised_scatter(scatter)))
    floor = _level_floor(sample)
    # Independent of each other: another thread can take some (``shared``).
    candidates = [call.result() for call in shared(
        lambda start: _concentrate(sample, *start, h_sample, n_iter, floor), starts,
        work=sample.size * len(starts))]
    best = _best_fitting(sample, candidates, n_directions, rng, median)
    location, scatter, support, distances = candidates[best]
    h = _support_size(support_fraction, n, p)
    if m < n:
        location, scatter, support, distances = _concentrate(X, location, scatter, h,
                                                             _FULL_DATA_STEPS, floor)
    # The two reweighting steps one at a time (the same operations as one call of two), so
    # that the first step's estimate is there if the second cascaded or collapsed.
    first_location, first_scatter, first = reweighted_estimate(
        X, location, scatter, 1, distances=distances)
    if first is None:  # the step was not taken (p rows or fewer inside): nor is a second
        return first_location, first_scatter, support, None
    location, scatter, second = reweighted_estimate(X, first_location, first_scatter, 1)
    if _collapsed(first, second, h):
        return first_location, first_scatter, support, None
    first_step = (first_location, first_scatter) if _cascaded(first, second) else None
    return location, scatter, support, first_step


def _collapsed(first, second, h):
    """Whether a second reweighting step kept fewer rows than the concentration subset's h
    and fewer than half the first step's: the first step's scatter was too narrow for the
    inliers, and the second drops most of them. An estimate on fewer rows than h gives up
    MCD's premise that h rows are inliers. Heavy tails make a second step keep fewer rows
    too, but not half as many (Cauchy inliers, n = 5,000, p = 20, h = 2,511: 2,835 → 2,300;
    taking the first step there moved the atlas's Cauchy cells' scatter from 0.23 to 0.26).

    A tight group inside the concentration subset does it at high p: its rows add no spread,
    the first step's scatter is narrower than the inliers' by about the group's share, and
    at p = 200 squared distances concentrate (χ²₂₀₀ has SD 20), so a scatter 23% narrow puts
    most inliers past the cut. With 20% of 10,000 rows at one point 3 SD out (h = 5,101) the
    steps kept 8,706, then 3,445 rows, then the copies alone (a scatter of eigenvalues
    1e-35); with a tight cluster (SD 0.2) 2 SD out the estimate was the cluster (location
    error 2.0; MinCovDet's 1.98). The first step's estimate is then kept, and the
    absorbed-cluster checks that follow read a start that holds the inliers. A rule at 3
    binomial SDs of the count (as ``_cascaded``'s) also took the first step on tight
    clusters and t₃ inliers at p = 10, whose second step trims tails: 33 of 1,896 held-out
    fits moved, 26 errors fell and 24 rose.

    Examples
    --------
    >>> first = np.arange(1000) < 900
    >>> [bool(_collapsed(first, np.arange(1000) < k, 501)) for k in (600, 480, 400)]
    [False, False, True]
    """
    if first is None or second is None:
        return False
    kept = np.count_nonzero(second)
    return kept < h and 2 * kept < np.count_nonzero(first)


def _cascaded(first, second):
    """Whether a second reweighting step let in more rows than sampling explains: more than
    the first step's ``first`` rows (bool masks) by ``_CASCADE_SD`` binomial standard
    deviations of the count inside a 0.975 cut, √(n·0.975·0.025).

    Outliers just outside the first cut, let in by a cut that the first step's own outliers
    widened, widen the next estimate again: a cluster along a flat-topped feature (x0 uniform,
    20% of the rows at x0 + 5, p = 10, n = 2,000). There the second step took in 28-85 rows
    more than the first (4-12 standard deviations) and the scatter error grew from 0.7-1.0 to
    1.2-2.1, a third step to 2.4-3.5 (benchmarks/RESULTS.md, eighteenth session). Skewed
    inliers do it too (an exponential feature: 2.6-6.5), their long tail taken in step by
    step. On clean Gaussian rows the second step lets in a few rows more too, 1-1.5
    standard deviations at the median; beyond 3 in 7 of 40 fits at n = 200, p = 5, 1 of 40
    at n = 1,000, p = 10 and none at n = 2,000 and 5,000.

    Examples
    --------
    >>> first = np.arange(1000) < 800
    >>> grown = [np.arange(1000) < 810, np.arange(1000) < 830]
    >>> [bool(_cascaded(first, second)) for second in grown]
    [False, True]
    """
    if first is None or second is None:
        return False
    n = len(first)
    noise = math.sqrt(n * AUTO_INLIER_QUANTILE * (1.0 - AUTO_INLIER_QUANTILE))
    return np.count_nonzero(second) - np.count_nonzero(first) > _CASCADE_SD * noise


# Binomial standard deviations of the count inside a 0.975 cut by which a second reweighting
# step must grow the first step's rows to be read as a cascade (``_cascaded``).
_CASCADE_SD = 3.0


def _level_floor(X):
    """Per feature, the least variance a concentration step may leave it (0 for continuous
    features), or None where no feature is discrete. X is standardised per feature.

    A discrete feature whose commonest level holds h rows or more lets a C-step keep that
    level alone: the subset's variance along it is 0, and MCD's exact fit takes the level for
    the whole data (a 0/1 feature with 30% ones beside five continuous features: 8 of 8
    seeds; MinCovDet's random starts reach it on 1). The floor is the variance of the
    feature's values within ``_LEVEL_WINDOW`` standardised units of its median: its levels
    near the bulk (both of a dummy with 20% ones, 4 units apart), not a rare code far out (a
    missing value coded 9 beside 0/1 levels is 18 units out). The nearest other level that
    holds a tenth of the commonest one's rows is counted too where it lies beyond the window
    (``_nearest_other_level``: a scale that a level of more than half the rows collapsed).
    """
    discrete = discrete_features(X)
    if not discrete.any():
        return None
    floor = np.zeros(X.shape[1])
    for j in np.flatnonzero(discrete):
        values = X[:, j]
        median = np.median(values)
        near = np.abs(values - median) <= _LEVEL_WINDOW
        level = _nearest_other_level(values, median)
        if level is not None and abs(level - median) > _LEVEL_WINDOW:
            near |= values == level
        floor[j] = values[near].var()
    return floor


def _nearest_other_level(values, median):
    """The value nearest ``median``, other than the commonest, that holds a tenth of the
    commonest value's rows (and two rows at least), or None.

    ``_level_floor`` counts it where it lies beyond the window. The window's units are the
    feature's robust scale, which a level holding more than half the rows leaves to the few
    values beside it: a 0/1 dummy with 71 zeros in 120 rows, beside 12 outliers' values near 0,
    was scaled by 1/2,200, its level 1 lay 2,200 units out, the floor read level 0 alone (1e-33)
    and the concentration kept level 0 alone, MCD's exact fit. Only that level is added, not
    the values between: a cluster's values along the feature stay out of the floor.
    """
    levels, counts = np.unique(values, return_counts=True)
    common = np.argmax(counts)
    others = (np.arange(len(levels)) != common) & (counts > 1) & (10 * counts >= counts[common])
    if not others.any():
        return None
    candidates = levels[others]
    return float(candidates[np.argmin(np.abs(candidates - median))])


def _floored(scatter, floor):
    """``scatter`` with each variance below ``floor`` raised to it (rows and columns rescaled:
    the correlations are kept)."""
    variance = np.diag(scatter)
    low = variance < floor
    if not low.any():
        return scatter
    factor = np.where(low, np.sqrt(floor / np.maximum(variance, np.finfo(float).tiny)), 1.0)
    return scatter * np.outer(factor, factor)


def _most_central(values, k, squared=False):
    """Indices of the ``k`` rows of smallest ``values``: where rows tie with the k-th to
    ``robustgan.outliers.TIE_TOLERANCE`` (``squared_tie_margin`` for ``squared`` distances), the
    first of them in the rows' order (the canonical order of ``trimmed_scatter``), so that the
    choice depends on neither the data's units nor the rows' order."""
    kth = np.partition(values, k - 1)[k - 1]
    margin = squared_tie_margin(kth) if squared else TIE_TOLERANCE
    inside = np.flatnonzero(values < kth - margin)
    tied = np.flatnonzero(np.abs(values - kth) <= margin)
    return np.concatenate([inside, tied[:k - len(inside)]])


def _support_size(fraction, rows, p):
    """⌈fraction·rows⌉ rows, between p + 1 and ``rows``. The product is rounded first: MCD's
    (n + p + 1)/(2n) times n came out as 14.000000000000002 for n = 25, p = 2, and its ceiling
    one row more than MinCovDet's ⌈(n + p + 1)/2⌉ (for 10,064 of the (n, p) with n < 3,000 and
    p < 60)."""
    return min(rows, max(p + 1, math.ceil(round(fraction * rows, 9))))


# Reweighting steps after a robust estimate. MCD takes one; a second removes what the first
# let in through a cut widened by the outliers (±5 shifts at ε = 0.2, p = 1: the game's
# variance 1.6 lets 8% of the outliers inside one cut, none inside the next).
_REWEIGHTING_STEPS = 2


def truncation_consistency(cutoff, p):
    """The factor that makes the covariance of Gaussian rows with d² ≤ ``cutoff`` consistent:
    P(χ²_p ≤ c) / P(χ²_{p+2} ≤ c) (Croux & Haesbroeck, 1999).

    At the reweighting's cut, χ²_p's 0.975 quantile, P(χ²_p ≤ c) is taken as 0.975 itself
    (the factor of every reweighting step); 1 for p = 0, where there is nothing to correct.

    Examples
    --------
    >>> round(truncation_consistency(stats.chi2.ppf(0.975, 5), 5), 4)
    1.0555
    >>> try:
    ...     truncation_consistency(-1.0, 5)
    ... except ValueError as error:
    ...     print(error)
    cutoff must be a positive squared distance; got -1.0
    """
    if not (isinstance(p, Integral) and p >= 0):
        raise ValueError(f"p must be an int >= 0; got {p!r}")
    if p == 0:
        return 1.0
    try:
        cutoff = float(cutoff)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cutoff must be a number: {error}") from error
    if not cutoff > 0:  # NaN too; +inf keeps every row, and the factor is 1
        raise ValueError(f"cutoff must be a positive squared distance; got {cutoff!r}")
    quantile = stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    inside = AUTO_INLIER_QUANTILE if cutoff == quantile else stats.chi2.cdf(cutoff, p)
    return float(inside / stats.chi2.cdf(cutoff, p + 2))


def reweighted_estimate(X, location, scatter, n_steps=_REWEIGHTING_STEPS, *, distances=None,
                        centred=False):
    """MCD's reweighting step from (location, scatter), ``n_steps`` times.

    Each step keeps the rows inside the 0.975 ellipsoid (squared Mahalanobis distance at most
    χ²_p's 0.975 quantile) and takes their mean and covariance, the latter times the factor
    that makes a covariance truncated there consistent at the Gaussian (Croux & Haesbroeck,
    1999). A step that would keep p rows or fewer is not taken. With ``centred`` the location
    is kept and the scatter is the rows' second moment about it (MinCovDet's
    ``assume_centered``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
    n_steps : int, default=2
    distances : ndarray of shape (n_samples,), optional
        The squared Mahalanobis distances of X's rows from (location, scatter),
        ``squared_mahalanobis(X, location, scatter)`` if not given (a caller that has computed
        them saves that pass).
    centred : bool, default=False
        Keep ``location``; the scatter is taken about it.

    Returns
    -------
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
    support : ndarray of shape (n_samples,), bool, or None
        The rows the last step averaged (MinCovDet's ``support_``); None if no step was taken.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.standard_normal((900, 1)), 5 + rng.standard_normal((100, 1))])
    >>> location, scatter, support = reweighted_estimate(X, np.zeros(1), 1.6 * np.eye(1))
    >>> bool(abs(location[0]) < 0.1), bool(abs(scatter[0, 0] - 1) < 0.15)
    (True, True)
    """
    X = check_data(X)
    p = X.shape[1]
    location, scatter = check_model(location, scatter, p)
    cutoff, consistency = _reweighting_constants(p)
    support = None
    for step in range(n_steps):
        if step > 0 or distances is None:
            distances = squared_mahalanobis(X, location, scatter)
        inside = distances <= cutoff
        if np.count_nonzero(inside) <= p:
            break
        if centred:
            rows = X[inside] - location
            scatter = rows.T @ rows / len(rows)
        else:
            location, scatter = _mean_and_covariance(X[inside])
        scatter = regularised_scatter(scatter * consistency)
        support = inside
    return location, scatter, support


@functools.cache
def _reweighting_constants(p):
    """The reweighting cut (χ²_p's 0.975 quantile) and its consistency factor, for p features."""
    cutoff = stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    return cutoff, truncation_consistency(cutoff, p)


@functools.cache
def _chi2_median(p):
    return stats.chi2.median(p)


def _mean_and_covariance(rows):
    """The mean and the (n − 1)-normalised covariance of ``rows``, of shape (p,) and (p, p).

    Those of ``rows.mean(axis=0)`` and ``np.cov(rows, rowvar=False)`` to the bit (the same
    reductions and products), without np.cov's copy and its second pass for the mean: float64
    ``rows`` are centred in place, so callers pass a copy they do not need any more.
    """
    location = rows.mean(axis=0)
    if rows.dtype != np.float64:
        # np.cov computes in float64 about a float64 mean of its own.
        return location, np.atleast_2d(np.cov(rows, rowvar=False))
    # Centred in place: callers pass a fresh copy (X[support]), and this saves another.
    rows -= location
    scatter = rows.T @ rows
    scatter *= np.true_divide(1, len(rows) - 1)
    return location, scatter


def _concentrate(X, location, scatter, h, n_iter, floor=None):
    """At most ``n_iter`` C-steps from (location, scatter), stopping at a fixed point, then the
    χ²_p median consistency factor.
    ``floor``: the least variance of each feature after a step (``_level_floor``), if any.
    Distances tied to rounding are tied (``_most_central``).

    Returns (location, scatter, support, squared distances of X's rows from the returned
    location and scatter).
    """
    support = None
    for _ in range(max(1, n_iter)):
        d2 = squared_mahalanobis(X, location, scatter)
        kept = np.zeros(len(X), dtype=bool)
        kept[_most_central(d2, h, squared=True)] = True
        if support is not None and np.array_equal(kept, support):
            # A fixed point: the same rows give the same mean and covariance to the bit, so
            # the remaining steps would repeat this one, and d2 are the final distances.
            break
        support = kept
        location, scatter = _mean_and_covariance(X[support])
        scatter = regularised_scatter(scatter)
        if floor is not None:
            scatter = _floored(scatter, floor)
    else:
        d2 = squared_mahalanobis(X, location, scatter)
    median_d2 = np.median(d2)
    if median_d2 > 0:
        scatter = scatter * median_d2 / _chi2_median(X.shape[1])
        # The distances from the rescaled scatter, to rounding, without another pass.
        d2 = d2 * (_chi2_median(X.shape[1]) / median_d2)
    return location, scatter, support, d2



# Rows the starts and their concentration steps use (at least this many per feature), and
# the concentration steps on all rows that follow from the chosen candidate. The winner's
# steps on every row settle where the candidates came from 10,000 or 5,000 rows alike (errors
# within 0.002 in location and 0.006 in scatter at 50,000 × 100 and 20,000 × 10, on far,
# close, tight and one-feature clusters), and at p = 100 the half took 0.2-0.45 s off a start
# of 0.8-1.5 s (issue 16). Per feature 20 rows rather than 50 (twenty-third session): at
# n = 50·p every candidate had used every row; trimmed_scatter at 25,000 × 500 took 5.4-6.9
# against 12.8-14.9 s; the errors of the high-dimension table (p = 200, 500) and the atlas's
# p200 cell moved by at most 0.002, of 12 held-out designs drawn at 10,000 × 200 (72 errors)
# 15 rose and 12 fell by up to 0.09 (benchmarks/RESULTS.md).
_START_ROWS = 5_000
_START_ROWS_PER_FEATURE = 20
_FULL_DATA_STEPS = 2
# Standardised units about a discrete feature's median within which its levels set the least
# variance a concentration step may leave it (``_level_floor``).
_LEVEL_WINDOW = 5.0
# Rows and directions through rows the projection check uses: its Kolmogorov distances are
# resolved to about 1/√2000 ≈ 0.02, well below the gap between a clean candidate (≈ ε) and one
# holding a cluster (≈ ε + 0.1 and more in bench_scatter.py's cases), at a fraction of a second.
_CHECK_ROWS = 2_000
_CHECK_DIRECTIONS = 100
_CHECK_EIGENVECTORS = 10
# A share of a candidate scatter's largest eigenvalue below which it holds no spread
# (``_best_fitting``).
_SINGULAR = 1e-12


def _best_fitting(X, candidates, n_directions, rng, median=None):
    """Index of the candidate with the smallest projection Kolmogorov distance to the data.

    ``median``: X's coordinatewise median, if known. Of distances tied to rounding, the first
    candidate's is taken (``_first_least``).
    """
    if len(candidates) == 1:
        return 0
    rows = X
    # Each candidate's eigenvectors serve the two-group check (on every row, which its
    # distances are of) and its extreme directions below.
    eigen = [np.linalg.eigh(scatter) for _, scatter, *_ in candidates]
    eigenvectors = [vectors for _, vectors in eigen]
    split = [_split_along_major_axis(X, location, vectors[:, -1], distances)
             for (location, _, _, distances), vectors in zip(candidates, eigenvectors)]
    if len(X) > _CHECK_ROWS:
        X = X[rng.choice(len(X), size=_CHECK_ROWS, replace=False)]
        median = None
    if median is None:
        median = np.median(X, axis=0)
    shared = data_directions(X, median, min(n_directions, _CHECK_DIRECTIONS), rng)
    # The projections on the shared directions are sorted once for all candidates.
    shared_sorted = np.sort(X @ shared, axis=0)
    extreme_sorted = []
    for values, vectors in eigen:
        k = min(_CHECK_EIGENVECTORS, vectors.shape[1])
        # An eigenvalue shared with a neighbour has no vector of its own: rounding, which the
        # rows' order and the units set, picks one in the shared eigenspace (scikit-learn's
        # digits: the floored eigenvalues of blank pixels, and the candidates' distances moved
        # by 0.01 with the order).
        # A direction the candidate holds no spread along (3.7e-33 in standard units: an exact
        # fit of blank pixels) reads only which rows round to its centre's side.
        own = [j for j in (*range(k), *range(len(values) - k, len(values)))
               if _own_eigenvalue(values, j) and values[j] > _SINGULAR * values[-1]]
        extreme = vectors[:, own]
        extreme_sorted.append((np.sort(X @ extreme, axis=0), extreme))

    def distance(index, cdf=special.ndtr):
        location, scatter = candidates[index][:2]
        projections, extreme = extreme_sorted[index]
        # Either set of directions can be empty (every eigenvalue tied or singular; every
        # drawn row at the centre).
        return max((_sorted_ks_distance(values, location, scatter, directions, cdf)
                    for values, directions in ((shared_sorted, shared), (projections, extreme))
                    if directions.shape[1]), default=0.0)

    distances = [distance(index) for index in range(len(candidates))]
    best = _first_least(distances)
    # Heavy tails: every Gaussian fits the projections badly (Cauchy inliers: 0.25 for the
    # right candidate and for one near the coordinatewise median alike, which won on 2 seeds
    # in 10). Each candidate is then measured against the multivariate t its own distances
    # fit (radial_tail_df): the projections of t_ν(μ, k·Σ) are t_ν, scaled by √(k·dᵀΣd).
    if radial_tail_df(candidates[best][3], X.shape[1]) < HEAVY_TAIL_DF:
        distances = []
        for index in range(len(candidates)):
            df, factor = _radial_tail(candidates[index][3], X.shape[1])
            if factor is None:
                distances.append(np.inf)
                continue
            spread = math.sqrt(factor)
            distances.append(distance(
                index, lambda z, df=df, spread=spread: _t_cdf(df, z / spread)))
        best = _first_least(distances)
    # A candidate whose ellipsoid holds two groups (ε near 1/2: a concentration from the
    # coordinatewise median can settle between the inliers and a far cluster, elongated
    # towards both and thin across, a fixed point of the C-steps) fits the projections better
    # than the clean candidate, whose Gaussian misses the cluster's ε of the mass: at
    # ε = 0.45 it won, 7.1 from θ against the clean candidate's 0.11. The best fitting of
    # the candidates without two groups is taken, where there is one.
    single = [index for index in range(len(candidates))
              if split[index] < _TWO_GROUPS and np.isfinite(distances[index])]
    if split[best] >= _TWO_GROUPS and single:
        best = single[_first_least([distances[index] for index in single])]
    return _without_a_far_tight_group(rows, candidates, best)


def _own_eigenvalue(values, j):
    """Whether the j-th of the ascending ``values`` is apart from its neighbours
    (``eigenvalues_apart``): its eigenvector is its own."""
    return all(eigenvalues_apart(values[j], values[i])
               for i in (j - 1, j + 1) if 0 <= i < len(values))


def _first_least(values):
    """Index of the least of ``values`` (Kolmogorov distances), the first of those within
    ``robustgan.outliers.TIE_TOLERANCE`` of it. On a table of Likert answers (21 rows, p = 4)
    four candidates' distances were all 19/42, some ulps apart, and the rows' order (a
    different rounding of the per-feature scales) picked a different candidate."""
    # A NaN is no distance at all (np.argmin would have taken it).
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=np.inf)
    return int(np.flatnonzero(values <= values.min() + TIE_TOLERANCE)[0])


def _without_a_far_tight_group(X, candidates, best):
    """``best``, or the candidate of smallest determinant among those it holds a far tight
    group against.

    The projection rule passes over the candidate of smallest determinant because a tight
    cluster lowers the determinant of a subset that holds it. The reverse happens too: on
    skewed or small tables no Gaussian fits the projections well, and the winner may be a
    wider subset that holds the cluster where a narrower one leaves it out (statsmodels' engel
    data with 27 rows planted 5 robust SD out: the winner held all 27, its determinant 3.5 ×
    the others'; the estimate 0.91 from MinCovDet's fit to the clean table, MinCovDet 0.09).
    So where the rows in the winner's subset but not in a candidate C's, and outside C's
    0.975 ellipsoid, are more than p and narrower than C's scatter along every direction
    (largest eigenvalue of their covariance against it below ``_FAR_GROUP_TIGHT``: 0.02-0.12
    on engel), they are a tight group that C keeps out, and C is taken. Inliers that C leaves
    out (where C holds a cluster instead) spread as the inliers do.
    """
    p = X.shape[1]
    logdets = [np.linalg.slogdet(scatter)[1] for _, scatter, *_ in candidates]
    cutoff = _reweighting_constants(p)[0]
    chosen = best
    for index, (_, scatter, support, distances) in enumerate(candidates):
        if logdets[index] >= logdets[best] or (
                chosen != best and logdets[index] >= logdets[chosen]):
            continue
        far = candidates[best][2] & ~support & (distances > cutoff)
        # Fewer than p + 1 rows are narrow across their own span whatever they are (two
        # quarters of statsmodels' danish_data: 0.08).
        if np.count_nonzero(far) > p and relative_spread(X[far], scatter) < _FAR_GROUP_TIGHT:
            chosen = index
    return chosen


def relative_spread(rows, scatter):
    """How much wider ``rows`` spread than ``scatter`` along their widest direction: the
    largest eigenvalue of their covariance against ``scatter`` (affine invariant).

    Below 1, the rows are narrower than ``scatter`` along every direction: a tight group.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, n_features)
    scatter : ndarray of shape (n_features, n_features)
        Positive definite.

    Returns
    -------
    float
        0 for fewer than 2 rows; inf where the eigenvalue cannot be computed (a ``scatter``
        that is not positive definite, or values that are not finite).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows = 0.5 * rng.standard_normal((500, 2))
    >>> bool(0.2 < relative_spread(rows, np.eye(2)) < 0.3)
    True
    """
    scatter = check_square(scatter)
    p = scatter.shape[0]
    rows = check_rows(rows, p, name="rows")
    if len(rows) < 2:
        return 0.0
    spread = np.cov(rows, rowvar=False).reshape(p, p)
    try:
        return float(linalg.eigvalsh(spread, scatter, subset_by_index=[p - 1, p - 1])[0])
    except (linalg.LinAlgError, ValueError):
        return math.inf


# A 1-D sample is two groups when the best split in two explains this share of its sum of
# squares: 2/π for a Gaussian (0.64 measured on the atlas's clean candidates, at most 0.84 on
# 21 rows), 0.75 for a uniform, 0.96-0.99 for the inliers and a cluster 3-5 SD away together.
_TWO_GROUPS = 0.9
# A group the winning candidate holds and a narrower one leaves out is tight where its
# covariance against that one's scatter has every eigenvalue below this.
_FAR_GROUP_TIGHT = 0.25


def _split_along_major_axis(X, location, major_axis, distances):
    """The share of the sum of squares that the best split in two explains (1-D k-means), for
    the rows inside the candidate's 0.975 ellipsoid projected on its scatter's major axis."""
    inside = distances <= _reweighting_constants(X.shape[1])[0]
    if np.count_nonzero(inside) < 4:
        return 0.0
    rows = X[inside]
    rows -= location  # the copy's own: one array of the rows' size, not two
    return two_group_share(rows @ major_axis)


def two_group_share(values):
    """The share of the sum of squares of ``values`` that the best split in two groups explains.

    The between-group sum of squares of the best split of the sorted values (exact 1-D
    2-means, O(n log n)) over the total: 2/π ≈ 0.64 for a large Gaussian sample, 0.75 for a
    uniform, near 1 for two tight groups far apart; 0 where the values are all equal.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(two_group_share(rng.standard_normal(100_000)), 2)
    0.64
    >>> bool(two_group_share(np.r_[rng.standard_normal(500), 10 + rng.standard_normal(400)]) > 0.9)
    True
    """
    z = np.sort(check_vector(values))
    n = len(z)
    z = z - z.mean()  # centred: the sums of squares below do not cancel catastrophically
    total = float(np.dot(z, z))
    if n < 2 or not total > 0:
        return 0.0
    sums = np.cumsum(z)[:-1]
    left = np.arange(1, n)
    # The groups z[:k] and z[k:] about the overall mean 0: between = S²/k + S²/(n − k).
    between = sums**2 / left + sums**2 / (n - left)
    return float(np.max(between) / total)


def _t_cdf(df, values):
    return special.ndtr(values) if np.isinf(df) else special.stdtr(df, values)


def _deterministic_starts(X, median):
    """(location, scatter) starts for the concentration steps; each is robust in its own way.

    ``median``: X's coordinatewise median.
    """
    scale = robust_scale(X, center=median)
    starts = [(median, np.diag(scale**2))]
    if X.shape[1] > 1:
        rho = spearman_rho_matrix(X)
        # Spearman's ρ to the Gaussian correlation: 2 sin(πρ/6).
        gaussian = 2 * np.sin(np.pi * rho / 6)
        starts.append((median, regularised_scatter(gaussian * np.outer(scale, scale))))
        starts.append((median, regularised_scatter(spatial_sign_covariance(X, median))))
    return starts


def regularised_scatter(scatter):
    """``scatter`` with the eigenvalues of its correlation form floored at ``EIGEN_FLOOR`` of
    the largest.

    The floor acts on R = D^{-1/2}·S·D^{-1/2}, D = diag(S), and the result is D^{1/2}·R'·D^{1/2}:
    a floor on S's own eigenvalues would depend on the features' units (on scikit-learn's
    breast cancer data, whose variances span 10 orders of magnitude, it lifted the smallest
    eigenvalues by up to 800 times, and rescaling the features changed the fit), where this
    one gives regularised_scatter(A·S·A) = A·regularised_scatter(S)·A for any positive
    diagonal A. A feature of zero variance is measured in the largest variance's units; a
    zero matrix becomes the identity.

    Examples
    --------
    >>> S = np.array([[1e6, 1e3], [1e3, 1.0]])          # correlation 1: singular
    >>> bool(np.linalg.eigvalsh(regularised_scatter(S)).min() > 0)
    True
    >>> A = np.diag([1e-3, 1e3])
    >>> bool(np.allclose(regularised_scatter(A @ S @ A), A @ regularised_scatter(S) @ A))
    True
    """
    scatter = check_square(scatter)
    scales = _correlation_scales(scatter)
    if scales is None:
        return np.eye(len(scatter))
    correlation = (scatter / scales[:, None]) / scales[None, :]
    # The eigenvalues alone decide (40% of eigh's time at p = 100); the eigenvectors are
    # computed only for a scatter that needs the floor.
    values = np.linalg.eigvalsh(correlation)
    if values.min() >= max(EIGEN_FLOOR * values.max(), 1e-300):
        return scatter
    return floored_scatter_and_precision(scatter)[0]


def floored_scatter_and_precision(scatter):
    """``regularised_scatter``'s floor applied to ``scatter`` (always), and the inverse.

    Both come from the eigendecomposition of the correlation form, so that the inverse is
    accurate whatever the features' units: an inverse taken in them (``scipy.linalg.pinvh``)
    drops the directions of features in small units (variances 1e16 apart: precision·
    covariance was 1 off the identity).

    Returns
    -------
    scatter : ndarray of shape (n_features, n_features)
    precision : ndarray of shape (n_features, n_features)

    Examples
    --------
    >>> S = np.diag([1e-8, 1.0, 1e8])
    >>> _, P = floored_scatter_and_precision(S)
    >>> bool(np.allclose(P @ S, np.eye(3)))
    True
    """
    scatter = check_square(scatter)
    p = len(scatter)
    scales = _correlation_scales(scatter)
    if scales is None:
        return np.eye(p), np.eye(p)
    outer = np.outer(scales, scales)
    correlation = scatter / outer
    values, vectors = np.linalg.eigh((correlation + correlation.T) / 2.0)
    values = np.maximum(values, max(EIGEN_FLOOR * values.max(), 1e-300))
    floored = (vectors * values) @ vectors.T * outer
    precision = (vectors / values) @ vectors.T / outer
    return (floored + floored.T) / 2.0, (precision + precision.T) / 2.0


def _correlation_scales(scatter):
    """√diag(scatter), with a zero variance measured in the largest one's units; None for a
    scatter without a positive variance."""
    variances = np.diag(scatter)
    largest = variances.max(initial=0.0)
    if not largest > 0:
        return None
    return np.sqrt(np.where(variances > 0, variances, largest))


def squared_mahalanobis(X, location, scatter):
    """Squared Mahalanobis distance ``(x − μ)ᵀ Σ⁻¹ (x − μ)`` of each row of X.

    Through the inverse of Σ's Cholesky factor L: the rows are whitened by a matrix product
    with L⁻ᵀ, which BLAS runs faster than a triangular solve with L, on blocks of rows whose
    temporaries stay in cache. At condition number 1e8 the two differ by about 1e-13
    relatively, where both are 1e-10 from the exact distances (the error of L itself).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
        Symmetric positive definite.

    Returns
    -------
    ndarray of shape (n_samples,)

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``scatter`` is not positive definite.
    ValueError
        If ``X − location`` holds infinities or NaNs.

    Examples
    --------
    >>> squared_mahalanobis(np.array([[2.0, 0.0], [0.0, 3.0]]), np.zeros(2), np.diag([4.0, 9.0]))
    array([1., 1.])
    """
    X = check_rows(X)
    check_model(location, scatter, X.shape[1])
    return squared_mahalanobis_from_factor(X, location, np.linalg.cholesky(scatter))


def squared_mahalanobis_from_factor(X, location, factor):
    """``squared_mahalanobis`` under Σ = L·Lᵀ, given L (lower triangular, positive diagonal).

    For a caller that keeps the factor (``RobustGANMean.inlier_factor_``): the same blocked
    whitening, without factorising Σ again.

    Examples
    --------
    >>> X = np.array([[2.0, 0.0], [0.0, 3.0]])
    >>> squared_mahalanobis_from_factor(X, np.zeros(2), np.diag([2.0, 3.0]))
    array([1., 1.])
    """
    factor = np.asarray(factor, dtype=np.float64)
    X = check_rows(X, factor.shape[-1] if factor.ndim == 2 else None)
    check_model(location, factor, X.shape[1], names=("location", "factor"))
    if factor.size == 0:
        # No features (RobustGANMean on constant ones only): every row is at the location.
        return np.zeros(len(X))
    trtri = linalg.get_lapack_funcs("trtri", (factor,))
    inverse, info = trtri(factor, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("Matrix is not positive definite")
    whitening = inverse.T
    X, location = np.asarray(X), np.asarray(location)
    n = len(X)
    dtype = np.result_type(X, location, whitening)
    distances = np.empty(n, dtype=dtype)
    rows = max(1, min(n, _DISTANCE_ROWS))

    def blocks(starts):
        centred = np.empty((rows, whitening.shape[0]), dtype=dtype)
        white = np.empty_like(centred)
        for start in starts:
            stop = min(n, start + rows)
            block_centred, block_white = centred[:stop - start], white[:stop - start]
            np.subtract(X[start:stop], location, out=block_centred)
            np.matmul(block_centred, whitening, out=block_white)
            np.einsum("ij,ij->i", block_white, block_white, out=distances[start:stop])

    starts = range(0, n, rows)
    if len(starts) <= 1:
        blocks(starts)
    else:
        # Each row's distance is its own: another thread can take half the blocks
        # (``shared``), to the same bits.
        middle = len(starts) // 2
        for half in shared(blocks, [starts[:middle], starts[middle:]], work=X.size):
            half.result()
    # Non-finite data show in the distances; they are refused, as the triangular solve this
    # replaces refused them, without a check of every entry when there are none.
    if not np.isfinite(distances).all() and not np.isfinite(X - location).all():
        raise ValueError("array must not contain infs or NaNs")
    return distances


# Rows per block of squared_mahalanobis: two (rows × p) temporaries that stay in cache for
# p ≤ 100, instead of two of the data's size (at 50,000 × 100 the blocks took 30 ms a call
# where whole arrays took 50 ms, mostly page faults on the fresh temporaries).
_DISTANCE_ROWS = 2048


# Quantile levels of the training distances that fix the tail of the radial law (and the
# first fit of the elliptical rule): low enough to hold inliers only under any contamination
# below 1/2 at larger distances. On clean t₃, t₅, t₁₀ and Gaussian samples (n = 5,000, p = 5,
# 3 each) the one-fit rule flagged 1.8–3.1%; with levels (0.1, 0.4) 1.0–4.2%.
_TAIL_LEVELS = (0.2, 0.5)
_TAIL_DF = np.concatenate([np.geomspace(0.5, 500.0, 120), [np.inf]])
# Rows inside the first elliptical cutoff below which its second fit is not made.
_SECOND_FIT_ROWS = 40


def elliptical_cutoff(squared_distances, n_features, level=AUTO_INLIER_QUANTILE):
    """The ``level`` quantile of the inliers' squared distances under an elliptical model.

    The inliers are modelled as a multivariate t (the Gaussian is ν = ∞), whose squared
    distance is k·p·F(p, ν): ν is the one whose quantile ratio q(0.5)/q(0.2) matches the
    data's, k follows from the median. Only the closest half of the rows enters that first
    fit, so outliers at larger distances do not (they make the fitted tail heavier and the
    rule more lenient, never stricter). The law is then fitted again to the quartiles of the
    rows inside the first fit's cutoff, which tell more about the tail. The learned radial
    law of ``model="elliptical"`` is not used
    for this: its network rarely learns the extreme tail in the steps a fit has (a 0.975
    quantile of 5.2 where χ²₅'s is 12.8 on Gaussian data flagged 40% of the rows).

    Parameters
    ----------
    squared_distances : ndarray of shape (n_samples,)
    n_features : int
    level : float, default=0.975

    Returns
    -------
    float

    Examples
    --------
    >>> d2 = np.random.default_rng(0).chisquare(5, size=20_000)
    >>> round(float(elliptical_cutoff(d2, 5) / stats.chi2.ppf(0.975, 5)), 1)
    1.0
    """
    squared_distances, p = _checked_distances(squared_distances, n_features)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    df, k = _radial_tail(squared_distances, p)
    if k is None:
        return float(stats.chi2.ppf(level, p))
    first = k * _radial_quantile(level, p, df)
    # A second fit, on the rows inside the first cutoff: their quartiles are the law's at
    # levels 0.25·level and 0.75·level (the first fit's truncation), and reach farther into
    # the tail than the closest half, which cuts the rule's spread by a third (clean t₅ at
    # p = 5, n = 5,000: flagged 2.6 ± 0.6% before, 2.6 ± 0.4% after) and keeps it near its
    # level under far contamination (ε = 0.2: 0.2% of the inliers flagged before, 2.0% after).
    inside = squared_distances[squared_distances <= first]
    levels = (0.25 * level, 0.75 * level)
    if inside.size < _SECOND_FIT_ROWS:
        return float(first)
    quartiles = np.quantile(inside, (0.25, 0.75))
    if not quartiles[0] > 0:  # a quarter of the rows at the centre itself: nothing to refit
        return float(first)
    df, k = _fit_radial_law(quartiles, p, levels)
    return float(k * _radial_quantile(level, p, df))


def radial_tail_df(squared_distances, n_features):
    """Degrees of freedom ν of the multivariate t whose squared distances k·p·F(p, ν) match
    the closest half of ``squared_distances`` (ν = inf: the Gaussian's χ²_p).

    ν is the one whose quantile ratio q(0.5)/q(0.2) matches the data's: outliers beyond the
    closest half do not enter. The estimate is biased low, more so at small p and n (clean
    samples at n = 5,000, p = 20: t₃ 1.8–2.0, t₅ 3.0–3.4, t₁₀ 5.7–6.8, Gaussian 44–88).

    Parameters
    ----------
    squared_distances : ndarray of shape (n_samples,)
    n_features : int

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bool(radial_tail_df(rng.chisquare(5, size=20_000), 5) > 30)
    True
    >>> t3 = 5 * rng.f(5, 3, size=20_000)
    >>> bool(radial_tail_df(t3, 5) < 5)
    True
    """
    squared_distances, n_features = _checked_distances(squared_distances, n_features)
    return float(_radial_tail(squared_distances, n_features)[0])


def _checked_distances(squared_distances, n_features):
    """``radial_tail_df``'s and ``elliptical_cutoff``'s arguments, checked."""
    if not (isinstance(n_features, Integral) and n_features >= 1):
        raise ValueError(f"n_features must be an int >= 1; got {n_features!r}")
    return check_vector(squared_distances, name="squared_distances", nonnegative=True), int(
        n_features)


def _radial_tail(squared_distances, p):
    """(ν, k) of the fitted law k·p·F(p, ν); k is None when the distances are degenerate."""
    low, high = np.quantile(squared_distances, _TAIL_LEVELS)
    if not low > 0:
        return np.inf, None
    return _fit_radial_law((low, high), int(p), _TAIL_LEVELS)


def _fit_radial_law(observed, p, levels):
    """(ν, k): the law k·p·F(p, ν) whose quantiles at ``levels`` (two) have the ``observed``
    ratio, ν from the _TAIL_DF grid, and k that matches the higher one."""
    low, high = observed
    lows, highs = _tail_quantiles(p, tuple(levels))
    best = int(np.argmin(np.abs(np.log(highs / lows) - np.log(high / low))))
    return _TAIL_DF[best], high / highs[best]


def _radial_quantile(level, p, df):
    """The ``level`` quantile of p·F(p, ν), χ²_p's at ν = inf."""
    return stats.chi2.ppf(level, p) if np.isinf(df) else p * stats.f.ppf(level, p, df)


@functools.lru_cache(maxsize=64)
def _tail_quantiles(p, levels):
    """The quantiles at ``levels`` (two) of p·F(p, ν) over the _TAIL_DF grid: the same for
    every fit with p features. One vectorised call per level, the values of
    ``_radial_quantile`` to the bit (240 calls took 21 ms, these 0.6 ms: a process's first fit
    paid it)."""
    df = np.asarray(_TAIL_DF, dtype=np.float64)
    finite = np.isfinite(df)
    quantiles = []
    for level in levels:
        values = np.empty(df.shape)
        values[finite] = p * stats.f.ppf(level, p, df[finite])
        values[~finite] = stats.chi2.ppf(level, p)
        values.flags.writeable = False
        quantiles.append(values)
    return tuple(quantiles)
