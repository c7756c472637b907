"""Per-feature robust location and scale, the standardisation every estimator starts from.

A neutral module: the estimators and the baselines both use it, and it imports neither.

The scale is a reweighted one (a hard-rejection step from the median and the MAD, repeated):
the MAD alone is inflated by contamination that sits on one side of the centre (at Gao et
al.'s design Q = N(5·1, I), ε = 0.2, each feature's MAD is 1.39 where the inliers' standard
deviation is 1, and a location game played at that scale lost half its accuracy: 0.122 against
0.072 at p = 50), while the rows within 2.24 reweighted MADs of the centre hold the inliers
and exclude far outliers (the same design: 1.04).
"""

import numpy as np
from scipy import stats

from ._threads import beside
from ._validation import check_data

__all__ = ["column_median", "discrete_features", "reweighted_location_scale", "robust_scale"]

# sqrt of the χ²₁ 0.975 quantile: the univariate cut of MCD's reweighting step.
_CUT = float(np.sqrt(stats.chi2.ppf(0.975, 1)))
# Variance of N(0, 1) truncated to ±_CUT, relative to 1 (Croux & Haesbroeck, 1999).
_TRUNCATED_VARIANCE = float(stats.chi2.cdf(_CUT**2, 3) / stats.chi2.cdf(_CUT**2, 1))
_MAD_TO_SD = 1.482602218505602
# Φ⁻¹(3/4): the MAD divided by it is consistent for the standard deviation at the Gaussian.
_GAUSSIAN_MAD = float(stats.norm.ppf(0.75))
_MEAN_ABS_TO_SD = float(np.sqrt(np.pi / 2))
_TOLERANCE = 1e-2
# A kept variance below this share of the kept values' mean square is their sums' rounding:
# the values are tied (a genuine one, in units of the current scale, is near
# ``_TRUNCATED_VARIANCE``).
_TIED_VARIANCE = 1e-9
# A feature is read as discrete where one value holds at least _DOMINANT_LEVEL of its values
# (a 0/1 dummy, counts piled at 0, a rating scale with one common answer; a Gaussian recorded
# to 0.5 SD puts 20% in its commonest bin, to 0.2 SD 8%). The candidate values are the two
# commonest of _LEVEL_ROWS values taken evenly through the column; their share is counted on
# every value.
_DOMINANT_LEVEL = 1.0 / 3.0
_LEVEL_ROWS = 2_000
# Values per block of columns in the reweighting steps' buffers (2 MB of float64).
_BLOCK_VALUES = 262_144


def column_median(X, overwrite_input=False):
    """``np.median(X, axis=0)``, the same values, at about a third of its cost.

    One partial sort at the upper middle row; for an even number of rows the lower middle
    value is the largest of the rows below it, and the median their mean, as NumPy's. NumPy's
    own median partitions at both middle rows and at the last, which took 0.10 against
    0.03 s on 50,000 × 100 values (column-major), twice in every default fit. Equal to NumPy's
    to the bit but for the sign of a zero median (0.0 and -0.0 tie in the partial sort); a
    column with a NaN has median NaN, as NumPy's; integers are taken as float64.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), n_samples ≥ 1
    overwrite_input : bool, default=False
        Partition X in place (its row order is lost) instead of a copy; floating X only.

    Returns
    -------
    ndarray of shape (n_features,)

    Examples
    --------
    >>> X = np.array([[1.0, 4.0], [3.0, 2.0], [2.0, 8.0], [5.0, 1.0]])
    >>> column_median(X)
    array([2.5, 3. ])
    """
    # No pass over the values: a NaN gives its column's median NaN, as NumPy's.
    X = check_data(X, ensure_all_finite=False)
    if not np.issubdtype(X.dtype, np.floating):
        X, overwrite_input = X.astype(np.float64), True  # a copy of its own
    upper = X.shape[0] // 2
    if overwrite_input:
        X.partition(upper, axis=0)
        ordered = X
    else:
        ordered = np.partition(X, upper, axis=0)
    if X.shape[0] % 2:
        median = ordered[upper].copy()
    else:
        median = (ordered[:upper].max(axis=0) + ordered[upper]) / 2
    # NaN sorts last: a column that holds one has it at or above the upper middle row.
    missing = np.isnan(ordered[upper:]).any(axis=0)
    if np.any(missing):
        median = np.where(missing, np.nan, median)
    return median


