"""robustgan.univariate: the per-feature location and scale every estimator starts from."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import robustgan.univariate as univariate
from robustgan.univariate import column_median, discrete_features, reweighted_location_scale

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


def _dummy_with_values_beside_a_level(seed):
    """A 0/1 feature whose larger level holds 47% of the rows, and 10% of the rows beside
    level 0 (N(0.1, 0.25²)): the value at the median is not a level."""
    rng = np.random.default_rng(seed)
    dummy = (rng.random(1000) < 0.5).astype(float)
    dummy[:100] = 0.1 + 0.25 * rng.standard_normal(100)
    return dummy


@pytest.mark.parametrize("seed", range(3))
def test_a_dummy_keeps_both_levels_in_its_scale(seed):
    dummy = _dummy_with_values_beside_a_level(seed)
    assert 2 * max(np.count_nonzero(dummy == 0), np.count_nonzero(dummy == 1)) < len(dummy)
    location, scale = reweighted_location_scale(dummy[:, None])
    # From the MAD (0.15-0.25 here) the steps closed in on level 0: scale 1e-4.
    assert 0.8 * dummy.std() < scale[0] < 1.3 * dummy.std()
    assert abs(location[0] - dummy.mean()) < 0.1


def test_discrete_features_are_those_with_a_value_held_by_a_third_of_the_rows():
    rng = np.random.default_rng(0)
    n = 5000
    X = np.column_stack([
        rng.standard_normal(n),                       # continuous
        rng.random(n) < 0.3,                          # a dummy
        rng.poisson(0.5, n),                          # counts piled at 0
        np.round(rng.standard_normal(n), 3),          # recorded to 0.001 SD
        np.round(rng.standard_normal(n) / 0.5) * 0.5,  # recorded to 0.5 SD: 20% in one bin
        rng.integers(1, 8, n),                        # a 7-point scale, no common answer
        _dummy_with_values_beside_a_level(0).repeat(5),
    ]).astype(float)
    np.testing.assert_array_equal(discrete_features(X),
                                  [False, True, True, False, False, False, True])
    np.testing.assert_array_equal(discrete_features(X, [0, 2]),
                                  [False, False, True, False, False, False, False])
    assert not discrete_features(np.empty((0, 2))).any()


def test_a_continuous_feature_keeps_the_mad_start():
    # The start from the mean absolute deviation is for discrete features only: on continuous
    # data the result is the MAD start's, whatever the other features are.
    X = np.c_[SAMPLE, np.random.default_rng(2).random(len(SAMPLE)) < 0.4]
    location, scale = reweighted_location_scale(X)
    alone_location, alone_scale = reweighted_location_scale(SAMPLE)
    np.testing.assert_array_equal(location[:3], alone_location)
    np.testing.assert_array_equal(scale[:3], alone_scale)


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


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 6)),
              elements=st.one_of(st.sampled_from([0.0, -0.0, -1.5, 2.0, 1e300, -1e-300]),
                                 st.floats(-1e6, 1e6))),
       st.booleans(), st.booleans())
def test_column_median_is_numpys_to_the_bit(X, fortran, overwrite):
    X = np.asfortranarray(X) if fortran else X
    expected = np.median(X, axis=0)
    got = column_median(X.copy(order="K"), overwrite_input=overwrite)
    # The same bits, but for the sign of a zero median (documented): equal values, and equal
    # bits wherever the median is not zero.
    assert np.array_equal(got, expected)
    nonzero = expected != 0
    assert np.array_equal(got[nonzero].view(np.int64), expected[nonzero].view(np.int64))


def test_column_median_with_nan_and_integers_is_numpys():
    X = np.array([[np.nan, 1.0], [1.0, 2.0], [2.0, np.inf], [3.0, 4.0]])
    assert np.array_equal(column_median(X), np.median(X, axis=0), equal_nan=True)
    # The estimate refuses what column_median passes through (tests/test_statistics_input.py).
    with pytest.raises(ValueError, match="Input X contains NaN"):
        reweighted_location_scale(X[:, :1])
    counts = np.array([[100], [100], [7]], dtype=np.int8)  # no wrap-around in int8 sums
    assert column_median(counts)[0] == 100.0 and column_median(counts[:2])[0] == 100.0
    assert column_median(np.array([[2**62], [2**62 + 2]]))[0] == np.median([2**62, 2**62 + 2])


@pytest.mark.parametrize("seed", range(6))
def test_reweighting_steps_do_not_depend_on_the_block_of_columns(seed, monkeypatch):
    # Blocks of one column, of three, and all columns at once: the same values to the bit.
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((301, 7)) * np.exp(rng.normal(0, 3, 7))
    X[:60] += 5 * X.std(axis=0)
    X[:, 2] = np.round(X[:, 2])
    X[:, 5] = 1.0 if seed % 2 else X[:, 5]
    results = []
    for columns_per_block in (1, 3, 7):
        monkeypatch.setattr(univariate, "_BLOCK_VALUES", 301 * columns_per_block)
        results.append(reweighted_location_scale(X, return_median=True))
    for other in results[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(results[0], other))


@pytest.mark.parametrize("seed", range(4))
def test_two_threads_give_the_bits_of_one(seed, monkeypatch):
    # Half the features on the background thread (a CPU spare, work of 1e6 values or more):
    # each feature is read apart from the others, so the values are those of one thread.
    import robustgan._threads as threads

    rng = np.random.default_rng(seed)
    n, p = 40_000, 2 * seed + 27  # odd and even numbers of features
    X = rng.standard_normal((n, p)) * np.exp(rng.normal(0, 3, p))
    X[:8_000] += 5 * X.std(axis=0)
    X[:, 2] = rng.random(n) < 0.3
    X[:, 4] = 7.0
    X[:, 6] = np.round(X[:, 6])
    ran = []

    def recorded(function, *args, **options):
        pending = threads.beside(function, *args, **options)
        ran.append(not isinstance(pending, threads._Done))
        return pending

    monkeypatch.setattr(univariate, "beside", recorded)
    monkeypatch.setattr(threads, "_a_cpu_is_spare", lambda: True)
    two = reweighted_location_scale(X, return_median=True)
    assert ran and all(ran)  # the median pass and every step
    ran.clear()
    with threads.in_line():
        one = reweighted_location_scale(X, return_median=True)
    assert ran and not any(ran)
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
