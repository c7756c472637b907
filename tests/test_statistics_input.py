"""Bad input to the statistics layer's public functions is refused by name, as the estimators
refuse it: not an IndexError or a broadcast error from deep inside, not NaN returned."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from robustgan import clusters, multivariate, univariate
from robustgan._validation import check_data, check_model

RNG = np.random.default_rng(0)
GOOD = RNG.standard_normal((60, 3))
LOCATION, SCATTER = np.zeros(3), np.eye(3)


def _with(value, row=0, column=0):
    X = GOOD.copy()
    X[row, column] = value
    return X


# Each public function that reads data, called as a user would.
CALLS = {
    "reweighted_location_scale": univariate.reweighted_location_scale,
    "robust_scale": univariate.robust_scale,
    "trimmed_scatter": lambda X: multivariate.trimmed_scatter(X, random_state=0),
    "reweighted_estimate": lambda X: multivariate.reweighted_estimate(X, LOCATION, SCATTER),
    "canonical_row_order": multivariate.canonical_row_order,
    "spearman_rho_matrix": multivariate.spearman_rho_matrix,
    "spatial_sign_covariance": lambda X: multivariate.spatial_sign_covariance(X, LOCATION),
    "outlyingness_start": lambda X: multivariate.outlyingness_start(
        X, 2, 10, np.random.default_rng(0)),
    "projection_share": lambda X: multivariate.projection_share(X, LOCATION, SCATTER, np.eye(3)),
    "projection_ks_distance": lambda X: multivariate.projection_ks_distance(
        X, LOCATION, SCATTER, np.eye(3)),
    "correct_absorbed_cluster": lambda X: clusters.correct_absorbed_cluster(X, LOCATION, SCATTER),
    "split_flat_group": lambda X: clusters.split_flat_group(X, LOCATION, SCATTER),
    "split_tight_cluster": lambda X: clusters.split_tight_cluster(X, LOCATION, SCATTER),
}
# What each was refused with before (2026-12-05): IndexError "tuple index out of range", a
# broadcast error, "too many values to unpack", or a NaN result.
BAD = {
    "one-dimensional": (np.arange(60.0), "Expected 2D array, got 1D array"),
    "NaN": (_with(np.nan), "Input X contains NaN"),
    "infinity": (_with(np.inf), "Input X contains infinity"),
    "three-dimensional": (np.zeros((4, 5, 3)), "Found array with dim 3"),
    "strings": (np.array([["a", "b", "c"]] * 60), "could not convert string to float"),
    "no rows": (np.zeros((0, 3)), "0 sample"),
}


# No rows have one order, the empty one, and a scale of 1 per feature (robust_scale's, as for
# constant features): both return it.
EMPTY_IS_AN_ANSWER = ("canonical_row_order", "robust_scale")


def _refused(name, bad):
    if bad == "no rows":
        return name not in EMPTY_IS_AN_ANSWER
    # An order needs no finite values (a fit orders its rows twice, without a pass over them):
    # NaN keys sort last.
    return not (name == "canonical_row_order" and bad in ("NaN", "infinity"))


@pytest.mark.parametrize("name, bad", [(name, bad) for name in CALLS for bad in BAD
                                       if _refused(name, bad)])
def test_bad_data_is_refused_by_name(name, bad):
    X, message = BAD[bad]
    with pytest.raises(ValueError, match=message):
        CALLS[name](X)


@pytest.mark.parametrize("name", CALLS, ids=str)
def test_a_dataframes_non_numeric_column_is_named(name):
    frame = pd.DataFrame(GOOD, columns=["a", "b", "c"]).assign(c=["x"] * len(GOOD))
    with pytest.raises(ValueError, match="non-numeric column.*c"):
        CALLS[name](frame)


@pytest.mark.parametrize("name", ["reweighted_estimate", "projection_share",
                                  "projection_ks_distance", "split_flat_group"])
def test_a_model_of_other_features_is_refused_by_name(name):
    function = {
        "reweighted_estimate": lambda location, scatter: multivariate.reweighted_estimate(
            GOOD, location, scatter),
        "projection_share": lambda location, scatter: multivariate.projection_share(
            GOOD, location, scatter, np.eye(3)),
        "projection_ks_distance": lambda location, scatter: multivariate.projection_ks_distance(
            GOOD, location, scatter, np.eye(3)),
        "split_flat_group": lambda location, scatter: clusters.split_flat_group(
            GOOD, location, scatter),
    }[name]
    with pytest.raises(ValueError, match=r"location has shape \(2,\) where the data's 3"):
        function(np.zeros(2), SCATTER)
    with pytest.raises(ValueError, match=r"scatter has shape \(2, 2\)"):
        function(LOCATION, np.eye(2))
    with pytest.raises(ValueError, match="scatter holds NaN or infinite values"):
        function(LOCATION, np.diag([1.0, np.nan, 1.0]))


def test_a_scatter_the_cluster_readers_cannot_use_still_leaves_the_start_unchanged():
    # Documented: a scatter with a non-finite or zero variance is no correction, not an error.
    location, scatter, direction = clusters.correct_absorbed_cluster(
        GOOD, LOCATION, np.diag([1.0, np.inf, 1.0]))
    assert direction is None and np.isinf(scatter[1, 1])
    assert clusters.split_tight_cluster(GOOD, LOCATION, np.diag([1.0, 0.0, 1.0])) is None


def test_directions_of_other_features_are_refused_by_name():
    with pytest.raises(ValueError, match=r"directions has shape \(2, 2\)"):
        multivariate.projection_share(GOOD, LOCATION, SCATTER, np.eye(2))


def test_univariate_mcd_takes_one_features_values():
    with pytest.raises(ValueError, match=r"values must be 1-D; got shape \(60, 3\)"):
        clusters.univariate_mcd(GOOD, 31)
    with pytest.raises(ValueError, match="values holds NaN or infinite values"):
        clusters.univariate_mcd(_with(np.nan)[:, 0], 31)


def test_outlyingness_start_needs_a_subset_it_can_average():
    with pytest.raises(ValueError, match="support_size must be between 2 and 60; got 1"):
        multivariate.outlyingness_start(GOOD, 1, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least|minimum of 2"):
        multivariate.outlyingness_start(GOOD[:1], 1, 10, np.random.default_rng(0))


def test_good_data_in_any_container_give_the_arrays_answer():
    expected = multivariate.trimmed_scatter(GOOD, random_state=0)
    for container in (pd.DataFrame(GOOD), GOOD.tolist(), np.asfortranarray(GOOD)):
        got = multivariate.trimmed_scatter(container, random_state=0)
        for a, b in zip(expected, got):
            np.testing.assert_array_equal(a, b)


def test_check_data_copies_nothing_it_need_not():
    assert check_data(GOOD) is GOOD
    float32 = GOOD.astype(np.float32)
    assert check_data(float32) is float32
    assert check_data(np.arange(6).reshape(3, 2)).dtype == np.float64


def test_check_model_names_a_location_that_is_not_numbers():
    with pytest.raises(ValueError, match="location must be an array of numbers"):
        check_model(["a", "b"], np.eye(2), 2)


def test_column_median_checks_the_shape_and_lets_nan_through_as_numpys_median():
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        univariate.column_median(np.arange(5.0))
    np.testing.assert_array_equal(univariate.column_median(_with(np.nan)),
                                  np.median(_with(np.nan), axis=0))


def test_discrete_features_checks_the_shape():
    with pytest.raises(ValueError, match="Found array with dim 3"):
        univariate.discrete_features(np.zeros((4, 5, 3)))


@pytest.mark.parametrize("factor, way", [(1e300, "overflows"), (1e-300, "underflows")])
def test_trimmed_scatter_refuses_data_whose_scatter_float64_cannot_hold(factor, way):
    # Before: inf (or 0) entries and a RuntimeWarning from the rescaling to the data's units.
    with pytest.raises(ValueError, match=f"feature 0 has robust scale .*variance {way} float64"):
        multivariate.trimmed_scatter(GOOD * factor, random_state=0)


# The primitives (distances, scatters, one feature's values): what each did before 2026-12-05.
PRIMITIVES = {
    # [5., 5., 5.]: a 1-D X read as one row broadcast against the location.
    "squared_mahalanobis of 1-D rows": (
        lambda: multivariate.squared_mahalanobis(np.arange(3.0), LOCATION, SCATTER),
        r"X must be 2-D; got shape \(3,\)"),
    "squared_mahalanobis of a model of 2 features": (
        lambda: multivariate.squared_mahalanobis(GOOD, np.zeros(2), np.eye(2)),
        r"location has shape \(2,\) where the data's 3"),
    "squared_mahalanobis_from_factor of another width": (
        lambda: multivariate.squared_mahalanobis_from_factor(GOOD, np.zeros(2), np.eye(2)),
        "X has rows of 3 features where the model has 2"),
    # The identity, silently.
    "regularised_scatter with a NaN": (
        lambda: multivariate.regularised_scatter(np.diag([1.0, np.nan, 1.0])),
        "scatter holds NaN or infinite values"),
    "floored_scatter_and_precision of a non-square matrix": (
        lambda: multivariate.floored_scatter_and_precision(np.ones((2, 3))),
        r"scatter must be a square matrix; got shape \(2, 3\)"),
    # inf, silently.
    "radial_tail_df of a matrix": (
        lambda: multivariate.radial_tail_df(GOOD, 3), "squared_distances must be 1-D"),
    "radial_tail_df of negative distances": (
        lambda: multivariate.radial_tail_df(-np.ones(50), 3),
        "squared_distances holds negative values"),
    # 0.5, silently.
    "radial_tail_df without features": (
        lambda: multivariate.radial_tail_df(np.ones(50), 0), "n_features must be an int >= 1"),
    # A number from the other values, silently; NaN for level 2.
    "elliptical_cutoff with a NaN": (
        lambda: multivariate.elliptical_cutoff(np.r_[np.nan, np.ones(50)], 3),
        "squared_distances holds NaN or infinite values"),
    "elliptical_cutoff at level 2": (
        lambda: multivariate.elliptical_cutoff(np.ones(50), 3, level=2.0),
        r"level must be in \(0, 1\); got 2.0"),
    # 0.0, silently.
    "two_group_share with a NaN": (
        lambda: multivariate.two_group_share(np.r_[np.nan, np.ones(50)]),
        "values holds NaN or infinite values"),
    # NaN rows, silently.
    "unit_rows of a 3-D array": (
        lambda: multivariate.unit_rows(np.zeros((2, 2, 2))),
        "vectors must be one vector or rows of vectors"),
    "relative_spread of rows of another width": (
        lambda: multivariate.relative_spread(GOOD, np.eye(2)),
        "rows has rows of 3 features where the model has 2"),
    "outlyingness along directions of another width": (
        lambda: multivariate.outlyingness(GOOD, np.eye(2)), r"directions has shape \(2, 2\)"),
    "data_directions about a centre of another width": (
        lambda: multivariate.data_directions(GOOD, np.zeros(2), 5, np.random.default_rng(0)),
        r"center has shape \(2,\)"),
    # A TypeError from inside NumPy.
    "tight_group_centre of rows": (
        lambda: clusters.tight_group_centre(GOOD, 2.0), "values must be 1-D"),
    "tight_group_centre without reach": (
        lambda: clusters.tight_group_centre(GOOD[:, 0], 0.0), "reach must be positive"),
    # The identity, silently (a NaN product and a negative sum of squares read as 0).
    "correlation_from_products with a NaN": (
        lambda: multivariate.correlation_from_products(np.array([[1.0, np.nan], [np.nan, 1.0]])),
        "C holds NaN or infinite values"),
    "correlation_from_products with a negative diagonal": (
        lambda: multivariate.correlation_from_products(np.diag([1.0, -1.0])),
        r"C has negative diagonal entries \(at \[1\]\)"),
    # A broadcast error.
    "correlation_from_products of a vector": (
        lambda: multivariate.correlation_from_products(np.arange(3.0)),
        r"C must be a square matrix; got shape \(3,\)"),
    # NaN, inf (with a RuntimeWarning), and factors for p = −1 and 2.5.
    "truncation_consistency at a NaN cutoff": (
        lambda: multivariate.truncation_consistency(np.nan, 3),
        "cutoff must be a positive squared distance; got nan"),
    "truncation_consistency at a negative cutoff": (
        lambda: multivariate.truncation_consistency(-1.0, 3), "cutoff must be a positive"),
    "truncation_consistency for p = -1": (
        lambda: multivariate.truncation_consistency(5.0, -1), "p must be an int >= 0; got -1"),
    "truncation_consistency for p = 2.5": (
        lambda: multivariate.truncation_consistency(5.0, 2.5), "p must be an int >= 0; got 2.5"),
    # NaN, inf with a RuntimeWarning, a broadcast error.
    "bimodality_coefficient of a NaN": (
        lambda: clusters.bimodality_coefficient(np.nan, 0.0), "skewness holds NaN"),
    "bimodality_coefficient at kurtosis -3": (
        lambda: clusters.bimodality_coefficient(0.0, -3.0), r"kurtosis -3.0 is below −2"),
    "bimodality_coefficient of unequal shapes": (
        lambda: clusters.bimodality_coefficient([0.1, 0.2], [0.0, 0.1, 0.2]),
        r"skewness has shape \(2,\) and kurtosis \(3,\)"),
    # False, silently, for each.
    "group_of_discrete_levels of a 2-D projection": (
        lambda: clusters.group_of_discrete_levels(np.ones((5, 2)), np.ones((5, 1))),
        r"projection must be 1-D; got shape \(5, 2\)"),
    "group_of_discrete_levels with levels of other rows": (
        lambda: clusters.group_of_discrete_levels(np.arange(5.0), np.ones((4, 1))),
        "levels has 4 rows where projection has 5 values"),
    "group_of_discrete_levels with 1-D levels": (
        lambda: clusters.group_of_discrete_levels(np.arange(5.0), np.ones(5)),
        r"levels must be 2-D; got shape \(5,\)"),
    "group_of_discrete_levels with a NaN projection": (
        lambda: clusters.group_of_discrete_levels(np.r_[np.arange(4.0), np.nan], np.ones((5, 1))),
        "projection holds NaN or infinite values"),
    "group_of_discrete_levels with NaN levels": (
        lambda: clusters.group_of_discrete_levels(np.arange(5.0), np.full((5, 1), np.nan)),
        "levels holds NaN or infinite values"),
}


@pytest.mark.parametrize("case", PRIMITIVES, ids=str)
def test_the_primitives_refuse_bad_arguments_by_name(case):
    call, message = PRIMITIVES[case]
    with pytest.raises(ValueError, match=message):
        call()


def test_the_primitives_keep_their_answers_on_good_arguments():
    distances = multivariate.squared_mahalanobis(GOOD, LOCATION, SCATTER)
    np.testing.assert_array_equal(distances, np.einsum("ij,ij->i", GOOD, GOOD))
    scatter = np.cov(GOOD, rowvar=False)
    assert multivariate.regularised_scatter(scatter) is scatter  # no floor needed, no copy
    np.testing.assert_array_equal(multivariate.regularised_scatter(np.zeros((2, 2))), np.eye(2))
    # The reweighting's factor to the bit at its own cut; the exact ratio at any other cut.
    for p in (1, 5, 20, 200):
        cut = stats.chi2.ppf(0.975, p)
        assert multivariate.truncation_consistency(cut, p) == 0.975 / stats.chi2.cdf(cut, p + 2)
    other = multivariate.truncation_consistency(4.0, 3)
    assert other == pytest.approx(stats.chi2.cdf(4.0, 3) / stats.chi2.cdf(4.0, 5), rel=1e-14)
    assert multivariate.truncation_consistency(np.inf, 3) == 1.0
    # Two points of equal weight: excess kurtosis −2 to rounding, the coefficient 1.
    two = np.r_[np.zeros(500), np.ones(500)] * 0.1
    assert clusters.bimodality_coefficient(stats.skew(two), stats.kurtosis(two)) == (
        pytest.approx(1.0))
    correlation = multivariate.correlation_from_products(np.diag([4.0, 0.0]))
    np.testing.assert_array_equal(correlation, np.eye(2))


def test_no_features_keep_their_empty_answers():
    # As before the checks: a table of 0 features is a shape, not an error.
    no_features = np.zeros((10, 0))
    location, scatter, support = multivariate.trimmed_scatter(no_features, random_state=0)
    assert location.shape == (0,) and scatter.shape == (0, 0) and support.shape == (10,)
    location, scatter, _ = multivariate.reweighted_estimate(no_features, np.zeros(0),
                                                            np.zeros((0, 0)))
    assert location.shape == (0,) and scatter.shape == (0, 0)
    assert univariate.reweighted_location_scale(no_features)[1].shape == (0,)
