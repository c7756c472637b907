"""RobustGANScatter and RobustGANScaler: the scikit-learn contract, MinCovDet compatibility,
bad input, equivariance and accuracy at small size.

The issue's bars at n=50,000, p=100 are measured by benchmarks/bench_scatter.py.
"""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.covariance import MinCovDet
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from robustgan import (
    RobustGANMean,
    RobustGANScaler,
    RobustGANScatter,
    make_huber_contamination,
)
from robustgan.estimators import scatter as scatter_module
from robustgan.estimators import trimmed_scatter
from robustgan.multivariate import HEAVY_TAIL_DF, radial_tail_df

FAST = dict(n_steps=30, hidden_sizes=(16, 8), random_state=0)


@parametrize_with_checks(
    [
        # contamination="auto" may rightly flag nothing on scikit-learn's blobs; its outlier
        # checks need a fixed fraction.
        RobustGANScatter(contamination=0.1, **FAST),
        RobustGANScatter("elliptical", **FAST),
        RobustGANScatter(divergence="brier", contamination=0.1, **FAST),
        RobustGANScaler(RobustGANScatter(**FAST)),
    ]
)
def test_scikit_learn_contract(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def far():
    """n=4,000, p=5, ε=0.2 at N(5·1, I): sample covariance error ≈ 6 along 1."""
    return make_huber_contamination(4000, 5, 0.2, random_state=0)


@pytest.fixture(scope="module")
def fitted(far):
    # "auto": the χ²_p 0.975 rule; the default, 0.1, would flag only half of these 20%.
    return RobustGANScatter(contamination="auto", random_state=0).fit(far.X)


def test_recovers_location_and_scatter_where_the_sample_covariance_fails(far, fitted):
    # Sampling error of a covariance at n=3,200 inliers, p=5: 2√(p/n) ≈ 0.08; the sample
    # covariance has the outliers' ε(1-ε)·25·11ᵀ ≈ 20 in it.
    sample_error = np.linalg.norm(np.cov(far.X, rowvar=False) - far.scatter, 2)
    assert np.linalg.norm(fitted.covariance_ - far.scatter, 2) < 0.25 < sample_error
    assert np.linalg.norm(fitted.location_ - far.location) < 0.15


def test_minc_covdet_attributes_and_methods(far, fitted):
    n, p = far.X.shape
    assert fitted.location_.shape == (p,) and fitted.covariance_.shape == (p, p)
    np.testing.assert_allclose(fitted.precision_ @ fitted.covariance_, np.eye(p), atol=1e-8)
    np.testing.assert_allclose(fitted.dist_, fitted.mahalanobis(far.X))
    assert fitted.support_.shape == (n,) and fitted.support_.dtype == bool
    # MinCovDet's default support: h = ⌈(n + p + 1)/2⌉ rows.
    assert fitted.raw_support_.sum() == -(-(n + p + 1) // 2)
    np.testing.assert_allclose(fitted.get_precision(), fitted.precision_)
    assert fitted.error_norm(far.scatter, norm="spectral", scaling=False, squared=False) == pytest.approx(
        np.linalg.norm(fitted.covariance_ - far.scatter, 2)
    )
    assert np.isfinite(fitted.score(far.X))


def minc_covdet_user_script(estimator, X):
    """A script written for MinCovDet, unchanged: the README's drop-in claim."""
    robust_cov = estimator.fit(X)
    distances = robust_cov.mahalanobis(X - 0.0)
    inliers = robust_cov.support_
    error = robust_cov.error_norm(np.eye(X.shape[1]), norm="frobenius", scaling=True)
    precision = robust_cov.get_precision()
    return {
        "centre": robust_cov.location_,
        "flagged": int(np.sum(distances > np.quantile(robust_cov.dist_, 0.9))),
        "inliers": int(inliers.sum()),
        "error": float(error),
        "precision": precision.shape,
        "raw": robust_cov.raw_covariance_.shape,
    }


def test_a_min_cov_det_script_runs_unchanged(far):
    X = far.X[:1500]
    ours = minc_covdet_user_script(RobustGANScatter(n_steps=100, random_state=0), X)
    theirs = minc_covdet_user_script(MinCovDet(random_state=0), X)
    assert ours.keys() == theirs.keys()
    assert ours["precision"] == theirs["precision"] and ours["raw"] == theirs["raw"]


def test_predict_flags_the_far_outliers(far, fitted):
    labels = fitted.predict(far.X)
    assert np.mean(labels[~far.inlier_mask] == -1) > 0.99
    assert np.mean(labels[far.inlier_mask] == 1) > 0.95


def test_elliptical_recovers_the_shape_of_cauchy_data():
    scatter = 0.5 ** np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    data = make_huber_contamination(
        4000, 4, 0.1, scatter=scatter, inliers="cauchy", random_state=1
    )
    est = RobustGANScatter("elliptical", random_state=0).fit(data.X)

    def shape(m):
        return m / np.trace(m) * len(m)

    relative = np.linalg.norm(shape(est.covariance_) - shape(scatter), 2) / np.linalg.norm(
        shape(scatter), 2
    )
    # Shape error of a trimmed covariance from 3,600 points in p=4: ~√(p/n)·2 ≈ 0.07.
    assert relative < 0.2
    assert np.all(np.isfinite(est.covariance_))


def test_affine_equivariance_of_the_fit():
    data = make_huber_contamination(2000, 3, 0.1, random_state=2)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal(3)
    est = RobustGANScatter(n_steps=300, random_state=0).fit(data.X)
    moved = RobustGANScatter(n_steps=300, random_state=0).fit(data.X @ A.T + b)
    # The start uses coordinatewise medians and the whitening is a Cholesky factor, so the fit is
    # equivariant up to its optimisation noise, not exactly.
    np.testing.assert_allclose(moved.location_, A @ est.location_ + b, atol=0.15 * np.abs(A).max())
    relative = np.linalg.norm(moved.covariance_ - A @ est.covariance_ @ A.T, 2) / np.linalg.norm(
        A @ est.covariance_ @ A.T, 2
    )
    assert relative < 0.15


def test_features_in_units_ten_orders_apart_give_the_same_fit():
    # scikit-learn's breast cancer data: variances from 1e-6 to 1e5. The eigenvalue floor
    # acted on the covariance in the data's units, where it lifted the small-unit directions:
    # the fit on standardised features, mapped back, disagreed by generalised eigenvalues
    # 0.0013-1.20 and 16 of 569 labels. The floor on the correlation form is unit-free.
    from sklearn.datasets import load_breast_cancer

    X = load_breast_cancer().data
    units = X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = RobustGANScatter(random_state=0).fit(X)
        standardised = RobustGANScatter(random_state=0).fit(X / units)
    mapped = standardised.covariance_ * np.outer(units, units)
    ratios = np.linalg.eigvals(np.linalg.solve(est.covariance_, mapped)).real
    np.testing.assert_allclose(ratios, 1.0, atol=1e-6)
    np.testing.assert_array_equal(est.predict(X), standardised.predict(X / units))
    # precision_ is covariance_'s inverse in any units (pinvh in the data's units dropped the
    # small-unit directions: precision_ @ covariance_ was 1 off the identity at 1e∓4).
    # Entry (i, j) of the product is in units s_j/s_i: compared in the features' own units.
    for fitted in (est, RobustGANScatter(n_steps=30, random_state=0).fit(
            X[:, :3] * [1e-4, 1.0, 1e4])):
        sd = np.sqrt(np.diag(fitted.covariance_))
        product = (fitted.precision_ @ fitted.covariance_) * sd[:, None] / sd[None, :]
        np.testing.assert_allclose(product, np.eye(len(product)), atol=1e-6)


def test_hbk_the_textbook_outliers_and_rs_mcd_shape():
    # Hawkins, Bradu & Kass (1984), as statsmodels' tests ship it with R's (rrcov) reweighted
    # covMcd on it: rows 1-14 are the outliers (10 bad and 4 good leverage points). The fit
    # flags those and row 53 (d² 11.37 against the cut's 11.14), as MinCovDet's support leaves
    # out the same 15 (R's reweighting keeps 59 of rows 15-75). The location is the mean of the
    # 60 rows kept. The shape (trace 1) is R's to 0.02; the size differs, R's run taking no
    # small-sample correction (trace 5.05 against the 61 clean rows' sample covariance's 3.67,
    # ours 3.85).
    import pandas as pd

    results = pytest.importorskip("statsmodels.robust.tests").__path__[0] + "/results/hbk.csv"
    X = pd.read_csv(results).to_numpy(float)
    r_covariance = np.array([
        [1.5677744869295, 0.09285770205078, 0.252076010128, 0.13873444408300],
        [0.0928577020508, 1.56769177397171, 0.224929617385, -0.00516128856542],
        [0.2520760101278, 0.22492961738467, 1.483829106079, -0.20275013775619],
        [0.1387344440830, -0.00516128856542, -0.202750137756, 0.43326701543885]])
    est = RobustGANScatter(contamination="auto", random_state=0).fit(X)
    flagged = np.flatnonzero(est.predict(X) == -1)
    np.testing.assert_array_equal(flagged, np.r_[np.arange(14), 52])
    mincovdet = MinCovDet(random_state=0).fit(X)
    np.testing.assert_array_equal(flagged, np.flatnonzero(~mincovdet.support_))
    kept = np.delete(X, flagged, axis=0)
    np.testing.assert_allclose(est.location_, kept.mean(axis=0), rtol=1e-10)
    shape = est.covariance_ / np.trace(est.covariance_)
    np.testing.assert_allclose(shape, r_covariance / np.trace(r_covariance), atol=0.02)
    mean = RobustGANMean(contamination="auto", random_state=0).fit(X)
    assert set(range(14)) <= set(np.flatnonzero(mean.predict(X) == -1))


@pytest.mark.parametrize("n, p", [(25, 2), (38, 3), (41, 4), (75, 4)])
def test_the_default_subset_is_mincovdets_size(n, p):
    # (n + p + 1)/(2n)·n rounded up to 14.000000000000002 for n = 25, p = 2, and its ceiling
    # kept one row more than MinCovDet's ⌈(n + p + 1)/2⌉ (for 10,064 of the (n, p) with
    # n < 3,000, p < 60), one row short of MCD's breakdown point.
    X = np.random.default_rng(0).standard_normal((n, p))
    ours = RobustGANScatter(n_steps=5, random_state=0).fit(X).raw_support_.sum()
    assert ours == MinCovDet(random_state=0).fit(X).raw_support_.sum() == -(-(n + p + 1) // 2)


def test_same_seed_same_answer(far):
    a = RobustGANScatter(n_steps=50, random_state=3).fit(far.X[:1000])
    b = RobustGANScatter(n_steps=50, random_state=3).fit(far.X[:1000])
    np.testing.assert_array_equal(a.covariance_, b.covariance_)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 1.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 1.0]]), "infinity"),
        (np.zeros((1, 3)), "minimum of 2"),
        (np.zeros(5), "2D array"),
        (np.array([["a", "b"], ["c", "d"]]), "numeric|convert"),
    ],
)
def test_bad_input_is_named(bad, message):
    with pytest.raises(ValueError, match=message):
        RobustGANScatter(n_steps=5).fit(bad)


