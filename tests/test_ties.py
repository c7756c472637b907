"""Counts, scores and rounded values tie exactly, and the data's units round the ties apart.

Every decision the fits take on sorted or binned distances reads values tied to rounding as
tied: the same rows, the same candidate and the same labels in X and in a·X·D + b, whatever the
rows' order.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from robustgan import DegenerateDataWarning, RobustGANMean, RobustGANScatter
from robustgan._validation import warn_exact_fit
from robustgan.multivariate import (
    _first_least,
    _most_central,
    data_directions,
    projection_share,
    trimmed_scatter,
)
from robustgan.outliers import TIE_TOLERANCE, _offset_for_fraction
from robustgan.univariate import reweighted_location_scale


def _table(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "counts, p = 1":
        return rng.poisson(11.0, (300, 1)).astype(float)
    if kind == "counts, p = 3":
        return rng.poisson([1.5, 4.0, 9.0], (120, 3)).astype(float)
    return np.clip(np.round(3 + 1.2 * rng.standard_normal((40, 4))), 1, 5)  # answers 1-5


# Units of 1.79e-3 and shifts of hundreds of spreads: ties come out some ulps apart.
_SCALE = 1.79e-3
_FACTORS, _SHIFTS = np.array([1.0, 3.1, 0.4, 1.0]), np.array([-6.27, 8.567, 0.125, -6.27])


# Each table is one that moved before the ties were read as ties: the location by 0.02-0.08 of
# a feature's standard deviation, and with it the labels of rows at the cut.
@pytest.mark.parametrize("kind, seed", [("counts, p = 3", 3), ("answers", 3)])
@pytest.mark.parametrize("estimator", [RobustGANMean, RobustGANScatter])
def test_fits_to_tied_values_do_not_depend_on_the_units(kind, seed, estimator):
    X = _table(kind, seed)
    p = X.shape[1]
    factors, shifts = _FACTORS[:p], _SHIFTS[:p]
    moved = _SCALE * X * factors + shifts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # tied answer columns
        fit = estimator(random_state=0).fit(X)
        fit_moved = estimator(random_state=0).fit(moved)
    # What the units' rounding leaves: about 1e-12 of the spread.
    location = (fit_moved.location_ - shifts) / (_SCALE * factors)
    np.testing.assert_allclose(location, fit.location_, atol=1e-9 * X.std(axis=0).max())
    np.testing.assert_array_equal(fit_moved.predict(moved), fit.predict(X))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=5, max_size=40), st.integers(0, 2**32 - 1),
       st.data())
def test_the_most_central_rows_read_rounding_apart_as_a_tie(values, seed, data):
    values = np.asarray(values, dtype=np.float64) ** 2  # squared distances of counts: ties
    k = data.draw(st.integers(1, len(values)))
    rounded = values * (1 + 1e-12 * np.random.default_rng(seed).uniform(-1, 1, len(values)))
    chosen = _most_central(values, k, squared=True)
    assert len(chosen) == k == len(np.unique(chosen))
    np.testing.assert_array_equal(
        np.sort(_most_central(rounded, k, squared=True)), np.sort(chosen))
    # The k smallest, the first tied ones in the rows' order.
    left_out = np.setdiff1d(np.arange(len(values)), chosen)
    if left_out.size:
        assert values[chosen].max() <= values[left_out].min()
        tied = np.flatnonzero(values == values[chosen].max())
        np.testing.assert_array_equal(np.intersect1d(tied, chosen),
                                      tied[:np.count_nonzero(np.isin(tied, chosen))])


def test_the_least_of_values_tied_to_rounding_is_the_first():
    assert _first_least([0.5, 19 / 42 + 1e-12, 19 / 42, 0.9]) == 1
    assert _first_least([0.5, 19 / 42, 19 / 42 + 1e-12, 0.9]) == 1
    assert _first_least([0.3, 0.3 + 10 * TIE_TOLERANCE]) == 0
    assert _first_least([0.3 + 10 * TIE_TOLERANCE, 0.3]) == 1
    assert _first_least([np.inf, np.inf]) == 0
    assert _first_least([np.nan, 0.4, 0.3]) == 2


def test_distances_apart_by_more_than_rounding_are_not_tied():
    # Two squared distances 7.8e-7 of themselves apart among 4,000 continuous rows (a
    # resampled statsmodels table): read as a tie by a relative 1e-6, they swapped a row in a
    # concentration step and moved the fit.
    values = np.array([30.0, 20.0 * (1 + 7.8e-7), 20.0, 10.0])
    np.testing.assert_array_equal(np.sort(_most_central(values, 2, squared=True)), [2, 3])
    np.testing.assert_array_equal(
        np.sort(_most_central(values * (1 + 1e-13), 2, squared=True)), [2, 3])
    # Two Kolmogorov distances 1.3e-5 apart (which a tolerance at the rounding of data 2e9
    # spreads from 0 read as tied).
    assert _first_least([0.2094624, 0.2094493, 0.21]) == 1
    # Far rows: squared distances of 1e12, apart by 1e-6 of themselves, are not one run.
    far = 1e12 * (1 + 1e-6 * np.arange(4.0))
    np.testing.assert_array_equal(np.sort(_most_central(far, 2, squared=True)), [0, 1])
    np.testing.assert_array_equal(np.sort(_most_central(far[::-1], 2, squared=True)), [2, 3])


def test_a_row_on_a_bins_edge_counts_half_in_each_bin():
    # Two bins of N(0, 1) along e1: the edge is 0, and the row at 0 is on it.
    X = np.array([[-2.0], [-1.0], [0.0], [1.0]])
    share = projection_share(X, np.zeros(1), np.eye(1), np.eye(1), bins=2)
    # Bins of 2.5 and 1.5 rows: the smaller over n/bins = 2.
    assert share == pytest.approx(0.75)
    for shifted in (1e-13, -1e-13):
        moved = X.copy()
        moved[2] = shifted
        assert projection_share(moved, np.zeros(1), np.eye(1), np.eye(1), bins=2) == share
    # A row clearly off the edge is counted in its own bin: 3 and 1 rows.
    moved = X.copy()
    moved[2] = -1e-3
    assert projection_share(moved, np.zeros(1), np.eye(1), np.eye(1), bins=2) == 0.5


@pytest.mark.parametrize("apart", [0.0, 1e-15])
def test_a_run_of_scores_tied_to_rounding_is_flagged_whole_or_not_at_all(apart):
    # 23 scores, the lowest six a run tied at -30 (some ulps apart, or not exactly).
    scores = np.concatenate([np.full(6, -30.0), -np.arange(1.0, 18.0)])
    scores[:6] *= 1 + apart * np.arange(6)
    # A fraction of 0.1 is 2.3 rows: none of the run is nearer than all six, and every tied
    # row is an inlier.
    offset = _offset_for_fraction(scores, 0.1)
    assert np.all(scores >= offset)
    # At 0.25 (5.75 rows) the run is flagged whole, and no other row.
    offset = _offset_for_fraction(scores, 0.25)
    np.testing.assert_array_equal(scores < offset, np.arange(23) < 6)


def test_the_start_on_tied_counts_keeps_the_same_rows_in_any_units():
    X = _table("counts, p = 1", 0)
    location, scatter, support = trimmed_scatter(X, 0.5, random_state=5)
    moved = trimmed_scatter(_SCALE * X - 6.27, 0.5, random_state=5)
    np.testing.assert_array_equal(moved[2], support)
    assert abs((moved[0][0] + 6.27) / _SCALE - location[0]) < 1e-9


def test_the_widening_is_not_read_where_the_scatters_cannot_resolve_a_direction():
    # Two features whose values differ in their last bits only (rows scaled by 1e-6 and
    # shifted by hundreds): the generalised eigenvalue there is 0, whose log warned
    # "divide by zero" (a RuntimeWarning, an error here) inside RobustGANMean's fit.
    spread = np.array([3.7e-5, 1.2e-4, 1.2e-2, 2.5e-8, 3.6e-8, 715.0])
    factors = np.array([0.24, 0.97, 2.73, 2.64, 0.22, 0.24])
    shifts = np.array([-42.0, -651.1, -841.4, 684.2, 171.0, -57.5])
    X = 1e-6 * np.random.default_rng(2).standard_normal((30, 6)) * spread * factors + shifts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fit = RobustGANMean(random_state=1).fit(X)
    assert np.all(np.isfinite(fit.location_))


def _on_a_line(seed, n=80, share=0.7):
    """Two features rounded to 0.1, ``share`` of the rows on x0 + x1 = 0."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, 1)) * [1.0, -1.0], 1)
    off = rng.random(n) > share
    X[off, 1] += np.round(rng.uniform(0.3, 2.0, off.sum()) * rng.choice([-1, 1], off.sum()), 1)
    return X, off


