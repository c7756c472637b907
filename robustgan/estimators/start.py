"""Projection tools for robust starts: Stahel–Donoho outlyingness and a projection KS distance.

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

import numpy as np
from scipy import stats

__all__ = ["data_directions", "outlyingness", "outlyingness_start", "projection_ks_distance"]


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
    rows = rng.choice(len(X), size=min(int(n_directions), len(X)), replace=False)
    D = (X[rows] - center).T
    norms = np.linalg.norm(D, axis=0)
    keep = norms > 0
    return D[:, keep] / norms[keep]


def outlyingness(X, directions):
    """Stahel–Donoho outlyingness of each row over the given directions.

    max over directions d of |dᵀx − med(dᵀX)| / MAD(dᵀX), with the MAD scaled to the normal
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
    projections = X @ directions
    center = np.median(projections, axis=0)
    spread = stats.median_abs_deviation(projections, axis=0, scale="normal")
    informative = spread > 0
    if not informative.any():
        return np.zeros(len(X))
    deviations = np.abs(projections[:, informative] - center[informative])
    return np.max(deviations / spread[informative], axis=1)


def outlyingness_start(X, support_size, n_directions, rng):
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
    directions = data_directions(X, np.median(X, axis=0), n_directions, rng)
    if directions.shape[1] == 0:
        keep = np.arange(len(X))
    else:
        keep = np.argpartition(outlyingness(X, directions), support_size - 1)[:support_size]
    subset = X[keep]
    return subset.mean(axis=0), np.atleast_2d(np.cov(subset, rowvar=False))


def projection_ks_distance(X, location, scatter, directions):
    """Largest Kolmogorov distance between the data's projections and N(μ, Σ)'s.

    For each direction d: sup_t |F_n(t) − Φ((t − dᵀμ) / √(dᵀΣd))| where F_n is the empirical
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
    n = len(X)
    variances = np.einsum("ij,ik,kj->j", directions, scatter, directions)
    scales = np.sqrt(np.maximum(variances, np.finfo(float).tiny))
    standardised = np.sort((X @ directions - location @ directions) / scales, axis=0)
    model = stats.norm.cdf(standardised)
    ranks = np.arange(1, n + 1)[:, None]
    return float(np.max(np.maximum(ranks / n - model, model - (ranks - 1) / n)))