def test_unknown_divergence_and_activation_are_named():
    X = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(ValueError, match="unknown divergence"):
        RobustGANScatter(divergence="bogus", n_steps=5).fit(X)
    with pytest.raises(ValueError, match="activation"):
        RobustGANScatter(activation=("relu",), hidden_sizes=(4, 4), n_steps=5).fit(X)
    # hidden_sizes changed alone: the default activation names two layers, and the message
    # says so and what to pass.
    message = r"hidden_sizes=\(10,\) has 1.*activation=\('sigmoid',\)"
    with pytest.raises(ValueError, match=message):
        RobustGANScatter(hidden_sizes=(10,), n_steps=5).fit(X)
    RobustGANScatter(hidden_sizes=(10,), activation=("sigmoid",), n_steps=5).fit(X)


def test_trimmed_scatter_ignores_a_far_cluster():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.standard_normal((1800, 3)) * [1.0, 2.0, 0.5], 40 + rng.standard_normal((200, 3))])
    location, scatter, support = trimmed_scatter(X)
    assert not support[1800:].any()
    np.testing.assert_allclose(np.diag(scatter), [1.0, 4.0, 0.25], rtol=0.15)


def _ill_conditioned_scatter(p, seed=123):
    rotation, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((p, p)))
    return (rotation * np.logspace(0, 2, p)) @ rotation.T


