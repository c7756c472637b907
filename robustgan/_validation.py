"""The one input-validation path shared by every estimator of robustgan.

scikit-learn's ``validate_data`` already names NaN, infinity, complex input, a wrong number of
dimensions, too few rows and a feature count that differs from ``fit`` (a DataFrame's
non-numeric columns are named here: its message names only a value). Inputs NumPy's conversion
reads wrong or not at all are settled first (``_readable``): a torch tensor is read whatever
its device or autograd state; a masked array with masked values, and dates or times, are
refused by name. This module fixes the options every estimator uses so that none of them
re-states them, and names the data on which a robust scatter is degenerate
(``check_degenerate``): an error where no estimate exists, a ``DegenerateDataWarning`` where
the estimate exists but is singular or cannot resist outliers, never a silently non-robust
answer. The statistics layer's public functions (``robustgan.univariate``,
``robustgan.multivariate``, ``robustgan.clusters``) check their data with the same messages
(``check_data``, ``check_model``).
"""

import contextlib
import functools
import sys
import warnings
from numbers import Integral

import numpy as np
from scipy import linalg
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, Options
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "check_generator",
    "DegenerateDataWarning",
    "affine_span",
    "as_numbers",
    "refusing_bools",
    "check_data",
    "check_degenerate",
    "check_model",
    "check_numbers",
    "check_rows",
    "check_scales_representable",
    "check_square",
    "check_vector",
    "check_fitted_data",
    "check_scatter_representable",
    "leaves_unchanged_on_failure",
    "check_training_data",
    "warn_at_user",
    "warn_exact_fit",
    "warn_tied_columns",
]

# Smallest eigenvalue of the data's correlation matrix (trace = number of features) below
# which the centred rows count as lying in a proper subspace: a condition number of 10¹⁰,
# far above the rounding of a float64 Gram matrix (≈ 10⁻¹⁵ relative) and far below any
# correlation real data carry.
_RANK_TOLERANCE = 1e-10
# Smallest eigenvalue of a robust start's correlation form, relative to its largest, at or
# below which the rows it was fitted to lie on a hyperplane (``warn_exact_fit``): above the
# start's own floor (``robustgan.multivariate.EIGEN_FLOOR``, 1e-9), far below what real
# correlations give. A row is on the hyperplane to a relative ``_ON_HYPERPLANE`` of its terms.
_EXACT_FIT = 1e-8
_ON_HYPERPLANE = 1e-9
# Columns and directions named in a message; the rest are counted.
_NAMED = 5
# A term of a constant combination below this, relative to its largest, is not named.
_TINY_TERM = 1e-6
# Coefficients this close, relative to the largest, count as equal when the sign is chosen.
_TIE = 1e-6


def warn_at_user(message, category):
    """``warnings.warn``, attributed to the first caller outside robustgan and scikit-learn.

    A fixed ``stacklevel`` points at library code whenever the call arrives by another path
    (``fit`` through a fitting generator, ``fit_many``, a baseline's ``fit``); the line a user
    can change is the first frame of neither package.

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_at_user("look here", UserWarning)
    >>> caught[0].category.__name__, str(caught[0].message)
    ('UserWarning', 'look here')
    """
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] in (
            "robustgan", "sklearn"):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)


class DegenerateDataWarning(UserWarning):
    """The training data are degenerate for a robust scatter: the fit goes on, its answer is
    singular along some direction or cannot resist outliers.

    Issued for a constant column, a column in which at least half the values are equal, data
    in a proper affine subspace and ``n_samples == n_features + 1``. The message names the
    columns or directions and what to do. The cases where no estimate exists raise
    ``ValueError`` instead: at least half the rows identical, ``n_samples <= n_features``.
    """


