"""The baselines at the edges of float64 and on degenerate data: data at 1e±155 and 1e200,
query rows far enough that their squared distances overflow, a constant column, collinear
features, and a seed that is a bool.

Each estimate is the one the same data give at unit scale (the estimators are equivariant),
a distance that exceeds float64 is +inf (never NaN), no RuntimeWarning escapes, and on rows
in a proper affine subspace the rank and sign scatters follow the convention of
``TylerScatter`` and ``RobustGANScatter`` (``tests/test_degenerate_data.py``): singular across
the subspace, ordinary distances within it.
"""

import warnings

import numpy as np
import pytest
from scipy import linalg
from sklearn.base import clone

from robustgan._validation import DegenerateDataWarning
from robustgan.baselines import (
    CoordinatewiseMedian,
    DimensionHalving,
    GeometricMedian,
    KendallTauScatter,
    SpatialSignCovariance,
    SpearmanScatter,
    TrimmedMean,
    TukeyMedian,
    TylerScatter,
)
from robustgan.multivariate import unit_rows
from robustgan.univariate import robust_scale

RANK_AND_SIGN = [
    KendallTauScatter(random_state=0, contamination="auto"),
    SpearmanScatter(contamination="auto"),
    SpatialSignCovariance(contamination="auto"),
]
rank_and_sign = pytest.mark.parametrize(
    "estimator", RANK_AND_SIGN, ids=lambda e: type(e).__name__)
scatter_baselines = pytest.mark.parametrize(
    "estimator", [TylerScatter(contamination="auto"), *RANK_AND_SIGN],
    ids=lambda e: type(e).__name__)