def test_trimmed_scatter_leaves_out_a_tight_cluster_inside_a_wide_cloud():
    # Σ with eigenvalues 1..100 and 10% of rows in a unit-variance cluster at 5·1: every DetMCD
    # start converges to a subset that holds the cluster (it lowers the determinant), so the
    # start over the least outlying rows and the projection check are what keep it out.
    p = 20
    scatter = _ill_conditioned_scatter(p)
    data = make_huber_contamination(50 * p, p, 0.1, scatter=scatter, random_state=0)
    location, estimate, support = trimmed_scatter(data.X, random_state=0)
    outliers = ~data.inlier_mask
    assert support[outliers].mean() < 0.05
    relative = np.linalg.norm(estimate - scatter, 2) / np.linalg.norm(scatter, 2)
    # The inliers' own sample covariance is 0.2 away at n = 50p; a kept cluster gives > 1.
    assert relative < 0.35


def test_trimmed_scatter_is_reproducible_and_seeded():
    data = make_huber_contamination(400, 4, 0.1, random_state=1)
    first = trimmed_scatter(data.X, random_state=3)
    second = trimmed_scatter(data.X, random_state=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_scaler_whitens_the_inliers_and_round_trips(far):
    scaler = RobustGANScaler(RobustGANScatter(random_state=0)).fit(far.X)
    Z = scaler.transform(far.X)
    inlier_cov = np.cov(Z[far.inlier_mask], rowvar=False)
    np.testing.assert_allclose(inlier_cov, np.eye(5), atol=0.2)
    np.testing.assert_allclose(scaler.inverse_transform(Z), far.X, atol=1e-9)


def test_scaler_in_a_pipeline_with_pandas_output(far):
    import pandas as pd

    frame = pd.DataFrame(far.X, columns=[f"x{i}" for i in range(5)])
    scaler = RobustGANScaler(RobustGANScatter(n_steps=50, random_state=0)).set_output(transform="pandas")
    out = scaler.fit_transform(frame)
    assert list(out.columns) == list(frame.columns)
    y = far.X[:, 0] * 2.0
    model = make_pipeline(RobustGANScaler(RobustGANScatter(n_steps=50, random_state=0)), LinearRegression())
    assert model.fit(far.X, y).score(far.X, y) > 0.999


def test_scaler_accepts_min_cov_det(far):
    mcd = MinCovDet(random_state=0).fit(far.X[:1000])
    scaler = RobustGANScaler(MinCovDet(random_state=0)).fit(far.X[:1000])
    np.testing.assert_array_equal(scaler.location_, mcd.location_)
    # Γ̂^{-1/2}: symmetric, and its square inverts MinCovDet's covariance.
    np.testing.assert_allclose(scaler.whitening_, scaler.whitening_.T, atol=1e-12)
    np.testing.assert_allclose(scaler.whitening_ @ scaler.whitening_ @ mcd.covariance_,
                               np.eye(5), atol=1e-8)


@pytest.mark.parametrize("whiten", [False, True])
def test_scaler_passes_a_constant_feature_through_with_scale_one(far, whiten):
    # As StandardScaler: a value one unit off the training constant maps one unit off its
    # centre (the regularised zero variance had made it 31,415 units).
    X = np.c_[far.X[:300, :3], np.full(300, 5.0)]
    scaler = RobustGANScaler(RobustGANScatter(n_steps=50, random_state=0), whiten=whiten).fit(X)
    assert scaler.scale_[-1] == 1.0
    assert scaler.transform(np.c_[X[:1, :3], [[6.0]]])[0, -1] == pytest.approx(1.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X)), X, atol=1e-9)


