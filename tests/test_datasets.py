"""Tests for robustgan.datasets: what holds of a sample from make_huber_contamination.

Statistical checks use fixed seeds and tolerances of a few standard errors computed from the
design's own moments (not from the sample), so a failure means the law is wrong.
"""

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robustgan import datasets
from robustgan.datasets import INLIER_FAMILIES, OUTLIER_DESIGNS, make_huber_contamination

LOCATION = np.array([1.0, -2.0, 0.5])
SCATTER = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 0.5]])
Z_MAX = 5.0  # |z| bound for a handful of coordinates at fixed seeds


def _mean_z(X, centre, variances):
    """Coordinatewise z-scores of the sample mean about `centre`."""
    return (X.mean(axis=0) - centre) / np.sqrt(variances / len(X))


def _covariance_z(X, scatter, df=None):
    """Entrywise z-scores of the sample covariance about its expectation, for Gaussian (df=None)
    or multivariate t inliers with scatter Σ.

    With X = A·Z/√(W/ν): E[X_j X_k] = c₁Σ_jk and E[X_j² X_k²] = c₂(Σ_jjΣ_kk + 2Σ_jk²), where
    c₁ = ν/(ν−2), c₂ = ν²/((ν−2)(ν−4)) (both 1 for the Gaussian).
    """
    c1, c2 = (1.0, 1.0) if df is None else (df / (df - 2), df**2 / ((df - 2) * (df - 4)))
    d = np.diag(scatter)
    var = c2 * (np.outer(d, d) + 2 * scatter**2) - (c1 * scatter) ** 2
    return (np.cov(X, rowvar=False) - c1 * scatter) / np.sqrt(var / len(X))


def _median_z(X, centre, scales):
    """z-scores of the coordinatewise median of Cauchy(centre, scale) marginals: the median's
    standard error is 1/(2 f(0) √n) = π·scale/(2√n)."""
    return (np.median(X, axis=0) - centre) / (np.pi * scales / (2 * np.sqrt(len(X))))


def _cauchy_tail_z(X, centre, scales, k=10.0):
    """z-score of the fraction of |X_j − centre_j| > k·scale_j; for a Cauchy marginal the
    probability is 1 − (2/π)·arctan(k)."""
    q = 1 - 2 / np.pi * np.arctan(k)
    frac = np.mean(np.abs(X - centre) > k * scales)
    m = X.size
    return (frac - q) / np.sqrt(q * (1 - q) / m)


# ---------------------------------------------------------------------------------------------
# Shapes, counts, masks
# ---------------------------------------------------------------------------------------------


def test_bunch_has_the_documented_fields_types_and_shapes():
    data = make_huber_contamination(500, 4, 0.1, random_state=0)
    assert data.X.shape == (500, 4) and data.X.dtype == np.float64
    assert data.inlier_mask.shape == (500,) and data.inlier_mask.dtype == bool
    np.testing.assert_array_equal(data.location, np.zeros(4))
    np.testing.assert_array_equal(data.scatter, np.eye(4))
    assert data.contamination == 0.1
    assert data.outliers == "gaussian_shift: N(location + 5*1_p, 1^2*I_p)"
    assert data.inliers == "gaussian" and data.df is None
    assert np.all(np.isfinite(data.X))


def test_exported_names():
    assert set(datasets.__all__) == {
        "make_huber_contamination",
        "OUTLIER_DESIGNS",
        "INLIER_FAMILIES",
    }
    assert OUTLIER_DESIGNS == (
        "gaussian_shift",
        "scaled_gaussian",
        "point_mass",
        "cauchy",
        "uniform_box",
    )
    assert INLIER_FAMILIES == ("gaussian", "t", "cauchy")


