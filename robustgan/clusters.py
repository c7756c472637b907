"""A cluster of outliers held inside a robust start: found along one direction, and taken out.

A neutral module of the shared statistics layer: the estimators use it, it knows none of them.

An MCD-type start (``robustgan.multivariate.trimmed_scatter``) trims rows by their Mahalanobis
distance. A cluster of outliers whose distance excess is small next to the spread of χ²_p (a
shift δ with δᵀΣ⁻¹δ of 5 at p = 20, or of 50 at p = 200, where χ²_p's standard deviation is 6
and 20) is not trimmed: the start's subset holds it, its location moves by about εδ and its
scatter gains ε(1 − ε)δδᵀ. In one dimension the same cluster is plain to see: the rows projected
on the direction of the shift are a bulk and a shoulder, skewed towards the cluster. That is
what ``correct_absorbed_cluster`` looks for and undoes.
"""

import math

import numpy as np
from scipy import stats

from .multivariate import HEAVY_TAIL_DF, radial_tail_df, squared_mahalanobis
from .outliers import AUTO_INLIER_QUANTILE

__all__ = ["HEAVY_TAIL_DF", "correct_absorbed_cluster", "univariate_mcd"]

# Familywise false-alarm rate of the skewness test over the p directions it scans, for
# Gaussian inliers: z ≥ Φ⁻¹(1 − 0.001/(2p)), 3.29 at p = 1, 4.06 at p = 20, 4.56 at p = 200.
_FALSE_ALARM = 1e-3
_HALF_NORMAL_MEDIAN = float(stats.norm.ppf(0.75))
# Skewed inliers narrow the central half along their most skewed direction too, without any
# cluster: relative to the other directions' central halves by up to 14% on statsmodels' fair
# and modechoice, lognormal (σ = 0.5) and χ²₅ samples, where an absorbed cluster on t₃ inliers
# (atlas t3-close05) narrows it by 19-28% (benchmarks/RESULTS.md). Where the inliers' tails
# make the central halves wider than the start's variances (calibration > 1), the bulk must be
# narrower than this fraction of theirs.
_SKEWED_NARROWING = 0.85