def check_generator(random_state):
    """A ``numpy.random.Generator`` from ``None``, an int, a Generator or a RandomState."""
    if random_state is None or (
        isinstance(random_state, Integral) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        # Used as is, so the caller's generator advances, as scikit-learn does with RandomState.
        return random_state
    if isinstance(random_state, np.random.RandomState):
        # A RandomState cannot drive Generator methods; seeding a Generator from it keeps the
        # output a deterministic function of the RandomState's state (and advances that state).
        return np.random.default_rng(random_state.randint(2**32, size=4, dtype=np.uint64))
    raise ValueError(
        "random_state must be None, an int, a numpy.random.Generator or a "
        f"numpy.random.RandomState, got {random_state!r}"
    )


def check_training_data(estimator, X, *, min_samples=2, scatter=False, return_span=False):
    """Validated float64 training data; records ``n_features_in_`` and ``feature_names_in_``.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted.
    X : array-like of shape (n_samples, n_features)
        Training data.
    min_samples : int, default=2
        Fewer rows than this is an error: a location needs two points to differ from a point.
    scatter : bool, default=False
        The estimator fits a scatter matrix: degenerate data are named (``check_degenerate``).
        A location alone exists on any data (the median of rows most of which are equal is
        their common value), so location estimators leave it off.
    return_span : bool, default=False
        With ``scatter``, return the rows' affine span too (``affine_span``), from the rank
        test ``check_degenerate`` ran: an estimator that fits inside the span does not run
        that test again (0.05-0.3 s at 50,000 × 100).

    Returns
    -------
    ndarray of shape (n_samples, n_features), float64
    span : tuple (centre, basis)
        Only with ``return_span=True``.

    Raises
    ------
    ValueError
        From ``validate_data``, for a masked array with masked values or dates and times
        (``_readable``), and with ``scatter=True`` from ``check_degenerate``.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> check_training_data(BaseEstimator(), [[0.0, 1.0], [1.0, 2.0]]).dtype
    dtype('float64')
    """
    X = _readable(X)
    with _naming_non_numeric_columns(X):
        X = validate_data(
            estimator, X, reset=True, dtype=np.float64, ensure_min_samples=min_samples
        )
    if return_span and not scatter:
        raise ValueError("return_span needs scatter=True: the span comes from its rank test")
    if scatter:
        check_scatter_representable(X)
        span = check_degenerate(X, return_span=return_span)
        if return_span:
            return X, span
    return X


def check_data(X, *, min_samples=1, ensure_all_finite=True):
    """``X`` for a public function of the statistics layer (``robustgan.univariate``,
    ``robustgan.multivariate``, ``robustgan.clusters``), refused by name where it is not data.

    The estimators' checks without an estimator: a 2-D array of numbers with at least
    ``min_samples`` rows, finite unless ``ensure_all_finite=False``; a torch tensor, masked
    array, DataFrame or list is read as ``check_training_data`` reads it.
    float32 is kept (a pass over it in float32 holds a copy less), other numbers become
    float64. A float64 array passes without a copy; its check is one pass over the values
    (1.3 ms at 50,000 × 100).

    Raises
    ------
    ValueError
        For a wrong number of dimensions, too few rows, NaN or infinity, and values that are
        not numbers (a DataFrame's non-numeric columns named).

    Examples
    --------
    >>> check_data([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> try:
    ...     check_data(np.arange(3.0))
    ... except ValueError as error:
    ...     print(str(error).splitlines()[0])
    Expected 2D array, got 1D array instead:
    """
    # The common case, a float array of the right shape, without check_array's overhead
    # (tens of µs a call: 3 ms of a 70 ms fit on 100 × 5 rows); anything else, and any array
    # that fails, goes through check_array for its message.
    if (type(X) in (np.ndarray, np.memmap) and X.dtype in (np.float64, np.float32)
            and X.ndim == 2 and X.shape[0] >= min_samples):
        if not ensure_all_finite:
            return X
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(X.sum()):  # one pass; a NaN or infinity makes the sum one
                return X
    X = _readable(X)
    with _naming_non_numeric_columns(X):
        # No features is a shape, not an error, here: the functions return their empty answer.
        return check_array(X, dtype=(np.float64, np.float32), ensure_min_samples=min_samples,
                           ensure_min_features=0, ensure_all_finite=ensure_all_finite,
                           input_name="X")


def check_rows(X, n_features=None, *, name="X"):
    """``X`` as an array of rows, refused by name where it is not 2-D or, given
    ``n_features``, where its rows have another length. No pass over the values and no copy:
    for the primitives a fit calls dozens of times on data it has checked (the distances'
    solve refuses NaN and infinity by name).

    Examples
    --------
    >>> try:
    ...     check_rows(np.arange(3.0), 3)
    ... except ValueError as error:
    ...     print(error)
    X must be 2-D, rows of 3 features; got shape (3,)
    """
    X = np.asarray(X)
    wanted = "" if n_features is None else f", rows of {n_features} features"
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D{wanted}; got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has rows of {X.shape[1]} features where the model has "
                         f"{n_features}")
    return X


def check_vector(values, *, name="values", nonnegative=False):
    """``values`` as a 1-D float64 array of finite numbers (non-negative with
    ``nonnegative``), refused by name otherwise: one feature's values, a projection, squared
    distances.

    Examples
    --------
    >>> try:
    ...     check_vector([1.0, -2.0], name="squared_distances", nonnegative=True)
    ... except ValueError as error:
    ...     print(error)
    squared_distances holds negative values
    """
    values = as_numbers(values, name)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {values.shape}")
    _refuse_non_finite(values, name)
    if nonnegative and values.size and values.min() < 0:
        raise ValueError(f"{name} holds negative values")
    return values


def check_square(matrix, *, name="scatter"):
    """``matrix`` as a square float64 array of finite values, refused by name otherwise (a
    scatter with a NaN was silently replaced by the identity before).

    Examples
    --------
    >>> try:
    ...     check_square(np.diag([1.0, np.nan]))
    ... except ValueError as error:
    ...     print(error)
    scatter holds NaN or infinite values
    """
    matrix = as_numbers(matrix, name)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {matrix.shape}")
    _refuse_non_finite(matrix, name)
    return matrix