@pytest.mark.parametrize(
    "n, eps",
    [(1000, 0.2), (7, 0.5), (10, 0.25), (10, 0.35), (1, 0.4), (1, 0.6), (100, 0.0), (3, 0.99)],
)
def test_exact_count_is_round_eps_n(n, eps):
    data = make_huber_contamination(n, 2, eps, random_state=1)
    n_out = round(eps * n)
    assert np.sum(~data.inlier_mask) == n_out
    assert data.contamination == n_out / n


def test_bernoulli_count_is_within_four_binomial_sds_and_varies():
    n, eps = 20_000, 0.1
    sd = np.sqrt(n * eps * (1 - eps))
    counts = []
    for seed in range(20):
        data = make_huber_contamination(n, 1, eps, exact=False, random_state=seed)
        k = int(np.sum(~data.inlier_mask))
        assert abs(k - n * eps) <= 4 * sd
        assert data.contamination == k / n
        counts.append(k)
    assert len(set(counts)) > 1


def test_inlier_mask_marks_the_outlier_rows():
    # Point-mass outliers far away make the labels checkable row by row.
    data = make_huber_contamination(
        1000, 3, 0.3, "point_mass", shift=1000.0, exact=False, random_state=2
    )
    assert np.all(data.X[~data.inlier_mask] == 1000.0)
    assert np.all(np.abs(data.X[data.inlier_mask]) < 100.0)


@pytest.mark.parametrize("exact", [True, False])
def test_shuffle_false_puts_outliers_last(exact):
    data = make_huber_contamination(1000, 2, 0.2, shuffle=False, exact=exact, random_state=3)
    k = int(np.sum(~data.inlier_mask))
    assert k > 0
    np.testing.assert_array_equal(data.inlier_mask, np.arange(1000) < 1000 - k)


def test_shuffle_true_scatters_outliers():
    data = make_huber_contamination(1000, 2, 0.2, random_state=3)
    outlier_rows = np.flatnonzero(~data.inlier_mask)
    # 200 of 1000 rows drawn at random: some fall in each half.
    assert outlier_rows.min() < 500 <= outlier_rows.max()


def test_no_contamination_gives_only_inliers():
    data = make_huber_contamination(50, 2, 0.0, exact=False, random_state=0)
    assert data.inlier_mask.all() and data.contamination == 0.0


# ---------------------------------------------------------------------------------------------
# Inlier families
# ---------------------------------------------------------------------------------------------


def test_gaussian_inliers_have_the_given_mean_and_covariance():
    data = make_huber_contamination(
        25_000, 3, 0.2, location=LOCATION, scatter=SCATTER, random_state=4
    )
    X = data.X[data.inlier_mask]
    np.testing.assert_array_equal(data.location, LOCATION)
    np.testing.assert_array_equal(data.scatter, SCATTER)
    assert np.max(np.abs(_mean_z(X, LOCATION, np.diag(SCATTER)))) < Z_MAX
    assert np.max(np.abs(_covariance_z(X, SCATTER))) < Z_MAX


def test_t_inliers_have_covariance_df_over_df_minus_2_times_scatter():
    df = 5.0
    data = make_huber_contamination(
        40_000, 3, 0.1, location=LOCATION, scatter=SCATTER, inliers="t", df=df, random_state=5
    )
    assert data.inliers == "t" and data.df == df
    X = data.X[data.inlier_mask]
    c1 = df / (df - 2)
    assert np.max(np.abs(_mean_z(X, LOCATION, c1 * np.diag(SCATTER)))) < Z_MAX
    assert np.max(np.abs(_covariance_z(X, SCATTER, df=df))) < Z_MAX
    # And not the Gaussian covariance Σ: the 5/3 factor is many standard errors away.
    assert np.max(np.abs(_covariance_z(X, SCATTER))) > 20


