"""The Tukey median does not depend on the features' units, and exists on any data.

Halfspace depth is affine invariant, so rescaling a feature (a change of units) must move the
Tukey median with it and leave its depth alone; and a point shared by half the rows is a
deepest point, which a location estimator returns rather than refuses.
"""

import numpy as np
import pytest

from robustgan import TukeyMedian
from robustgan.baselines.depth import halfspace_depth, tukey_median

# Powers of ten are not exact in binary: answers in other units agree up to rounding.
_RTOL = 1e-9


@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("units", [[1e-3, 1e3], [1e-5, 1e5], [1e-6, 1e6], [1e6, 1e-6]])
def test_exact_tukey_median_moves_with_the_units_and_keeps_its_depth(seed, units):
    # Seed 2 in [1e-6, 1e6] ran out of memory (956 GiB); seed 0 lost depth in 1e±3, 1e±5.
    Y = np.random.default_rng(seed).standard_normal((600, 2))
    D, b = np.array(units), np.array([3.0, -2.0]) * np.array(units)
    reference = TukeyMedian().fit(Y)
    rescaled = TukeyMedian().fit(Y * D + b)
    assert rescaled.depth_ == reference.depth_
    np.testing.assert_allclose((rescaled.location_ - b) / D, reference.location_, rtol=_RTOL,
                               atol=_RTOL)
    # The reported depth is the depth of the reported point, in the data's own units.
    assert rescaled.depth(rescaled.location_[None])[0] == rescaled.depth_


def test_exact_halfspace_depth_does_not_depend_on_the_units():
    X = np.random.default_rng(0).standard_normal((300, 2))
    Q = np.random.default_rng(1).standard_normal((50, 2)) * 0.5
    D = np.array([1e-6, 1e6])
    np.testing.assert_array_equal(halfspace_depth(Q * D, X * D), halfspace_depth(Q, X))


def test_approximate_tukey_median_is_the_same_in_any_units_and_inside_the_data():
    # Features 0 and 3 (in 1e-8) lay within the tolerance of the others' spread: the median
    # came out at 9.9 and -6.4 (outside the data) with a claimed depth of 0.48.
    units = np.array([1e-8, 1e8, 1.0, 1e-8, 1e8])
    Y = np.random.default_rng(0).standard_normal((600, 5))
    reference = TukeyMedian(random_state=0).fit(Y)
    rescaled = TukeyMedian(random_state=0).fit(Y * units)
    location = rescaled.location_ / units
    assert np.all((location >= Y.min(axis=0)) & (location <= Y.max(axis=0)))
    np.testing.assert_allclose(location, reference.location_, rtol=1e-10, atol=1e-10)
    assert rescaled.depth_ == reference.depth_
    # depth_ is the depth along directions_, which are directions in the data's units.
    assert rescaled.depth(rescaled.location_[None])[0] == pytest.approx(rescaled.depth_)
    back = rescaled.directions_ * units
    back /= np.linalg.norm(back, axis=1, keepdims=True)
    assert halfspace_depth(location[None], Y, directions=back)[0] == pytest.approx(
        rescaled.depth_)


def test_approximate_depth_along_an_axis_sees_a_feature_in_small_units():
    # Along the first axis the point lies beyond every row, so its depth is 0; one spread for
    # all features counted every row as on that boundary.
    X = np.random.default_rng(0).standard_normal((200, 3)) * [1e-8, 1e8, 1.0]
    outside = np.array([[X[:, 0].max() * 2.0, 0.0, 0.0]])
    assert halfspace_depth(outside, X, directions=np.eye(3))[0] == 0.0


@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_a_point_shared_by_more_than_half_the_rows_is_the_tukey_median(p):
    # Every closed halfspace containing that point holds its 306 rows, more than half, and any
    # other point is cut off from it by a halfspace holding the other 294 at most: it is the
    # unique deepest point. p > 2 raised "negative dimensions are not allowed".
    X = np.random.default_rng(0).standard_normal((600, p))
    X[:306] = X[0]
    est = TukeyMedian(random_state=0).fit(X)
    np.testing.assert_array_equal(est.location_, X[0])
    assert est.depth_ >= 306 / 600
    assert est.depth(X[:1])[0] == pytest.approx(est.depth_)


def test_a_point_shared_by_exactly_half_the_rows_has_depth_one_half():
    X = np.random.default_rng(1).standard_normal((600, 3))
    X[:300] = X[0]
    median, depth, _, _ = tukey_median(X, random_state=0)
    assert depth >= 0.5
    assert halfspace_depth(median[None], X, directions=np.eye(3))[0] >= 0.5


@pytest.mark.parametrize("far", [1e12, 1e15])
def test_approximate_tukey_median_resists_outliers_at_any_distance(far):
    # One spread for all features came from the outliers: the bulk fell within the tolerance,
    # the start looked deeper than any level, and the fit raised.
    X = np.random.default_rng(0).standard_normal((600, 5))
    X[:60] = far
    est = TukeyMedian(random_state=0).fit(X)
    assert np.linalg.norm(est.location_) < 0.5
    assert est.depth_ < 0.5


def test_exact_tukey_median_with_far_outliers_is_not_taken_for_collinear():
    # With the bulk at 1e-15 of the outliers' distance, every row passed the collinearity test
    # and the depth came out as 1/2: the median on a line through the outliers.
    X = np.random.default_rng(0).standard_normal((600, 2))
    X[:60] = 1e15
    est = TukeyMedian().fit(X)
    assert est.depth_ < 0.5
    assert est.depth(est.location_[None])[0] == est.depth_
    assert np.linalg.norm(est.location_) < 0.5