def test_scaler_names_an_estimator_without_a_covariance(far):
    with pytest.raises(TypeError, match="must fit location_ and covariance_.*RobustGANMean"):
        RobustGANScaler(RobustGANMean(n_steps=20)).fit(far.X[:200])


def test_scaler_has_the_attributes_and_switches_of_scikit_learns_scalers(far):
    X = far.X[:1000]
    fitted = RobustGANScaler(MinCovDet(random_state=0)).fit(X)
    np.testing.assert_array_equal(fitted.center_, fitted.location_)
    np.testing.assert_allclose(fitted.scale_, np.sqrt(np.diag(fitted.covariance_)))
    variants = {
        (True, True, False): (X - fitted.center_) / fitted.scale_,
        (False, True, True): X @ fitted.whitening_,
        (True, False, True): X - fitted.center_,
        (False, False, True): X,
    }
    for (centre, scale, whiten), expected in variants.items():
        scaler = RobustGANScaler(MinCovDet(random_state=0), with_centering=centre,
                                 with_scaling=scale, whiten=whiten).fit(X)
        Z = scaler.transform(X)
        np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-10, atol=1e-10)
        assert not np.shares_memory(Z, X)
    names = fitted.get_feature_names_out(["a", "b", "c", "d", "e"])
    assert list(names) == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("inliers, df", [("gaussian", None), ("t", 5.0)])
def test_elliptical_auto_rule_flags_about_the_nominal_share_of_clean_rows(inliers, df):
    # contamination="auto" flags the rows beyond the inliers' 0.975 quantile of d², whose law
    # (a multivariate t, ν from the closest half of the rows) is fitted, not assumed: 2.5% of
    # clean rows, ± 1% for the estimated tail (binomial noise alone is ± 0.2% at n = 5,000).
    data = make_huber_contamination(5000, 5, 0.0, inliers=inliers, df=df, random_state=0)
    est = RobustGANScatter(model="elliptical", contamination="auto", random_state=0)
    flagged = np.mean(est.fit(data.X).predict(data.X) == -1)
    assert 0.015 <= flagged <= 0.035


# ---------------------------------------------------------------------------------------------
# ``model`` (the family) was ``generator`` before 0.2: the old name works until 0.3, warning
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cauchy():
    return make_huber_contamination(400, 3, 0.1, inliers="cauchy", random_state=0).X