def test_cauchy_inliers_have_median_at_location_and_cauchy_tails():
    data = make_huber_contamination(
        20_000, 3, 0.1, location=LOCATION, scatter=SCATTER, inliers="cauchy", random_state=6
    )
    assert data.inliers == "cauchy" and data.df == 1.0
    X = data.X[data.inlier_mask]
    scales = np.sqrt(np.diag(SCATTER))
    assert np.max(np.abs(_median_z(X, LOCATION, scales))) < Z_MAX
    assert abs(_cauchy_tail_z(X, LOCATION, scales)) < Z_MAX


def test_cauchy_inliers_equal_t_inliers_with_one_degree_of_freedom():
    a = make_huber_contamination(200, 3, 0.1, inliers="cauchy", random_state=7)
    b = make_huber_contamination(200, 3, 0.1, inliers="t", df=1, random_state=7)
    np.testing.assert_array_equal(a.X, b.X)


# ---------------------------------------------------------------------------------------------
# Outlier designs
# ---------------------------------------------------------------------------------------------

SHIFT, SCALE = 3.0, 0.5
CENTRE = LOCATION + SHIFT


def _outliers(design, n=40_000, eps=0.25, seed=8):
    data = make_huber_contamination(
        n, 3, eps, design, location=LOCATION, shift=SHIFT, outlier_scale=SCALE, random_state=seed
    )
    return data, data.X[~data.inlier_mask]


def test_gaussian_shift_outliers_are_normal_around_location_plus_shift():
    data, Y = _outliers("gaussian_shift")
    assert data.outliers == "gaussian_shift: N(location + 3*1_p, 0.5^2*I_p)"
    assert np.max(np.abs(_mean_z(Y, CENTRE, np.full(3, SCALE**2)))) < Z_MAX
    assert np.max(np.abs(_covariance_z(Y - CENTRE, SCALE**2 * np.eye(3)))) < Z_MAX


def test_default_design_is_the_papers_n_5_ones_identity():
    data = make_huber_contamination(40_000, 3, 0.25, random_state=9)
    Y = data.X[~data.inlier_mask]
    assert np.max(np.abs(_mean_z(Y, np.full(3, 5.0), np.ones(3)))) < Z_MAX
    assert np.max(np.abs(_covariance_z(Y, np.eye(3)))) < Z_MAX


def test_scaled_gaussian_is_gaussian_shift_under_another_name():
    a, _ = _outliers("gaussian_shift", n=300)
    b, _ = _outliers("scaled_gaussian", n=300)
    np.testing.assert_array_equal(a.X, b.X)
    assert b.outliers.startswith("scaled_gaussian: ")


def test_point_mass_outliers_all_equal_location_plus_shift():
    data, Y = _outliers("point_mass", n=1000)
    np.testing.assert_array_equal(Y, np.broadcast_to(CENTRE, Y.shape))
    assert data.outliers == "point_mass: point mass at location + 3*1_p"


def test_cauchy_outliers_have_median_at_location_plus_shift_and_cauchy_tails():
    data, Y = _outliers("cauchy")
    assert data.outliers.startswith("cauchy: multivariate Cauchy(location + 3*1_p")
    scales = np.full(3, SCALE)
    assert np.max(np.abs(_median_z(Y, CENTRE, scales))) < Z_MAX
    assert abs(_cauchy_tail_z(Y, CENTRE, scales)) < Z_MAX


def test_uniform_box_outliers_fill_the_cube_around_location_plus_shift():
    data, Y = _outliers("uniform_box")
    assert np.all(Y >= CENTRE - SCALE) and np.all(Y <= CENTRE + SCALE)
    # Uniform on [c − s, c + s]: variance s²/3; with 10,000 draws the extremes lie within
    # 1% of the half-width of the edges (probability of missing ≈ e^{-50}).
    assert np.max(np.abs(_mean_z(Y, CENTRE, np.full(3, SCALE**2 / 3)))) < Z_MAX
    assert np.all(Y.min(axis=0) < CENTRE - 0.99 * SCALE)
    assert np.all(Y.max(axis=0) > CENTRE + 0.99 * SCALE)


