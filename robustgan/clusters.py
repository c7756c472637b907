"""A cluster of outliers held inside a robust start: found along one direction, and taken out.

A neutral module of the shared statistics layer: the estimators use it, it knows none of them.

An MCD-type start (``robustgan.multivariate.trimmed_scatter``) trims rows by their Mahalanobis
distance. A cluster of outliers whose distance excess is small next to the spread of χ²_p (a
shift δ with δᵀΣ⁻¹δ of 5 at p = 20, or of 50 at p = 200, where χ²_p's standard deviation is 6
and 20) is not trimmed: the start's subset holds it, its location moves by about εδ and its
scatter gains ε(1 − ε)δδᵀ. In one dimension the same cluster is plain to see: the rows projected
on the direction of the shift are a bulk and a shoulder, skewed towards the cluster. That is
what ``correct_absorbed_cluster`` looks for (along the start's correlation eigenbasis, and
along the direction of the rows' skewness vector) and undoes. A tight cluster is taken whole, with
the inliers beside it: ``split_tight_cluster`` sets it aside, and ``tight_group_centre`` reads
a bulk beside a tight group in one dimension (RobustGANMean's choice between its game and its
start). Rows on a lower-dimensional subspace (imputed values) are taken whole too:
``split_flat_group`` sets them aside.
"""

import functools
import math

import numpy as np
from scipy import linalg, stats

from ._validation import check_data, check_model, check_numbers, check_rows, check_vector
from .multivariate import (
    EIGEN_FLOOR,
    HEAVY_TAIL_DF,
    key_directions,
    radial_tail_df,
    regularised_scatter,
    relative_spread,
    reweighted_estimate,
    squared_mahalanobis,
    trimmed_scatter,
)
from .outliers import AUTO_INLIER_QUANTILE, TIE_TOLERANCE
from .univariate import discrete_features

__all__ = ["BIMODAL_COEFFICIENT", "HEAVY_TAIL_DF", "bimodality_coefficient",
           "correct_absorbed_cluster", "group_apart", "group_of_discrete_levels",
           "split_flat_group", "split_tight_cluster", "tight_group_centre", "univariate_mcd"]

# Sarle's bimodality coefficient of a uniform law: above it, a sample is read as two modes.
BIMODAL_COEFFICIENT = 5.0 / 9.0
# Rows below which a bimodality coefficient is not read: the sample kurtosis's standard
# error √(24/h) is 0.49 at 100 rows.
_BIMODAL_MIN_ROWS = 100
# Ashman's D = √2·|μ₁ − μ₂|/√(σ₁² + σ₂²) of two Gaussian groups above which they are cleanly
# apart, and the ratio of their variances below which the smaller group is a tight cluster.
_SEPARATED = 2.0
_TIGHT = 0.5
# A tight group read beside the bulk without a second mode (``tight_group_centre``'s two
# Gaussians) is set aside from a smaller Ashman's D: a group under half as wide as the bulk
# wins the density comparison only in a narrow window about its centre, so few inliers go with
# it, where the group held pulls the start by about ε·(its distance). 20% at 1 SD, s = 0.2,
# p = 10: D 0.9-1.4, location error 0.30-0.31 → 0.14-0.19 (inliers only: 0.13).
_TIGHT_SEPARATED = 1.0
# The bulk beside a tight group may be wider than the start's model along it by up to this
# factor: the group's rows near the start's centre lower the median squared distance that
# makes the start consistent (20% of the rows at distance 0, p = 10: the inliers' 0.375
# quantile of χ²₁₀ read as its median, a model 1/1.16 too narrow; 1.10-1.18 measured at 1 SD).
# Skewed inliers' long side read as the bulk is far wider (statsmodels' cancer counts: 4.1).
_CENTRAL_GROUP_WIDENING = 1.25
# A tight cluster set aside is narrower than the rows kept along every direction, not only along
# the one it was found in: the largest eigenvalue of its covariance against theirs is below this.
_TIGHT_EVERYWHERE = 1.0
# A group read across the least kurtic direction (``_group_across_least_kurtosis``) is a
# cluster where its covariance against the other rows' has every eigenvalue below the first
# value (no wider anywhere, beyond sampling noise: the largest of 20 sample eigenvalues of equal
# spreads is about 1.3 on 1,000 rows) and their geometric mean below the second (its volume a
# small fraction of theirs: 0.03 and 0.1 on the atlas's cond1000 and thin-cond100 clusters, 1
# for two subpopulations of one shape; the macrodata periods were 6,600 times wider across).
_FLAT_CLUSTER = (2.0, 0.25)
# Share of distinct values among a projection's values (once its commonest value's repeats are
# set aside, ``_repeats_as_discrete``) below which its features are read as discrete: no tight
# group is read or set aside there.
_DISTINCT = 0.9

# tight_group_centre: the smallest share of the rows a tight group is read in, how many
# standard deviations of its own it must lie from the larger group, and EM's stopping rule
# (a gain under 1e-7 per value, at most 500 iterations: on 195 designs the choices of a fit
# converged to 1e-9, which took up to 1.8 s on a single Gaussian, where the two groups
# overlap and EM crawls; this takes 0.06 s on 50,000 Gaussian values).
_MIN_TIGHT_SHARE = 0.05
_TIGHT_APART = 2.0
_TIGHT_GROUP_ITERATIONS = 500
_TIGHT_GROUP_TOL = 1e-7
# Values farther from 0 than this many ``reach`` are left out of the fit (rows the caller's
# estimate has already trimmed: three gross outliers at 1e6·1 among 3,000 rows stretched the
# histogram until bulk and group shared a bin); the bulk must hold this share of the rest
# (a 50:50 fit is no bulk and group: a jittered 0/1 feature made one, and which half was the
# bulk turned between two calls); and two Gaussians must fit better than one by log(n) in
# log-likelihood (clean Gaussian samples of 1,001-3,000 values read a group in 0.5% of
# samples without it, none of 200 with it; the reads that helped gained 8-1,100).
_TIGHT_GROUP_WINDOW = 3.0
_TIGHT_GROUP_MAJORITY = 0.55
_TIGHT_GROUP_MARGIN = 1.0
# Values up to which no tight group is read: on fewer, a skewed or flat-topped sample is
# fitted as a bulk and a tight group as readily as a cluster is (statsmodels' sunspots, 309
# rows: a "bulk" 1.0σ from the robust start); every design it helped had 2,000 rows or more.
_TIGHT_GROUP_MIN_VALUES = 1_000
# A correction that moves towards a tight group is checked on this many values or more: there
# the read replaces the half-sample's centre, which the tight group has taken (a wrong read
# keeps the correction: it needs the correction to move towards the "group").
_TIGHT_GROUP_CHECK_MIN_VALUES = 200
# Rows per feature inside the start's ellipsoid for the skewness vector's test, and the
# Ashman's D beyond which the two Gaussians fitted along it are a bulk and a group apart.
_SKEWNESS_VECTOR_ROWS_PER_FEATURE = 10
_SKEWED_GROUP_SEPARATED = 2.5
# Skewed features beyond which no set of them is read as clusters along features
# (``_features_holding_a_group``): as many as the further rounds can correct, and one more.
_GROUPED_FEATURES = 6
# Familywise false-alarm rate of the skewness test over the p directions it scans, for
# Gaussian inliers: z ≥ Φ⁻¹(1 − 0.001/(2p)), 3.29 at p = 1, 4.06 at p = 20, 4.56 at p = 200.
_FALSE_ALARM = 1e-3
# Half-width, in the bulk's SD, of the window of rows whose spread across a direction is
# compared on its two sides (``_skewed_inliers_across``): the two halves of any symmetric
# window compare alike for elliptical inliers. Of 26 corrections of clean counts (240 tables,
# p = 3-4) one SD refused 10, two and three SD 20; the narrower window keeps a cluster's
# far rows out.
_SPREAD_WINDOW = 2.0
_LOOSE_FALSE_ALARM = 0.05
# Level of the check that confirms the spread test's reading of skewed inliers: the side away
# from the skew widens towards the bulk too (``_widens_towards_the_bulk``). It confirms a
# reading already made at ``_FALSE_ALARM``, so a refusal it lets through is a correction made
# on skewed inliers. On 2,304 start-level tables (counts, gamma, lognormal, χ², Gaussian and
# t₅ inliers, clean or with a cluster) the spread test fired 254 times on clean skewed tables,
# with this p-value under 0.05 on 90% of them and under 0.2 on 96%; where it fired on
# elliptical inliers with a cluster (15 times) they were 0.37-0.99 but one (0.008), and 0.71
# and 0.96 on the Cauchy cluster of the gao2019 table.
_WIDENING_LEVEL = 0.2
# The side of the larger group away from the cluster is tested for a Gaussian group's shape
# on at least this many rows (its kurtosis's standard error: 0.5 at 100 rows).
_MIN_AWAY_ROWS = 100
# A correction along a group that the skewness readers found (``_correction_along``) tests that
# side's tail on fewer rows, down to this many, at the looser false-alarm rate: at n = 200 the
# side holds 60-90 rows (``_tail_not_short``).
_FEW_AWAY_ROWS = 50
# A correlation eigenvalue within this factor of the floor (``EIGEN_FLOOR`` of the largest)
# is the floor's: the rows have no spread there.
_AT_THE_FLOOR = 10.0
_HALF_NORMAL_MEDIAN = float(stats.norm.ppf(0.75))
# Skewed inliers narrow the central half along their most skewed direction too, without any
# cluster: relative to the other directions' central halves by up to 14% on statsmodels' fair
# and modechoice, lognormal (σ = 0.5) and χ²₅ samples, where an absorbed cluster on t₃ inliers
# (atlas t3-close05) narrows it by 19-28% (benchmarks/RESULTS.md). Where the inliers' tails
# make the central halves wider than the start's variances (calibration > 1), the bulk must be
# narrower than this fraction of theirs.
_SKEWED_NARROWING = 0.85
# The reweighting's widest direction (``_correction_along_widening``): a one-dimensional bulk
# narrower than the start's variance there by (_WIDENED + _WIDEST_OF_P·√p)/√n relative to the
# other directions' (read on at most _CALIBRATION_DIRECTIONS of them) is a group the
# reweighting let in.
_WIDENED = 7.0
_WIDEST_OF_P = 0.7
_CALIBRATION_DIRECTIONS = 9
# The most widened feature is read beside the widest direction unless the direction lies
# along it (|cos| at least _SAME_AXIS).
_SAME_AXIS = 0.9
# The widened feature's correction is realigned along S⁻¹e_j only where at least _UNEXPLAINED
# of the feature's variance is not a linear function of the other features' (1 − R² =
# 1/(S_jj·(S⁻¹)_jj)).
_UNEXPLAINED = 0.01
# A correction is refused where discrete features (``discrete_features``) carry more than
# _DISCRETE_SHARE of its direction's variance.
_DISCRETE_SHARE = 0.5
# A discrete feature's levels (values held by _LEVEL_SHARE of the rows or more, all but
# _OFF_LEVELS of the rows at one) make a correction's group where they explain _LEVELS_EXPLAIN
# of the projection's variance and leave no group within them (``_group_of_levels``).
_LEVEL_SHARE = 0.05
_OFF_LEVELS = 0.05
_LEVELS_EXPLAIN = 0.1
# An exact-fit group (``split_flat_group``): the fourth-moment direction read on at most
# ``_FLAT_SEARCH_ROWS`` rows inside the start's ellipsoid; the rows of a window along it,
# p + ``_FLAT_WINDOW_EXCESS`` of them (with r rows off a group of dimension k among them, their
# span leaves p − k − r ≥ 2 normals where r ≤ p − k − 2: a small window needs only k + 4 of its
# rows on the group; 2(p + 1) rows missed 10% of imputed rows on 2 of 6 samples); singular
# values below ``_EXACT`` of the largest are 0 (rows drawn from a continuous law are never that
# close to a subspace: 12-22 Gaussian rows in 10 dimensions give ratios of 0.01-0.5); and a row
# lies on the subspace where its residual in the start's units is below ``_EXACT`` plus
# ``_ROUNDING`` times its magnitude there (stored values are rounded to 1e-16 of theirs: data
# 1e6 SDs from the origin carry 1e-10 SDs of rounding, and the products, 1e4 times that).
_FLAT_SEARCH_ROWS = 10_000
_FLAT_WINDOW_EXCESS = 2
# Where that window finds none, the neighbourhoods of the ``_NEIGHBOURHOOD_TRIES`` rows of
# narrowest window among those rows, as many as a group of 5% of them needs to fill a window
# and at least ``_NEIGHBOURHOOD_LEAST_ROWS``. Their squared distances and the reads cost 4-5 ms
# on 500 rows and 12 ms on 840 at p = 40 (13.6 ms on 784 rows at p = 10, 0.1 s on 2,000 at
# p = 20); none are read where that takes more than ``_NEIGHBOURHOOD_ROWS`` (p ≥ 49). On 500
# rows the groups of the thirtieth session's designs were found as on 1,000 (errors within
# 0.005).
_NEIGHBOURHOOD_LEAST_ROWS = 500
_NEIGHBOURHOOD_ROWS = 1_000
_NEIGHBOURHOOD_TRIES = 20
_EXACT = 1e-8
_ROUNDING = 1e-12
# Copies of one row are a point of the data's lattice where, along some feature, their count is
# what that feature's share makes of the rows equal to them on every other feature
# (``_lattice_points``): the binomial tail at least _LATTICE_POINT_LEVEL.
_LATTICE_POINT_LEVEL = 1e-3


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
    ordered = np.sort(check_vector(values))
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
    variance = variances[best] * _central_consistency(h, n)
    return float(centre + window_sum[best] / h), float(variance)


@functools.cache
def _central_consistency(h, n):
    """The factor that makes the variance of a central h/n fraction of Gaussian values
    consistent (two scipy calls, 0.2 ms: a tenth of ``univariate_mcd`` on 50,000 values, which
    the cluster tests call for every direction they read)."""
    fraction = h / n
    if fraction >= 1:
        return 1.0
    return fraction / stats.chi2.cdf(stats.chi2.ppf(fraction, 1), 3)


def bimodality_coefficient(skewness, kurtosis):
    """Sarle's bimodality coefficient (g₁² + 1)/(g₂ + 3), from a sample's skewness g₁ and
    excess kurtosis g₂.

    1/3 for a Gaussian, less for heavier tails (peaked, one mode), 5/9 for a uniform, up to 1
    for two points: above ``BIMODAL_COEFFICIENT`` (5/9) the sample is read as two modes.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> one = rng.standard_normal(5000)
    >>> two = np.concatenate([one[:3500], 4 + 0.5 * one[3500:]])
    >>> round(bimodality_coefficient(stats.skew(one), stats.kurtosis(one)), 1)
    0.3
    >>> bool(bimodality_coefficient(stats.skew(two), stats.kurtosis(two)) > BIMODAL_COEFFICIENT)
    True

    Both are finite numbers, or arrays of one shape. The kurtosis is the excess one (0 at the
    Gaussian), which no sample has below −2 (two points of equal weight); a kurtosis of −3,
    the plain kurtosis's scale read as excess, is refused by name rather than dividing by 0.
    """
    skewness = check_numbers(skewness, name="skewness")
    kurtosis = check_numbers(kurtosis, name="kurtosis")
    if skewness.shape != kurtosis.shape:
        raise ValueError(f"skewness has shape {skewness.shape} and kurtosis {kurtosis.shape}; "
                         "one value of each per sample")
    if kurtosis.size and kurtosis.min() < _LEAST_EXCESS_KURTOSIS:
        raise ValueError(
            f"kurtosis {float(kurtosis.min())!r} is below −2, which no sample's excess kurtosis is "
            "(scipy.stats.kurtosis with fisher=True; the plain kurtosis is 3 more)")
    coefficient = (np.square(skewness) + 1.0) / (kurtosis + 3.0)
    return float(coefficient) if np.ndim(coefficient) == 0 else coefficient


# The least excess kurtosis of any sample, −2, less a margin for the rounding of moments
# computed in floating point (a 0/1 feature's projection is exactly at −2).
_LEAST_EXCESS_KURTOSIS = -2.0 - 1e-6