def test_model_elliptical_is_the_old_generator_elliptical_bit_for_bit(cauchy):
    new = RobustGANScatter(model="elliptical", **FAST).fit(cauchy)
    with pytest.warns(FutureWarning):
        old = RobustGANScatter(generator="elliptical", **FAST).fit(cauchy)
    positional = RobustGANScatter("elliptical", **FAST).fit(cauchy)
    gaussian = RobustGANScatter(**FAST).fit(cauchy)
    for fit in (old, positional):
        np.testing.assert_array_equal(fit.location_, new.location_)
        np.testing.assert_array_equal(fit.covariance_, new.covariance_)
    # The alias reaches the fit: the elliptical game is not the Gaussian one.
    assert not np.array_equal(gaussian.covariance_, new.covariance_)


def test_the_old_name_warns_at_the_callers_line_and_names_the_new_one(cauchy):
    with pytest.warns(FutureWarning, match=r"`generator` was renamed to `model` in 0\.2 and "
                                           r"will be removed in 0\.3") as record:
        RobustGANScatter(generator="elliptical", **FAST).fit(cauchy)
    [warning] = [w for w in record if issubclass(w.category, FutureWarning)]
    assert "model='elliptical'" in str(warning.message)
    assert warning.filename == __file__


def test_the_new_name_and_the_default_do_not_warn(cauchy, recwarn):
    RobustGANScatter(model="elliptical", **FAST).fit(cauchy)
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_both_names_set_is_refused_naming_both(cauchy):
    est = RobustGANScatter(model="elliptical", generator="gaussian", **FAST)
    with pytest.raises(ValueError, match=r"model='elliptical' and generator='gaussian'.*"
                                         r"set model only"):
        est.fit(cauchy)
    # model at its default cannot be told from model unset: the old name decides, warning.
    with pytest.warns(FutureWarning):
        RobustGANScatter(model="gaussian", generator="elliptical", **FAST).fit(cauchy)


def test_an_unknown_family_is_named_under_either_name(cauchy):
    with pytest.raises(ValueError, match="'model' parameter"):
        RobustGANScatter(model="cauchy").fit(cauchy)
    with pytest.raises(ValueError, match="'generator' parameter"):
        RobustGANScatter(generator="cauchy").fit(cauchy)


@pytest.mark.parametrize("params", [{"model": "elliptical"}, {"generator": "elliptical"}])
def test_clone_and_get_params_round_trip_and_fit_changes_neither(cauchy, params):
    est = RobustGANScatter(**params, **FAST)
    given = est.get_params()
    assert given["model"] == params.get("model", "gaussian")
    assert given["generator"] == params.get("generator", "deprecated")
    assert clone(est).get_params() == given
    assert RobustGANScatter(**given).get_params() == given
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        est.fit(cauchy)
    assert est.get_params() == given
    assert clone(est).get_params() == given


def test_assume_centered_reweights_about_zero_as_mincovdet():
    # The game's scatter, then two reweighting steps taken about 0: as efficient as
    # MinCovDet(assume_centered=True) on clean and far-contaminated rows (0.17-0.26 before the
    # steps were taken about 0, where they were not taken at all).
    from robustgan.multivariate import reweighted_estimate, truncation_consistency
    from scipy import stats

    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 20))
    X[:1000] += 5.0
    ours = RobustGANScatter(assume_centered=True, random_state=0).fit(X)
    mcd = MinCovDet(assume_centered=True, random_state=0).fit(X)
    np.testing.assert_array_equal(ours.location_, np.zeros(20))
    error = lambda S: np.linalg.norm(S - np.eye(20), 2)  # noqa: E731
    assert error(ours.covariance_) < 1.15 * error(mcd.covariance_)
    assert ours.support_[:1000].sum() == 0 and ours.support_[1000:].mean() > 0.95
    # One centred step by hand: the rows inside the 0.975 ellipsoid about the given location,
    # their second moment about it, times the truncation's consistency factor.
    location, scatter = np.full(20, 0.1), 1.2 * np.eye(20)
    kept_location, stepped, support = reweighted_estimate(X, location, scatter, n_steps=1,
                                                          centred=True)
    cutoff = stats.chi2.ppf(0.975, 20)
    inside = np.sum((X - location) ** 2, axis=1) / 1.2 <= cutoff
    rows = X[inside] - location
    np.testing.assert_array_equal(kept_location, location)
    np.testing.assert_array_equal(support, inside)
    np.testing.assert_allclose(stepped, rows.T @ rows / len(rows)
                               * truncation_consistency(cutoff, 20), rtol=1e-10)


def _two_clusters(seed, n=2000, p=20, eps=0.2, distance=6.0):
    """Inliers N(0, I); ε·n outliers split between N(6·u₁, I) and N(6·u₂, I), u random."""
    rng = np.random.default_rng(seed)
    directions = np.random.default_rng(99).standard_normal((2, p))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    X = rng.standard_normal((n, p))
    m = int(eps * n)
    X[:m] += distance * directions[np.arange(m) % 2]
    return X