@pytest.mark.parametrize("design", OUTLIER_DESIGNS)
def test_the_mask_and_inliers_do_not_depend_on_the_outlier_design(design):
    reference = make_huber_contamination(300, 3, 0.2, exact=False, random_state=10)
    data = make_huber_contamination(
        300, 3, 0.2, design, shift=0.3, outlier_scale=2.0, exact=False, random_state=10
    )
    np.testing.assert_array_equal(data.inlier_mask, reference.inlier_mask)
    np.testing.assert_array_equal(data.X[data.inlier_mask], reference.X[reference.inlier_mask])
    assert np.all(np.isfinite(data.X))


# ---------------------------------------------------------------------------------------------
# Callable designs
# ---------------------------------------------------------------------------------------------


def test_callable_design_fills_the_outlier_rows_with_its_output():
    calls = []

    def far_away(n, rng):
        calls.append((n, rng))
        return np.full((n, 3), 100.0) + rng.uniform(size=(n, 1))

    data = make_huber_contamination(1000, 3, 0.2, far_away, random_state=11)
    (n, rng), = calls
    assert n == 200 and isinstance(rng, np.random.Generator)
    Y = data.X[~data.inlier_mask]
    assert np.all((Y >= 100.0) & (Y < 101.0))
    assert data.outliers == "callable far_away"
    # It drew from the sample's generator, so the output is reproducible.
    again = make_huber_contamination(1000, 3, 0.2, far_away, random_state=11)
    np.testing.assert_array_equal(data.X, again.X)


def test_callable_design_is_not_called_without_outliers():
    def never(n, rng):
        raise AssertionError("called")

    data = make_huber_contamination(10, 2, 0.01, never, random_state=0)
    assert data.inlier_mask.all()


@pytest.mark.parametrize(
    "output, match",
    [
        (lambda n, p: np.zeros((n, p + 1)), r"bad_design must return .*shape"),
        (lambda n, p: np.zeros(n * p), r"bad_design must return .*shape"),
        (lambda n, p: np.zeros((n + 1, p)), r"bad_design must return .*shape"),
        (lambda n, p: np.full((n, p), np.nan), r"bad_design returned non-finite"),
        (lambda n, p: np.full((n, p), np.inf), r"bad_design returned non-finite"),
    ],
)
def test_bad_callable_output_raises_naming_the_callable(output, match):
    def bad_design(n, rng):
        return output(n, 3)

    with pytest.raises(ValueError, match=match):
        make_huber_contamination(100, 3, 0.1, bad_design, random_state=0)


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"exact": False}, {"inliers": "t", "df": 3}])
def test_same_seed_gives_the_same_sample_and_another_seed_another(kwargs):
    a = make_huber_contamination(200, 3, 0.2, random_state=12, **kwargs)
    b = make_huber_contamination(200, 3, 0.2, random_state=12, **kwargs)
    c = make_huber_contamination(200, 3, 0.2, random_state=13, **kwargs)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.inlier_mask, b.inlier_mask)
    assert not np.array_equal(a.X, c.X)


def test_int_seed_is_default_rng_of_that_seed():
    a = make_huber_contamination(200, 3, 0.2, random_state=14)
    b = make_huber_contamination(200, 3, 0.2, random_state=np.random.default_rng(14))
    np.testing.assert_array_equal(a.X, b.X)


def test_a_generator_is_advanced_in_place():
    rng = np.random.default_rng(15)
    a = make_huber_contamination(200, 3, 0.2, random_state=rng)
    b = make_huber_contamination(200, 3, 0.2, random_state=rng)
    assert not np.array_equal(a.X, b.X)


def test_a_random_state_is_accepted_and_reproducible():
    a = make_huber_contamination(200, 3, 0.2, random_state=np.random.RandomState(16))
    b = make_huber_contamination(200, 3, 0.2, random_state=np.random.RandomState(16))
    np.testing.assert_array_equal(a.X, b.X)


