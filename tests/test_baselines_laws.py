"""Laws the classic baselines obey on any data: the features' units, the rows' order, and
warnings that name the user's line and the parameter to change.

Each law is checked on data where it used to fail: Tyler's scatter refused full-rank data in
units 1e-8 and 1e8 as lying "in a proper subspace"; the rank scatters lifted the variance of
a feature in small units by a factor 1,100 (an eigenvalue floor in the data's units); a seeded
Kendall scatter changed by 8e-3 when the rows were permuted; the spatial median's
``ConvergenceWarning`` pointed inside robustgan, in units that differed between estimators.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from robustgan.baselines import (
    CoordinatewiseMedian,
    DimensionHalving,
    GeometricMedian,
    IterativeFilter,
    KendallTauScatter,
    SpatialSignCovariance,
    SpearmanScatter,
    TrimmedMean,
    TukeyMedian,
    TylerScatter,
)
from robustgan.baselines.scatter import kendall_tau_matrix, tyler_shape
from robustgan.datasets import make_huber_contamination

# Features in units six and sixteen orders of magnitude apart, as a user's data may come.
MIXED_UNITS = np.array([1e-8, 1e8, 1.0, 1e-8, 1e8])


@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """The problems here are small: BLAS threads only contend for the cores."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _gaussian(n, p, seed):
    return np.random.default_rng(seed).standard_normal((n, p))


# ---------------------------------------------------------------------------------------------
# The features' units
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_tyler_shape_of_full_rank_data_in_mixed_units_exists_and_follows_the_units(seed):
    X = _gaussian(600, 5, seed)
    location = np.median(X, axis=0)
    V, _ = tyler_shape(X, location, tol=1e-12)
    W, _ = tyler_shape(X * MIXED_UNITS, location * MIXED_UNITS, tol=1e-12)
    expected = V * np.outer(MIXED_UNITS, MIXED_UNITS)
    np.testing.assert_allclose(W, expected * (5 / np.trace(expected)), rtol=1e-9)


@pytest.mark.parametrize("location", ["spatial_median", "coordinatewise_median"])
def test_tyler_scatter_fits_full_rank_data_in_mixed_units(location):
    X = _gaussian(600, 5, 0) * MIXED_UNITS
    est = TylerScatter(location=location).fit(X)
    standardised = est.covariance_ / np.outer(MIXED_UNITS, MIXED_UNITS)
    assert np.linalg.eigvalsh(standardised).min() > 0.5
    assert np.abs(standardised - np.eye(5)).max() < 0.3