def test_the_start_is_taken_where_it_explains_clearly_more_than_the_game(monkeypatch):
    # Two clusters 6 away at p = 20 sit near the 0.975 ellipsoid's edge (√χ²₂₀ = 5.6): the
    # game's reweighting let part of them in, and its scatter error is 0.54 where the start's
    # is 0.30 (helper audit, 2026-12-03). The start's model holds a larger share of the data
    # along the directions where the two differ, and is taken.
    X = _two_clusters(0)
    est = RobustGANScatter(random_state=0).fit(X)
    assert est.selected_ == "start" and est.cluster_direction_ is None
    np.testing.assert_array_equal(est.covariance_, est.raw_covariance_)
    assert np.linalg.norm(est.covariance_ - np.eye(20), 2) < 0.35
    np.testing.assert_array_equal(est.support_, est.dist_ < stats.chi2.ppf(0.975, 20))
    monkeypatch.setattr(RobustGANScatter, "_start_explains_more", lambda self, X: False)
    # The other referee agrees: the rows the game's reweighting took in lie on one side.
    assert RobustGANScatter(random_state=0).fit(X).selected_ == "start"
    monkeypatch.setattr(RobustGANScatter, "_game_admits_one_side", lambda self, X, support: False)
    game = RobustGANScatter(random_state=0).fit(X)
    assert game.selected_ == "game"
    assert np.linalg.norm(game.covariance_ - np.eye(20), 2) > 0.45


def test_the_start_is_taken_where_the_game_takes_in_outliers_that_share_the_centre():
    # Reflected correlated outliers: inliers N(0, Σ), Σ = 0.1·I + 0.9·11ᵀ, 30% from N(0, DΣD)
    # with D = diag(−1 ×5, +1 ×5). A third of them fall inside any 0.975 ellipsoid; the game
    # (scatter error 1.50) is worse than its start (1.22). Their shares differ by 0.05:
    # within one bin's noise, and above half of it.
    rng = np.random.default_rng(2)
    sigma = 0.1 * np.eye(10) + 0.9
    factor = np.linalg.cholesky(sigma)
    reflected = np.diag([-1.0] * 5 + [1.0] * 5) @ factor
    X = np.vstack([rng.standard_normal((1400, 10)) @ factor.T,
                   rng.standard_normal((600, 10)) @ reflected.T])
    est = RobustGANScatter(random_state=2).fit(X)
    assert est.selected_ == "start"
    np.testing.assert_array_equal(est.covariance_, est.raw_covariance_)
    values = np.linalg.eigvalsh(np.linalg.solve(factor, np.linalg.solve(factor, est.covariance_).T))
    assert np.abs(values - 1).max() < 1.3


def _shifted_along_e1(p, shift):
    def outliers(m, generator):
        rows = generator.standard_normal((m, p))
        rows[:, 0] += shift
        return rows

    return outliers


@pytest.mark.parametrize("n, p, shift, data_seed", [(1000, 10, 6.0, 6), (120, 5, 4.0, 4)])
def test_the_start_is_taken_where_the_games_reweighting_takes_in_one_side(
        n, p, shift, data_seed, monkeypatch):
    # 20% of the rows at shift·e1: the game's location is pulled towards them, and the
    # reweighting's cut centred there took in a few more of their rows than the start's
    # ellipsoid holds. n = 1,000, p = 10, 6·e1: 4 more, scatter error 0.71 against the start's
    # 0.38. n = 120, p = 5, 4·e1: too few for the test at level 1e-3 (which needs five rows at
    # p = 5 however aligned), 1.21 against 0.67. Each referee takes the start on its own.
    X = make_huber_contamination(n, p, 0.2, outliers=_shifted_along_e1(p, shift),
                                 random_state=data_seed).X

    def error(covariance):
        return np.abs(np.linalg.eigvalsh(covariance) - 1).max()

    est = RobustGANScatter(random_state=0).fit(X)
    assert est.selected_ == "start"
    np.testing.assert_array_equal(est.covariance_, est.raw_covariance_)
    assert error(est.covariance_) < 0.75
    for referee in ("_start_explains_more", "_game_admits_one_side"):
        with monkeypatch.context() as patched:
            patched.setattr(RobustGANScatter, referee, lambda self, *args: False)
            assert RobustGANScatter(random_state=0).fit(X).selected_ == "start"
    monkeypatch.setattr(RobustGANScatter, "_game_admits_one_side", lambda self, X, support: False)
    monkeypatch.setattr(RobustGANScatter, "_start_explains_more", lambda self, X: False)
    game = RobustGANScatter(random_state=0).fit(X)
    assert game.selected_ == "game"
    assert error(game.covariance_) > 1.5 * error(est.raw_covariance_)


