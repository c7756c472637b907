"""robustgan.univariate: the per-feature location and scale every estimator starts from."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from robustgan.univariate import reweighted_location_scale

RNG = np.random.default_rng(0)
SAMPLE = np.vstack([RNG.standard_normal((4000, 3)), 5 + RNG.standard_normal((1000, 3))])


def test_far_outliers_do_not_inflate_the_scale():
    location, scale = reweighted_location_scale(SAMPLE)
    mad = 1.4826 * np.median(np.abs(SAMPLE - np.median(SAMPLE, axis=0)), axis=0)
    # ε = 0.2 at +5: the MAD is inflated by about 40%; the reweighted scale by the sampling
    # error of 4,000 inliers (about 1/√8000) plus the tail of the outliers inside the cut.
    assert np.all(mad > 1.3)
    np.testing.assert_allclose(scale, 1.0, atol=0.04)
    np.testing.assert_allclose(location, 0.0, atol=0.06)


def test_clean_gaussian_is_estimated_consistently():
    X = np.random.default_rng(1).standard_normal((200_000, 2))
    location, scale = reweighted_location_scale(X)
    np.testing.assert_allclose(scale, 1.0, atol=0.01)
    np.testing.assert_allclose(location, 0.0, atol=0.01)


def test_constant_and_tied_features():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [3.0, 2.0]])
    location, scale = reweighted_location_scale(X)
    np.testing.assert_array_equal(location, [1.0, 2.0])
    # Three of four values tied: the MAD is 0 and the mean absolute deviation takes over.
    assert scale[0] > 0 and scale[1] == 0


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.floats(-200, 200), st.lists(st.floats(-3, 3), min_size=3, max_size=3),
       st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_equivariant_under_scaling_and_shift(log_a, log_d, b):
    a, D = 10.0**log_a, 10.0 ** np.asarray(log_d)
    b = np.asarray(b) * a * D
    location, scale = reweighted_location_scale(SAMPLE)
    moved_location, moved_scale = reweighted_location_scale(a * SAMPLE * D + b)
    np.testing.assert_allclose(moved_scale, a * scale * D, rtol=1e-10)
    np.testing.assert_allclose((moved_location - b) / (a * D), location, rtol=0, atol=1e-9)