def univariate_mcd(values, support_size):
    """The exact one-dimensional MCD: the ``support_size`` consecutive sorted values of least
    variance.

    In one dimension the subset of h values with the smallest variance is a run of the sorted
    values, so the exact minimum covariance determinant takes one sort and one pass
    (Rousseeuw & Leroy, 1987). The variance is made consistent at the Gaussian by the factor of
    a central h/n fraction, (h/n) / P(χ²₃ ≤ χ²₁(h/n)) (Croux & Haesbroeck, 1999).

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
    support_size : int
        h, between 2 and n_samples.

    Returns
    -------
    location : float
        The mean of the run.
    variance : float
        Its variance times the consistency factor.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> values = np.concatenate([rng.standard_normal(8000), 2.5 + rng.standard_normal(2000)])
    >>> location, _ = univariate_mcd(values, 5001)    # the bulk's, not the mixture's (0.5)
    >>> bool(abs(location) < 0.15)
    True
    >>> location, variance = univariate_mcd(rng.standard_normal(10_000), 5001)
    >>> bool(abs(location) < 0.1), bool(abs(variance - 1) < 0.1)
    (True, True)
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n, h = len(ordered), int(support_size)
    if not 2 <= h <= n:
        raise ValueError(f"support_size must be between 2 and {n}; got {support_size}")
    # Centred first, so that the running sums of squares do not cancel for data far from 0.
    centre = ordered[n // 2]
    ordered = ordered - centre
    sums = np.concatenate([[0.0], np.cumsum(ordered)])
    squares = np.concatenate([[0.0], np.cumsum(ordered * ordered)])
    window_sum = sums[h:] - sums[: n - h + 1]
    window_squares = squares[h:] - squares[: n - h + 1]
    variances = np.maximum(window_squares / h - (window_sum / h) ** 2, 0.0)
    best = int(np.argmin(variances))
    fraction = h / n
    consistency = 1.0
    if fraction < 1:
        consistency = fraction / stats.chi2.cdf(stats.chi2.ppf(fraction, 1), 3)
    return float(centre + window_sum[best] / h), float(variances[best] * consistency)


def _column_skewness(values):
    """Sample skewness m₃/m₂^{3/2} of each column (scipy.stats.skew's biased estimate); 0 for a
    constant column."""
    centred = values - values.mean(axis=0)
    squares = centred * centred
    second = squares.mean(axis=0)
    third = np.einsum("ij,ij->j", squares, centred) / len(values)
    skewness = np.zeros(values.shape[1])
    varying = second > 0
    skewness[varying] = third[varying] / second[varying] ** 1.5
    return skewness


def correct_absorbed_cluster(X, location, scatter, squared_distances=None):
    """The robust start (location, scatter) with a cluster it absorbed taken out, if it holds one.

    The rows inside the start's 0.975 ellipsoid are projected on each direction of the start's
    correlation eigenbasis (the eigenvectors of D^{-1/2}·S·D^{-1/2}, D = diag(S), mapped back:
    equivariant under shifts and positive rescaling of the features). Symmetric inliers give a
    sample skewness z-score of about N(0, 1) on each; a cluster held inside skews the one along
    its shift. Where the largest absolute z-score passes a Bonferroni bound (familywise
    false-alarm rate 0.1% for Gaussian inliers), all rows are projected on that direction v and
    the exact one-dimensional MCD of half the rows (``univariate_mcd``) gives the bulk's
    location and variance there. The correction is taken only if that variance is positive and
    below the start's vᵀSv: a cluster held inside inflates it by ε(1 − ε)(vᵀδ)²; where the bulk
    is not narrower (a tight cluster the half-sample would lock onto, or skewed inliers) or is a
    run of tied values, the start is kept. Inliers with heavier tails than the Gaussian have
    central halves wider than the start's variances (whose consistency comes from the median
    squared distance): where no other direction of the basis is skewed beyond the bound, the
    median of that ratio c over them calibrates the rule where c > 1: the bulk must then be
    narrower than max(1, 0.85·c)·vᵀSv (skewness alone narrows it by up to 14% on the skewed
    data sets we tried), and its variance enters the corrected scatter divided by max(1, c).

    The location then moves along Sv, the direction in which the start's model varies with the
    projection, by the bulk's offset, and the scatter's variance along v is replaced by the
    bulk's (a rank-one update along Sv; the variances along the other, S-orthogonal, directions
    of the basis are unchanged). The rows are not removed: the cluster stays in the data, and a
    Mahalanobis reweighting from the corrected start would take much of it back, which is why
    the estimators that use this keep the corrected start as their answer.

    No test is made for heavy-tailed inliers (a fitted radial tail below ``HEAVY_TAIL_DF``
    degrees of freedom), where the sample skewness is too variable to read.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
        Positive definite.
    squared_distances : ndarray of shape (n_samples,), optional
        ``squared_mahalanobis(X, location, scatter)`` if the caller has them.

    Returns
    -------
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
    direction : ndarray of shape (n_features,) or None
        The direction v of the correction, of unit Euclidean norm; None where the start was
        kept (and then location and scatter are the ones given).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5000, 20))
    >>> X[:1000] += 0.5                   # a cluster at distance 2.2 along (1, ..., 1)/√20
    >>> location, scatter = X.mean(axis=0), np.cov(X, rowvar=False)   # a start that holds it
    >>> corrected, _, direction = correct_absorbed_cluster(X, location, scatter)
    >>> bool(np.linalg.norm(location) > 0.4), bool(np.linalg.norm(corrected) < 0.25)
    (True, True)
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    unchanged = location, scatter, None
    sd = np.sqrt(np.diag(scatter))
    if not (np.isfinite(scatter).all() and np.all(sd > 0) and np.isfinite(sd).all()):
        return unchanged
    if squared_distances is None:
        squared_distances = squared_mahalanobis(X, location, scatter)
    inside = squared_distances <= stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    h = int(inside.sum())
    if h < 3 or n < 4 or radial_tail_df(squared_distances, p) < HEAVY_TAIL_DF:
        return unchanged
    # In units of the start's per-feature scales: the correlation's eigenvectors e are the
    # directions, D^{-1/2}·e in the data's units; and data of any magnitude (1e-150 or 1e150)
    # neither under- nor overflows on the way (the rows are divided by D^{1/2} before the
    # products, never the directions multiplied by it).
    correlation = (scatter / sd[:, None]) / sd[None, :]
    eigenvalues, basis = np.linalg.eigh((correlation + correlation.T) / 2)
    rows = X[inside]
    rows -= location
    rows /= sd
    skewness = _column_skewness(rows @ basis)
    z = np.abs(skewness) * math.sqrt(h / 6.0)
    best = int(np.argmax(z))
    bound = stats.norm.isf(_FALSE_ALARM / (2 * p))
    if z[best] < bound:
        return unchanged
    along = basis[:, best]
    variance = float(eigenvalues[best])
    projections = ((X - location) / sd) @ basis
    projection = projections[:, best]
    offset, bulk_variance = univariate_mcd(projection, (n + 2) // 2)
    # The bulk's variance is Gaussian-consistent for a central half; the start's vᵀSv is
    # consistent through the median of the squared distances. For inliers with heavier tails
    # than the Gaussian the two disagree (t₃, p = 20: a central half 1.3 times the start's
    # variance along directions that hold no cluster), so the comparison is made against the
    # same ratio along the basis's other directions.
    # Only where the other directions look symmetric (no z beyond the bound): inliers skewed
    # along several directions are not elliptical, and their central halves' ratios spread
    # too widely to calibrate anything (statsmodels' modechoice: 0.5-1.6, second z 5.2; t₃
    # with a cluster: 1.27-1.44, second z 1.9-2.9).
    calibration = 1.0
    if p > 1 and np.partition(z, p - 2)[p - 2] < bound:
        calibration = max(1.0, _central_half_ratio(projections, eigenvalues, best))
    threshold = max(1.0, _SKEWED_NARROWING * calibration)
    if not 0 < bulk_variance < threshold * variance:
        return unchanged
    # The run of half the rows holds more than half of the inliers (half of (1 − ε)n), so its
    # variance, made consistent for a central half, overstates theirs (1.6 times at ε = 0.2 and
    # a 2.5 SD shift). The side away from the cluster holds inliers only, nearly: their
    # deviations from the bulk's location are half-normal, with median Φ⁻¹(3/4)·σ.
    deviations = (projection - offset) * np.sign(skewness[best])
    away = -deviations[deviations < 0]
    away_variance = (np.median(away) / _HALF_NORMAL_MEDIAN) ** 2 if away.size >= 2 else 0.0
    if away_variance > 0:
        bulk_variance = min(bulk_variance, away_variance)
    # In the start's calibration, as the variances along the other directions are.
    bulk_variance /= calibration
    # Along e the correlation's model moves by the offset and its variance is replaced
    # (C·e = λe, so the rank-one update touches no other eigen-direction); in the data's units
    # the location moves along D^{1/2}·e = S·v/λ for the projection v = D^{-1/2}·e.
    shift = sd * along
    corrected_location = location + offset * shift
    corrected_scatter = scatter + (bulk_variance - variance) * np.outer(shift, shift)
    direction = along / sd
    direction = direction / np.linalg.norm(direction)
    return corrected_location, (corrected_scatter + corrected_scatter.T) / 2, direction


def _central_half_ratio(projections, variances, excluded):
    """Median over the columns but ``excluded`` of the central half's Gaussian-consistent
    variance (``univariate_mcd``) over the column's variance in the start's model."""
    n = len(projections)
    ratios = [univariate_mcd(projections[:, j], (n + 2) // 2)[1] / variances[j]
              for j in range(projections.shape[1]) if j != excluded and variances[j] > 0]
    return float(np.median(ratios)) if ratios else 1.0
