"""Tests for robustgan.baselines.scatter: what holds of the rank-correlation, Tyler and spatial
sign covariance estimators.

Statistical checks use fixed seeds and tolerances derived from the theory (the operator-norm
error of a covariance estimate is of order ‖Σ‖·√(p/n) at the Gaussian), so a failure means the
estimator is wrong, not unlucky.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.utils.estimator_checks import parametrize_with_checks
from statsmodels.robust.scale import mad
from threadpoolctl import threadpool_limits

from robustgan.baselines import (
    KendallTauScatter,
    SpatialSignCovariance,
    SpearmanScatter,
    TylerScatter,
)
from robustgan.baselines.location import geometric_median
from robustgan.univariate import robust_scale
from robustgan.baselines.scatter import robust_scales
from robustgan.baselines.scatter import (
    kendall_tau_matrix,
    nearest_psd,
    rank_correlation_scatter,
    sign_covariance_scatter,
    spatial_sign_covariance,
    spearman_rho_matrix,
    tyler_shape,
)
from robustgan.datasets import make_huber_contamination


@pytest.fixture(autouse=True, scope="module")
def _single_threaded_blas():
    """The problems here are small: BLAS threads only contend for the cores, which on a busy
    machine makes the module several times slower."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _toeplitz(p, rho=0.5):
    return rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))


def _operator_norm(A):
    return np.linalg.norm(A, 2)


def _small_estimators():
    # contamination=0.1 (the default, EllipticEnvelope's): check_outliers_fit_predict wants some
    # training point of its three-blob sample labelled an outlier, and with "auto" (the χ²_p
    # 0.975 cutoff) none is: the blobs are lighter-tailed than a Gaussian, and even their sample
    # covariance puts every row inside the 0.975 ellipsoid.
    return [
        KendallTauScatter(random_state=0),
        SpearmanScatter(),
        TylerScatter(),
        SpatialSignCovariance(),
    ]


# ---------------------------------------------------------------------------------------------
# scikit-learn's estimator checks: every check runs, none is skipped
# ---------------------------------------------------------------------------------------------


@parametrize_with_checks(_small_estimators())
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------------------------
# Bad input goes through the shared validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", _small_estimators(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "X, message",
    [
        ([[0.0, 1.0], [np.nan, 2.0], [1.0, 0.0]], "NaN"),
        ([[0.0, 1.0]], "minimum of 2 is required"),
    ],
    ids=["nan", "one-row"],
)
def test_bad_input_raises_value_error(estimator, X, message):
    with pytest.raises(ValueError, match=message):
        estimator.fit(X)


def test_tyler_shape_refuses_data_in_a_proper_subspace():
    # The function; the estimator fits inside the subspace, with a warning
    # (tests/test_degenerate_data.py).
    X = np.random.default_rng(0).standard_normal((50, 2)) @ [[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]]
    with pytest.raises(ValueError, match="proper subspace"):
        tyler_shape(X, X.mean(axis=0))


def test_tyler_shape_matches_statsmodels_r_reference_on_the_hbk_data():
    # Adapted from statsmodels 0.15, statsmodels/robust/tests/test_covariance.py::test_tyler
    # (BSD-3-Clause): Tyler's shape of the Hawkins-Bradu-Kass data about an OGK centre,
    # normalised to determinant 1, against the values R gives.
    results = pytest.importorskip("statsmodels.robust.tests").__path__[0] + "/results/hbk.csv"
    if not os.path.exists(results):
        pytest.skip("statsmodels' test data are not installed")
    X = np.loadtxt(results, delimiter=",", skiprows=1)
    r_reference = np.array([
        [1.277856643343122, 0.298374848328023, 0.732491311584908, 0.232045093295329],
        [0.298374848328023, 1.743589223324287, 1.220675037619406, 0.212549156887607],
        [0.732491311584907, 1.220675037619407, 2.417486791841682, 0.295767635758891],
        [0.232045093295329, 0.212549156887607, 0.295767635758891, 0.409157014373402],
    ])
    centre = np.array([1.5583333333333333, 1.8033333333333335, 1.6599999999999999,
                       -0.0866666666666667])
    shape, _ = tyler_shape(X, centre, tol=1e-14, max_iter=1000)
    np.testing.assert_allclose(shape / np.linalg.det(shape) ** 0.25, r_reference, rtol=1e-11)


# ---------------------------------------------------------------------------------------------
# Known answers on tiny data
# ---------------------------------------------------------------------------------------------


def test_kendall_tau_over_all_pairs_is_scipys_tau_b_ties_included():
    X = np.random.default_rng(0).integers(0, 4, size=(40, 3)).astype(float)
    tau = kendall_tau_matrix(X)
    for j in range(3):
        for k in range(3):
            assert tau[j, k] == pytest.approx(
                stats.kendalltau(X[:, j], X[:, k]).statistic, abs=1e-12
            )