def reweighted_location_scale(X, max_steps=10, *, return_median=False):
    """Per-feature location and scale: the median and MAD, then reweighting steps to a fixed point.

    Each step keeps, per feature, the values within 2.24 scales of the current location (the
    √χ²₁(0.975) cut of MCD's reweighting) and takes their mean and standard deviation,
    corrected to be consistent at the Gaussian; the steps stop when no feature's location or
    scale moves by more than 1e-2 of its scale (or its kept set is unchanged), or after
    ``max_steps``. A discrete feature (``discrete_features``: one value holds a third of its
    values or more) starts from the mean absolute deviation from the median instead of the
    MAD, which reads only the spread of the values nearest the median (0 where one value holds
    more than half). From a 0/1 feature's MAD the steps close in on one level: where the
    larger level held 47% of the rows and a few values lay beside it, the scale came out at
    1e-4 of its SD, and the robust starts built on it took that level alone, with no variance
    along the feature. A feature whose values are all equal gets scale 0.

    Both are equivariant: ``reweighted_location_scale(a·X·D + b)`` is ``(a·m·D + b, a·s·D)``
    for a scalar a > 0, a positive diagonal D and any b, to rounding.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    max_steps : int, default=10
        At Q = N(5·1, I), ε = 0.2 (n = 50,000, p = 100) the scale is 1.041 after two steps,
        1.006 after four and 1.002 after six (the inliers' is 1); the 1e-2 rule stops after
        five (1.003), a 1e-3 rule after eight (1.001).
    return_median : bool, default=False
        Return the coordinatewise median the steps start from too (first), for callers that
        need it: it is not computed again.

    Returns
    -------
    median : ndarray of shape (n_features,)
        Only with ``return_median=True``.
    location : ndarray of shape (n_features,)
    scale : ndarray of shape (n_features,)
        Zero exactly for constant features.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.standard_normal((8000, 1)), 5 + rng.standard_normal((2000, 1))])
    >>> location, scale = reweighted_location_scale(X)
    >>> bool(abs(location[0]) < 0.05), bool(abs(scale[0] - 1) < 0.05)
    (True, True)
    """
    # Column-major: every pass below runs along a feature's values in memory, and the sums
    # over rows are numpy's pairwise sums of contiguous data, as they have always been here.
    X = np.asfortranarray(check_data(X), dtype=np.float64)
    # Each feature is read apart from the others: half of them on robustgan's background thread
    # where a CPU is spare (``_in_two``), to the same bits (0.14 → 0.09 s at 50,000 × 100).
    middle = X.shape[1] // 2
    column_halves = [slice(0, middle), slice(middle, None)] if middle else [slice(None)]
    medians, scales = zip(*_in_two(lambda half: _median_and_mad(X[:, half]), column_halves,
                                   X.size))
    median, scale = np.concatenate(medians), np.concatenate(scales)
    location = median.copy()
    lumped = (scale == 0) | discrete_features(X)
    if lumped.any():
        scale[lumped] = _MEAN_ABS_TO_SD * np.abs(X[:, lumped] - location[lumped]).mean(axis=0)
    columns = np.flatnonzero(scale > 0)
    every_column = columns.size == X.shape[1]
    # A block of columns at a time, in buffers that stay in the cache: each step reads the data
    # once instead of passing over data-sized temporaries ten times (0.28 against 0.1 s for
    # five steps at 50,000 × 100). The sums are per column, so the values are the same.
    block = max(1, min(columns.size, _BLOCK_VALUES // max(len(X), 1)))
    firsts = list(range(0, columns.size, block))
    # Half the blocks to each thread, each with buffers of its own.
    middle = len(firsts) // 2
    block_halves = [firsts[:middle], firsts[middle:]] if middle else [firsts]
    buffers = [(np.empty((len(X), block), order="F"), np.empty((len(X), block), order="F"))
               for _ in block_halves]
    inside = np.empty((len(X), columns.size), dtype=bool, order="F")
    previous = np.empty_like(inside)
    count = np.empty(columns.size, dtype=np.intp)
    total, squares = np.empty(columns.size), np.empty(columns.size)

    def sums(index):
        U, magnitude = buffers[index]
        for first in block_halves[index]:
            part = slice(first, first + block)
            kept = columns[part]
            u, mag, ins = U[:, :kept.size], magnitude[:, :kept.size], inside[:, part]
            # In units of the current scale, so that data of any magnitude (1e-200 or 1e200)
            # neither under- nor overflows when squared.
            if every_column:
                np.subtract(X[:, part], location[part], out=u)
            else:
                np.take(X, kept, axis=1, out=u)
                u -= location[kept]
            u /= scale[kept]
            np.less_equal(np.abs(u, out=mag), _CUT, out=ins)
            count[part] = ins.sum(axis=0)
            u *= ins
            total[part] = u.sum(axis=0)
            squares[part] = np.square(u, out=mag).sum(axis=0)

    for step in range(max_steps):
        if columns.size == 0:
            break
        _in_two(sums, range(len(block_halves)), len(X) * columns.size)
        if step > 0 and np.array_equal(inside, previous):
            break
        shift = total / np.maximum(count, 1)
        variance = (squares - count * shift**2) / np.maximum(count - 1, 1)
        factor = np.sqrt(np.maximum(variance, 0.0) / _TRUNCATED_VARIANCE)
        # A feature with fewer than two kept values, or all of them tied, keeps its estimate.
        # Tied values leave a variance of 0 or of the sums' rounding, which the rows' order
        # sets: on scikit-learn's digits (a pixel 0 on 1,037 of 1,797 rows) one order kept the
        # scale, 0.29, and another shrank it to 3.9e-25.
        tied = variance <= _TIED_VARIANCE * squares / np.maximum(count, 1)
        update = (count >= 2) & (factor > 0) & ~tied
        location[columns[update]] += scale[columns[update]] * shift[update]
        scale[columns[update]] *= factor[update]
        previous, inside = inside, previous
        # Relative moves, so the decision is the same in any units; the next step would move
        # the estimates by less than this again (the steps contract: 1.041, 1.016, 1.006, ...).
        if (np.max(np.abs(shift[update]), initial=0.0) < _TOLERANCE
                and np.max(np.abs(factor[update] - 1.0), initial=0.0) < _TOLERANCE):
            break
    return (median, location, scale) if return_median else (location, scale)


def _median_and_mad(X):
    """Per column of X (column-major): the median, and the MAD about it as a standard deviation
    (``_MAD_TO_SD`` times it); the deviations are partitioned in place (no second copy)."""
    median = column_median(X)
    return median, _MAD_TO_SD * column_median(_absolute_deviations(X, median),
                                              overwrite_input=True)


def _absolute_deviations(X, center):
    """|X − center| in one new array (``np.abs(X − center)`` makes two): the same values."""
    deviations = np.subtract(X, center)
    return np.abs(deviations, out=deviations)


def _in_two(function, halves, work):
    """``[function(half) for half in halves]`` (one or two halves): with two, the first on
    robustgan's background thread where ``robustgan._threads.beside`` runs ``work`` values
    there (a CPU spare, the main thread), else here too. ``function`` must not use BLAS (it
    runs unlimited)."""
    if len(halves) == 1:
        return [function(halves[0])]
    first = beside(function, halves[0], work=work, blas=False)
    try:
        second = function(halves[1])
    finally:
        # Not left running on buffers that an error here would abandon.
        first = first.result()
    return [first, second]


def discrete_features(X, columns=None):
    """Which features are discrete: one value holds at least a third of the rows.

    A 0/1 dummy, counts piled at 0 or a rating scale with one common answer is; data recorded
    coarsely are not (a Gaussian recorded to 0.5 SD puts 20% of its values in its commonest
    bin). Such a feature is point masses along its axis, which robust estimates built for
    continuous data read as a bulk (its commonest value) and groups beside it.

    Cost: a sort of ``_LEVEL_ROWS`` values per feature, and one pass over the feature for each
    of its two commonest sampled values where the commonest holds half the share or more.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    columns : ndarray of int, optional
        Only these features are examined (the others are reported False); all if not given.

    Returns
    -------
    ndarray of shape (n_features,), bool

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.c_[rng.standard_normal(1000), rng.random(1000) < 0.4, rng.poisson(30, 1000)]
    >>> discrete_features(X)
    array([False,  True, False])
    """
    # No pass over the values: a NaN is not a level, and the estimators call this often.
    X = check_data(X, min_samples=0, ensure_all_finite=False)
    n, p = X.shape
    columns = np.arange(p) if columns is None else np.asarray(columns)
    discrete = np.zeros(p, dtype=bool)
    if n == 0 or columns.size == 0:
        return discrete
    # Candidates from a sample, counts from every row: a value holding a third of the rows
    # holds about as much of the sample, unless the rows' order hides it from the sampled
    # positions, and its count on every row, not the sample's, decides. A column whose
    # commonest sampled value holds less than half that share is not counted (a continuous
    # column's holds one row of the 2,000).
    sample = np.sort(X[::max(1, n // _LEVEL_ROWS)][:, columns], axis=0)
    for k, j in enumerate(columns):
        # Run lengths of the sorted column: its distinct values and their counts.
        ends = np.append(np.flatnonzero(sample[1:, k] != sample[:-1, k]), len(sample) - 1)
        counts = np.diff(ends, prepend=-1)
        top = np.argsort(counts)[-2:]
        if counts[top[-1]] >= _DOMINANT_LEVEL / 2 * len(sample):
            held = max(np.count_nonzero(X[:, j] == value) for value in sample[ends[top], k])
            discrete[j] = held >= _DOMINANT_LEVEL * n
    return discrete


def robust_scale(X, scale="mad", *, center=None):
    """Robust scale of each column of X, consistent for the standard deviation at the Gaussian.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    scale : "mad" or callable, default="mad"
        ``"mad"``: the median absolute deviation from the median divided by Φ⁻¹(3/4) ≈ 0.6745
        (as ``statsmodels.robust.scale.mad``). A callable takes X and returns the scales, e.g.
        ``functools.partial(statsmodels.robust.scale.qn_scale, axis=0)`` for Rousseeuw and
        Croux's Qn (more efficient, but O(n log n) per column in Python and it crashed on
        n = 50,000 rows in statsmodels 0.15, hence not the default).
    center : ndarray of shape (n_features,), optional
        The column medians of X, ``column_median(X)`` if not given (a caller that has
        computed them saves that pass); only ``scale="mad"`` uses them.

    Returns
    -------
    ndarray of shape (n_features,)
        A column whose robust scale is 0 (more than half its values equal) gets its standard
        deviation instead, and a constant column 1, so that a scatter built on the scales
        stays invertible. (``reweighted_location_scale`` instead reports a constant column's
        scale as 0: it decides which features carry information.)

    Examples
    --------
    >>> robust_scale(np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [100.0, 1.0]])).round(3)
    array([1.483, 1.   ])
    """
    X = np.asarray(check_data(X, min_samples=0), dtype=np.float64)
    if scale == "mad":
        if center is None:
            center = column_median(X)
        s = column_median(_absolute_deviations(X, center), overwrite_input=True) / _GAUSSIAN_MAD
    else:
        s = np.asarray(scale(X), dtype=np.float64)
    s = np.array(s, dtype=np.float64)  # a copy, written below
    fallback = ~(s > 0)
    if fallback.any():
        s[fallback] = _standard_deviation(X[:, fallback])
    return s


def _standard_deviation(X):
    """Each column's standard deviation, 1 where the column is constant.

    Taken in units of the column's largest magnitude: the squares inside ``np.std`` overflow
    for data around 1e200 (a RuntimeWarning, and an infinite scale). A constant column is
    found by its values, not by a zero standard deviation: the mean of n equal floats need not
    be that float (a column of 3.7s had standard deviation 4e-16, and a scatter built on it
    a variance of 2e-31 across the column).
    """
    if len(X) == 0:
        return np.ones(X.shape[1])
    constant = np.ptp(X, axis=0) == 0
    magnitude = np.max(np.abs(X), axis=0)
    unit = np.where(magnitude > 0, magnitude, 1.0)
    deviation = np.std(X / unit, axis=0) * unit
    return np.where(constant | ~(deviation > 0), 1.0, deviation)