def test_a_heavy_tailed_start_is_still_refereed_on_the_side_the_game_took_in(monkeypatch):
    # 20% at 4·e1, n = 120, p = 5: the start's ellipsoid holds part of the cluster, and its
    # distances fit a t with ν = 3.4, below HEAVY_TAIL_DF. The share referee, which reads
    # Gaussian projections, is not read; the game's reweighting took in the cluster's near
    # side (scatter error 1.95 against the start's 0.64), and the one-side referee, which
    # reads only the directions of the rows taken in, takes the start.
    X = make_huber_contamination(120, 5, 0.2, outliers=_shifted_along_e1(5, 4.0),
                                 random_state=21).X
    shares = []

    def share(self, X):
        shares.append(X)
        return False

    monkeypatch.setattr(RobustGANScatter, "_start_explains_more", share)

    def error(covariance):
        return np.abs(np.linalg.eigvalsh(covariance) - 1).max()

    est = RobustGANScatter(random_state=0).fit(X)
    white = np.linalg.solve(np.linalg.cholesky(est.raw_covariance_), (X - est.raw_location_).T)
    assert radial_tail_df(np.einsum("ij,ij->j", white, white), 5) < HEAVY_TAIL_DF
    assert est.selected_ == "start" and shares == []
    np.testing.assert_array_equal(est.covariance_, est.raw_covariance_)
    assert error(est.covariance_) < 0.7
    monkeypatch.setattr(RobustGANScatter, "_game_admits_one_side", lambda self, X, support: False)
    game = RobustGANScatter(random_state=0).fit(X)
    assert game.selected_ == "game" and shares == []
    assert error(game.covariance_) > 2 * error(est.covariance_)


def test_one_side_is_rows_gained_in_one_direction_and_not_given_back():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 5))
    est = RobustGANScatter(random_state=0).fit(X)
    centred = X - est.raw_location_
    squared_distances = np.einsum("ij,ij->i", centred,
                                  np.linalg.solve(est.raw_covariance_, centred.T).T)
    inside = squared_distances <= stats.chi2.ppf(0.975, 5)
    directions = np.eye(5)
    one_side = np.vstack([X, 5.0 * directions[0] + 0.3 * rng.standard_normal((8, 5))])
    every_side = np.vstack([X, 5.0 * np.vstack([directions, -directions[:3]])])
    for rows, expected in ((one_side, True), (every_side, False)):
        support = np.r_[inside, np.ones(len(rows) - len(X), dtype=bool)]
        assert est._game_admits_one_side(rows, support) is expected
    # 8 rows gained on one side while more than half as many are given up: a cut that moved
    # (sampling differences between the two estimates), not a side taken in.
    support = np.r_[inside, np.ones(8, dtype=bool)]
    support[np.flatnonzero(inside)[:5]] = False
    assert not est._game_admits_one_side(one_side, support)
    assert not est._game_admits_one_side(one_side, None)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_clean_rows_either_choice_is_as_good_as_the_other(seed):
    # Start and game differ by sampling noise there, and so do their shares: whichever the
    # referee takes, its scatter error is the start's to within 10%, and the oracle's scale
    # (2·√(p/n) ≈ 0.2).
    X = np.random.default_rng(seed).standard_normal((2000, 20))
    est = RobustGANScatter(random_state=seed).fit(X)

    def error(covariance):
        return np.abs(np.linalg.eigvalsh(covariance) - 1).max()

    assert error(est.covariance_) < 1.1 * error(est.raw_covariance_)
    assert error(est.covariance_) < 0.3


@pytest.mark.parametrize("excess, selected", [(-1e-9, "game"), (0.0, "game"), (1e-9, "start")])
def test_the_referee_takes_the_estimate_whose_model_the_data_hold_more_of(excess, selected,
                                                                          monkeypatch):
    # No margin for the game: the start is taken wherever its share is the larger (a tie keeps
    # the game). The shares are stubbed: the referee reads the game's first, then the start's.
    X = np.random.default_rng(0).standard_normal((1000, 3))
    calls = []

    def share(X, location, scatter, directions, bins):
        calls.append(location)
        return 0.5 if len(calls) % 2 == 1 else 0.5 + excess

    monkeypatch.setattr(scatter_module, "projection_share", share)
    assert RobustGANScatter(random_state=0).fit(X).selected_ == selected
    assert len(calls) == 2