def test_kendall_tau_from_sampled_pairs_is_within_a_few_standard_errors_of_all_pairs():
    # 200,000 random pairs add variance (1 − τ²)/200,000 ≤ 5e-6: 5 standard errors are 0.011.
    X = make_huber_contamination(3000, 4, 0.0, scatter=_toeplitz(4), random_state=0).X
    sampled = kendall_tau_matrix(X, max_pairs=200_000, random_state=0)
    assert np.abs(sampled - kendall_tau_matrix(X)).max() < 0.011


def test_spearman_rho_is_scipys():
    X = np.random.default_rng(1).integers(0, 5, size=(30, 3)).astype(float)
    np.testing.assert_allclose(spearman_rho_matrix(X), stats.spearmanr(X).statistic, atol=1e-12)


def test_a_constant_feature_has_zero_rank_correlation_and_unit_scale():
    X = np.column_stack([np.arange(10.0), np.ones(10), [0, 0, 0, 0, 0, 0, 1, 2, 3, 4.0]])
    np.testing.assert_array_equal(kendall_tau_matrix(X)[1], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(spearman_rho_matrix(X)[1], [0.0, 1.0, 0.0])
    # MAD 0 (more than half the values equal): the standard deviation; constant: 1.
    np.testing.assert_allclose(robust_scale(X), [mad(X[:, 0]), 1.0, np.std(X[:, 2])])
    with pytest.warns(DeprecationWarning, match="robust_scale"):
        np.testing.assert_array_equal(robust_scales(X), robust_scale(X))


def test_nearest_psd_clips_the_negative_eigenvalues():
    S = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])  # not PSD
    P = nearest_psd(S)
    values, vectors = np.linalg.eigh(S)
    np.testing.assert_allclose(P, (vectors * np.maximum(values, 0)) @ vectors.T, atol=1e-12)
    assert np.linalg.eigvalsh(P).min() > -1e-12


def test_rank_scatter_of_an_indefinite_correlation_is_positive_definite_with_the_given_scales():
    R = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    scales = np.array([1.0, 2.0, 3.0])
    S = rank_correlation_scatter(R, scales)
    np.testing.assert_allclose(np.diag(S), scales**2)
    assert np.linalg.eigvalsh(S).min() > 0


def test_tyler_shape_of_a_symmetric_cross_is_the_identity_and_a_fixed_point():
    X = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0], [0.0, 0.0]])
    shape, _ = tyler_shape(X, np.zeros(2))
    np.testing.assert_allclose(shape, np.eye(2), atol=1e-9)

    Y = make_huber_contamination(500, 3, 0.0, scatter=_toeplitz(3), random_state=0).X
    V, _ = tyler_shape(Y, np.zeros(3), tol=1e-12)
    d2 = np.einsum("ij,ij->i", Y, np.linalg.solve(V, Y.T).T)
    fixed = (Y.T / d2) @ Y
    np.testing.assert_allclose(3 * fixed / np.trace(fixed), V, atol=1e-9)
    assert np.trace(V) == pytest.approx(3.0)


def test_tyler_covariance_is_the_shape_scaled_by_the_median_distance_over_the_chi2_median():
    data = make_huber_contamination(1000, 3, 0.0, random_state=0)
    est = TylerScatter().fit(data.X)
    Z = data.X - est.location_
    d2 = np.einsum("ij,ij->i", Z, np.linalg.solve(est.shape_, Z.T).T)
    np.testing.assert_allclose(est.covariance_, est.shape_ * np.median(d2) / stats.chi2.median(3))
    np.testing.assert_allclose(est.location_, geometric_median(data.X)[0])
    coordinatewise = TylerScatter(location="coordinatewise_median").fit(data.X)
    np.testing.assert_array_equal(coordinatewise.location_, np.median(data.X, axis=0))


def test_spatial_sign_covariance_of_a_cross_and_its_rescaled_eigenvalues():
    X = np.array([[3.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -5.0], [0.0, 0.0]])
    np.testing.assert_allclose(spatial_sign_covariance(X, np.zeros(2)), np.eye(2) * 0.4)
    Y = np.random.default_rng(0).standard_normal((400, 2)) * [3.0, 1.0]
    S = sign_covariance_scatter(Y, np.zeros(2))
    _, vectors = np.linalg.eigh(spatial_sign_covariance(Y, np.zeros(2)))
    np.testing.assert_allclose(np.linalg.eigvalsh(S), np.sort(mad(Y @ vectors, axis=0) ** 2))


def test_spatial_sign_covariance_of_integer_rows_and_of_float32_rows():
    # Signs are computed over the centred rows in place: integers are centred into floats,
    # float32 rows stay float32, as the whole-array formula gave.
    X = np.array([[3, 0], [-1, 0], [0, 2], [0, -5], [0, 0]])
    np.testing.assert_allclose(spatial_sign_covariance(X, np.zeros(2, dtype=int)),
                               np.eye(2) * 0.4)
    single = spatial_sign_covariance(X.astype(np.float32), np.zeros(2, dtype=np.float32))
    assert single.dtype == np.float32