def _strict_fit(estimator, X):
    """Fit with every warning an error but the DegenerateDataWarning the data call for."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return estimator.fit(X)


def _gaussian(n=300, p=3, seed=0):
    return np.random.default_rng(seed).standard_normal((n, p))


def _constant_column(value=3.7):
    X = _gaussian()
    X[:, 2] = value
    return X


def _collinear():
    Z = _gaussian(p=2)
    return np.column_stack([Z, Z[:, 0] + Z[:, 1] + 5.0])


# ---------------------------------------------------------------------------------------------
# Tukey depth at 1e±155 (directions normalised after scaling)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e155, 1e-155, 1e200, 1e-200])
def test_tukey_depth_does_not_depend_on_the_datas_magnitude(scale):
    # The directions in the data's coordinates are u/s; their norms squared overflowed (or
    # underflowed), the directions came out NaN or 0 and every point had depth 1.
    X = _gaussian(n=60)
    Q = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [3.0, 0.0, 0.0]])
    options = dict(n_directions=50, n_refinements=3, random_state=0)
    unit = TukeyMedian(**options).fit(X)
    est = _strict_fit(TukeyMedian(**options), X * scale)
    assert np.all(np.isfinite(est.directions_))
    np.testing.assert_allclose(np.linalg.norm(est.directions_, axis=1), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        depth = est.depth(Q * scale)
    np.testing.assert_array_equal(depth, unit.depth(Q))
    assert depth[-1] == 0.0
    np.testing.assert_allclose(est.location_ / scale, unit.location_, rtol=1e-9)


@pytest.mark.parametrize("exponent", [-1000, -515, 0, 515, 1000])
def test_unit_rows_are_the_same_at_any_magnitude(exponent):
    # At 2**±515 (about 1e±155) and beyond the squares under- or overflow; scaled over their
    # largest entry first, the rows come out as at unit scale (a power of 2 scales exactly).
    V = np.random.default_rng(0).standard_normal((20, 9))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        units, usable = unit_rows(V * 2.0**exponent)
    assert usable.all()
    np.testing.assert_array_equal(units, unit_rows(V)[0])
    np.testing.assert_allclose(np.linalg.norm(units, axis=1), 1.0, rtol=1e-15)


def test_unit_rows_leaves_out_zero_and_non_finite_rows_and_keeps_each_rounding():
    V = np.array([[3e-300, -4e-300], [0.0, 0.0], [np.inf, 1.0], [-np.inf, np.nan], [np.nan, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        units, usable = unit_rows(V)
        singles = [unit_rows(v) for v in V]
    np.testing.assert_array_equal(usable, [True, False, False, False, False])
    np.testing.assert_array_equal(units[0], [0.6, -0.8])
    assert np.isnan(units[1:]).all()
    assert [bool(ok) for _, ok in singles] == usable.tolist()
    # The callers' estimates were computed with these two roundings of the norm: a single
    # vector's (a dot product) and an array's rows' (a sum along each row).
    W = np.random.default_rng(1).standard_normal((50, 40)) * 1e-160
    scaled = W / np.max(np.abs(W), axis=1, keepdims=True)
    np.testing.assert_array_equal(
        unit_rows(W)[0], scaled / np.linalg.norm(scaled, axis=1, keepdims=True))
    for w, row in zip(W, scaled):
        np.testing.assert_array_equal(unit_rows(w)[0], row / np.linalg.norm(row))


# ---------------------------------------------------------------------------------------------
# A constant column and collinear features: fitted inside the affine span
# ---------------------------------------------------------------------------------------------


@scatter_baselines
@pytest.mark.parametrize("value", [0.0, 3.7, 5.0])
def test_a_constant_column_leaves_the_rows_on_it_ordinary_distances(estimator, value):
    # SpatialSignCovariance's variance across the column was rounding noise (1e-31), its
    # spatial median 2e-15 off the column's value, and "auto" flagged all 300 rows;
    # TylerScatter's location there was 2e-14 off it.
    X = _constant_column(value)
    est = _strict_fit(estimator, X)
    assert est.location_[2] == value
    d2 = est.mahalanobis(X)
    assert 0.5 < np.median(d2) < 3.0
    assert np.mean(est.predict(X) == -1) < 0.05
    off = X[:5].copy()
    off[:, 2] += 1.0
    assert np.all(est.mahalanobis(off) > 1e6)


@rank_and_sign
def test_collinear_features_leave_the_rows_on_their_plane_ordinary_distances(estimator):
    # x2 = x0 + x1 + 5: KendallTauScatter's near-singular direction was not the plane's
    # normal, the inliers' median squared distance was 5e5 and "auto" flagged every row.
    X = _collinear()
    est = _strict_fit(estimator, X)
    normal = np.array([1.0, 1.0, -1.0]) / np.sqrt(3.0)
    assert est.location_ @ normal == pytest.approx(-5.0 / np.sqrt(3.0))
    d2 = est.mahalanobis(X)
    assert 0.5 < np.median(d2) < 3.0
    assert np.mean(est.predict(X) == -1) < 0.05
    assert np.all(est.mahalanobis(X[:5] + normal) > 1e6)
    # Within the plane the scatter is the rows' own: their covariance there, to the sampling
    # error of a robust scale on 300 rows.
    basis = np.linalg.svd(np.eye(3) - np.outer(normal, normal))[0][:, :2]
    relative = linalg.eigvalsh(basis.T @ est.covariance_ @ basis,
                               basis.T @ np.cov(X, rowvar=False) @ basis)
    assert 0.6 < relative.min() and relative.max() < 1.5


@rank_and_sign
@pytest.mark.parametrize("value", [0.0, 5.0])
def test_a_constant_column_gets_the_huge_precision_the_warning_promises(estimator, value):
    # Kendall and Spearman warned "precision_ is huge" there and gave precision 1 (robust
    # scale 1 for a constant column): singular across it now, as Tyler's and the GAN's.
    with pytest.warns(DegenerateDataWarning, match="precision_ is huge"):
        est = estimator.fit(_constant_column(value))
    values, vectors = np.linalg.eigh(est.covariance_)
    np.testing.assert_allclose(np.abs(vectors[:, 0]), [0.0, 0.0, 1.0], atol=1e-5)
    assert values[0] < 1e-6 * values[-1]
    assert est.precision_[2, 2] > 1e6 * np.abs(est.precision_[:2, :2]).max()


# ---------------------------------------------------------------------------------------------
# Far query rows: +inf, never NaN
# ---------------------------------------------------------------------------------------------


@scatter_baselines
def test_a_row_whose_squared_distance_overflows_is_infinitely_far(estimator):
    # The quadratic form summed terms of ±1e310: inf − inf, a NaN distance.
    est = _strict_fit(estimator, _gaussian())
    far = np.array([[1e155, -1e155, 1e155], [1e308, 0.0, -1e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(est.mahalanobis(far), np.inf)
        np.testing.assert_array_equal(est.score_samples(far), -np.inf)
        np.testing.assert_array_equal(est.predict(far), -1)
        # Short of overflow the distance is the exact one, 1e300 times that of (1, −1, 1).
        large = est.mahalanobis([[1e150, -1e150, 1e150]])[0]
    direction = np.array([1.0, -1.0, 1.0])
    assert large == pytest.approx(1e300 * direction @ est.precision_ @ direction, rel=1e-9)


@pytest.mark.parametrize(
    "estimator", [CoordinatewiseMedian(), TrimmedMean(), GeometricMedian()],
    ids=lambda e: type(e).__name__)
def test_a_location_baselines_overflowing_distance_is_infinite_without_a_warning(estimator):
    est = _strict_fit(estimator, _gaussian())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(est.mahalanobis([[1e155, -1e155, 1e155]]), np.inf)


# ---------------------------------------------------------------------------------------------
# Location baselines on data at 1e200 (the fallback scale taken in the data's units)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [CoordinatewiseMedian(), TrimmedMean(), GeometricMedian(), DimensionHalving(),
     TukeyMedian(n_directions=50, n_refinements=3, random_state=0)],
    ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("scale", [1e200, 1e300])
def test_location_baselines_on_data_at_1e200_are_the_unit_fit_rescaled(estimator, scale):
    # robust_scale took every column's standard deviation, needed or not: its squares
    # overflowed (a RuntimeWarning) at 1e200.
    X = _gaussian(n=200)
    unit = type(estimator)(**estimator.get_params()).fit(X)
    est = _strict_fit(estimator, X * scale)
    np.testing.assert_allclose(est.location_ / scale, unit.location_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(est.feature_scale_ / scale, unit.feature_scale_, rtol=1e-9)
    np.testing.assert_allclose(est.mahalanobis(X * scale), unit.mahalanobis(X), rtol=1e-8)


def test_robust_scale_falls_back_to_the_standard_deviation_in_the_datas_units():
    # A column whose MAD is 0 gets its standard deviation, at 1e200 too; a constant column 1,
    # also where the mean of its equal values is not that value (3.7: a deviation of 4e-16).
    x = np.r_[np.zeros(60), np.arange(1.0, 41.0)]
    X = np.column_stack([x, np.full(100, 3.7)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = robust_scale(X * 1e200)
    assert big[0] / 1e200 == pytest.approx(np.std(x), rel=1e-12)
    np.testing.assert_array_equal(robust_scale(X)[1], 1.0)
    assert big[1] == 1.0


# ---------------------------------------------------------------------------------------------
# random_state: a bool is not a seed
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator", [KendallTauScatter(random_state=True), TukeyMedian(random_state=True),
                  TukeyMedian(random_state=False)],
    ids=["KendallTauScatter", "TukeyMedian", "TukeyMedian-False"])
@pytest.mark.parametrize("p", [2, 3])
def test_a_bool_random_state_is_refused_by_name(estimator, p):
    # Kendall's τ reads random_state only when it samples pairs (not on 40 rows), TukeyMedian
    # only for p > 2: True passed elsewhere.
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        estimator.fit(_gaussian(n=40, p=p))


@scatter_baselines
@pytest.mark.parametrize("data", ["gaussian", "constant column", "collinear"])
def test_the_rank_test_runs_once_per_fit(estimator, data, monkeypatch):
    # check_training_data's test for a proper subspace and the fit's own span ran the same
    # rank test twice (0.05-0.3 s at 50,000 × 100): the span now comes from the first.
    import robustgan._validation as validation

    calls = []
    test = validation._null_combinations
    monkeypatch.setattr(validation, "_null_combinations",
                        lambda *args: calls.append(1) or test(*args))
    X = {"gaussian": _gaussian, "constant column": lambda: _constant_column(3.7),
         "collinear": _collinear}[data]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        clone(estimator).fit(X)
    assert len(calls) == 1