def test_the_referees_directions_move_with_the_data(monkeypatch):
    # Two reweighted estimates that share most rows differ by a low-rank term, and their
    # smallest generalised eigenvalue is then shared by several vectors: rounding picked one of
    # them, and an affine transform of the data another (on 120 rows the choice between start
    # and game changed with the units on 4 of 60 fits). The directions read must be the same
    # ones in every unit.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 5))
    start_location, start_scatter = np.zeros(5), np.eye(5)
    u = np.array([1.0, 0.5, 0.0, 0.0, 0.0])
    game_location, game_scatter = 0.1 * u, np.eye(5) + np.outer(u, u)  # λ = 1 four times
    read = []

    def share(X, location, scatter, directions, bins):
        read.append(directions / np.linalg.norm(directions, axis=0))
        return 0.5

    monkeypatch.setattr(scatter_module, "projection_share", share)
    est = RobustGANScatter()
    for a, D, b in [(1.0, np.ones(5), np.zeros(5))] + [
            (scale, np.exp(rng.uniform(-3, 3, 5)), rng.uniform(-100, 100, 5))
            for scale in (1e-3, 1e3, 7.0)]:
        est.location_ = a * D * game_location + b
        est.covariance_ = a * a * np.outer(D, D) * game_scatter
        est.raw_location_ = a * D * start_location + b
        est.raw_covariance_ = a * a * np.outer(D, D) * start_scatter
        est._start_explains_more(a * X * D + b)
        # The game's and the start's shares are read along the same directions. Back in X's
        # units: a direction d on Y reads (a·D·d)ᵀ X.
        np.testing.assert_array_equal(read[-2], read[-1])
        directions = read.pop() * (a * D)[:, None]
        read[-1] = directions / np.linalg.norm(directions, axis=0)
    assert read[0].shape == (5, 3)  # the largest eigenvalue's vector and two of the shift
    for directions in read[1:]:
        assert directions.shape == read[0].shape
        np.testing.assert_allclose(np.abs(np.sum(directions * read[0], axis=0)), 1.0, atol=1e-6)


def test_a_dummy_without_a_level_held_by_half_the_rows_keeps_both_levels():
    # A 0/1 feature (47% ones) beside five continuous ones that it shifts, and 10% outliers at
    # 6 whose dummy values lie beside level 0 (N(0.1, 0.25²)): neither level holds half the
    # rows. The per-feature scale closed in on level 0 and both estimators took that level
    # alone: the dummy's location 1 SD off and its variance 0 (the audit's design, data seed
    # 1; 12 of 12 seeds). MinCovDet kept both (0.01 SD off, variance ratio 1.05).
    rng = np.random.default_rng(1)
    dummy = (rng.random(442) < 0.47).astype(float)
    A = rng.standard_normal((5, 5))
    inliers = np.c_[rng.standard_normal((442, 5)) @ np.linalg.cholesky(A @ A.T / 6 + np.eye(5)).T
                    + 0.5 * dummy[:, None], dummy]
    outliers = np.c_[6 + rng.standard_normal((49, 5)), 0.1 + 0.25 * rng.standard_normal(49)]
    X = np.vstack([inliers, outliers])
    mean, sd = inliers.mean(axis=0), inliers.std(axis=0)
    scatter = RobustGANScatter(random_state=0).fit(X)
    location = RobustGANMean(random_state=0).fit(X).location_
    for estimate in (scatter.location_, location):
        assert np.all(np.abs(estimate - mean) < 0.1 * sd)  # were up to 1.01 SD off
    np.testing.assert_allclose(np.diag(scatter.covariance_) / sd**2, 1.0, atol=0.15)


@pytest.mark.parametrize("switches", [{}, {"whiten": False}, {"with_centering": False},
                                      {"with_scaling": False},
                                      {"with_centering": False, "with_scaling": False}])
def test_scaler_keeps_float32_as_scikit_learns_scalers_do(far, switches):
    scaler = RobustGANScaler(RobustGANScatter(**FAST), **switches).fit(far.X)
    wide = scaler.transform(far.X)
    narrow = scaler.transform(far.X.astype(np.float32))
    assert wide.dtype == np.float64 and narrow.dtype == np.float32
    np.testing.assert_allclose(narrow, wide, rtol=1e-5, atol=1e-5)
    assert scaler.inverse_transform(narrow).dtype == np.float32
    assert scaler.inverse_transform(wide) is not wide


def test_at_one_feature_the_referee_reads_the_axis(monkeypatch):
    # One eigenvalue has no neighbour to share it with: the axis is read even where the two
    # locations agree (no shift direction).
    read = []

    def share(X, location, scatter, directions, bins):
        read.append(directions)
        return 0.5

    monkeypatch.setattr(scatter_module, "projection_share", share)
    est = RobustGANScatter()
    est.location_, est.covariance_ = np.zeros(1), np.array([[2.0]])
    est.raw_location_, est.raw_covariance_ = np.zeros(1), np.array([[1.0]])
    est._start_explains_more(np.random.default_rng(0).standard_normal((50, 1)))
    assert [directions.shape for directions in read] == [(1, 1), (1, 1)]