def _column_shapes(values):
    """Sample skewness m₃/m₂^{3/2} and excess kurtosis m₄/m₂² − 3 of each column (the biased
    estimates of scipy.stats.skew and scipy.stats.kurtosis); 0 for a constant column.
    ``values`` (float64) is centred in place: callers pass a product of their own."""
    centred = values
    centred -= values.mean(axis=0)
    squares = centred * centred
    second = squares.mean(axis=0)
    third = np.einsum("ij,ij->j", squares, centred) / len(values)
    fourth = np.einsum("ij,ij->j", squares, squares) / len(values)
    skewness = np.zeros(values.shape[1])
    kurtosis = np.zeros(values.shape[1])
    varying = second > 0
    skewness[varying] = third[varying] / second[varying] ** 1.5
    kurtosis[varying] = fourth[varying] / second[varying] ** 2 - 3.0
    return skewness, kurtosis


def correct_absorbed_cluster(X, location, scatter, squared_distances=None, *,
                             support_fraction=0.5, random_state=None, subset=None):
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
    run of tied values, the start is kept. It is kept too where the rows are skewed along the
    directions S-orthogonal to v (``_symmetric_elsewhere``, the skewness readers' test): one
    cluster skews one direction, skewed inliers (counts, lognormal features) skew every
    feature, and the basis mixes their skewness into directions past the bound (clean
    Poisson(3) counts, 2,000 × 10: location error 0.18-0.22 with the correction this test
    refuses, 0.08-0.10 without it). Inliers with heavier tails than the Gaussian have
    central halves wider than the start's variances (whose consistency comes from the median
    squared distance): where no other direction of the basis is skewed beyond the bound, the
    median of that ratio c over them calibrates the rule where c > 1: the bulk must then be
    narrower than max(1, 0.85·c)·vᵀSv (skewness alone narrows it by up to 14% on the skewed
    data sets we tried), and its variance enters the corrected scatter divided by max(1, c).

    From ε ≈ 0.3 half the rows no longer make a bulk of inliers (at ε = 0.4 the half-sample is
    wider than the start along the cluster), and near ε = 1/2 the skewness fades; but the two
    groups flatten the projection's peak: its excess kurtosis falls below the other
    directions' (below the trimmed Gaussian's at p ≤ 2), which heavy tails and most skewed
    inliers (lognormal, χ², gamma, exponential) do not do. Where the peak is flattened at the
    false-alarm rate and no other direction is skewed beyond the bound, a skewness beyond a
    looser bound (familywise 5%) is enough, and (whether or not the half-sample is narrower:
    at ε = 0.3 it is, but pulled halfway to the cluster) the bulk is the larger group of a
    two-component Gaussian mixture fitted by maximum likelihood to the projections of the
    rows inside the ellipsoid, if it holds more than half of them, the smaller group lies on
    the side the skewness points to, and the larger group's other side has a Gaussian
    group's scale and tail (``_gaussian_away_side``: skewed inliers with a flat top, a
    triangular or Beta(2, 3) feature, or counts, also flatten the peak; their far side is
    short or coarse). Where that fails, the start is kept.

    The location then moves along Sv, the direction in which the start's model varies with the
    projection, by the bulk's offset, and the scatter's variance along v is replaced by the
    bulk's (a rank-one update along Sv; the variances along the other, S-orthogonal, directions
    of the basis are unchanged). The rows are not removed: the cluster stays in the data, and a
    Mahalanobis reweighting from the corrected start would take much of it back, which is why
    the estimators that use this keep the corrected start as their answer.

    Where the half-sample (or the mixture) moves the start towards a tight group that two
    Gaussians fitted to every row's projection read beside a bulk (``tight_group_centre``'s
    rule, on more than 200 values), it has locked onto the group, the densest half: the bulk's
    mean and variance are the correction instead (p = 1, 30% at N(1, 0.25²): 0.92 → 0.02;
    not where under 90% of the values are distinct, as data recorded to 0.001σ are at
    n = 1,000, which ``tight_group_centre`` reads as discrete).

    The eigenbasis misses a cluster whose pull does not show in the correlations (a cluster
    along one feature inflates that feature's variance only, and the correlation's
    eigenvectors are then any rotation, or it finds a rotation of the cluster's direction).
    Where the start's concentration ``subset`` is given, the direction in which the start's
    reweighting steps widened the subset's scatter most is read too (and the feature it
    widened most, where that feature is not skewed: groups on both sides of one feature at
    p = 50 and 100, which the subset's eigenvalue noise hides), and where both correct,
    the correction that leaves the smaller determinant is taken (the better aligned one takes
    out more of the cluster's inflation). It is read in one dimension, where groups a few SD
    away lie outside the cut that the p-dimensional ellipsoid holds them inside
    (``_correction_along_widening``: ½N(±4·e₁, I) at ε = 0.2, p = 10: scatter error 3.0 →
    0.42, MinCovDet's 1.19); its variance there is replaced by the one-dimensional bulk's.
    Then, on the start so corrected, the direction of the rows' skewness vector is tested the
    same way (``_correction_along_skewness``: a Hotelling statistic at the same false-alarm
    rate, and the directions orthogonal to it symmetric, as one cluster leaves them, beside
    the features that hold a group apart themselves, as further clusters along features do
    (``_features_holding_a_group``), and the rows' spread across it no larger on its skewed
    side than on the other, as one cluster leaves it and skewed inliers do not
    (``_skewed_inliers_across``: a count's variance is its mean); 20% at
    5·e₁, p = 10: scatter error 1.6-2.6 → 0.22-0.63 by it alone), and where that does not
    correct, the most skewed feature (the statistic spreads one feature's skewness over p
    degrees of freedom: 20% at 5·e₁, p = 50-200, the start holding the whole cluster,
    location error 0.98-1.0 → 0.10-0.17). Where both correct, the feature's correction is
    taken where it leaves a determinant smaller by more than ``_OVER_THE_VECTOR`` (the
    vector's direction is noisy on few rows: 20% at 5·e₁, n = 200, p = 10, scatter error
    1.19 → 0.49). Where the basis corrects, the skewness readers' correction is taken
    instead where it leaves a smaller determinant (a cluster along one feature of correlated
    inliers reads along a mixture in the basis). After a correction the basis's and the
    skewness's readers are applied again to the corrected start, for further clusters
    (``_further_corrections``: two clusters at distance 6 along random directions,
    n = 5,000, p = 50: scatter error 1.2 after one correction, 0.48 after them; only while
    the start's tail is lighter than t₂₀, and never along a direction already corrected).

    Before the skewness tests, rows that lie exactly on a subspace of codimension 2 or more
    (imputed values: missing features filled in by a regression or by the column means) are
    looked for (``split_flat_group``), and where they are at least 5% of the rows the start is
    computed again without them; a start that looks heavy-tailed reads them after
    ``split_tight_cluster``.

    No correction is made along discrete features: where features with one value held by a
    third of the rows (a 0/1 dummy, counts piled at 0, a rating scale with one common answer;
    not data recorded coarsely) carry more than half of a correction's variance vᵀSv, that
    test's correction is dropped (``_along_discrete_features``). A discrete feature's common
    level is a bulk and its other levels groups beside it, which every test above reads as a
    cluster (one Bernoulli(0.3) feature among nine Gaussian ones: its location moved from 0.3
    to 0.03-0.11). Nor where a discrete feature's levels make the correction's group (within
    each level the projection holds one group: ``_group_of_levels``), as a group indicator
    that the continuous features depend on does. The skewness readers read the continuous
    features (the skewness vector of their marginal model, the most skewed of them, the
    symmetry of the other directions with the discrete ones set aside): a dummy's skewness
    otherwise hides a cluster along another feature or turns the vector to its own axis.

    No skewness test is made for heavy-tailed inliers (a fitted radial tail below
    ``HEAVY_TAIL_DF`` degrees of freedom), where the sample skewness is too variable to read.
    But a start that holds a tight cluster beside the inliers looks heavy-tailed too: the
    cluster's rows are a lump of small distances, the inliers' the large ones (Q = N(1·1, I/4)
    at ε = 0.3, p = 20: fitted ν 2.0, the start 1.5 from θ). Its scatter is stretched along
    the cluster, and the inliers projected there have two modes, where heavy-tailed elliptical
    inliers give one peaked mode. So where a direction of the basis has a bimodality
    coefficient above ``BIMODAL_COEFFICIENT`` (``bimodality_coefficient``; t₃ and Cauchy inliers:
    0.31-0.33, such starts 0.54-0.90), two Gaussians are fitted to every row's projection
    there. The inliers' group is the larger (they are most of the rows); where the other is
    cleanly apart (Ashman's D above 2) and tight (under half the inliers' variance: a cluster
    as wide as the inliers does not make the start look heavy-tailed), its rows (posterior
    above 1/2) are set aside and the start is computed again on the rest
    (``split_tight_cluster``: ``trimmed_scatter`` with ``support_fraction`` and
    ``random_state``), unless the features are discrete (the inliers' projections repeat).
    A tight cluster inside the bulk does not make two modes, but a bulk beside a tight group
    that two Gaussians read (``tight_group_centre``'s rule), along that direction or along
    the rows' skewness vector, is set aside the same way (20% of 1,000 rows, p = 10, copies
    of one row or a cluster with s = 0.1-0.3, 2-3 SD from the inliers' centre or 1.5 SD along
    one feature: both estimators' location errors 0.35-0.71 → 0.11-0.18, RobustGANScatter's
    scatter errors 0.45-1.40 → 0.20-0.26, medians of 3 seeds; MinCovDet's 0.46-0.92 and
    0.55-1.60), and from 1 SD on where the two overlap (Ashman's D above 1 there).
    The cluster lies inside the inliers' own 0.975 ellipsoid, so no Mahalanobis reweighting
    could take it out. So does a cluster tight along all but one direction that two groups
    show along the rows' direction of least kurtosis (ill-conditioned inliers with an
    isotropic cluster, which every MCD-type subset holds whole).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
        Positive definite.
    squared_distances : ndarray of shape (n_samples,), optional
        ``squared_mahalanobis(X, location, scatter)`` if the caller has them.
    support_fraction : float in (0, 1], default=0.5
        The start's coverage, for a start computed again without a tight cluster.
    random_state : int, RandomState instance or None, default=None
        The draws of a start computed again (``trimmed_scatter``).
    subset : ndarray of shape (n_samples,), bool, optional
        The rows of the start's concentration subset (``trimmed_scatter``'s ``support``).
        Where given, the direction in which the start's reweighting widened it most is tested
        too (``_correction_along_widening``).

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
    X = np.asarray(check_data(X), dtype=np.float64)
    n, p = X.shape
    location, scatter = check_model(location, scatter, p, ensure_all_finite=False)
    unchanged = location, scatter, None
    sd = np.sqrt(np.diag(scatter))
    if not (np.isfinite(scatter).all() and np.all(sd > 0) and np.isfinite(sd).all()):
        return unchanged
    if squared_distances is None:
        squared_distances = squared_mahalanobis(X, location, scatter)
    inside = squared_distances <= stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    h = int(inside.sum())
    if h < 3 or n < 4:
        return unchanged
    if radial_tail_df(squared_distances, p) < HEAVY_TAIL_DF:
        split = split_tight_cluster(X, location, scatter, squared_distances,
                                    support_fraction=support_fraction, random_state=random_state)
        if split is None:
            split = split_flat_group(X, location, scatter, squared_distances,
                                     support_fraction=support_fraction,
                                     random_state=random_state)
        return unchanged if split is None else split
    # Rows on a subspace are exact evidence, read before the skewness tests (which can move
    # the start a little along a direction the group skews, and then it was kept: imputed
    # rows, 10% of 2,000, p = 10, scatter error 0.53 → 0.53 by the skewness test, 0.24 by this).
    flat = split_flat_group(X, location, scatter, squared_distances,
                            support_fraction=support_fraction, random_state=random_state)
    if flat is not None:
        return flat
    start_scatter = scatter
    discrete = discrete_features(X)

    def continuous(correction):
        # A discrete feature's levels are a bulk and groups that no cluster made.
        if correction is None or _along_discrete_features(X, start_scatter, correction[2],
                                                          discrete):
            return None
        return correction

    in_basis = continuous(_correction_in_basis(X, location, scatter, sd, inside, discrete,
                                               squared_distances))
    widened = None if subset is None else continuous(
        _correction_along_widening(X, location, scatter, subset))
    if in_basis is not None:
        # A cluster along one feature shows in the basis too, but along a rotation of it (the
        # correlations' eigenvectors are then any rotation): |cos| 0.38-0.50 to e₁ on four
        # held-out samples, the pull half taken out (scatter 1.20-2.62), where the widening's
        # direction was e₁ (|cos| 0.89-0.99, scatter 0.18-0.83). Of two rank-one corrections
        # the one that takes out more of the start's inflation leaves the smaller determinant.
        if widened is None or _log_det(in_basis[1]) <= _log_det(widened[1]):
            # The basis's direction can be a mixture: a cluster 5 SD along one feature of
            # Toeplitz(0.7) inliers, p = 60, read with weight 0.27 on that feature (scatter
            # error 11.7 → 10.2-11.4), where the skewness readers, read along the group's
            # shift, take it out (→ 0.25-0.32, a smaller determinant).
            skewed = continuous(_correction_along_skewness(
                X, location, scatter, inside, squared_distances, discrete))
            if skewed is not None and _log_det(skewed[1]) < _log_det(in_basis[1]):
                in_basis = skewed
            return _further_corrections(X, in_basis, continuous, discrete)
    if widened is not None:
        location, scatter = widened[:2]
        squared_distances = squared_mahalanobis(X, location, scatter)
        inside = squared_distances <= stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    corrected = continuous(_correction_along_skewness(
        X, location, scatter, inside, squared_distances, discrete))
    if corrected is None:
        corrected = widened
    if corrected is None:
        return unchanged
    return _further_corrections(X, corrected, continuous, discrete)


def _further_corrections(X, corrected, continuous, discrete):
    """``corrected`` (location, scatter, direction) corrected again along further clusters.

    Each reader takes one direction out, and several clusters leave the rest in the start
    (two clusters of 10% at distance 6 along random directions, n = 5,000, p = 50: the
    scatter error 1.2 after one correction). The basis's and the skewness's readers are
    applied again to the corrected start, the correction of smaller determinant taken, up to
    ``_FURTHER_ROUNDS`` times, while one corrects and lowers the determinant. ``continuous``
    refuses corrections along discrete features (``discrete``, ``discrete_features(X)``).
    The direction returned is the first correction's.

    A corrected cluster is still in the data, beside the corrected bulk, and the readers find
    it again: along a direction correlated 0.91-1.00 with the one corrected (in the corrected
    scatter's metric), where the further clusters' directions were 0.00-0.31. Read again, a
    tight group took the half-sample (p = 2, 20% at N(0.5·1, 0.25²·I): location error 0.06 →
    0.40), and a wide one had its variance shrunk round after round. A correction along a
    direction correlated more than ``_SAME_DIRECTION`` with one taken is refused
    (``_reads_again``).

    Only while the corrected start's radial tail is lighter than a t with ``_FURTHER_TAIL_DF``
    degrees of freedom (``radial_tail_df``): the readers' z-scores take the Gaussian's 6/h for
    the variance of a sample skewness, and a t_ν's is (μ₆ − 6μ₄ + 9)/h in standard units,
    larger by 1.7 times at ν = 20 and 4 times at ν = 10. A second correction on the atlas's
    t₃ inliers with a close cluster (its fitted tail 5.1) read such noise as a cluster: scatter
    error 0.17 → 0.27.
    """
    location, scatter, direction = corrected
    taken = [direction]
    p = X.shape[1]
    cutoff = stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    for _ in range(_FURTHER_ROUNDS):
        sd = np.sqrt(np.diag(scatter))
        distances = squared_mahalanobis(X, location, scatter)
        inside = distances <= cutoff
        if inside.sum() < 3 or radial_tail_df(distances, p) < _FURTHER_TAIL_DF:
            break
        candidates = [correction for correction in (
            continuous(_correction_in_basis(X, location, scatter, sd, inside, discrete,
                                            distances)),
            continuous(_correction_along_skewness(X, location, scatter, inside, distances,
                                                  discrete)))
            if correction is not None
            and not _reads_again(correction[2], taken, scatter)]
        if not candidates:
            break
        best = min(candidates, key=lambda correction: _log_det(correction[1]))
        if not _log_det(best[1]) < _log_det(scatter):
            break
        taken.append(best[2])
        location, scatter = best[:2]
    return location, scatter, direction


def _reads_again(direction, taken, scatter):
    """Whether the projection ``direction`` is correlated more than ``_SAME_DIRECTION`` under
    ``scatter`` with one of the projections ``taken``: a reader that finds a corrected
    cluster again (it is still in the data, beside the corrected bulk)."""
    variance = float(direction @ scatter @ direction)
    for earlier in taken:
        covariance = float(direction @ scatter @ earlier)
        if covariance**2 > _SAME_DIRECTION**2 * variance * float(earlier @ scatter @ earlier):
            return True
    return False


_FURTHER_ROUNDS = 5
_FURTHER_TAIL_DF = 20.0
_SAME_DIRECTION = 0.5


def _log_det(scatter):
    """log det of a scatter; +inf where it is not positive definite (never the smaller)."""
    sign, value = np.linalg.slogdet(scatter)
    return value if sign > 0 else np.inf


def _along_discrete_features(X, scatter, direction, discrete=None):
    """Whether features read as discrete carry more than ``_DISCRETE_SHARE`` of the variance
    vᵀSv of ``direction`` v under ``scatter`` S.

    A 0/1 feature among continuous ones is two point masses along its axis: its common level
    is a bulk that the half-sample locks onto, its other level a tight group beside it, and
    it skews every direction it enters (one Bernoulli(0.3) feature, p = 10, 20% at 5·1: the
    basis or the skewness test fired on 2 of 3 samples and moved that feature's location from
    0.3 to 0.05-0.11, where MinCovDet's stayed at 0.29-0.31). Counts piled at 0 do the same.
    A feature is read as discrete where one value holds a third of its rows:
    data recorded coarsely (a Gaussian to 0.5 SD) are not, and a cluster along them is still
    taken out. ``discrete``: ``discrete_features(X)``, where the caller has it (each column
    is read alone, so its entries on the direction's support are those read here).
    """
    discrete = (discrete_features(X, np.flatnonzero(direction)) if discrete is None
                else discrete & (direction != 0))
    if not discrete.any():
        return False
    total = float(direction @ scatter @ direction)
    part = np.where(discrete, direction, 0.0)
    if float(part @ scatter @ part) > _DISCRETE_SHARE * total:
        return True
    return group_of_discrete_levels(X @ direction, X[:, discrete])


def group_of_discrete_levels(projection, levels):
    """Whether the levels of a discrete feature make the group that ``projection`` holds.

    For each column of ``levels`` (a discrete feature's values on the same rows): its levels
    (values held by 5% of the rows or more, all but 5% of the rows at one) explain at least a
    tenth of the projection's variance, and within each level the projection is neither
    skewed nor flattened at the false-alarm rate (0.1%). A group indicator that the
    continuous features depend on makes such a group: it is the data's structure, recorded
    in a feature, not contamination (``_group_of_levels``).

    Parameters
    ----------
    projection : ndarray of shape (n_samples,)
        The rows projected on a direction.
    levels : ndarray of shape (n_samples, n_discrete)
        The values of the discrete features on the same rows.

    Returns
    -------
    bool

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dummy = (rng.random(2000) < 0.3).astype(float)
    >>> noise = rng.standard_normal(2000)
    >>> group_of_discrete_levels(noise + 3 * dummy, dummy[:, None])
    True
    >>> group_of_discrete_levels(noise + 3 * dummy + 5 * (rng.random(2000) < 0.2),
    ...                          dummy[:, None])
    False
    """
    projection = check_vector(projection, name="projection")
    levels = check_rows(check_numbers(levels, name="levels"), name="levels")
    if len(levels) != len(projection):
        raise ValueError(f"levels has {len(levels)} rows where projection has "
                         f"{len(projection)} values; one row of levels per value")
    # Shape statistics only: scaled so that data near 1e150 do not overflow in the fourth power.
    projection = projection - projection.mean()
    largest = float(np.max(np.abs(projection), initial=0.0))
    if not (math.isfinite(largest) and largest > 0):
        return False
    projection /= largest
    return any(_group_of_levels(projection, column) for column in np.asarray(levels).T)


def _group_of_levels(projection, feature):
    """Whether the levels of the discrete ``feature`` make the group that ``projection`` holds:
    they explain at least ``_LEVELS_EXPLAIN`` of its variance, and within each level the
    projection is neither skewed nor flattened at the false-alarm rate.

    A dummy the other features depend on (a group indicator: they move by 0.5 where it is 1,
    P(1) = 0.3, ε = 0) puts its rows at 1 into a group 0.5·√(p − 1) SD away along the
    continuous features, and the readers took it out as a cluster (location error 0.54-0.62
    at p = 10-50, where MinCovDet's was 0.15 at p = 50), though the direction's variance lies
    mostly on the continuous features. Such a group is the data's structure, recorded in a
    feature, not contamination: within each level the rows are one group. Outliers whose
    values of the feature are spread over its levels leave a group within them; those with
    values off the levels (more than ``_OFF_LEVELS`` of the rows) mark themselves, and the
    feature is not read.
    """
    n = projection.size
    values, inverse, counts = np.unique(feature, return_inverse=True, return_counts=True)
    level = counts >= _LEVEL_SHARE * n
    at_level = level[inverse]
    if np.count_nonzero(at_level) < (1.0 - _OFF_LEVELS) * n:
        return False
    means = np.bincount(inverse, weights=projection, minlength=values.size) / counts
    # Rows off the levels keep their distance from the levels' rows.
    centre = np.where(at_level, means[inverse], projection[at_level].mean())
    within = projection - centre
    total = float(np.var(projection))
    if not (total > 0 and 1.0 - float(np.var(within)) / total >= _LEVELS_EXPLAIN):
        return False
    skewness, kurtosis = _column_shapes(within[:, None])
    bound = stats.norm.isf(_FALSE_ALARM / 2)
    return bool(abs(skewness[0]) * math.sqrt(n / 6.0) < bound
                and kurtosis[0] * math.sqrt(n / 24.0) > -bound)


def _correction_in_basis(X, location, scatter, sd, inside, discrete=None, squared_distances=None):
    """``correct_absorbed_cluster``'s test and correction along the start's correlation
    eigenbasis: (location, scatter, direction), or None where the start is kept.
    ``discrete``: ``discrete_features(X)``, computed where needed if not given;
    ``squared_distances``: every row's under (location, scatter), likewise."""
    n, p = X.shape
    h = int(inside.sum())
    eigenvalues, basis, skewness, kurtosis = _shapes_in_basis(X, location, scatter, sd, inside)
    z = np.abs(skewness) * math.sqrt(h / 6.0)
    best = int(np.argmax(z))
    bound = stats.norm.isf(_FALSE_ALARM / (2 * p))
    # Near ε = 1/2 two groups skew the projection less (a 60:40 mixture at a 2.2 SD shift: z
    # about 4 on 5,000 rows, against the bound 4.06 at p = 20) but flatten its peak more: a
    # skewness past a looser bound (familywise 5%) is enough where the peak is flattened at
    # the false-alarm rate (the two are independent for Gaussian rows: 5e-5 together).
    if z[best] < stats.norm.isf(_LOOSE_FALSE_ALARM / (2 * p)):
        return None
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
    symmetric_elsewhere = p == 1 or np.partition(z, p - 2)[p - 2] < bound
    calibration = 1.0
    if p > 1 and symmetric_elsewhere:
        calibration = max(1.0, _central_half_ratio(projections, eigenvalues, best))
    threshold = max(1.0, _SKEWED_NARROWING * calibration)
    if symmetric_elsewhere and _flattened(kurtosis, best, h, p):
        # From ε ≈ 0.3 the cluster is too large a share for half the rows to be a bulk of
        # inliers (atlas close05-eps0.4: the half-sample is 1.18 times as wide as the start
        # along the cluster; at ε = 0.3 it is narrower, but its location is pulled halfway to
        # the cluster), but the two groups flatten the projection's peak, where heavy tails
        # and most skewed inliers sharpen it: there the two groups are fitted (skewed inliers
        # with a flat top are told apart by the larger group's far side).
        bulk = _majority_component(projections[inside, best], variance, skewness[best])
        if bulk is None:
            return None
        offset, bulk_variance = bulk
        if not 0 < bulk_variance < threshold * variance:
            return None
    elif z[best] >= bound and 0 < bulk_variance < threshold * variance:
        # The run of half the rows holds more than half of the inliers (half of (1 − ε)n), so
        # its variance, made consistent for a central half, overstates theirs (1.6 times at
        # ε = 0.2 and a 2.5 SD shift). The side away from the cluster holds inliers only,
        # nearly: their deviations from the bulk's location are half-normal, with median
        # Φ⁻¹(3/4)·σ.
        away = _away_side(projection, offset, skewness[best])
        away_variance = _half_normal_variance(away) if away.size >= 2 else 0.0
        if away_variance > 0:
            bulk_variance = min(bulk_variance, away_variance)
    else:
        return None
    # A tight group beside the bulk: the half-sample locks onto it (it is the densest half)
    # and the correction moves towards it, away from the inliers (p = 1, 30% at
    # N(1, 0.25²): 0.44 -> 0.92). The two Gaussians' bulk is the inliers'.
    scale = math.sqrt(variance)
    bulk = _bulk_against_tight_group(projection / scale, offset / scale, p)
    if bulk is not None:
        offset, bulk_variance = bulk[0] * scale, bulk[1] * variance
    # In the start's calibration, as the variances along the other directions are.
    bulk_variance /= calibration
    # Along e the correlation's model moves by the offset and its variance is replaced
    # (C·e = λe, so the rank-one update touches no other eigen-direction); in the data's units
    # the location moves along D^{1/2}·e = S·v/λ for the projection v = D^{-1/2}·e.
    shift = sd * along
    corrected_location = location + offset * shift
    corrected_scatter = scatter + (bulk_variance - variance) * np.outer(shift, shift)
    direction = along / sd
    # One cluster skews one direction; skewed inliers skew every feature, and the basis mixes
    # them into directions where the skews add up or cancel. Clean Poisson(3) counts,
    # 2,000 × 10: one or two directions of the basis past the bound (z 4.4-5.0), the
    # directions S-orthogonal to the first still skewed (largest z 8.3-8.9, the bound 3.86),
    # and its correction took the location error from 0.08-0.10 to 0.18-0.22. As in the
    # skewness readers, the correction is made only where those directions are symmetric
    # (``_symmetric_elsewhere``) and the spread across e does not grow towards its skewed
    # side (``_skewed_inliers_across``).
    if p > 1 and (_skewed_inliers_across(X, location, scatter, projection, variance,
                                         squared_distances)
                  or not _symmetric_elsewhere(X, location, scatter, inside, direction, discrete)):
        return None
    direction = direction / np.linalg.norm(direction)
    # Floored as every start is: a bulk far narrower than the start along e can leave the
    # update's eigenvalue below rounding, and the whitening's Cholesky factor then fails.
    return (corrected_location, regularised_scatter((corrected_scatter + corrected_scatter.T) / 2),
            direction)


def _bulk_against_tight_group(values, offset, p):
    """The bulk's (mean, variance) where ``values`` (a projection in units of the start's
    spread, the start at 0) read as a bulk beside a tight group and ``offset``, a correction's
    new centre, is nearer the group than the start is; None otherwise."""
    group = _bulk_beside_tight_group(values, _reach(p), _TIGHT_GROUP_CHECK_MIN_VALUES)
    if group is None or not _towards(group, offset):
        return None
    return group[0], group[1]


def _towards(group, offset):
    """Whether a correction to ``offset`` (the start at 0) moves towards the tight group of
    ``_bulk_beside_tight_group``'s read."""
    return abs(offset - group[2]) < abs(group[2])


def _reach(p):
    """The radius of the 0.975 ellipsoid in p dimensions, in units of the start's spread."""
    return math.sqrt(stats.chi2.ppf(AUTO_INLIER_QUANTILE, p))


def _correction_along_skewness(X, location, scatter, inside, squared_distances, discrete=None):
    """``correct_absorbed_cluster``'s second test: the direction in which the rows inside the
    start's ellipsoid are skewed, whatever the basis. (location, scatter, direction), or None
    where the start is kept.

    The correlation eigenbasis misses a cluster whose pull on the start does not show in the
    correlations: a cluster along one feature inflates that feature's variance alone (20% at
    5 SD along e₁, p = 10: the start's variance there 1.7-2.6, the correlations near 0, so
    the basis is any rotation, and each direction holds part of the skewness). In the start's
    whitened coordinates z, the mean of z·(‖z‖² − mean ‖z‖²) over the rows inside points to
    the skewness (Móri, Rohatgi & Székely's skewness vector, made uncorrelated with z, whose
    mean the start has set to 0; ``_skewness_vector_statistic``). Past the χ²_p bound at the
    false-alarm rate, where the directions orthogonal to it are symmetric (one cluster skews
    one direction; skewed inliers, every beta(2, 3) or gamma feature, several), and where the
    rows along it are a bulk and a group apart, or a tight group beside a bulk (one skewed
    feature's long side is neither), they are corrected as along the basis
    (``univariate_mcd``, its side away from the skewness, the tight group). The most skewed
    feature is read the same way (``_most_skewed_feature``): where the statistic stays under
    its bound, or its direction is not corrected (from p ≈ 50 the statistic no longer sees
    one feature's skewness), and where the vector's correction is made, whose determinant
    the feature's must beat by ``_OVER_THE_VECTOR``. Its correction is made along the shift
    of the group it reads (``_correction_along_the_shift``) where that leaves a clearly
    smaller determinant: under correlated inliers the shift is not S·e_j.
    """
    n, p = X.shape
    h = int(inside.sum())
    if h < max(_MIN_AWAY_ROWS, _SKEWNESS_VECTOR_ROWS_PER_FEATURE * p):
        return None
    if discrete is None:
        discrete = discrete_features(X)
    statistic, along, degrees = _skewness_vector_of_continuous_features(
        X, location, scatter, inside, squared_distances, discrete)
    if statistic >= stats.chi2.isf(_FALSE_ALARM, degrees):
        corrected = _correction_along(X, location, scatter, inside, along, discrete,
                                      squared_distances)
        # A dummy's skewness turns the vector to its axis, where no correction is made.
        if corrected is not None and not _along_discrete_features(X, scatter, corrected[2],
                                                                  discrete):
            # The vector is a noisy estimate of the group's direction: at n = 200, p = 10
            # (20% at 5·e₁) it put 0.60-0.66 of its weight on e₁, and its correction left a
            # variance of 1.8-1.9 there. A correction read on the most skewed feature is
            # taken instead where it leaves a smaller determinant by ``_OVER_THE_VECTOR`` and
            # moves the location the same way, away from the same group: a half-sample that
            # locked onto a tight group moves towards it and leaves a far smaller determinant
            # (20% at N(0.5·1, 0.25²·I), p = 2: log det −0.73 → −1.89, location 0.02 → 0.40).
            by_feature = _correction_along_most_skewed_feature(X, location, scatter, inside,
                                                               discrete, squared_distances)
            if by_feature is not None and (
                    _log_det(by_feature[1]) < _log_det(corrected[1]) - _OVER_THE_VECTOR
                    and _moved_alike(location, scatter, corrected[0], by_feature[0])):
                return by_feature
            return corrected
    # At p = 50 the statistic can pass its bound with its direction off the feature that
    # the cluster skews (20% at 5·e₁, n = 5,000: 94.7 against 86.7, and the directions
    # orthogonal to it skewed): the feature is read then too.
    return _correction_along_most_skewed_feature(X, location, scatter, inside, discrete,
                                                 squared_distances)


def _moved_alike(location, scatter, first, second):
    """Whether two corrections moved the start's ``location`` to ``first`` and ``second`` in
    directions at an acute angle in the start's metric (S⁻¹)."""
    return float((first - location) @ np.linalg.solve(scatter, second - location)) > 0


def _correction_along_most_skewed_feature(X, location, scatter, inside, discrete,
                                          squared_distances=None):
    """``_correction_along`` the most skewed continuous feature (``_most_skewed_feature``),
    or along the shift of the group it reads where that leaves a clearly smaller determinant;
    None where no correction is made."""
    along = _most_skewed_feature(X, location, scatter, inside, discrete)
    corrected = None if along is None else _correction_along(X, location, scatter, inside, along,
                                                             discrete, squared_distances)
    if corrected is None:
        return None
    # The feature finds the group; its inflation of the start lies along the group's shift,
    # which under correlated inliers is not S·e_j, the direction a correction along e_j moves
    # (Toeplitz(0.7) inliers, p = 60, 20% 5 SD along one feature: scatter error 11.7 → 3.0
    # along the feature, → 0.26-0.28 along the shift, the oracle's 0.27-0.30).
    # Taken where it leaves a clearly smaller determinant (by ``_REALIGNED_LOG_DET``): there
    # the log determinants differed by 0.86-0.94, and where the shift is along S·e_j (a
    # cluster along one feature of uncorrelated inliers, cosines 0.998-0.999 between the two
    # directions) by −0.04 to 0.04 either way, the noise of two estimates of one direction.
    realigned = _correction_along_the_shift(X, location, scatter, inside, along, discrete,
                                            squared_distances)
    if realigned is not None and (
            _log_det(realigned[1]) < _log_det(corrected[1]) - _REALIGNED_LOG_DET):
        return realigned
    return corrected


_REALIGNED_LOG_DET = 0.2
# The feature's correction is taken over the skewness vector's where its log determinant is
# smaller by more than this. Held-out designs (1,896 fits): at 0.1, 24 errors moved, 23 fell
# (e1-c4-p20-n2000 seed 1: scatter 0.81 → 0.17; t3-e1-c5 seeds 0-1: 2.3-2.4 → 0.51-0.69) and
# one rose (rand-c4 seed 2: 0.58 → 0.94, a cluster along a random direction, whose feature's
# correction shrank other directions); at 0, one more rose (0.184 → 0.189). The gains had
# differences of 0.107-0.61.
_OVER_THE_VECTOR = 0.1


def _skewness_vector_of_continuous_features(X, location, scatter, inside, squared_distances,
                                            discrete):
    """``_skewness_vector_statistic`` of the start's model of the continuous features (the
    discrete ones, ``discrete_features``, set aside; all of them where none or all are
    discrete): (statistic, direction v over all features with 0 on the discrete ones and
    vᵀSv = 1, or None, degrees of freedom).

    A 0/1 feature is skewed by its levels (Bernoulli(0.3): skewness 0.87) and turns the
    vector towards its axis: with a cluster 5 SD along another feature, p = 30, the vector
    read 0.9 on the dummy and 0.2 on the cluster's feature, and the correction along it moved
    that feature's location from 1.0 to 1.87 (the inliers' 0). The model of the continuous
    features is the start's marginal: its location's and scatter's entries on them.
    """
    p = X.shape[1]
    if not discrete.any() or discrete.all():
        statistic, along = _skewness_vector_statistic(X, location, scatter, inside,
                                                      squared_distances)
        return statistic, along, p
    continuous = np.flatnonzero(~discrete)
    part = scatter[np.ix_(continuous, continuous)]
    rows = X[:, continuous]
    statistic, direction = _skewness_vector_statistic(
        rows, location[continuous], part, inside,
        squared_mahalanobis(rows, location[continuous], part))
    if direction is None:
        return statistic, None, continuous.size
    along = np.zeros(p)
    along[continuous] = direction
    return statistic, along, continuous.size


def _correction_along_the_shift(X, location, scatter, inside, along, discrete=None,
                                squared_distances=None):
    """``_correction_along`` along v ∝ S⁻¹δ, δ the difference of the means of the group that
    two Gaussians read along the projection ``along`` and of the other rows: the direction in
    which the rows' skewness vector points where one group is shifted by δ. None where no
    group is read."""
    projection = (X - location) @ along
    groups = _bulk_and_skewed_group(projection, float(stats.skew(projection[inside])))
    if groups is None:
        return None
    weights, means, variances, major = groups
    densities = [weights[k] * stats.norm.pdf(projection, means[k], math.sqrt(variances[k]))
                 for k in (0, 1)]
    group = densities[1 - major] > densities[major]
    if not 2 <= np.count_nonzero(group) <= len(X) - 2:
        return None
    shift = X[group].mean(axis=0) - X[~group].mean(axis=0)
    try:
        direction = linalg.cho_solve(linalg.cho_factor(scatter, lower=True), shift)
    except (linalg.LinAlgError, ValueError):
        return None
    variance = float(direction @ scatter @ direction)
    if not (math.isfinite(variance) and variance > 0):
        return None
    return _correction_along(X, location, scatter, inside, direction / math.sqrt(variance),
                             discrete, squared_distances)


def _correction_along(X, location, scatter, inside, along, discrete=None,
                      squared_distances=None):
    """``_correction_along_skewness``'s test and correction along ``along`` (v with vᵀSv = 1:
    the start's model has unit variance along it); ``discrete``: ``discrete_features(X)``,
    computed where needed if not given; ``squared_distances``: every row's under
    (location, scatter), likewise."""
    n, p = X.shape
    h = int(inside.sum())
    projection = (X - location) @ along
    skew = float(stats.skew(projection[inside]))
    if p > 1 and (_skewed_inliers_across(X, location, scatter, projection, 1.0,
                                         squared_distances)
                  or not _symmetric_elsewhere(X, location, scatter, inside, along, discrete)):
        return None
    # A cluster is a group apart from the bulk, or a tight group beside it; a skewed
    # feature's long side is neither (one exponential, χ²₅, gamma(2) or Weibull(1.5) feature
    # among Gaussian ones, p = 3-20: Ashman's D of the two Gaussians fitted along v 1.3-2.0;
    # clusters 4-5 SD away along a feature: 2.9-5.2; a tight cluster 1.5 SD away: about 2).
    tight = _bulk_beside_tight_group(projection, _reach(p), _TIGHT_GROUP_CHECK_MIN_VALUES)
    if tight is None and not group_apart(projection[inside], skew):
        return None
    offset, bulk_variance = univariate_mcd(projection, (n + 2) // 2)
    # Skewed inliers with a short side (beta(2, 3)) are not corrected: the cluster's side
    # away from the cluster is the inliers' Gaussian half.
    away = _away_side(projection, offset, skew)
    if not (0 < bulk_variance < 1.0 and _tail_not_short(away, _FEW_AWAY_ROWS)):
        return None
    # The half-sample holds inliers and some of the cluster; the side away from it, inliers.
    away_variance = _half_normal_variance(away)
    if away_variance > 0:
        bulk_variance = min(bulk_variance, away_variance)
    if tight is not None and _towards(tight, offset):
        offset, bulk_variance = tight[0], tight[1]
    # The model moves along Sv by the offset and its variance along v is replaced; directions
    # S-orthogonal to v keep theirs.
    shift = scatter @ along
    corrected_location = location + offset * shift
    corrected_scatter = scatter + (bulk_variance - 1.0) * np.outer(shift, shift)
    return (corrected_location, (corrected_scatter + corrected_scatter.T) / 2,
            along / np.linalg.norm(along))


def _symmetric_elsewhere(X, location, scatter, inside, along, discrete=None):
    """Whether the rows ``inside`` are symmetric along every direction S-orthogonal to
    ``along`` (one cluster skews one direction; skewed inliers, several), at the false-alarm
    rate over those p − 1 directions; the directions of discrete features are set aside too.

    A 0/1 feature is skewed by its levels (Bernoulli(0.3): skewness 0.87) and no correction
    is made along it (``_along_discrete_features``): with one among the features, a cluster
    4 SD along another feature, p = 30, was kept whole (location error 0.77-0.80, MinCovDet's
    the same), the dummy's skewness read in the directions orthogonal to the cluster's.
    """
    p = X.shape[1]
    h = int(inside.sum())
    # In whitened coordinates (z = L⁻¹(x − μ)) the projection on v is along Lᵀv.
    factor = np.linalg.cholesky(scatter)
    # The rows are not whitened: zᵀu = (x − μ)ᵀL⁻ᵀu, one product per set of directions
    # (at 50,000 × 100, one thread: 62 ms a call, where a whitening and a product took 107).
    centred = X[inside]
    centred -= location
    bound = stats.norm.isf(_FALSE_ALARM / (2 * (p - 1)))
    read = [factor.T @ along]

    def symmetric_beside(features):
        # The directions S-orthogonal to ``along`` and to these features' (Lᵀe_j: feature
        # j's direction in whitened coordinates).
        if len(features) >= p - 1:
            return False
        others = linalg.null_space(np.array(read + [factor.T[:, j] for j in features]))
        directions = linalg.solve_triangular(factor, others, lower=True, trans="T")
        skewness, _ = _column_shapes(centred @ directions)
        return bool(np.max(np.abs(skewness)) * math.sqrt(h / 6.0) < bound)

    if symmetric_beside([]):
        return True
    discrete = discrete_features(X) if discrete is None else discrete
    aside = list(np.flatnonzero(discrete))
    if aside and symmetric_beside(aside):
        return True
    grouped = _features_holding_a_group(X, location, scatter, inside, discrete)
    return bool(grouped) and symmetric_beside(sorted(set(aside) | set(grouped)))


def _skewed_inliers_across(X, location, scatter, projection, variance, squared_distances=None):
    """Whether the rows' spread across a direction is larger on the side of the bulk that
    its ``projection`` (every row's, about ``location``; ``variance`` its model variance
    vᵀSv) is skewed to than on the other, within ``_SPREAD_WINDOW`` of the bulk's SD: a
    one-sided rank test at the false-alarm rate. ``squared_distances``: every row's under
    (location, scatter), computed if not given.

    Skewed inliers are heteroscedastic in this way and one cluster is not. Counts are the
    common case: a Poisson feature's variance is its mean, and the skewness vector of iid
    counts points along 1, where the contrasts beside it are symmetric by exchangeability,
    so ``_symmetric_elsewhere``'s skewness test passed them (clean counts, 240 tables at
    p = 3-4: 26 corrected). For skewed inliers made of independent sources the third
    cumulant is Σₖ κₖ·aₖ⊗aₖ⊗aₖ, and along the skewness vector v ∝ Σₖ κₖ·aₖ the covariance of
    the projection with a direction w's square, Σₖ κₖ(aₖ·v)(aₖ·w)², is positive. A cluster
    along v moves its rows along v only, and elliptical inliers, Gaussian or heavy-tailed,
    spread across alike at ±d from their centre: the two halves of a window about the bulk
    compare alike. Every row is read, not only those inside the start's ellipsoid: its cut
    narrows the spread across where |projection| is large, which differs between the halves
    of a window about a bulk off the start's centre (t₃ inliers with a cluster at 0.5·1,
    p = 20: the correction refused on every seed, location error 0.10 → 0.61).

    A cluster wider than the inliers widens the half it lies in (its rows there are the ones
    the window holds), and on many rows the halves then differ at the false-alarm rate by
    little: multivariate Cauchy rows at 0.5·1 beside N(0, I), 50,000 × 100 (the gao2019
    table), p = 0.0009 with medians 0.3% apart, and the correction refused (location error
    0.44, 0.05 with it). Skewed inliers widen the other half too, towards the bulk; a
    cluster leaves it to the inliers, as wide near the bulk as away from it. So the reading
    also asks that half to widen towards the bulk (``_widens_towards_the_bulk``).
    """
    if len(projection) < 8:
        return False
    bulk, bulk_variance = univariate_mcd(projection, (len(projection) + 2) // 2)
    if not bulk_variance > 0:
        return False
    # Skewed inliers' long tail lies on the mean's side of the densest half and on the third
    # moment's. Where the two disagree it is no such tail (heavy tails whose few far rows set
    # the third moment).
    mean = float(projection.mean())
    side = np.sign(mean - bulk)
    centred = projection - mean
    if side == 0 or side != np.sign(float(np.einsum("i,i,i->", centred, centred, centred))):
        return False
    if squared_distances is None:
        squared_distances = squared_mahalanobis(X, location, scatter)
    offsets = side * (projection - bulk) / math.sqrt(bulk_variance)
    # ‖z‖² less the square of its component along v, in the start's whitened units.
    across = squared_distances - projection * projection / variance
    # Counts put rows exactly at the bulk's centre and at the window's edges, and at equal
    # spreads, which rounding (the data's units, the rows' order) would part: read as ties.
    window = np.abs(offsets) <= _SPREAD_WINDOW + TIE_TOLERANCE
    across = _to_rounding(across)
    away_side = window & (offsets < -TIE_TOLERANCE)
    towards = across[window & (offsets > TIE_TOLERANCE)]
    away = across[away_side]
    if len(towards) < 4 or len(away) < 4:
        return False
    if not stats.mannwhitneyu(towards, away, alternative="greater").pvalue < _FALSE_ALARM:
        return False
    # Skewed inliers widen along the whole window, their side away from the skew too; a
    # cluster widens only the side it lies on, where the window holds its rows, and more
    # so where they are wider than the inliers (Cauchy rows at 0.5·1, p = 100: the two halves
    # apart at p = 0.0009 on 50,000 rows, their medians by 0.3%), whose other side is the
    # inliers' alone, as wide near the bulk as away from it.
    if not _widens_towards_the_bulk(_to_rounding(offsets[away_side]), away):
        return False
    # A tight group at the mode narrows the spread there, and a tail of wider inliers beside
    # it reads as skewed inliers' (p = 2, 20% at N(0.5·1, 0.25²·I): both signs on the inliers'
    # side): where the rows read as a bulk beside a tight group, that is the reading.
    return _bulk_beside_tight_group(projection / math.sqrt(variance), _reach(X.shape[1]),
                                    _TIGHT_GROUP_CHECK_MIN_VALUES) is None


def _widens_towards_the_bulk(offsets, spreads):
    """Whether ``spreads`` rise with ``offsets`` (negative: the side of a bulk away from the
    skewness), a one-sided Spearman test at ``_WIDENING_LEVEL``; ties are ranked as ties.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> offsets = -rng.uniform(0, 2, 400)
    >>> widening = (3 + offsets) * rng.chisquare(3, 400)
    >>> bool(_widens_towards_the_bulk(offsets, widening))
    True
    >>> bool(_widens_towards_the_bulk(offsets, rng.chisquare(3, 400)))
    False
    """
    if len(offsets) < 4 or np.ptp(offsets) == 0 or np.ptp(spreads) == 0:
        return False
    return bool(stats.spearmanr(offsets, spreads, alternative="greater").pvalue
                < _WIDENING_LEVEL)


def _features_holding_a_group(X, location, scatter, inside, discrete):
    """The continuous features along which the rows ``inside`` are skewed beyond the
    Bonferroni bound over the p features and hold a bulk and a group apart (two Gaussians
    fitted, Ashman's D above ``_SKEWED_GROUP_SEPARATED``), as a cluster along a feature does;
    none where more than ``_GROUPED_FEATURES`` are skewed.

    Several clusters along features (four of 5% at 5·e_k, k = 1..4, p = 50) skew the
    directions beside each one's, and each feature's correction was refused by the symmetry
    of the others (location error 0.41, MinCovDet's 0.30). A skewed feature's long side is no
    group apart (Ashman's D 1.3-2.0 for exponential, χ²₅, gamma(2) or Weibull(1.5) features),
    and skewed inliers skew most features.
    """
    rows, skewness, skewed = _skewed_features(X, location, scatter, inside)
    skewed = skewed[~discrete[skewed]]
    if skewed.size > _GROUPED_FEATURES:
        return []
    grouped = []
    for j in skewed:
        if group_apart(rows[:, j], skewness[j], dips=True):
            grouped.append(int(j))
    return grouped


def _two_modes(weights, means, variances):
    """Whether the density of the two-Gaussian mixture dips between its means: a group apart
    from the bulk, not a long tail that a narrow second Gaussian fits."""
    grid = np.linspace(min(means), max(means), 201)
    density = np.exp(_log_densities(grid[:, None], weights, means, variances)).sum(axis=1)
    return bool(density[1:-1].min() < min(density[0], density[-1]))


def _skewed_features(X, location, scatter, inside):
    """The rows ``inside`` in units of the start's scales about its location, each feature's
    skewness over them, and the features whose skewness z-score passes the Bonferroni bound
    over the p features at the false-alarm rate (with a positive scale)."""
    h = int(inside.sum())
    sd = np.sqrt(np.diag(scatter))
    # In units of the start's scales about its location, as the basis's projections: raw
    # moments of data near 1e150 overflow (and near 1e-150 underflow) in the third power.
    rows = X[inside]
    rows -= location
    rows /= np.where(sd > 0, sd, 1.0)
    skewness, _ = _column_shapes(rows)
    z = np.abs(skewness) * math.sqrt(h / 6.0)
    bound = stats.norm.isf(_FALSE_ALARM / (2 * X.shape[1]))
    return rows, skewness, np.flatnonzero((z >= bound) & (sd > 0))


def _most_skewed_feature(X, location, scatter, inside, discrete=None):
    """The feature whose values over the rows ``inside`` are the most skewed, as v = e_j/√S_jj
    (vᵀSv = 1), where its skewness z-score passes the Bonferroni bound over the p features at
    the false-alarm rate; None otherwise.

    The skewness vector's statistic spreads one direction's skewness over p degrees of
    freedom: its weight ‖z‖² − mean ‖z‖² carries the χ²_p noise of every other direction. A
    cluster along one feature that the start holds skews that feature alone, and from p ≈ 50
    the statistic no longer reads it (20% at 5·e₁, n = 10,000, p = 200: the statistic about
    27 against the bound 267, that feature's skewness z-score 44 against 4.6), nor does the
    correlation eigenbasis (the correlations stay near 0, so its eigenvectors are any
    rotation), nor the widening (the start's subset holds the cluster). Both estimators then
    returned the cluster's pull whole: location error 0.98-1.0, scatter 3.9-4.1 from p = 50.
    The features are directions that a shift or a rescaling of each feature keeps.
    """
    _, skewness, skewed = _skewed_features(X, location, scatter, inside)
    # A discrete feature is skewed by its levels, and no correction is made along it.
    skewed = skewed[~(discrete_features(X, skewed) if discrete is None else discrete)[skewed]]
    if skewed.size == 0:
        return None
    best = int(skewed[np.argmax(np.abs(skewness[skewed]))])
    along = np.zeros(X.shape[1])
    along[best] = 1.0 / math.sqrt(scatter[best, best])
    return along


def _correction_along_widening(X, location, scatter, subset):
    """``correct_absorbed_cluster``'s third test: the direction in which the start's
    reweighting widened its concentration subset's scatter most. (location, scatter,
    direction), or None where the start is kept.

    A group of outliers a few SD away along one direction, on one side or on both, sits
    inside the 0.975 ellipsoid in p dimensions (3 SD along e₁ at p = 10: d² ≈ 9 + χ²₉, against
    the cut 20.5), and each reweighting step from a scatter a little wide lets more of it in:
    ½N(±3e₁, I) at ε = 0.2, p = 10: the concentration subset's scatter error 0.64-0.94, after
    two reweighting steps 1.6-1.9, at the fixed point 1.7-2.0. Symmetric groups do not skew
    anything, and a group along one feature does not show in the correlations. In one
    dimension the cut is at 2.24 SD, and the group lies outside it. So the rows are projected
    on the generalised eigenvector v of the start's scatter S against the subset's
    covariance with the largest eigenvalue, and the exact one-dimensional MCD of half of them
    with two reweighting steps at χ²₁'s 0.975 quantile (``_reweighted_univariate``) gives
    their bulk's location and variance s² there. The start is corrected where s²/vᵀSv,
    relative to the median of the same ratio along up to nine other directions (elliptical
    inliers whose tails are not the Gaussian's; taken at most 1, as outliers projected into
    those bulks widen them), is below 1 by more than (7 + 0.7·√p)/√n. v is chosen where S is
    largest, so on clean rows the ratio is below 1 too, by about 0.65·√p/√n in the median: of
    1,800 Gaussian, t₆ and uniform samples, every feature alike (n 60-5,000, p 2-100), none
    passed the bound (the closest, t₆ at p = 50: 11.2 against 11.9), where groups 3-5 SD
    away along one feature gave 11-34 (on one or both sides, p 3-20).

    From p ≈ 50 the subset's eigenvalues spread with p/h above a group along one feature's
    widening, and the feature whose variance the reweighting widened most (against the
    subset's) is read the same way too, where its values are not skewed (groups on both
    sides; a group on one side is the skewness readers'), and of the two corrections the one
    of smaller determinant taken (½N(±4·e₁, I) at ε = 0.2, n = 2,500, p = 50: scatter error
    3.1 → 0.27-0.30, MinCovDet's 3.0).

    A single non-Gaussian feature among Gaussian ones passes that bound as n grows, as its
    bulk is narrower than its variance by a fixed ratio; two guards keep it. Either side of
    the bulk's centre with a tail shorter than the Gaussian's (``_tail_not_short``: the side
    towards a skewed feature's bound; exponential, gamma(2)) keeps the start, as do fewer
    than 100 rows on either side. And two Gaussians fitted to the bulk and one side of it (the
    other side beyond the cut left out) must be a bulk and a group apart, Ashman's D above
    2.5, on one side or the other (``_group_apart_on_a_side``): a heavy tail is a wide
    component about the same centre (one Laplace or t₃ feature, n = 5,000: the test fired on
    6 of 6 samples without this guard, on none with it).
    """
    n, p = X.shape
    if p < 2 or np.count_nonzero(subset) <= p:
        return None
    rows = X[subset]
    rows -= rows.mean(axis=0)  # a copy: centred in place
    subset_scatter = rows.T @ rows / (len(rows) - 1)
    try:
        # Floored as the start's scatter is (``regularised_scatter``): against a raw subset
        # covariance, a near-null direction (two nearly collinear features) would look widened
        # by the floor alone.
        widening, vectors = linalg.eigh(scatter, regularised_scatter(subset_scatter))
    except (linalg.LinAlgError, ValueError):
        return None
    # A ratio of 0 is a direction the floored scatters cannot resolve (a feature whose values
    # differ in their last bits only, 21 of 30 rows tied): no widening can be read there.
    if not np.all(np.isfinite(widening)) or widening[0] <= 0:
        return None
    # The other directions' ratios calibrate the test, on at most ``_CALIBRATION_DIRECTIONS``
    # of them (the most central eigenvalues: the least moved by the reweighting).
    middle = np.argsort(np.abs(np.log(widening[:-1] / np.median(widening[:-1]))))
    others = vectors[:, middle[:_CALIBRATION_DIRECTIONS]]
    corrections = [_correction_along_widened(X, location, scatter, vectors[:, -1], others)]
    # The eigenvalues of a subset's covariance spread with p/h, and from p ≈ 50 a group along
    # one feature no longer stands above them (½N(±4·e₁, I) at ε = 0.2, n = 2,500, p = 50:
    # e₁'s widening 1.46 times the median direction's, the noise's top eigenvalues 1.6-1.9;
    # the eigenvector read 0.01-0.52 on e₁), where one feature's variance ratio has a noise
    # of about √(2/h): the feature the reweighting widened most is read too, where it is not
    # skewed. Groups on both sides skew nothing, and nothing else reads them; a group on one
    # side skews the feature, and the skewness readers read it (their bulk and its away side;
    # the widening's one-dimensional bulk is pulled towards a group 3 SD away: 20% at 3·e₁,
    # p = 10, location error 0.07 → 0.29 where this read it first).
    feature_variances = np.diag(subset_scatter)
    if np.all(feature_variances > 0):
        feature = int(np.argmax(np.diag(scatter) / feature_variances))
        if (abs(vectors[feature, -1]) < _SAME_AXIS * np.linalg.norm(vectors[:, -1])
                and not _skewed_values(X[:, feature], p)):
            axis = np.eye(p)[feature]
            on_axis = _correction_along_widened(X, location, scatter, axis, others)
            # Groups shifted along e_j inflate the scatter along e_j, and the rank-one update
            # along S·v takes that out for v ∝ S⁻¹e_j, not for v = e_j where the inliers are
            # correlated (Toeplitz(0.5), p = 50, groups at ±4 SD of one feature: scatter
            # error 1.5 along e_j, 0.41-0.49 along S⁻¹e_j; Toeplitz(0.7) at ±5 SD: 3.6 and
            # 0.76-0.98). Taken where it leaves a clearly smaller determinant, as the
            # skewness readers' realignment is: S⁻¹e_j carries the start's noise on every
            # other feature (uncorrelated inliers, p = 50: 0.27-0.30 along e_j, 0.50-0.56
            # along S⁻¹e_j). Not where the feature is (nearly) a linear function of the
            # others: S⁻¹e_j then lies along the near-null direction of an identity
            # (statsmodels' macrodata, realint = tbilrate − infl to the rounding, with a
            # group planted: a correction there, location error 3.3 → 4.3).
            inverse_axis = np.linalg.solve(scatter, axis)
            if scatter[feature, feature] * inverse_axis[feature] <= 1.0 / _UNEXPLAINED:
                realigned = _correction_along_widened(X, location, scatter, inverse_axis,
                                                      others)
                if realigned is not None and (on_axis is None or _log_det(realigned[1])
                                              < _log_det(on_axis[1]) - _REALIGNED_LOG_DET):
                    on_axis = realigned
            corrections.append(on_axis)
    corrections = [correction for correction in corrections if correction is not None]
    if not corrections:
        return None
    return min(corrections, key=lambda correction: _log_det(correction[1]))


def _skewed_values(values, p):
    """Whether ``values``' sample skewness z-score passes the Bonferroni bound over p features
    at the false-alarm rate."""
    values = values - np.median(values)
    scale = float(np.max(np.abs(values), initial=0.0))
    if not (math.isfinite(scale) and scale > 0):
        return False
    skewness, _ = _column_shapes((values / scale)[:, None])
    return bool(abs(skewness[0]) * math.sqrt(len(values) / 6.0)
                >= stats.norm.isf(_FALSE_ALARM / (2 * p)))


def _correction_along_widened(X, location, scatter, along, others):
    """``_correction_along_widening``'s test and correction along ``along``, calibrated by
    the directions ``others`` (columns). (location, scatter, direction) or None."""
    n, p = X.shape
    variance = float(along @ scatter @ along)
    # Projected first and centred after, as projection_share does: no temporary of the data's
    # size (14 ms of page faults at 50,000 × 100).
    projection = X @ along - location @ along
    offset, bulk_variance = _reweighted_univariate(projection)
    bound = (_WIDENED + _WIDEST_OF_P * math.sqrt(p)) / math.sqrt(n)
    # The calibration is at most 1, so a ratio within the bound of 1 stays within it.
    if not (variance > 0 and 0 < bulk_variance < (1.0 - bound) * variance):
        return None
    # Groups leave the bulk a Gaussian side on each side of its centre (the groups' side
    # heavier); one skewed feature among Gaussian ones (exponential, gamma(2), log-normal) is
    # widened by the reweighting too, but its bulk's short side gives it away.
    deviations = projection - offset
    if not (_tail_not_short(deviations[deviations > 0])
            and _tail_not_short(-deviations[deviations < 0])):
        return None
    if not _group_apart_on_a_side(deviations / math.sqrt(bulk_variance)):
        return None
    models = np.einsum("ij,ik,kj->j", others, scatter, others)
    projections = X @ others - location @ others
    ratios = [_reweighted_univariate(projections[:, j])[1] / models[j]
              for j in range(others.shape[1]) if models[j] > 0]
    # At most 1: the other directions' one-dimensional bulks also hold outliers that project
    # into them (a far cluster at 5·1, p = 100: their ratios 1.07-1.23), which must not count
    # as evidence against v.
    calibration = min(1.0, float(np.median(ratios))) if ratios else 1.0
    if not (calibration > 0 and bulk_variance / variance / calibration < 1.0 - bound):
        return None
    bulk_variance /= calibration
    # Along Sv the model moves by the bulk's offset and its variance along v becomes the
    # bulk's; directions S-orthogonal to v keep theirs.
    shift = scatter @ along / variance
    corrected_location = location + offset * shift
    corrected_scatter = scatter + (bulk_variance - variance) * np.outer(shift, shift)
    return (corrected_location, regularised_scatter((corrected_scatter + corrected_scatter.T) / 2),
            along / np.linalg.norm(along))


def _group_apart_on_a_side(standardised):
    """Whether two Gaussians fitted to the bulk and one side of it (``standardised``: values
    in units of the bulk's spread about its centre; the other side's values beyond the
    one-dimensional cut left out) are a bulk and a group apart (Ashman's D above
    ``_SKEWED_GROUP_SEPARATED``) on either side."""
    reach = _reach(1)
    for side in (1.0, -1.0):
        values = standardised[standardised * side > -reach]
        if group_apart(values, side):
            return True
    return False


def _reweighted_univariate(values):
    """The exact one-dimensional MCD of half the ``values`` and the start's two reweighting
    steps (``reweighted_estimate``, at χ²₁'s 0.975 quantile): (location, variance), consistent
    at the Gaussian."""
    location, variance = univariate_mcd(values, (len(values) + 2) // 2)
    if not variance > 0:
        return location, variance
    location, scatter, _ = reweighted_estimate(values[:, None], np.array([location]),
                                               np.array([[variance]]))
    return float(location[0]), float(scatter[0, 0])


def _skewness_vector_statistic(X, location, scatter, inside, squared_distances):
    """The skewness vector's statistic over the rows ``inside`` (about χ²_p for elliptical
    inliers) and its direction v in the data's units, scaled so that vᵀSv = 1.

    With z = L⁻¹(x − μ) (S = LLᵀ) and w = ‖z‖² − mean ‖z‖² (‖z‖² is the squared distance),
    the vector is g = mean(z·w) = L⁻¹a with a = mean((x − μ)·w), so gᵀg = aᵀS⁻¹a: one pass over
    the rows and one solve. For elliptical rows z·w has covariance E[‖z‖²w²]/p · I, and
    h·gᵀg·p / mean(‖z‖²w²) is a Hotelling statistic (Gaussian, t₆ and uniform rows, p = 2-20:
    medians near χ²_p's, none of 720 past the 0.1% bound).
    """
    distances = squared_distances[inside]
    weights = np.zeros(len(X))
    weights[inside] = distances - distances.mean()
    h = len(distances)
    moment = ((X - location).T @ weights) / h
    try:
        solved = linalg.cho_solve(linalg.cho_factor(scatter, lower=True), moment)
    except (linalg.LinAlgError, ValueError):
        return 0.0, None
    norm = float(moment @ solved)
    spread = float(np.mean(distances * weights[inside] ** 2)) / X.shape[1]
    if not (math.isfinite(norm) and norm > 0 and spread > 0):
        return 0.0, None
    return h * norm / spread, solved / math.sqrt(norm)


def _shapes_in_basis(X, location, scatter, sd, inside):
    """The start's correlation eigenbasis (eigenvalues, the eigenvectors as columns) and the
    skewness and excess kurtosis of the rows ``inside`` its ellipsoid projected on each
    eigenvector (the rows in units of the start's per-feature scales ``sd``)."""
    # In units of the start's per-feature scales: the correlation's eigenvectors e are the
    # directions, D^{-1/2}·e in the data's units; and data of any magnitude (1e-150 or 1e150)
    # neither under- nor overflows on the way (the rows are divided by D^{1/2} before the
    # products, never the directions multiplied by it).
    correlation = (scatter / sd[:, None]) / sd[None, :]
    eigenvalues, basis = np.linalg.eigh((correlation + correlation.T) / 2)
    rows = X[inside]
    rows -= location
    rows /= sd
    projections = rows @ basis
    del rows  # the projections' shapes below need two arrays of their size, not four
    skewness, kurtosis = _column_shapes(projections)
    # Where the rows have no spread (proportions that sum to 1, a total column), the start's
    # variance is the eigenvalue floor's and the projections are rounding noise: their shape
    # is no evidence (rows of proportions gave a skewness z of 4.8 there, and the correction
    # along it a scatter that was not positive definite).
    flat = eigenvalues <= _AT_THE_FLOOR * EIGEN_FLOOR * eigenvalues.max()
    skewness[flat], kurtosis[flat] = 0.0, 0.0
    return eigenvalues, basis, skewness, kurtosis


def split_flat_group(X, location, scatter, squared_distances=None, *, support_fraction=0.5,
                     random_state=None):
    """A robust estimate computed again without a group of rows that lie exactly in a
    lower-dimensional affine subspace.

    Imputed values do this: rows whose missing features were filled in by a regression on the
    observed ones lie on a line (or a plane) through the inliers' centre, and rows filled in
    with the column means on a line along the observed feature. Gaussian rows never lie on a
    subspace, but an MCD-type start takes such a group whole: its rows shrink the subset's
    determinant along every direction across the subspace. With 20% of the rows imputed from
    one feature (p = 10, n = 1,000, Toeplitz(0.5) inliers) RobustGANScatter's scatter error
    was 0.66-0.99, MinCovDet's 1.03-1.36, the sample covariance's 0.49-0.65, the inliers' own
    0.21-0.29; with 20% on a line through the centre (t ~ U(−8, 8)) 4.1-5.0 and 5.3-6.3.

    Across the subspace the group's rows are one value, and the rows inside the start's
    0.975 ellipsoid have a peak there: the direction of largest ratio of the fourth to the
    second moment, E[‖z‖²(vᵀz)²] / E[(vᵀz)²] in the start's whitened coordinates z (Cardoso's
    FOBI), points across it (the group's rows have small norms and none of the spread along
    it; on more than ``_FLAT_SEARCH_ROWS`` rows inside, it is read on that many, every k-th in
    the order of their distances, which does not depend on the rows' order). The
    p + ``_FLAT_WINDOW_EXCESS`` rows of shortest range along that direction are taken; where
    their centred singular values include zeros (below ``_EXACT`` of the largest: enough of
    the window lies on the group that its other rows do not fill the directions across the
    subspace), every row on the subspace those zeros leave, to rounding, is the group.

    A group spread within its subspace as widely as the inliers, or more, has no such peak:
    five features imputed by regression on the other five (p = 10), or rows on a plane
    spread 4 SD within it. Its rows are still denser than the inliers' wherever they lie,
    since they fill fewer dimensions; so where the window finds no group, each of at most
    ``_NEIGHBOURHOOD_ROWS`` of the rows inside (evenly in the order of their distances; 500
    up to p = 23, as many as a group of 5% of them needs to fill a window above) is taken
    with its window − 1 nearest, in the start's whitened units, and the neighbourhoods read
    the same way, narrowest first (at most ``_NEIGHBOURHOOD_TRIES``; none from p = 49, where
    that would take more than 1,000 rows). On 20% of 1,000 rows, p = 10, the scatter error
    went 0.53 → 0.22 (five features imputed) and 1.70 → 0.22 (a random plane), the inliers'
    own 0.22 (benchmarks/RESULTS.md, thirtieth session).

    It is set aside, and ``trimmed_scatter`` computed on the other rows, where the subspace
    has codimension 2 or more (one exact relation, a feature's bound or the zeros of a
    semi-continuous feature, is common structure), the group holds at least 5% of the rows
    and less than half, and no normal of the subspace lies along discrete features
    (``_along_discrete_features``: the rows at one level of two dummies lie on a subspace of
    codimension 2). Rows at one level of features that other rows share are not set aside
    (``_at_a_level_or_bound``), nor points of the data's lattice held by as many rows as the
    rows beside them make (``_lattice_points``: counts repeat rows by themselves). The read is
    exact: imputed values rounded as the other values were, or drawn with noise, are not found.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
        Positive definite.
    squared_distances : ndarray of shape (n_samples,), optional
        ``squared_mahalanobis(X, location, scatter)`` if the caller has them.
    support_fraction : float in (0, 1], default=0.5
        ``trimmed_scatter``'s coverage on the rows kept.
    random_state : int, RandomState instance or None, default=None
        ``trimmed_scatter``'s draws.

    Returns
    -------
    (location, scatter, direction) or None
        The estimate on the rows kept and a unit normal of the group's subspace; None where no
        such group is found.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((1000, 5))
    >>> X[:200] = rng.standard_normal((200, 1)) * np.ones(5)   # 20% on the line through 1
    >>> location, scatter, _ = trimmed_scatter(X, random_state=0)
    >>> clean, clean_scatter, normal = split_flat_group(X, location, scatter, random_state=0)
    >>> bool(np.linalg.norm(scatter - np.eye(5), 2) > 0.5)
    True
    >>> bool(np.linalg.norm(clean_scatter - np.eye(5), 2) < 0.3), bool(abs(normal.sum()) < 1e-6)
    (True, True)
    """
    X = np.asarray(check_data(X), dtype=np.float64)
    n, p = X.shape
    location, scatter = check_model(location, scatter, p)
    window = p + _FLAT_WINDOW_EXCESS
    least = max(window, math.ceil(_MIN_TIGHT_SHARE * n))
    if p < 2 or n < 2 * least:
        return None
    try:
        factor = np.linalg.cholesky(scatter)
    except np.linalg.LinAlgError:
        return None
    if squared_distances is None:
        squared_distances = squared_mahalanobis(X, location, scatter)
    by_distance = _order_to_rounding(
        squared_distances, lambda rows: _whitened_keys(X, location, factor, rows))
    inside = by_distance[:np.count_nonzero(
        squared_distances <= stats.chi2.ppf(AUTO_INLIER_QUANTILE, p))]
    if len(inside) <= p:
        return None
    inside = inside[::max(1, len(inside) // _FLAT_SEARCH_ROWS)]
    white = linalg.solve_triangular(factor, (X[inside] - location).T, lower=True).T
    found = _exact_group_across_peak(X, location, scatter, factor, white, window, least)
    if found is None:
        found = _exact_group_in_densest_rows(X, location, scatter, factor, white, window, least)
    if found is None:
        return None
    group, normal = found
    location, scatter, _ = trimmed_scatter(X[~group], support_fraction, random_state=random_state)
    return location, scatter, normal


def _exact_group_across_peak(X, location, scatter, factor, white, window, least):
    """``_exact_group`` of the window of rows of shortest range along the fourth-moment
    direction of ``white`` (the rows inside the start's ellipsoid, in its whitened units)."""
    n, p = X.shape
    second = np.cov(white, rowvar=False)
    fourth = (white * np.einsum("ij,ij->i", white, white)[:, None]).T @ white / len(white)
    try:
        across = linalg.eigh(fourth, second, subset_by_index=[p - 1, p - 1])[1][:, 0]
    except (linalg.LinAlgError, ValueError):
        return None
    # The direction in the data's units: vᵀz = (L⁻ᵀv)ᵀ(x − μ), without a temporary of the
    # data's size (the projection only places the window).
    direction = linalg.solve_triangular(factor, across, lower=True, trans="T")
    projection = _to_rounding(X @ direction - location @ direction)
    order = _order_to_rounding(projection,
                               lambda rows: _whitened_keys(X, location, factor, rows))
    ordered = projection[order]
    first = int(np.argmin(ordered[window - 1:] - ordered[:n - window + 1]))
    candidates = linalg.solve_triangular(
        factor, (X[order[first:first + window]] - location).T, lower=True).T
    return _exact_group(X, location, scatter, factor, candidates, least)


def _exact_group_in_densest_rows(X, location, scatter, factor, white, window, least):
    """``_exact_group`` of the first of the densest neighbourhoods among ``white`` that finds
    one: each row with its window − 1 nearest rows, the rows whose neighbourhood is narrowest
    first (at most ``_NEIGHBOURHOOD_TRIES``).

    The fourth-moment direction points across a group whose rows lie near the centre; a group
    spread as widely as the inliers or more within its subspace has a kurtosis like theirs
    along every direction, and the window along it holds rows of both. But the group's rows
    are denser than the inliers' wherever they are, since they fill fewer dimensions: 20% of
    1,000 rows in 10 dimensions on a random plane, spread 4 SD within it, or on the
    5-dimensional subspace of five features imputed by regression on the other five.
    """
    # A group of the least share fills a window among the rows read only if they are this many.
    wanted = max(_NEIGHBOURHOOD_LEAST_ROWS, math.ceil(window / _MIN_TIGHT_SHARE))
    if wanted > _NEIGHBOURHOOD_ROWS:
        return None
    # Evenly through the order of their distances (which does not depend on the rows' order).
    count = min(len(white), wanted)
    rows = white[np.arange(count) * len(white) // count]
    if count * _MIN_TIGHT_SHARE < window:
        return None
    norms = np.einsum("ij,ij->i", rows, rows)
    squared = rows @ rows.T
    squared *= -2.0
    squared += norms
    squared += norms[:, None]
    radius = np.partition(squared, window - 1, axis=1)[:, window - 1]
    # Copies' squared distances are 0 to rounding, which differs with the data's units: two
    # points of 8 and 10 copies among 150 rows of counts, p = 2, and the group set aside was
    # one in X and the other in a·X·D + b.
    keys = rows @ key_directions(rows.shape[1])
    for row in _order_to_rounding(radius, keys.__getitem__)[:_NEIGHBOURHOOD_TRIES]:
        neighbourhood = _order_to_rounding(squared[row], keys.__getitem__)[:window]
        found = _exact_group(X, location, scatter, factor, rows[np.sort(neighbourhood)], least)
        if found is not None:
            return found
    return None


def _to_rounding(values):
    """``values`` (in units of the start's SD) on a grid of ``_EXACT``: values that are equal
    in exact arithmetic and apart by rounding are equal again."""
    return np.round(values / _EXACT) * _EXACT


def _whitened_keys(X, location, factor, rows):
    """Two fixed projections of X's ``rows`` in the start's whitened units, (x − μ)·L⁻ᵀ·k: a
    row order from them depends on neither the rows' order nor the data's units
    (``_order_to_rounding``)."""
    weights = linalg.solve_triangular(factor, key_directions(X.shape[1]), lower=True,
                                      trans="T")
    return X[rows] @ weights - location @ weights


def _order_to_rounding(values, keys):
    """Indices that sort ``values`` (in units of the start's SD, or its square) where they
    differ by more than ``_EXACT``; rows tied to that are in the order of ``keys(rows)`` (two
    fixed projections of their whitened values, ``_whitened_keys``), read for those rows only.

    Rows of counts or scores tie exactly (a row's distance from the centre with its mirror
    image's, copies' distances from each other), and the rounding, which the data's units
    and the rows' order change, broke the ties: a window of copies or one of rows on a line
    read first, and a group set aside in X and not in a·X·D + b.
    """
    grid = np.round(values / _EXACT)
    order = np.argsort(grid, kind="stable")
    ordered = grid[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return order
    # Keys for the tied rows alone: over every row they cost split_flat_group a quarter more
    # at 50,000 × 100 (0.065 → 0.084 s), where a few continuous rows share a grid value.
    in_run = np.zeros(len(order), dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    tied = order[in_run]
    key = np.asarray(keys(tied))
    order[in_run] = tied[np.lexsort((key[:, 1], key[:, 0], grid[tied]))]
    return order


def _exact_group(X, location, scatter, factor, candidates, least):
    """(group, unit normal): the rows on the lower-dimensional affine subspace that the rows
    ``candidates`` (in the start's whitened units) span, where it has codimension 2 or more,
    holds ``least`` rows or more and less than half, and no normal lies along discrete
    features; None otherwise."""
    n = len(X)
    white_normals = _exact_normals(candidates)
    # One exact relation is common structure (a feature's bound, zeros of a semi-continuous
    # feature, a level); rows on a subspace of codimension 2 or more are imputed or copied.
    if white_normals is None or len(white_normals) < 2:
        return None
    # The normals in the data's units, and the rows on the subspace: residuals to rounding of
    # the stored values, which is their magnitude in the start's units times the precision.
    normals = linalg.solve_triangular(factor, white_normals.T, lower=True, trans="T")
    residual = np.linalg.norm(
        (X - location) @ normals - white_normals @ candidates.mean(axis=0), axis=1)
    magnitude = np.max(np.abs(X) / np.sqrt(np.diag(scatter)), axis=1)
    group = residual <= _EXACT + _ROUNDING * magnitude
    if not least <= np.count_nonzero(group) < n / 2:
        return None
    # A level of discrete features (a dummy's, an integer feature's) is a subspace too, and
    # the rows at one level of two dummies are a group of codimension 2 (statsmodels' spector,
    # 32 rows with two 0/1 features: set aside, the estimate moved 1.4 → 4.7 from the clean
    # table's). The rows' projections cannot tell: the normal's rounding makes them distinct.
    if any(_along_discrete_features(X, scatter, normal) for normal in normals.T):
        return None
    if _at_a_level_or_bound(X, group) or _lattice_points(X, group):
        return None
    return group, normals[:, 0] / np.linalg.norm(normals[:, 0])


def _at_a_level_or_bound(X, group):
    """Whether a feature holds one value on every row of ``group`` that is a level of it on
    the other rows too (held by ``_LEVEL_SHARE`` of them or more), or its least or largest.

    Rows at one level of two count features lie on a subspace of codimension 2 as imputed
    rows do (Poisson(3) counts, p = 5, n = 300: the 32 rows with x₂ = x₃ = 3, which 35 other
    rows share on x₂), and ``discrete_features`` does not read counts of ten values as
    discrete. So do the rows at a feature's bound where another feature is a function of it
    (statsmodels' anes96: the 228 of 1,049 rows with popul = 0 and logpopul = log(0.1)).
    Imputed values are held by the imputed rows alone, inside the feature's range: a column's
    mean, a regression's prediction. Copies of one row are not read this way: a tenth of a
    Likert table's rows answering 5 to every item, each answer a shared level and the scale's
    bound, are careless responses, set aside as before (scatter error 0.17-0.50 on 1,000 and
    150 rows; 0.24-1.19 where this check refused them too).
    """
    rows, others = X[group], X[~group]
    constant = np.flatnonzero(np.all(rows == rows[0], axis=0))
    if len(constant) == X.shape[1]:
        return False
    for feature in constant:
        value = rows[0, feature]
        shared = np.count_nonzero(others[:, feature] == value)
        if shared >= _LEVEL_SHARE * len(others):
            return True
        if not others[:, feature].min() < value < others[:, feature].max():
            return True
    return False


def _lattice_points(X, group):
    """Whether the rows of ``group`` are points of the data's lattice, each held by as many
    rows as the rows beside it make: for each distinct row of the group, along some feature j
    whose value there a row off the group holds too, its count c is not above what j's share
    f_j of all rows makes of the c + m_j rows equal to it on every feature but j (a one-sided
    binomial test at ``_LATTICE_POINT_LEVEL``).

    Counts repeat rows by themselves: among 100 rows of two Poisson(4) counts the likeliest
    point holds 4% of them, and one point of at least 5% was set aside on 8 of 8 tables
    (location 0.185 against 0.134 without it, scatter 0.356 against 0.292); with three counts,
    a few such points on one line. There the rows beside a point along one feature are many,
    a fifth of them at its value. Copies are their point's rows alone: a tenth of a Likert
    table answering 5 to every item has few rows answering 5 to all but one, and a continuous
    value is held by no other row. Rows imputed with column means are beside each other along
    the observed feature, but their values are held by no row off the group. Rows at one level
    of features on a subspace of more dimensions are read by ``_at_a_level_or_bound``.
    """
    others = ~group
    for point in np.unique(X[group], axis=0):
        equal = X == point
        matches = np.count_nonzero(equal, axis=1)
        count = np.count_nonzero(matches == X.shape[1])
        beside = np.count_nonzero(~equal[matches == X.shape[1] - 1], axis=0)
        share = np.count_nonzero(equal, axis=0) / len(X)
        tail = stats.binom.sf(count - 1, count + beside, share)
        # A level of the feature: rows imputed with column means share their means and differ
        # in the observed feature, and each is then "beside" the others.
        level = np.any(equal[others], axis=0)
        if not np.any(level & (tail >= _LATTICE_POINT_LEVEL)):
            return False
    return True


def _exact_normals(rows):
    """Unit normals (as rows, orthonormal) of the affine subspace that ``rows`` span where it is
    lower-dimensional to rounding; None where it is not. ``rows`` are in the start's whitened
    units (the inliers' SD is 1).

    Copies of one row span a point, and every direction is a normal; the first is the point's
    direction from the start's centre (the origin), the others complete it in a fixed order.
    Their centred values are 0 where the mean of the copies rounds to the copy and about 1e-16
    where it does not, which depends on the data's units: 24 copies of (3, 0, 0, 0, 0) among
    120 rows were no subspace at all, shifted by b they were one (the start 0.80 and 0.06 SD
    off along the copies' feature). A spread under ``_EXACT`` is one point either way.
    """
    mean = rows.mean(axis=0)
    centred = rows - mean
    p = rows.shape[1]
    _, values, right = np.linalg.svd(centred, full_matrices=True)
    values = np.concatenate([values, np.zeros(p - len(values))])
    if not values[0] > _EXACT:
        # Q of [mean, I] (p × p): its first column is ±mean/‖mean‖, I itself at mean = 0.
        return np.linalg.qr(np.column_stack([mean, np.eye(p)]))[0].T
    zero = values <= _EXACT * values[0]
    return right[zero] if zero.any() else None


def split_tight_cluster(X, location, scatter, squared_distances=None, *, support_fraction=0.5,
                        random_state=None, refit=None):
    """A robust estimate computed again without a tight cluster of outliers that it holds.

    The test of ``correct_absorbed_cluster`` for estimates whose distances look heavy-tailed
    (a fitted radial tail below ``HEAVY_TAIL_DF``): a tight cluster held beside the inliers
    looks so. The rows are projected on the direction of its correlation eigenbasis whose rows
    inside the estimate's 0.975 ellipsoid have the largest bimodality coefficient
    (``bimodality_coefficient``). Where that is above ``BIMODAL_COEFFICIENT`` (two modes), two
    Gaussians are fitted to every row's projection there; the inliers' is the larger
    (ε < 1/2). Where it is not, the two Gaussians are those of ``tight_group_centre``'s read
    of a bulk beside a tight group (on more than 200 values), where the bulk is narrower than
    the estimate's model along the direction (its variance inflated by the cluster it holds;
    the peak of skewed inliers reads as a tight group beside a far wider bulk), or at most
    ``_CENTRAL_GROUP_WIDENING`` times as wide (a group near the centre lowers the median
    distance that scales the model): a tight cluster inside the bulk gives one skewed mode
    (20% at 3·1/√p with s = 0.2, p = 10: coefficient 0.49-0.54), and held in the start it
    pulled it by 0.7 SD. Where the other group is cleanly apart (Ashman's D above 2; above 1
    for a group read without a second mode, whose rows win the density comparison only near
    its centre, so few inliers go with them) and tight (under half the inliers' variance), its
    rows are set aside and ``trimmed_scatter`` is computed on the others. So is a tight group
    1 SD from the centre (D 0.9-1.4 at s = 0.2): held, it pulled the start by 0.22-0.33
    (ε = 0.2, p = 10), and by 0.53 at ε = 0.3, s = 0.25, 1.3 SD away, p = 20; set aside,
    0.11-0.22 and 0.16-0.18. Not where the inliers'
    projections repeat (under 90% distinct, a point mass's repeats set aside): discrete
    features, a dummy or a count, make tight groups of their own that are the data's
    structure, not outliers. Nor where the group's rows spread wider than the others along
    any direction (``_narrower_everywhere``): two periods of a trending series, one narrower
    along the trend, are not a cluster. Where the basis shows no such cluster, the direction
    of the rows' skewness vector is read the same way (``tight_group_centre``'s two
    Gaussians): a cluster along one feature does not show in the correlations, whose
    eigenvectors are then a rotation of it (20% at 3·e₁ with s = 0.2: absolute cosines
    0.40-0.50 to e₁; the skewness vector's 0.96-0.98). Where neither shows one, the rows
    inside are read along their direction of least kurtosis (``_group_across_least_kurtosis``):
    a cluster tight along the inliers' wide axes but as wide as them along the line between
    the two, which the tight-group rule refuses there, is set aside where it fills a small
    fraction of the other rows' volume and is no wider than them anywhere (ill-conditioned
    inliers, the atlas's cond1000 and thin-cond cells: location errors 1.1-2.4 → 0.054-0.057,
    the oracle's 0.057).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (n_features,)
    scatter : ndarray of shape (n_features, n_features)
        Positive definite.
    squared_distances : ndarray of shape (n_samples,), optional
        ``squared_mahalanobis(X, location, scatter)`` if the caller has them.
    support_fraction : float in (0, 1], default=0.5
        ``trimmed_scatter``'s coverage on the rows kept.
    random_state : int, RandomState instance or None, default=None
        ``trimmed_scatter``'s draws.
    refit : callable or None, default=None
        ``refit(rows) -> (location, scatter)``, the estimate computed again on the rows kept;
        None: ``trimmed_scatter(rows, support_fraction, random_state=random_state)``
        (``RobustGANScatter(assume_centered=True)`` passes its start about 0).

    Returns
    -------
    (location, scatter, direction) or None
        The estimate on the rows kept and the unit direction the cluster was found along;
        None where no tight cluster is found (the estimate is then to be kept).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((5000, 20))
    >>> X[:1500] = 1.0 + 0.5 * rng.standard_normal((1500, 20))   # 30% at 1, tight
    >>> inside = np.arange(5000) < 3000                            # a start that holds them
    >>> location, scatter = X[inside].mean(axis=0), np.cov(X[inside], rowvar=False)
    >>> clean, _, direction = split_tight_cluster(X, location, scatter, random_state=0)
    >>> bool(np.linalg.norm(location) > 1.5), bool(np.linalg.norm(clean) < 0.2)
    (True, True)
    """
    X = np.asarray(check_data(X), dtype=np.float64)
    p = X.shape[1]
    location, scatter = check_model(location, scatter, p, ensure_all_finite=False)
    sd = np.sqrt(np.diag(scatter))
    if not (np.isfinite(scatter).all() and np.all(sd > 0) and np.isfinite(sd).all()):
        return None
    if squared_distances is None:
        squared_distances = squared_mahalanobis(X, location, scatter)
    inside = squared_distances <= stats.chi2.ppf(AUTO_INLIER_QUANTILE, p)
    if (np.count_nonzero(inside) < _BIMODAL_MIN_ROWS
            or radial_tail_df(squared_distances, p) >= HEAVY_TAIL_DF):
        return None
    eigenvalues, basis, skewness, kurtosis = _shapes_in_basis(X, location, scatter, sd, inside)
    bimodality = bimodality_coefficient(skewness, kurtosis)
    best = int(np.argmax(bimodality))
    direction = basis[:, best] / sd
    kept = _rows_beside_tight_group(X, ((X - location) / sd) @ basis[:, best],
                                    float(eigenvalues[best]),
                                    bimodal=bimodality[best] > BIMODAL_COEFFICIENT)
    if kept is None and np.count_nonzero(inside) >= max(
            _MIN_AWAY_ROWS, _SKEWNESS_VECTOR_ROWS_PER_FEATURE * p):
        # A group along one feature does not show in the correlations, and the basis is then
        # a rotation of it (20% at 3·e₁ with s = 0.2, p = 10: |cos| 0.40-0.50 to e₁, where the
        # rows' skewness vector, v with vᵀSv = 1, points along e₁, |cos| 0.96-0.98).
        _, along = _skewness_vector_statistic(X, location, scatter, inside,
                                              squared_distances)
        # None where the rows inside have no skewness vector (a point mass can be all the
        # rows inside: 20% of 10,000 rows at one point, p = 200, gave a ValueError from the
        # product here).
        if along is not None:
            direction = along
            kept = _rows_beside_tight_group(X, (X - location) @ direction, 1.0, bimodal=False)
    if kept is None:
        found = _group_across_least_kurtosis(X, location, scatter, inside)
        if found is None:
            return None
        kept, direction = found
    if refit is None:
        location, scatter, _ = trimmed_scatter(X[kept], support_fraction,
                                               random_state=random_state)
    else:
        location, scatter = refit(X[kept])
    return location, scatter, direction / np.linalg.norm(direction)


def _rows_beside_tight_group(X, projection, variance, bimodal):
    """The rows of X that ``split_tight_cluster`` keeps (bool mask) where the rows'
    ``projection`` on a direction, of ``variance`` in the start's model, shows a tight
    cluster beside the inliers; None where it does not. ``bimodal``: the projection's
    bimodality coefficient is above ``BIMODAL_COEFFICIENT``."""
    kept = _rows_of_the_larger_group(projection, variance, bimodal, X.shape[1])
    if kept is None or not _narrower_everywhere(X[~kept], X[kept]):
        return None
    return kept


def _rows_of_the_larger_group(projection, variance, bimodal, p, tight=_TIGHT):
    """The rows (bool mask) nearer the larger of two Gaussian groups that ``projection`` reads
    as, cleanly apart, the smaller's variance under ``tight`` times the larger's; None where
    it does not, where fewer than 2(p + 1) rows are kept, or where their projections repeat
    as a discrete feature's. ``bimodal``: the two are fitted from the quantiles' start (two
    modes); otherwise they are ``tight_group_centre``'s bulk and tight group, read in units
    of ``variance``, the start's model along the direction."""
    spread = float(projection.var())
    if not (spread > 0 and variance > 0):
        return None
    if bimodal:
        weights, means, variances = _two_gaussians(
            projection, (0.5, 0.5), tuple(np.quantile(projection, [0.2, 0.8])),
            (spread / 4, spread / 4))
    else:
        scale = math.sqrt(variance)
        fit = _tight_group_fit(projection / scale, _reach(p), _TIGHT_GROUP_CHECK_MIN_VALUES)
        if fit is None:
            return None
        weights, means, variances = fit[0], fit[1] * scale, fit[2] * variance
    inliers = int(np.argmax(weights))  # ε < 1/2: the inliers are the larger group
    cluster = 1 - inliers
    # A start that holds a tight cluster 2-3 SD from the inliers is widened towards it: the
    # bulk is narrower than the start's model there (0.4-0.75 of its variance on the held-out
    # tight clusters and copies of one row); one nearer the centre narrows the model a little
    # (``_CENTRAL_GROUP_WIDENING``). A bulk far wider than the model is the long side of skewed
    # inliers whose peak reads as the tight group (statsmodels' cancer counts: the "group" the
    # 39% of rows at the peak, the bulk 4.1 times as wide as the model).
    if not bimodal and variances[inliers] >= _CENTRAL_GROUP_WIDENING * variance:
        return None
    separation = _ashman_d(means, variances)
    if not (separation > (_SEPARATED if bimodal else _TIGHT_SEPARATED)
            and variances[cluster] < tight * variances[inliers]):
        return None
    log_density = _log_densities(projection[:, None], weights, means, variances)
    kept = log_density[:, inliers] >= log_density[:, cluster]
    if np.count_nonzero(kept) < 2 * (p + 1):
        return None
    # Discrete features (a dummy, a count) make groups of their own, the data's structure
    # rather than outliers: statsmodels' randhie (a 0/1 plan indicator beside plan
    # parameters) has a tight group of 19% of the rows; there the inliers' projections repeat
    # (45% of them distinct), where continuous ones never do.
    if _repeats_as_discrete(projection[kept]):
        return None
    return kept


def _group_across_least_kurtosis(X, location, scatter, inside):
    """(the rows to keep, the direction) where the rows ``inside`` the start's ellipsoid,
    projected on their direction of least kurtosis, are two groups cleanly apart, and the
    smaller is a cluster: a fraction of the larger's volume and no wider along any direction
    (``_FLAT_CLUSTER``); None otherwise.

    A cluster tight along most directions but as wide as the inliers along one escapes the
    readers above. With ill-conditioned inliers (eigenvalues 1 to 1,000) and Q = N(θ + 5·1, I),
    the cluster lies 10.8 Mahalanobis units out, tight along the inliers' wide axes and as wide
    as them along the thinnest: every MCD-type subset holds all of it (its determinant is
    small), and so did ours. In the start's metric the two groups are 10 of their own SDs
    apart, but along no direction of the correlation eigenbasis (|cos| 0.36 at best), and the
    cluster is as wide as the inliers along the line between them, which the tight-group rule
    refuses. Two groups lower the fourth moment along that line: the smallest eigenvalue of
    E[‖z‖²·zzᵀ] over the whitened rows inside (p + 2 for Gaussian rows; 10.4 against 20-24 at
    p = 20) points along it, |cos| 1.00. Heavy tails raise every direction's fourth moment.
    Two subpopulations of one shape are no cluster: the smaller's volume is the larger's.
    """
    p = X.shape[1]
    try:
        factor = np.linalg.cholesky(scatter)
    except np.linalg.LinAlgError:
        return None
    white = linalg.solve_triangular(factor, (X[inside] - location).T, lower=True).T
    fourth = (white * np.einsum("ij,ij->i", white, white)[:, None]).T @ white
    least = np.linalg.eigh(fourth)[1][:, 0]
    # zᵀu = (x − μ)ᵀL⁻ᵀu: the direction in the data's coordinates.
    direction = linalg.solve_triangular(factor, least, lower=True, trans="T")
    projection = (X - location) @ direction
    shape = _column_shapes(projection[inside][:, None])
    if not bimodality_coefficient(shape[0][0], shape[1][0]) > BIMODAL_COEFFICIENT:
        return None
    # The model's variance along the direction is uᵀu = 1. Along it the cluster is as wide as
    # the inliers, so no tightness is asked there; its volume is read below.
    kept = _rows_of_the_larger_group(projection, 1.0, True, p, tight=math.inf)
    if kept is None or np.count_nonzero(~kept) < 2 * (p + 1):
        return None
    reference = regularised_scatter(np.cov(X[kept], rowvar=False).reshape(p, p))
    try:
        ratios = linalg.eigvalsh(np.cov(X[~kept], rowvar=False).reshape(p, p), reference)
    except (linalg.LinAlgError, ValueError):
        return None
    widest, volume = _FLAT_CLUSTER
    if not (ratios.max() < widest and np.exp(np.mean(np.log(np.maximum(ratios, 1e-300))))
            < volume):
        return None
    return kept, direction


def _narrower_everywhere(group, rest):
    """Whether the rows of ``group`` spread less than those of ``rest`` along every direction:
    the largest eigenvalue of their covariance against ``rest``'s is below
    ``_TIGHT_EVERYWHERE``.

    A tight cluster is (Q = N(1·1, I/4), ε = 0.3, p = 20: 0.32-0.38). Two periods of a
    trending time series are not, though one may be narrower than the other along the trend:
    statsmodels' macrodata with 10% planted at 5 robust SD read the later years as a tight
    group beside the earlier ones along the trend (variance ratio 0.08-0.37 there), where
    across it they spread up to 6,600 times wider; the start computed again on the earlier
    years alone was 13-22 away in the data's metric (MinCovDet's 1.1). Affine invariant.
    """
    reference = regularised_scatter(np.cov(rest, rowvar=False).reshape(rest.shape[1], -1))
    return relative_spread(group, reference) < _TIGHT_EVERYWHERE


def tight_group_centre(values, reach):
    """The centre of the larger group where one-dimensional ``values`` hold a tight group
    beside it; None where they do not.

    Two Gaussians are fitted to the values within three ``reach`` of 0 (maximum likelihood,
    EM from three starts). They are read as a bulk and a tight group where the smaller group
    holds more than 5% of the values and the larger at least 55%, the smaller's variance is
    under half the larger's, it lies more than two of its own standard deviations from the
    larger's centre and within ``reach`` of 0 (the values are to be centred where the
    caller's estimate is, in units of its spread: a group beyond its 0.975 ellipsoid is
    outliers it has already left out), and the two Gaussians fit better than one by log(n)
    in log-likelihood. Not on discrete values (under 90% distinct once the commonest value's
    repeats are set aside: one value repeated among distinct ones is a point mass, a tight
    group), whose ties make tight groups of their own, nor on 1,000 values or fewer, where
    skewed or flat-topped samples fit as a bulk and a tight group too.

    A tight cluster of outliers close to the inliers is taken by an MCD-type estimate together
    with the inliers beside it, and pulls it towards itself (‖Δ‖ 0.3-0.8 at n = 2,000-10,000,
    p = 5-20, ε = 0.1-0.3, Q = N(c·1, s²I), c = 0.2-0.7, s = 0.1-0.58); the bulk's centre,
    read beside the cluster, is where the inliers are (within 0.04σ for a group a tenth to
    three tenths as wide as the bulk; up to 0.2σ off for a group half as wide, at 20-30% of
    the rows: it serves to choose the nearer of two estimates). A group near the edge of
    these conditions is read on some samples and not on others (10% at 0.5σ, s = 0.25σ: 2 of
    4), and None leaves the choice to the caller's other tests.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
    reach : float
        Largest distance from 0 of a tight group that is read.

    Returns
    -------
    float or None

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> values = np.concatenate([rng.standard_normal(4000), 0.8 + 0.1 * rng.standard_normal(1000)])
    >>> round(tight_group_centre(values - 0.3, reach=3.0), 1)   # the bulk at 0 - 0.3
    -0.3
    >>> tight_group_centre(rng.standard_normal(5000), reach=3.0) is None
    True
    """
    values = check_vector(values)
    if not reach > 0:
        raise ValueError(f"reach must be positive (a distance in the values' SDs); got {reach!r}")
    group = _bulk_beside_tight_group(values, reach, _TIGHT_GROUP_MIN_VALUES)
    return None if group is None else group[0]


def _bulk_beside_tight_group(values, reach, min_values):
    """(bulk's mean, bulk's variance, group's mean) where one-dimensional ``values`` read as a
    bulk beside a tight group (``tight_group_centre``'s rule on more than ``min_values``
    values); None otherwise."""
    fit = _tight_group_fit(values, reach, min_values)
    if fit is None:
        return None
    weights, means, variances = fit
    bulk = int(np.argmax(weights))
    return float(means[bulk]), float(variances[bulk]), float(means[1 - bulk])


def _tight_group_fit(values, reach, min_values):
    """The two Gaussians (weights, means, variances) of ``_bulk_beside_tight_group``'s read,
    where it reads a bulk beside a tight group; None otherwise."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.abs(values) <= _TIGHT_GROUP_WINDOW * reach]
    if values.size <= min_values or _repeats_as_discrete(values):
        return None
    spread = float(values.var())
    if not (math.isfinite(spread) and spread > 0):
        return None
    # EM from three starts, the best fit kept: the quantiles' (two broad halves) and a tight
    # group at the densest bin beside a bulk at the median (a group inside the bulk, which
    # the first start can miss for a local optimum: 20% at 0.8·σ with s = 0.1σ).
    counts, edges = np.histogram(values, bins=64)
    centres = (edges[:-1] + edges[1:]) / 2
    median = float(np.median(values))
    low, lower, upper, high = np.quantile(values, [0.2, 0.25, 0.75, 0.8])
    # Beside heavy-tailed inliers the first two starts end at the tails' scale mixture (a
    # narrow peak and wide tails), and a tight group outside the central half, no density's
    # peak, is left out: t₅ inliers with 10% at 3 SD, s = 0.2σ, 2,000 × 10, log-likelihoods
    # −2,727 for that fit against −2,653 for the group's. The third start puts the group at
    # the bin that rises most above the bins two away from it, outside the central half.
    padded = np.pad(counts.astype(np.float64), 2)
    rise = counts - (padded[:-4] + padded[4:]) / 2
    rise[(centres >= lower) & (centres <= upper)] = -np.inf
    starts = [((0.5, 0.5), (low, high), (spread / 4, spread / 4)),
              ((0.8, 0.2), (median, centres[int(np.argmax(counts))]), (spread, spread / 25)),
              ((0.8, 0.2), (median, centres[int(np.argmax(rise))]), (spread, spread / 25))]
    fits = [_two_gaussians(values, *start, tol=_TIGHT_GROUP_TOL, max_iter=_TIGHT_GROUP_ITERATIONS)
            for start in starts]
    likelihoods = [_log_likelihood(values, *fit) for fit in fits]
    weights, means, variances = fits[int(np.argmax(likelihoods))]
    one_gaussian = float(np.sum(stats.norm.logpdf(values, values.mean(), math.sqrt(spread))))
    bulk = int(np.argmax(weights))
    group = 1 - bulk
    if not (weights[group] > _MIN_TIGHT_SHARE and weights[bulk] >= _TIGHT_GROUP_MAJORITY
            and variances[group] < _TIGHT * variances[bulk]
            and abs(means[group] - means[bulk]) > _TIGHT_APART * math.sqrt(variances[group])
            and abs(means[group]) <= reach
            and max(likelihoods) - one_gaussian >= _TIGHT_GROUP_MARGIN * math.log(values.size)):
        return None
    return weights, means, variances


def _repeats_as_discrete(values):
    """Whether ``values`` repeat as a discrete feature's do: under ``_DISTINCT`` of them distinct,
    the repeats of their commonest value set aside.

    A dummy, a count or a rating scale repeats many values. One value repeated among distinct
    ones is a point mass, which a tight group's rule must see: 20% of the rows copies of one row
    inside the bulk (3 SD from the inliers' centre, p = 10) left 80% of the values distinct, and
    read as discrete, the copies pulled every start by 0.7 SD (MinCovDet's by 0.9).
    """
    uniques, counts = np.unique(values, return_counts=True)
    rest = values.size - int(counts.max())
    return uniques.size - 1 < _DISTINCT * rest


def _ashman_d(means, variances):
    """Ashman's D = √2·|μ₁ − μ₂|/√(σ₁² + σ₂²) of two Gaussian groups: above 2, cleanly apart."""
    return math.sqrt(2.0) * abs(means[0] - means[1]) / math.sqrt(variances.sum())


def _log_likelihood(values, weights, means, variances):
    """The log-likelihood of a two-Gaussian mixture for one-dimensional ``values``."""
    log_density = _log_densities(values[:, None], weights, means, variances)
    top = log_density.max(axis=1)
    return float(np.sum(top + np.log(np.exp(log_density - top[:, None]).sum(axis=1))))


def _log_densities(values, weights, means, variances):
    """log(wₖ·N(value; μₖ, σₖ²)) of each group k (the last axis)."""
    return (np.log(weights) - 0.5 * np.log(2 * math.pi * variances)
            - 0.5 * (values - means) ** 2 / variances)


def _truncated_gaussian_kurtosis(p, cutoff):
    """Excess kurtosis of one coordinate of N(0, I_p) restricted to ‖x‖² ≤ cutoff.

    With R² ~ χ²_p, E[x₁²; R² ≤ c] = F_{p+2}(c) and E[x₁⁴; R² ≤ c] = 3·F_{p+4}(c), F_k the χ²_k
    distribution function: the ellipsoid's trimming alone flattens a projection (−0.51 at
    p = 1 and the 0.975 cutoff), which the test must not read as two groups.
    """
    inside, second, fourth = (stats.chi2.cdf(cutoff, p + k) for k in (0, 2, 4))
    return 3.0 * fourth * inside / second**2 - 3.0


def _flattened(kurtosis, best, h, p):
    """Whether the projection on column ``best`` of the h rows inside the start's ellipsoid
    has a flatter peak than the other columns' (``kurtosis``: each column's sample excess
    kurtosis), a Bonferroni-free one-sided test at the false-alarm rate: a single direction is
    tested.

    Two Gaussian groups of one variance in proportions 1 − ε and ε at a distance δ (in their
    standard deviation) have excess kurtosis ε(1 − ε)(1 − 6ε(1 − ε))·δ⁴ / (1 + ε(1 − ε)δ²)²:
    negative from ε ≈ 0.21, and large at ε = 0.3–0.4 (−0.55 at ε = 0.4, δ = 2.24), where
    skewed inliers (lognormal, χ²) and heavy tails make it positive. The reference is the
    median over the other columns (self-calibrating for elliptical inliers whose tails are not
    the Gaussian's), or the trimmed Gaussian's for p ≤ 2, with the sample kurtosis's Gaussian
    standard error √(24/h) (and the median's, about √(π/2) times that over √(p − 1)).
    """
    variance = 24.0 / h
    if p >= 3:
        reference = float(np.median(np.delete(kurtosis, best)))
        variance *= 1.0 + math.pi / (2.0 * (p - 1))
    else:
        reference = _truncated_gaussian_kurtosis(p, stats.chi2.ppf(AUTO_INLIER_QUANTILE, p))
    return (kurtosis[best] - reference) / math.sqrt(variance) <= stats.norm.ppf(_FALSE_ALARM)


def _majority_component(projection, variance, skew):
    """Mean and variance of the larger group of a two-component Gaussian mixture fitted to
    ``projection`` by maximum likelihood (``_two_gaussians``), or None where the larger group
    is not a majority, the smaller one does not lie on the side the skewness points to, or the
    larger group's side away from it is not a Gaussian group's (``_gaussian_away_side``)."""
    if not variance > 0:
        return None
    scale = math.sqrt(variance)
    standardised = projection / scale
    groups = _bulk_and_skewed_group(standardised, skew)
    if groups is None:
        return None
    weights, means, variances, major = groups
    if not _gaussian_away_side(standardised, means[major], variances[major], skew):
        return None
    return float(means[major] * scale), float(variances[major] * variance)


def group_apart(values, skew, *, dips=False):
    """Whether ``values`` are a bulk and a group apart on the side that ``skew`` points to: two
    Gaussians fitted by maximum likelihood (started from the densest half and the rest on that
    side), the larger one a majority, the smaller on that side, and Ashman's D =
    √2·abs(μ₁ − μ₂)/√(σ₁² + σ₂²) above 2.5; with ``dips``, their density also dips between
    their means (``_two_modes``).

    A cluster beside the inliers is such a group (4-5 SD along a feature: D 2.9-5.2); a
    skewed law's long side is not (one exponential, χ²₅, gamma(2) or Weibull(1.5) feature
    among Gaussian ones, p = 3-20: D 1.3-2.0).

    Parameters
    ----------
    values : ndarray of shape (n_values,)
    skew : float
        Its sign gives the side the group is looked for on.
    dips : bool, default=False
        Whether the density must dip between the two groups. A long tail that a narrow
        second Gaussian fits passes D without a dip: a Poisson(8) feature's rows inside a
        start's ellipsoid, 2,000 × 3 clean counts, D 2.65-2.75. 5% at 5 SD dips, 5% at 3 SD
        does not.

    Returns
    -------
    bool

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> cluster = np.concatenate([rng.standard_normal(800), rng.normal(5.0, 1.0, 200)])
    >>> skewed = rng.exponential(size=1000)
    >>> bool(group_apart(cluster, 1.0)), bool(group_apart(skewed, 1.0))
    (True, False)
    """
    groups = _bulk_and_skewed_group(values, skew)
    return (groups is not None and _ashman_d(groups[1], groups[2]) > _SKEWED_GROUP_SEPARATED
            and (not dips or _two_modes(*groups[:3])))


def _bulk_and_skewed_group(values, skew):
    """Two Gaussians fitted to ``values`` by maximum likelihood, started from the densest half
    (mostly inliers) and the rest on the side the skewness points to: (weights, means,
    variances, the larger group's index), or None where the larger group is not a majority or
    the smaller one does not lie on that side."""
    mcd_location, mcd_variance = univariate_mcd(values, (len(values) + 2) // 2)
    rest = values[(values - mcd_location) * skew > 0]
    if rest.size < 2 or not mcd_variance > 0:
        return None
    weights, means, variances = _two_gaussians(
        values, (0.6, 0.4), (mcd_location, float(rest.mean())),
        (mcd_variance, max(float(rest.var()), mcd_variance / 4)))
    major = int(np.argmax(weights))
    if not (weights[major] > 0.5 and (means[1 - major] - means[major]) * skew > 0):
        return None
    return weights, means, variances, major


def _gaussian_away_side(values, mean, variance, skew):
    """Whether the values on the side of ``mean`` away from the skewness look like a Gaussian
    group's half: their half-normal scale (median deviation over Φ⁻¹(3/4)) within a factor of
    √2 of the group's fitted standard deviation, and their tail not lighter than the
    Gaussian's (the kurtosis of the side mirrored about the mean, m₄/m₂² − 3, not below its
    standard error √(24/m) times the one-sided false-alarm quantile, m values).

    A skewed inlier law with a flat top (a triangular or Beta(2, 3) feature) or a count
    (Poisson) also flattens a projection and is fitted by two Gaussians, but its far side is
    short (mirrored kurtosis −0.6 on 6,000 rows, z < −13) or coarse (half-normal variance 2.7-3.1
    times the fitted group's); a cluster beside Gaussian inliers leaves that side to them
    (z between −2.0 and 2.3, variance ratio 0.9-1.1).
    """
    away = _away_side(values, mean, skew)
    if away.size < _MIN_AWAY_ROWS:
        return False
    if not 0.5 < _half_normal_variance(away) / variance < 2.0:
        return False
    return _tail_not_short(away)


def _tail_not_short(deviations, min_rows=_MIN_AWAY_ROWS):
    """Whether one side's ``deviations`` (positive, from a centre) have a tail not lighter
    than the Gaussian's: the kurtosis of the side mirrored about the centre, m₄/m₂² − 3, not
    below its standard error √(24/m) times the one-sided false-alarm quantile, on at least
    ``min_rows`` values (False on fewer).

    On fewer than ``_MIN_AWAY_ROWS`` values the quantile is the looser rate's
    (``_LOOSE_FALSE_ALARM``): at the strict rate the test refuses no side of 57 values or
    fewer (the mirrored kurtosis is at least −2), and a skewed feature's short side reads
    −0.1 to −1.2 there. Clean rows with one skewed feature among Gaussian ones (ten laws:
    exponential, χ²₅, gamma, Weibull, beta(2, 3), triangular, lognormal, Poisson, uniform),
    n = 120-300, p = 3-10, 900 fits: corrections made on 11 with the side tested from 100
    values, on 35 from 30 values at the strict rate, on 18 from 50 values at the looser rate
    (benchmarks/RESULTS.md).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> gaussian_side, short_side = np.abs(rng.standard_normal(80)), rng.uniform(0, 1, 80)
    >>> bool(_tail_not_short(gaussian_side, 50)), bool(_tail_not_short(short_side, 50))
    (True, False)
    >>> bool(_tail_not_short(gaussian_side))    # fewer than _MIN_AWAY_ROWS
    False
    """
    m = deviations.size
    if m < min_rows:
        return False
    squares = deviations * deviations
    kurtosis = float(np.mean(squares * squares) / np.mean(squares) ** 2 - 3.0)
    rate = _FALSE_ALARM if m >= _MIN_AWAY_ROWS else _LOOSE_FALSE_ALARM
    return kurtosis / math.sqrt(24.0 / m) > stats.norm.ppf(rate)


def _away_side(values, centre, skew):
    """The distances from ``centre`` of the values on its side away from the skewness."""
    deviations = (centre - values) * np.sign(skew)
    return deviations[deviations > 0]


def _half_normal_variance(deviations):
    """σ² of a half-normal sample, from its median Φ⁻¹(3/4)·σ."""
    return (np.median(deviations) / _HALF_NORMAL_MEDIAN) ** 2


def _two_gaussians(values, weights, means, variances, bins=512, tol=1e-9, max_iter=20_000):
    """Maximum-likelihood weights, means and variances of a two-component Gaussian mixture in
    one dimension, by EM on a histogram of ``values`` (bins of equal width, each bin's count
    at its centre, Sheppard's correction w²/12 added to the variances).

    Two overlapping groups make the likelihood flat and EM slow (hundreds to thousands of
    iterations); on the bins an iteration costs the same at any n (scikit-learn's
    ``GaussianMixture``, which takes no weights, took 7-25 s at n = 50,000 from a poor start,
    this 0.16-0.37 s; from the half-sample's start, as ``_majority_component`` calls it,
    0.01-0.03 s).
    Stops when the log-likelihood gains less than ``tol`` per value.
    """
    counts, edges = np.histogram(values, bins=bins)
    filled = counts > 0
    centres = ((edges[:-1] + edges[1:]) / 2)[filled]
    counts = counts[filled].astype(np.float64)
    total = counts.sum()
    width_variance = (edges[1] - edges[0]) ** 2 / 12
    weights, means, variances = (np.array(a, dtype=np.float64) for a in (weights, means,
                                                                         variances))
    previous = -np.inf
    for _ in range(max_iter):
        log_density = (np.log(weights) - 0.5 * np.log(2 * math.pi * variances)
                       - 0.5 * (centres[:, None] - means) ** 2 / variances)
        top = log_density.max(axis=1, keepdims=True)
        density = np.exp(log_density - top)
        mixture = density.sum(axis=1, keepdims=True)
        log_likelihood = float(counts @ (np.log(mixture[:, 0]) + top[:, 0]))
        responsibilities = density * (counts[:, None] / mixture)
        members = responsibilities.sum(axis=0)
        if not np.all(members > 0):
            break
        weights = members / total
        means = centres @ responsibilities / members
        variances = (np.einsum("ik,ik->k", responsibilities, (centres[:, None] - means) ** 2)
                     / members + width_variance)
        if log_likelihood - previous < tol * total:
            break
        previous = log_likelihood
    return weights, means, variances


def _central_half_ratio(projections, variances, excluded):
    """Median over the columns but ``excluded`` of the central half's Gaussian-consistent
    variance (``univariate_mcd``) over the column's variance in the start's model."""
    n = len(projections)
    # One transposed copy: sorting a strided column copies it first, and p such copies of
    # 50,000 values cost more than one of the whole array (0.22 → 0.17 s at p = 100).
    columns = np.ascontiguousarray(projections.T)
    ratios = [univariate_mcd(columns[j], (n + 2) // 2)[1] / variances[j]
              for j in range(len(columns)) if j != excluded and variances[j] > 0]
    return float(np.median(ratios)) if ratios else 1.0