@pytest.mark.parametrize("estimator", [RobustGANMean, RobustGANScatter])
def test_most_rows_exactly_on_a_hyperplane_are_named(estimator):
    X, off = _on_a_line(0)
    with pytest.warns(DegenerateDataWarning, match=(
            rf"{np.count_nonzero(~off)} of the 80 rows .* lie exactly on the hyperplane "
            r"x0 \+ x1 = 0.*MCD's exact fit")):
        estimator(random_state=0).fit(X)


def test_no_hyperplane_is_named_for_continuous_or_tied_column_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)) @ np.array([[1.0, 0.9, 0.0], [0.0, 0.4, 0.5], [0, 0, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        warn_exact_fit(X, X.mean(axis=0), np.cov(X, rowvar=False))
        RobustGANScatter(random_state=0).fit(X)
        # A start singular along one feature is check_degenerate's to name (a tied column).
        scatter = np.cov(X, rowvar=False)
        scatter[0, :] = scatter[:, 0] = 0.0
        scatter[0, 0] = 1e-12 * scatter[1, 1]
        warn_exact_fit(X, X.mean(axis=0), scatter)
    # Rows all on the hyperplane are a proper subspace, which check_degenerate names.
    Y = np.column_stack([X[:, 0], -X[:, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        warn_exact_fit(Y, Y.mean(axis=0), np.cov(Y, rowvar=False))


def _digits():
    """scikit-learn's digits without its constant pixels: 1,797 rows of 61 counts 0-16, most
    pixels blank on half the rows or more."""
    X = load_digits().data
    return X[:, X.std(axis=0) > 0]


def test_per_feature_scales_of_tied_columns_do_not_depend_on_the_rows_order():
    # A pixel blank on 1,037 rows: its kept values all tie at 0 after some steps, and their
    # variance was 0 in one order and the sums' rounding in another, which shrank the scale
    # from 0.29 to 3.9e-25.
    X = _digits()
    perm = np.random.default_rng(1).permutation(len(X))
    location, scale = reweighted_location_scale(X)
    moved_location, moved_scale = reweighted_location_scale(X[perm])
    np.testing.assert_allclose(moved_location, location, rtol=0, atol=1e-12)
    np.testing.assert_allclose(moved_scale, scale, rtol=1e-12)


def test_the_start_on_digits_does_not_depend_on_the_rows_order_or_units():
    # Besides the scales: a candidate's eigenvalues tied at its floor, or of no spread at all,
    # gave eigenvectors that rounding picked, and the candidates' Kolmogorov distances moved
    # by 0.01 with the rows' order (the start by 0.03 of a pixel's standard deviation).
    X = _digits()
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(X))
    factors = np.exp(rng.uniform(-1, 1, X.shape[1]))
    shifts = rng.uniform(-100, 100, X.shape[1]) * X.std(axis=0)
    fraction = (len(X) + X.shape[1] + 1) / (2 * len(X))
    location = trimmed_scatter(X, fraction, random_state=5)[0]
    permuted = trimmed_scatter(X[perm], fraction, random_state=5)[0]
    moved = trimmed_scatter(1e-3 * X * factors + shifts, fraction, random_state=5)[0]
    np.testing.assert_allclose(permuted, location, rtol=0, atol=1e-12)
    np.testing.assert_allclose((moved - shifts) / (1e-3 * factors), location, rtol=0,
                               atol=1e-8 * X.std(axis=0).max())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)  # blank pixels
        fit = RobustGANMean(random_state=0).fit(X)
        fit_permuted = RobustGANMean(random_state=0).fit(X[perm])
    np.testing.assert_allclose(fit_permuted.location_, fit.location_, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fit_permuted.predict(X[perm]), fit.predict(X)[perm])


def test_a_row_at_the_centre_to_rounding_gives_no_direction():
    X = np.array([[1.0, 2.0], [0.1 + 0.2, 0.0], [-1.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    # Row 1 is 0.3 to rounding (0.30000000000000004): at the centre (0.3, 0), it is no
    # direction, as it would not be in exact arithmetic.
    directions = data_directions(X, np.array([0.3, 0.0]), 5, np.random.default_rng(0))
    assert directions.shape == (2, 4)
    np.testing.assert_allclose(np.linalg.norm(directions, axis=0), 1.0)
    # No rows drawn, no directions (and no warning from an empty median).
    assert data_directions(X, np.zeros(2), 0, np.random.default_rng(0)).shape == (2, 0)