def test_large_sample_is_float64_and_finite():
    data = make_huber_contamination(50_000, 200, 0.2, random_state=17)
    assert data.X.shape == (50_000, 200) and data.X.dtype == np.float64
    assert np.sum(~data.inlier_mask) == 10_000


# ---------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"contamination": -0.1}, r"contamination must be a number in \[0, 1\), got -0.1"),
        ({"contamination": 1.0}, r"contamination must be a number in \[0, 1\), got 1.0"),
        ({"contamination": float("nan")}, r"contamination .* got nan"),
        ({"contamination": "0.1"}, r"contamination"),
        ({"n_samples": 0}, r"n_samples must be an int >= 1, got 0"),
        ({"n_samples": 2.5}, r"n_samples must be an int >= 1, got 2.5"),
        ({"n_samples": True}, r"n_samples"),
        ({"n_features": 0}, r"n_features must be an int >= 1, got 0"),
        ({"scatter": [[1.0, 2.0], [2.0, 1.0]]}, r"scatter must be symmetric positive definite"),
        ({"scatter": [[1.0, 0.5], [0.0, 1.0]]}, r"scatter must be symmetric positive definite"),
        ({"scatter": np.zeros((2, 2))}, r"scatter must be symmetric positive definite"),
        ({"scatter": np.eye(3)}, r"scatter must have shape .*\(2, 2\)"),
        ({"scatter": [[1.0, np.nan], [np.nan, 1.0]]}, r"scatter must be finite"),
        ({"location": np.zeros(3)}, r"location must have shape .*\(2,\), got shape \(3,\)"),
        ({"location": np.zeros((2, 1))}, r"location must have shape"),
        ({"location": [0.0, np.inf]}, r"location must be finite"),
        ({"outliers": "bogus"}, r"unknown outliers 'bogus'; valid names are .*gaussian_shift"),
        ({"outliers": 42}, r"unknown outliers 42"),
        ({"inliers": "laplace"}, r"unknown inliers 'laplace'; valid names are .*gaussian"),
        ({"inliers": "t"}, r"inliers='t' requires df"),
        ({"inliers": "t", "df": 0}, r"df must be > 0, got 0"),
        ({"inliers": "t", "df": -2.0}, r"df must be > 0"),
        ({"inliers": "t", "df": float("nan")}, r"df must be a finite real number"),
        ({"inliers": "cauchy", "df": 3}, r"inliers='cauchy' is the t with df=1"),
        ({"df": 5}, r"df is only used by inliers='t' or 'cauchy'"),
        ({"shift": float("inf")}, r"shift must be a finite real number"),
        ({"outlier_scale": 0.0}, r"outlier_scale must be > 0"),
        ({"random_state": "seed"}, r"random_state must be None, an int"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_problem(kwargs, match):
    args = {"n_samples": 100, "n_features": 2, "contamination": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_huber_contamination(**args)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    p=st.integers(1, 5),
    eps=st.floats(0.0, 0.99),
    exact=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_shapes_counts_and_labels_hold_for_any_small_design(n, p, eps, exact, shuffle, seed):
    data = make_huber_contamination(
        n, p, eps, "point_mass", shift=1e3, exact=exact, shuffle=shuffle, random_state=seed
    )
    k = int(np.sum(~data.inlier_mask))
    assert data.X.shape == (n, p) and data.X.dtype == np.float64
    assert data.inlier_mask.shape == (n,) and data.inlier_mask.dtype == bool
    assert data.contamination == k / n
    if exact:
        assert k == round(eps * n)
    if not shuffle:
        np.testing.assert_array_equal(data.inlier_mask, np.arange(n) < n - k)
    assert np.all(data.X[~data.inlier_mask] == 1e3)
    assert np.all(np.abs(data.X[data.inlier_mask]) < 1e2)


def test_docstring_example_runs():
    result = doctest.testmod(datasets, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