def check_numbers(value, *, name="values"):
    """``value``, a number or an array of any shape, as float64 of finite numbers, refused by
    name otherwise: moments, discrete features' levels.

    Examples
    --------
    >>> try:
    ...     check_numbers([0.5, np.nan], name="skewness")
    ... except ValueError as error:
    ...     print(error)
    skewness holds NaN or infinite values
    """
    value = as_numbers(value, name)
    _refuse_non_finite(value, name)
    return value


def as_numbers(value, name):
    """``value`` as a float64 array (any shape, any values), refused by ``name`` where it is not
    numbers; the first step of the checks above."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of numbers: {error}") from error


def _refuse_non_finite(value, name):
    if not np.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or infinite values")


def check_model(location, scatter, n_features, *, ensure_all_finite=True,
                names=("location", "scatter")):
    """``(location, scatter)`` of a model of ``n_features`` features as float64 arrays of
    shapes (n_features,) and (n_features, n_features), with finite values unless
    ``ensure_all_finite=False`` (for a function that answers a scatter it cannot use with "no
    correction"), refused by name otherwise. ``scatter`` may be None where a function takes a
    location alone.

    Examples
    --------
    >>> location, scatter = check_model([0, 0], np.eye(2), 2)
    >>> location.dtype, scatter.shape
    (dtype('float64'), (2, 2))
    >>> try:
    ...     check_model(np.zeros(3), np.eye(2), 2)
    ... except ValueError as error:
    ...     print(error)
    location has shape (3,) where the data's 2 features need (2,)
    """
    checked = []
    for name, value, shape in ((names[0], location, (n_features,)),
                               (names[1], scatter, (n_features, n_features))):
        if value is None and name == names[1]:
            checked.append(None)
            continue
        value = as_numbers(value, name)
        if value.shape != shape:
            raise ValueError(f"{name} has shape {value.shape} where the data's {n_features} "
                             f"feature{'s' if n_features != 1 else ''} need {shape}")
        if ensure_all_finite:
            _refuse_non_finite(value, name)
        checked.append(value)
    return tuple(checked)


# Per-feature spreads (max − min) whose scatter float64 holds with room for its products:
# a variance needs the square of the spread, a Cholesky factor's solves a few more orders.
# Measured: RobustGANScatter fits data of spread 8e-156 to 8e152 and fails from 8e153.
_SPREAD_RANGE = (1e-154, 1e152)


def check_scatter_representable(X):
    """Refuse data whose scatter matrix float64 cannot hold: a feature's spread is so small
    (or large) that its variance underflows (or overflows).

    Raises
    ------
    ValueError
        Naming the first such feature, its spread and what to do.

    Examples
    --------
    >>> check_scatter_representable(np.array([[0.0, 1e-200], [1.0, 3e-200]]))
    Traceback (most recent call last):
    ...
    ValueError: feature 1 spans 2e-200 (max - min): its variance underflows float64, so no scatter matrix of these data can be represented; rescale the data (multiply by a power of ten) or use a location estimator with a known scale
    """
    _refuse_unrepresentable(np.ptp(X, axis=0), "spans {:.3g} (max - min)")


def check_scales_representable(scale):
    """``check_scatter_representable`` from per-feature robust scales a function has computed
    already (no pass over the data): a scatter in those units overflows or underflows float64.

    Examples
    --------
    >>> check_scales_representable(np.array([1.0, 3e200]))
    Traceback (most recent call last):
    ...
    ValueError: feature 1 has robust scale 3e+200: its variance overflows float64, so no scatter matrix of these data can be represented; rescale the data (multiply by a power of ten) or use a location estimator with a known scale
    """
    _refuse_unrepresentable(np.asarray(scale), "has robust scale {:.3g}")


def _refuse_unrepresentable(spread, described):
    low, high = _SPREAD_RANGE
    varying = spread > 0
    bad = np.flatnonzero(varying & ((spread < low) | (spread > high)))
    if bad.size:
        j = int(bad[0])
        way = "underflows" if spread[j] < low else "overflows"
        raise ValueError(
            f"feature {j} {described.format(spread[j])}: its variance {way} float64, so no "
            "scatter matrix of these data can be represented; rescale the data (multiply by a "
            "power of ten) or use a location estimator with a known scale")


def leaves_unchanged_on_failure(fit):
    """Decorate an estimator's ``fit`` so that a fit that raises leaves the estimator as it was.

    A ``fit`` sets attributes as it goes (``n_features_in_`` and ``feature_names_in_`` first):
    a refit that failed halfway left a model for the old data with the new data's names, and
    ``predict`` on the new columns answered from the old model without a word. On any
    exception, KeyboardInterrupt included, the instance's attributes are put back as they were
    before the call (a fitted estimator stays fitted to its last good data, an unfitted one
    unfitted) and the exception goes on.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> class Mean(BaseEstimator):
    ...     @leaves_unchanged_on_failure
    ...     def fit(self, X):
    ...         self.n_features_in_ = len(X[0])
    ...         if any(len(row) != self.n_features_in_ for row in X):
    ...             raise ValueError("ragged rows")
    ...         self.location_ = [sum(column) / len(X) for column in zip(*X)]
    ...         return self
    >>> estimator = Mean().fit([[0.0], [2.0]])
    >>> try:
    ...     estimator.fit([[0.0, 1.0], [2.0]])
    ... except ValueError:
    ...     pass
    >>> estimator.n_features_in_, estimator.location_
    (1, [1.0])
    """
    @functools.wraps(fit)
    def fit_or_leave_unchanged(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    return fit_or_leave_unchanged


def check_fitted_data(estimator, X):
    """Validated float64 data for a fitted estimator's ``predict``, ``score`` and friends."""
    check_is_fitted(estimator)
    X = _readable(X)
    with _naming_non_numeric_columns(X):
        return validate_data(estimator, X, reset=False, dtype=np.float64)


_DATETIME_ADVICE = (
    "a date or time is not a number whose median or mean the estimators should take, and "
    "its value as a number (a count of some unit since 1970) depends on how it is stored. If "
    "a number is what you mean, convert it first, e.g. to seconds since a reference: "
    "{dates} (durations: {durations}; periods: {periods}); otherwise drop it")


def _readable(X):
    """X, or its values where NumPy's conversion would read them wrong or not at all.

    Each test is a type or dtype look-up, so a plain ndarray or memmap passes without a copy
    or a pass over its values.

    * A torch tensor: its values, on the CPU. The estimators never backpropagate into the
      data, so a tensor that requires grad, lives on a GPU or carries a lazy conjugate or
      negation is read as it stands; float formats NumPy lacks (bfloat16, float8) widen to
      float32, which holds them exactly.
    * A masked array: its data when nothing is masked, otherwise a ``ValueError``: NumPy's
      conversion drops the mask, and the masked values would be used as data.
    * Dates, times, durations and periods (a NumPy array's dtype, a DataFrame's columns):
      a ``ValueError`` naming them. NumPy's conversion makes them counts of a storage unit
      since 1970 or fails on the promotion.

    Examples
    --------
    >>> X = np.ma.masked_array([[0.0, 1.0], [2.0, 9.0]], mask=[[0, 0], [0, 1]])
    >>> try:
    ...     _readable(X)
    ... except ValueError as error:
    ...     print(str(error)[:78])
    X is a masked array with 1 masked value: the estimators do not skip masked val
    >>> type(_readable(X[:1])).__name__  # nothing masked in the first row
    'ndarray'
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(X, torch.Tensor):
        if X.is_floating_point() and X.dtype not in (torch.float16, torch.float32, torch.float64):
            X = X.float()
        return X.numpy(force=True)
    if isinstance(X, np.ma.MaskedArray):
        masked = int(np.ma.count_masked(X))
        if masked:
            raise ValueError(
                f"X is a masked array with {masked} masked value{'s' if masked > 1 else ''}: "
                "the estimators do not skip masked values (NumPy's conversion drops the mask "
                "and uses the values under it); drop the rows that hold them first "
                "(X[~X.mask.any(axis=1)]) or fill them (X.filled(value))")
        return np.ma.getdata(X)
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):
        columns = [f"{name} ({dtype})" for name, dtype in dtypes.items() if _is_datetime(dtype)]
        if columns:
            raise ValueError(
                f"date or time column(s) {', '.join(columns[:_NAMED])}"
                + (f" and {len(columns) - _NAMED} more" if len(columns) > _NAMED else "")
                + ": " + _DATETIME_ADVICE.format(
                    dates="(X[c] - X[c].min()).dt.total_seconds()",
                    durations="X[c].dt.total_seconds()",
                    periods="X[c].dt.to_timestamp() first"))
    elif _is_datetime(getattr(X, "dtype", None)):
        raise ValueError(
            f"X holds dates or times (dtype {X.dtype}): " + _DATETIME_ADVICE.format(
                dates="(X - X.min()) / np.timedelta64(1, 's')",
                durations="X / np.timedelta64(1, 's')",
                periods="X.to_timestamp() first"))
    return X


def _is_datetime(dtype):
    """A NumPy or pandas datetime64 (time zone or not), timedelta64 or pandas period dtype."""
    if getattr(dtype, "kind", None) in ("m", "M"):
        return True
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(dtype, pandas.PeriodDtype)


@contextlib.contextmanager
def _naming_non_numeric_columns(X):
    """Re-raise a failed conversion of a DataFrame to floats with the columns that caused it:
    NumPy's message names a value ("could not convert string to float: 'x'"), not its column."""
    try:
        yield
    except (ValueError, TypeError) as error:
        dtypes = getattr(X, "dtypes", None)
        if dtypes is None or not hasattr(dtypes, "items"):
            raise
        # Only the columns that do not convert: NaN, infinity or a feature-name mismatch in a
        # frame that also has an object column keep their own messages.
        columns = [str(name) for name, dtype in dtypes.items()
                   if getattr(dtype, "kind", "O") not in "biuf" and not _converts(X[name])]
        if not columns:
            raise
        raise ValueError(
            f"non-numeric column(s) {', '.join(columns)}: the estimators need numbers; encode "
            "or drop them first (sklearn.compose.ColumnTransformer with OneHotEncoder)"
        ) from error


def check_degenerate(X, *, return_span=False):
    """Raise or warn when X is degenerate for a robust estimate of location and scatter.

    Errors (no robust scatter exists):

    * ``n_samples <= n_features``: the centred rows span at most n − 1 < p dimensions, so every
      p × p scatter estimate is singular;
    * at least half the rows are one and the same point: a robust scatter, which may leave up
      to half the rows out, is 0 (``MinCovDet`` fails there too, with "the covariance matrix of
      the support data is equal to 0").

    Warnings (``DegenerateDataWarning``; the estimate exists, singular or not robust):

    * a constant column, or one in which at least half the values are equal: half the rows or
      more lie on the hyperplane x_j = c, where a robust scatter has no spread;
    * the centred rows lie in a proper subspace (collinear features): every scatter estimate
      is singular along its complement, and ``precision_`` is huge there;
    * ``n_samples == n_features + 1``: the rows are the vertices of a simplex, on which every
      affine-equivariant estimate is the sample mean and a multiple of the sample covariance.
      No row can be told an outlier.

    Cost: O(np) for the columns and O(np²) plus one eigendecomposition of a p × p matrix for
    the subspace; the exact count of identical rows runs only when every column has a value
    held by half its rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Validated training data.
    return_span : bool, default=False
        Return the rows' affine span.

    Returns
    -------
    centre, basis : ndarray
        Only with ``return_span=True``: the rows' affine span (``affine_span``), from the
        same rank test.

    Raises
    ------
    ValueError
        In the two cases above.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [2.0, 3.0]])
    >>> try:
    ...     check_degenerate(X)
    ... except ValueError as error:
    ...     print(str(error)[:48])
    3 of the 4 rows (75%) are the same point [0. 1.]
    """
    n, p = X.shape
    if n <= p:
        raise ValueError(
            f"{n} rows in {p} dimensions: a robust scatter needs more rows than features "
            f"(n_samples > n_features); with n ≤ p the rows span at most {n - 1} of the {p} "
            "dimensions and every scatter estimate is singular. Reduce the dimension first "
            "(feature selection, sklearn.decomposition.PCA) or use a shrinkage estimator "
            "(sklearn.covariance.LedoitWolf, which is not robust)."
        )
    values, counts = _column_modes(X)
    tied = 2 * counts >= n
    if tied.all():
        _check_identical_rows(X)
    if tied.any():
        _warn_tied_columns(values, counts, tied, n)
    constant = counts == n
    varying, null = _warn_proper_subspace(X, constant)
    if n == p + 1:
        warn_at_user(
            f"{n} rows in {p} dimensions (n_samples = n_features + 1): the rows are the "
            "vertices of a simplex, on which every affine-equivariant estimate is the sample "
            "mean and a multiple of the sample covariance, and no row can be told an outlier. "
            "A robust fit needs n well above p (n ≥ 5p is a common rule).",
            DegenerateDataWarning,
        )
    if return_span:
        return _span(X, constant, varying, null)
    return None


def _converts(column):
    try:
        np.asarray(column, dtype=np.float64)
    except (ValueError, TypeError):
        return False
    return True


def warn_tied_columns(X, median=None):
    """Warn (``DegenerateDataWarning``) where more than half the values of a column that
    varies are equal: a robust per-feature scale, which may leave half the values out, is
    about 0 there, so the rows off the common value are far in any robust distance.

    For location estimators with a robust per-feature scale (``RobustGANMean``); a constant
    column is left alone (its scale is 0 by design and it is kept out of the distances).
    ``check_degenerate`` warns about both for the scatter estimators.

    ``median``: X's column medians (``np.median(X, axis=0)``) where the caller has them. A
    value held by more than half a column's rows is both its middle values, hence its median
    exactly (the mean of two equal floats is that float), so one count per column finds it:
    no partial sort of a copy of the data (0.16 s at 50,000 × 100).

    Examples
    --------
    >>> X = np.column_stack([np.arange(10.0), [0.0] * 6 + [1.0, 2.0, 3.0, 4.0]])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_tied_columns(X)
    >>> str(caught[0].message)[:50]
    'in column(s) 1 at least half the values are equal '
    """
    n = X.shape[0]
    if n < 3:
        return
    if median is None:
        values, counts = _column_modes(X)
    else:
        values, counts = median, np.count_nonzero(X == median, axis=0)
    # More than half: with exactly half the values tied the MAD need not be 0.
    partly = (2 * counts > n) & (counts < n)
    if partly.any():
        _warn_tied_columns(values, counts, partly, n)


def _column_modes(X):
    """For each column, a value held by at least half its rows if there is one, and its count.

    A value held by ⌈n/2⌉ rows or more fills a block of the sorted column that covers one of
    the two middle positions, so the lower and upper medians are the only candidates: one
    partial sort at the upper middle row (the lower middle value is the largest below it, as
    in ``univariate.column_median``; a partial sort at both rows took 0.16 against 0.04 s on
    50,000 × 100) and two counts, O(np).
    """
    n = X.shape[0]
    upper = n // 2
    ordered = np.partition(X, upper, axis=0)
    lower = ordered[upper] if n % 2 else ordered[:upper].max(axis=0)
    middle = np.stack([lower, ordered[upper]])
    del ordered
    counts = np.stack([np.count_nonzero(X == m, axis=0) for m in middle])
    best = np.argmax(counts, axis=0)
    columns = np.arange(X.shape[1])
    return middle[best, columns], counts[best, columns]


def _check_identical_rows(X):
    n = X.shape[0]
    rows, counts = np.unique(X, axis=0, return_counts=True)
    k = int(np.argmax(counts))
    if 2 * counts[k] >= n:
        raise ValueError(
            f"{counts[k]} of the {n} rows ({counts[k] / n:.0%}) are the same point "
            f"{np.array2string(rows[k], threshold=_NAMED)}: at least half the data have no "
            "spread, so a robust scatter, which may leave up to half the rows out as "
            "outliers, is 0 (singular). If the repeats are one observation recorded many "
            "times, remove them (or keep one with a weight); if they are censored or rounded "
            "values, the data need a model for that; if the other rows are the signal, a "
            "robust estimator would call them the outliers."
        )


def _warn_tied_columns(values, counts, tied, n):
    columns = np.flatnonzero(tied)
    constant = [j for j in columns if counts[j] == n]
    partly = [j for j in columns if counts[j] < n]
    parts = []
    if constant:
        parts.append(
            f"column(s) {_name(constant)} are constant ("
            + ", ".join(f"x{j} = {values[j]:g}" for j in constant[:_NAMED])
            + "): the data lie in a hyperplane, where any scatter is 0, so the estimate is "
            "singular there and precision_ is huge along it. Drop the column(s) first "
            "(sklearn.feature_selection.VarianceThreshold)."
        )
    if partly:
        parts.append(
            f"in column(s) {_name(partly)} at least half the values are equal ("
            + ", ".join(f"{counts[j]} of {n} at x{j} = {values[j]:g}" for j in partly[:_NAMED])
            + "): half the rows or more lie on a hyperplane x_j = c, so a robust scale or "
            "scatter has no spread across it (the median absolute deviation is 0) and the "
            "rows off it are far in robust distances. Discrete or "
            "censored features need their own model; model them apart from the continuous ones."
        )
    warn_at_user(" ".join(parts), DegenerateDataWarning)


def affine_span(X):
    """The smallest affine subspace that holds the rows of X: a point on it and a basis.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    centre : ndarray of shape (n_features,)
        The mean of the rows.
    basis : ndarray of shape (n_features, rank)
        Orthonormal columns spanning the centred rows: every row is ``centre + basis @ c``
        for some c, to the tolerance of ``check_degenerate``. ``rank == n_features`` when
        the rows are in general position.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0, 5.0], [1.0, 3.0, 5.0], [2.0, 5.0, 5.0], [3.0, 7.0, 5.0]])
    >>> centre, basis = affine_span(X)
    >>> basis.shape, bool(np.allclose(np.abs(basis[:, 0]), np.array([1.0, 2.0, 0.0]) / 5**0.5))
    ((3, 1), True)
    """
    constant = np.ptp(X, axis=0) == 0
    return _span(X, constant, *_null_combinations(X, constant))


def _span(X, constant, varying, null):
    """``affine_span`` from the constant columns and ``_null_combinations``' result."""
    p = X.shape[1]
    normals = np.zeros((p, int(constant.sum()) + null.shape[1]))
    normals[np.flatnonzero(constant), np.arange(int(constant.sum()))] = 1.0
    normals[varying, int(constant.sum()):] = null
    if normals.shape[1] == 0:
        return X.mean(axis=0), np.eye(p)
    return X.mean(axis=0), linalg.null_space(normals.T)


def _null_combinations(X, constant):
    """Indices of the non-constant columns and, in the data's units, the linear combinations
    of them that are constant on the rows: the null directions of their robust spread."""
    varying = np.flatnonzero(~constant)
    if varying.size < 2:
        return varying, np.zeros((varying.size, 0))
    # A screen first: the correlation of all rows is singular along every genuine null
    # combination, so where it is not (nearly all data) the robust test below is not needed
    # (0.05 against 0.25 s at 50,000 × 100). It is also singular where a few far rows swamp
    # the bulk's spread, which is what the robust test tells apart. Centred in place (one copy
    # of the data, not two), and the copy made again for the test.
    Z, magnitude = _scaled_copy(X, varying)
    Z -= Z.mean(axis=0)
    gram = Z.T @ Z
    del Z
    scale = np.sqrt(np.diag(gram))
    if np.linalg.eigvalsh(gram / np.outer(scale, scale))[0] > _RANK_TOLERANCE * varying.size:
        return varying, np.zeros((varying.size, 0))
    Z, magnitude = _scaled_copy(X, varying)
    # Differences from one data row, not from the mean: every row of a genuine affine
    # subspace lies on it, so its null combinations vanish on each difference to rounding,
    # whereas a fifth of the rows a million units away drags the mean off the bulk and
    # leaves the bulk's own spread below any rank tolerance. The row is the one nearest the
    # coordinatewise median, a bulk row whenever most rows are.
    deviations = np.abs(Z - np.median(Z, axis=0))
    # Per column, the median absolute deviation, or the largest where half the values tie
    # (a tied column still varies, or it would be constant).
    scale = np.median(deviations, axis=0)
    scale = np.where(scale > 0, scale, deviations.max(axis=0))
    deviations /= scale
    Z -= Z[np.argmin(deviations.sum(axis=1))]
    del deviations
    Z /= scale
    # Far rows are shrunk to the median row length rather than let dominate the gram, and
    # near rows keep their length, so that rounding in rows close to the reference stays
    # as small as those rows are.
    lengths = np.linalg.norm(Z, axis=1)
    typical = np.median(lengths)
    if typical > 0:
        Z *= np.minimum(1.0, typical / np.maximum(lengths, typical))[:, None]
    gram = Z.T @ Z
    values, vectors = np.linalg.eigh(gram)
    null = values <= _RANK_TOLERANCE * max(np.trace(gram), np.finfo(float).tiny)
    # Back to the data's units: Σ_j v_j (x_j − x_ref,j) = 0.
    return varying, vectors[:, null] / (scale * magnitude)[:, None]


def _scaled_copy(X, varying):
    """A floating copy of X's ``varying`` columns (never the caller's array), each divided by
    its largest magnitude, so that nothing after overflows (data around 1e200) or underflows
    (1e-200); and those magnitudes."""
    Z = np.array(X[:, varying] if varying.size < X.shape[1] else X,
                 dtype=np.result_type(X.dtype, np.float64))
    # max |z| without an array of the |z|: the same values (a varying column is not all 0).
    magnitude = np.maximum(Z.max(axis=0), -Z.min(axis=0))
    Z /= magnitude
    return Z, magnitude


def _warn_proper_subspace(X, constant):
    """Warn when the centred non-constant columns are collinear (named per direction); returns
    ``_null_combinations``' (varying, null)."""
    varying, null = _null_combinations(X, constant)
    if null.shape[1] == 0:
        return varying, null
    rank = varying.size - null.shape[1]
    directions = [_combination_text(_unit_largest(v), varying) + " = const"
                  for v in null.T[:_NAMED]]
    warn_at_user(
        f"the data lie in a proper affine subspace: {null.shape[1]} linear combination(s) "
        f"of the features are constant ({'; '.join(directions)}), so the {varying.size} "
        f"varying features span only {rank} dimensions and every scatter estimate is singular "
        "across them (precision_ is huge there). Drop the redundant features or project the "
        f"data on their span first (sklearn.decomposition.PCA(n_components={rank})).",
        DegenerateDataWarning,
    )
    return varying, null


def _unit_largest(v):
    """``v`` scaled to a largest coefficient of 1, positive on the first feature whose
    coefficient is the largest up to rounding: x2 = x0 + x1 has three equal ones, and which of
    them eigh returned largest, with which sign, depended on the LAPACK build (−x0 − x1 + x2
    with one)."""
    magnitude = np.abs(v)
    first_largest = np.flatnonzero(magnitude >= magnitude.max() * (1 - _TIE))[0]
    return v / (np.sign(v[first_largest]) * magnitude.max())


def _combination_text(v, columns):
    """'x0 + x2 + … (1 more term)': the ``_NAMED`` largest terms of v·x over ``columns``."""
    big = np.sort(np.argsort(-np.abs(v))[:_NAMED])
    # The terms left out are counted: rows of proportions (each summing to 1) read
    # "x0 + x2 + x3 + x4 + x5 = const" with x1's equal term dropped, which is false.
    unnamed = int(np.count_nonzero(np.abs(v) >= _TINY_TERM)) - int(
        np.count_nonzero(np.abs(v[big]) >= _TINY_TERM))
    rest = f" + … ({unnamed} more term{'s' if unnamed > 1 else ''})" if unnamed else ""
    return _linear_combination(v[big], columns[big]) + rest


def warn_exact_fit(X, location, scatter, columns=None):
    """Warn where a robust start is singular because half the rows or more lie exactly on a
    hyperplane that the other rows leave (MCD's exact fit).

    ``check_degenerate`` names a hyperplane x_j = c (a tied column) and a subspace that holds
    every row. One that holds most rows but not all is found by the start itself: its subset
    lies on it, and the start's scatter has no spread across it. On 80 rows of two features
    rounded to 0.1, 55 on x0 + x1 = 0, the start was singular there and no warning said so.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    location : ndarray of shape (k,)
    scatter : ndarray of shape (k, k)
        The start, fitted to X's columns ``columns`` (to every column, k = n_features, if
        not given).
    columns : ndarray of int, optional
        Those columns, by which the message names the features. Taken from X only where the
        start is singular: no copy of the data otherwise.

    Examples
    --------
    >>> X = np.zeros((10, 2))
    >>> X[:, 0] = np.arange(10.0)
    >>> X[:, 1] = -X[:, 0]
    >>> X[[8, 9], 1] += 1.0                      # 8 of the 10 rows on x0 + x1 = 0
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_exact_fit(X, X[:8].mean(axis=0), np.cov(X[:8], rowvar=False))
    >>> str(caught[0].message)[:64]
    '8 of the 10 rows (80%) lie exactly on the hyperplane x0 + x1 = 0'
    """
    n = len(X)
    sd = np.sqrt(np.diag(scatter))
    if len(sd) < 2 or not (np.all(sd > 0) and np.all(np.isfinite(sd))):
        return
    values, vectors = np.linalg.eigh(scatter / np.outer(sd, sd))
    if values[0] > _EXACT_FIT * values[-1]:
        return
    normal = _unit_largest(vectors[:, 0] / sd)
    # A tied column's hyperplane x_j = c is check_degenerate's to name.
    if np.count_nonzero(np.abs(normal) >= _TINY_TERM) < 2:
        return
    if columns is None:
        columns = np.arange(X.shape[1])
    else:
        columns = np.asarray(columns)
        X = X[:, columns]
    level = X @ normal
    # Exactly on it: apart from its level by no more than the rounding of the terms summed
    # (or of the levels' spread, for rows whose terms are all 0).
    terms = np.abs(X) @ np.abs(normal)
    centre = float(np.median(level))
    on = np.abs(level - centre) <= _ON_HYPERPLANE * (terms + abs(centre) + np.std(level))
    if abs(centre) <= _ON_HYPERPLANE * np.median(terms):
        centre = 0.0  # x0 + x1 = 0, not = 6.66e-17
    count = int(np.count_nonzero(on))
    if 2 * count < n or count == n:
        return
    warn_at_user(
        f"{count} of the {n} rows ({count / n:.0%}) lie exactly on the hyperplane "
        f"{_combination_text(normal, columns)} = {centre:.6g}, and a robust scatter, fitted "
        "to the half of the rows that agree most, has no spread across it (MCD's exact fit): "
        "covariance_ is singular there, precision_ is huge, and the "
        f"{n - count} rows off it are far in robust distances. If the relation is structure "
        "(a sum or balance, values rounded to a grid, a derived feature), model the rows on "
        "the hyperplane in its coordinates and the others apart.",
        DegenerateDataWarning,
    )


def _linear_combination(coefficients, columns):
    """'x0 − 0.5·x2' from coefficients (1, −0.5) and columns (0, 2); tiny terms left out."""
    text = ""
    for c, j in zip(coefficients, columns):
        if abs(c) < _TINY_TERM:
            continue
        size = "" if np.isclose(abs(c), 1.0) else f"{abs(c):.3g}·"
        sign = ("−" if c < 0 else "") if not text else (" − " if c < 0 else " + ")
        text += f"{sign}{size}x{j}"
    return text


def _name(columns):
    shown = ", ".join(str(j) for j in columns[:_NAMED])
    return shown + (f" and {len(columns) - _NAMED} more" if len(columns) > _NAMED else "")


class _NotBool:
    """A number constraint that no bool satisfies.

    ``bool`` is an ``Integral`` (and a ``Real``) in Python, and scikit-learn's ``Interval`` and
    ``Options`` check only the type and the range: ``n_steps=True`` passed as one step,
    ``n_directions=True`` as one direction, ``contamination=False`` as 0.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)

    def __str__(self):
        return f"{super().__str__()} (not a bool)"


class _NumberInterval(_NotBool, Interval):
    pass


class _NumberOptions(_NotBool, Options):
    pass


def refusing_bools(constraints):
    """``_parameter_constraints`` in which every number constraint (``Interval``, and
    ``Options`` of numbers) refuses bools; the others are kept as they are.

    Parameters
    ----------
    constraints : dict
        Parameter name to its list of scikit-learn constraints.

    Returns
    -------
    dict

    Examples
    --------
    >>> from numbers import Integral
    >>> from sklearn.utils._param_validation import validate_parameter_constraints
    >>> checked = refusing_bools({"n": [Interval(Integral, 1, None, closed="left")]})
    >>> try:
    ...     validate_parameter_constraints(checked, {"n": True}, caller_name="f")
    ... except ValueError as error:
    ...     print(error)
    The 'n' parameter of f must be an int in the range [1, inf) (not a bool). Got True instead.
    """
    return {name: [_without_bools(c) for c in options] if isinstance(options, list) else options
            for name, options in constraints.items()}


def _without_bools(constraint):
    if isinstance(constraint, Interval) and not isinstance(constraint, _NotBool):
        return _NumberInterval(constraint.type, constraint.left, constraint.right,
                               closed=constraint.closed)
    if (type(constraint) is Options
            and all(isinstance(o, (int, float)) for o in constraint.options)):
        return _NumberOptions(constraint.type, constraint.options,
                              deprecated=constraint.deprecated)
    return constraint