def test_tyler_scatter_around_the_coordinatewise_median_follows_positive_rescaling():
    X = make_huber_contamination(600, 5, 0.1, random_state=0).X
    shift = np.array([3e-8, -1e9, 0.0, 7e-6, 2e9])
    unit = TylerScatter(location="coordinatewise_median", tol=1e-12).fit(X)
    scaled = TylerScatter(location="coordinatewise_median", tol=1e-12).fit(
        X * MIXED_UNITS + shift)
    outer = np.outer(MIXED_UNITS, MIXED_UNITS)
    np.testing.assert_allclose((scaled.location_ - shift) / MIXED_UNITS, unit.location_,
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(scaled.covariance_ / outer, unit.covariance_, rtol=1e-8)
    np.testing.assert_allclose(scaled.precision_ * outer, unit.precision_, rtol=1e-8)
    np.testing.assert_array_equal(scaled.predict(X * MIXED_UNITS + shift), unit.predict(X))


@pytest.mark.parametrize("cls", [KendallTauScatter, SpearmanScatter])
def test_rank_scatters_follow_positive_rescaling_of_the_features(cls):
    # The eigenvalue floor was applied in the data's units: at units (1e-3, 1e3, 1) the first
    # feature's variance came out 1,100 times too large.
    X = make_huber_contamination(600, 3, 0.1, random_state=0).X
    units = np.array([1e-3, 1e3, 1.0])
    outer = np.outer(units, units)
    unit, scaled = cls().fit(X), cls().fit(X * units)
    np.testing.assert_allclose(scaled.covariance_ / outer, unit.covariance_, rtol=1e-10)
    np.testing.assert_allclose(scaled.precision_ * outer, unit.precision_, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# The rows' order
# ---------------------------------------------------------------------------------------------


def test_sampled_kendall_tau_does_not_depend_on_the_row_order_or_increasing_maps():
    # 400 rows have 79,800 pairs, so 5,000 are sampled.
    X = make_huber_contamination(400, 3, 0.1, scatter=[[1, .5, 0], [.5, 1, 0], [0, 0, 1]],
                                 random_state=0).X
    tau = kendall_tau_matrix(X, max_pairs=5000, random_state=0)
    permuted = X[np.random.default_rng(1).permutation(len(X))]
    np.testing.assert_array_equal(kendall_tau_matrix(permuted, max_pairs=5000, random_state=0),
                                  tau)
    monotone = np.column_stack([np.exp(X[:, 0]), X[:, 1] ** 3 + X[:, 1], 5.0 * X[:, 2] - 2.0])
    np.testing.assert_array_equal(kendall_tau_matrix(monotone, max_pairs=5000, random_state=0),
                                  tau)


def _every_baseline():
    return [
        CoordinatewiseMedian(),
        TrimmedMean(),
        GeometricMedian(),
        IterativeFilter(),
        DimensionHalving(),
        KendallTauScatter(max_pairs=5000, random_state=0),
        SpearmanScatter(),
        TylerScatter(),
        SpatialSignCovariance(),
    ]


@pytest.mark.parametrize("estimator", _every_baseline(), ids=lambda e: type(e).__name__)
def test_a_seeded_baseline_does_not_depend_on_the_row_order(estimator):
    X = make_huber_contamination(500, 4, 0.1, random_state=0).X
    order = np.random.default_rng(1).permutation(len(X))
    given = estimator.fit(X)
    location = given.location_.copy()
    covariance = getattr(given, "covariance_", np.eye(4)).copy()
    labels = given.predict(X)[order]
    permuted = estimator.fit(X[order])
    np.testing.assert_allclose(permuted.location_, location, rtol=0, atol=1e-12)
    np.testing.assert_allclose(getattr(permuted, "covariance_", np.eye(4)), covariance,
                               rtol=0, atol=1e-12)
    np.testing.assert_array_equal(permuted.predict(X[order]), labels)


# ---------------------------------------------------------------------------------------------
# Warnings: at the user's line, in the data's own unit, naming the parameter
# ---------------------------------------------------------------------------------------------


def _longley():
    # 16 rows whose spatial median lies close to a data point: Weiszfeld's iteration needs
    # about 5,300 steps there.
    datasets = pytest.importorskip("statsmodels.datasets")
    return datasets.longley.load_pandas().data


@pytest.mark.parametrize("cls", [GeometricMedian, SpatialSignCovariance, TylerScatter])
def test_a_spatial_median_that_runs_out_of_iterations_warns_at_the_users_line(cls):
    X = _longley()
    with pytest.warns(ConvergenceWarning, match="increase max_iter") as caught:
        cls().fit(X)
    warning = next(w for w in caught if w.category is ConvergenceWarning)
    assert warning.filename == __file__
    # One unit for every estimator: the spatial median's steps in the data's mean distance
    # to the start (they read 5.18e-05 and 6.78 on these data for the same iteration).
    assert re.search(r"last step was 8\.19e-05 times the mean distance", str(warning.message))


@pytest.mark.parametrize("cls", [GeometricMedian, SpatialSignCovariance, TylerScatter])
def test_raising_max_iter_as_the_warning_says_lets_the_spatial_median_converge(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        cls(max_iter=10_000).fit(_longley())


def test_tyler_shape_stops_on_a_step_of_the_diagonal_too():
    # Sign-symmetric rows keep the off-diagonal sums at 0: the correlation form does not move
    # while the diagonal converges, and a rule on it alone stopped after one step, 83 times
    # off on the first feature.
    A = np.random.default_rng(0).standard_normal((500, 2)) * [1.0, 100.0]
    X = np.vstack([A, A * [-1.0, 1.0], A * [1.0, -1.0], -A])
    shape, n_iter = tyler_shape(X, np.zeros(2))
    exact, _ = tyler_shape(X, np.zeros(2), tol=1e-14, max_iter=5000)
    assert n_iter > 1
    np.testing.assert_allclose(shape, exact, rtol=1e-4, atol=1e-12)


def test_tyler_shape_that_runs_out_of_iterations_warns_at_the_users_line():
    X = _gaussian(200, 3, 0) * [1.0, 2.0, 3.0]
    with pytest.warns(ConvergenceWarning, match="tyler_shape did not converge.*max_iter") as w:
        _, n_iter = tyler_shape(X, np.zeros(3), max_iter=2)
    assert n_iter == 2
    assert w[0].filename == __file__


@pytest.mark.parametrize("make, per_feature", [
    (CoordinatewiseMedian, True), (TrimmedMean, True),
    (lambda: TukeyMedian(random_state=0), True),
    # Their locations follow a common scale, not per-feature units.
    (GeometricMedian, False), (DimensionHalving, False)])
def test_location_only_labels_follow_the_features_units(make, per_feature):
    # Under an identity scatter and contamination="auto" their labels depended on the units
    # (CoordinatewiseMedian on N(0, I) data: 99.2% of the rows flagged at ×10, none at ×0.1).
    # Distances are now in units of each feature's MAD, and the default labels a tenth.
    X = np.random.default_rng(0).standard_normal((500, 3))
    units = np.array([1e-3, 1.0, 1e4]) if per_feature else np.ones(3)
    labels = make().fit_predict(X)
    assert np.mean(labels == -1) == pytest.approx(0.1, abs=0.01)
    for factor in (10.0, 0.1):
        np.testing.assert_array_equal(make().fit_predict(factor * X * units + 7.0), labels)