def test_every_estimator_carries_a_consistent_precision_and_mahalanobis_distance():
    data = make_huber_contamination(500, 3, 0.0, scatter=_toeplitz(3), random_state=0)
    for est in _small_estimators():
        est.fit(data.X)
        np.testing.assert_allclose(est.precision_ @ est.covariance_, np.eye(3), atol=1e-8)
        Z = data.X[:5] - est.location_
        np.testing.assert_allclose(
            est.mahalanobis(data.X[:5]), np.einsum("ij,jk,ik->i", Z, est.precision_, Z)
        )


# ---------------------------------------------------------------------------------------------
# Accuracy on samples from Huber's contamination model
# ---------------------------------------------------------------------------------------------


def _all_estimators():
    return [
        KendallTauScatter(random_state=0),
        SpearmanScatter(),
        TylerScatter(),
        SpatialSignCovariance(),
    ]


@pytest.mark.parametrize("estimator", _all_estimators(), ids=lambda e: type(e).__name__)
def test_without_contamination_every_estimator_recovers_a_toeplitz_scatter(estimator):
    # p = 10, n = 5,000: ‖Σ‖_op·√(p/n) ≈ 0.12; the sample covariance is at 0.08 at this seed,
    # the robust ones (MAD scales: 37% efficiency) within 2.5 times the rate.
    p = 10
    sigma = _toeplitz(p)
    data = make_huber_contamination(5000, p, 0.0, scatter=sigma, random_state=2)
    est = estimator.fit(data.X)
    assert _operator_norm(est.covariance_ - sigma) < 2.5 * _operator_norm(sigma) * math.sqrt(
        p / 5000
    )
    assert np.linalg.norm(est.location_) < 4 * math.sqrt(p * math.pi / 2 / 5000)


@pytest.mark.parametrize("estimator", _all_estimators(), ids=lambda e: type(e).__name__)
def test_under_contamination_every_estimator_stays_far_below_the_sample_covariance(estimator):
    # ε = 0.05, Q = N(5·1_p, I): the sample covariance moves by about ε·25·p ≈ 6.
    p = 5
    sigma = _toeplitz(p)
    data = make_huber_contamination(5000, p, 0.05, scatter=sigma, random_state=0)
    sample_error = _operator_norm(np.cov(data.X, rowvar=False) - sigma)
    assert sample_error > 5.0
    assert _operator_norm(estimator.fit(data.X).covariance_ - sigma) < 0.25 * sample_error


def test_tyler_shape_and_kendall_correlation_are_consistent_for_cauchy_inliers():
    # Both hold for every elliptical law: Tyler's shape is distribution-free over them and
    # Pearson's r = sin(π/2·τ) is Greiner's relation, with no moments needed.
    p = 5
    sigma = _toeplitz(p)
    data = make_huber_contamination(5000, p, 0.0, scatter=sigma, inliers="cauchy", random_state=0)
    shape = TylerScatter().fit(data.X).shape_
    assert _operator_norm(shape - p * sigma / np.trace(sigma)) < 0.15
    tau = KendallTauScatter(random_state=0).fit(data.X).correlation_
    assert _operator_norm(np.sin(math.pi / 2 * tau) - sigma) < 0.15


# ---------------------------------------------------------------------------------------------
# Laws: equivariance and invariance
# ---------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    p=st.integers(2, 4),
    log_scales=st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),
    shift=st.lists(st.floats(-100.0, 100.0), min_size=4, max_size=4),
)
def test_tyler_shape_is_affine_equivariant_up_to_scale(seed, p, log_scales, shift):
    rng = np.random.default_rng(seed)
    X = make_huber_contamination(200, p, 0.1, scatter=_toeplitz(p), random_state=rng).X
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    A = Q * np.exp(log_scales[:p])  # condition number at most e²
    b = np.array(shift[:p])
    location = np.median(X, axis=0)
    V, _ = tyler_shape(X, location, tol=1e-12)
    W, _ = tyler_shape(X @ A.T + b, A @ location + b, tol=1e-12)
    expected = A @ V @ A.T
    np.testing.assert_allclose(W, p * expected / np.trace(expected), atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), p=st.integers(1, 4))
def test_rank_correlations_do_not_change_under_increasing_maps_of_the_features(seed, p):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, p)).round(1)  # rounded, so that there are ties
    Y = np.column_stack([np.exp(X[:, 0]), X[:, 1:] ** 3 + 2 * X[:, 1:]])
    np.testing.assert_array_equal(kendall_tau_matrix(X), kendall_tau_matrix(Y))
    np.testing.assert_array_equal(spearman_rho_matrix(X), spearman_rho_matrix(Y))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), p=st.integers(2, 4))
def test_spatial_sign_covariance_is_orthogonally_equivariant(seed, p):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((100, p))
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    location = rng.standard_normal(p)
    np.testing.assert_allclose(
        spatial_sign_covariance(X @ Q.T, Q @ location),
        Q @ spatial_sign_covariance(X, location) @ Q.T,
        atol=1e-12,
    )
