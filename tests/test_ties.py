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

from robustgan import DegenerateDataWarning, RobustGANMean, RobustGANScatter
from robustgan._validation import warn_exact_fit
from robustgan.multivariate import (
    _first_least,
    _most_central,
    projection_share,
    trimmed_scatter,
)
from robustgan.outliers import _offset_for_fraction, tie_tolerance


def _table(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "counts, p = 1":
        return rng.poisson(11.0, (300, 1)).astype(float)
    if kind == "counts, p = 3":
        return rng.poisson([1.5, 4.0, 9.0], (120, 3)).astype(float)
    return np.clip(np.round(3 + 1.2 * rng.standard_normal((40, 4))), 1, 5)  # answers 1-5


# A scale of 1.79e-6 and shifts of hundreds leave the counts about 8 significant digits: ties
# come out some ulps apart, and distances 1e-8 apart.
_SCALE = 1.79e-6
_FACTORS, _SHIFTS = np.array([1.0, 3.1, 0.4, 1.0]), np.array([-627.0, 856.7, 12.5, -627.0])


# Each table is one that moved before the ties were read as ties: the location by 0.02-0.08 of
# a feature's standard deviation, and with it the labels of rows at the cut.
@pytest.mark.parametrize("kind, seed", [("counts, p = 1", 0), ("counts, p = 3", 3),
                                        ("answers", 3), ("answers", 4)])
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
    # What the units' rounding leaves: about 1e-8 of the spread.
    location = (fit_moved.location_ - shifts) / (_SCALE * factors)
    np.testing.assert_allclose(location, fit.location_, atol=1e-6 * X.std(axis=0).max())
    np.testing.assert_array_equal(fit_moved.predict(moved), fit.predict(X))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=5, max_size=40), st.integers(0, 2**32 - 1),
       st.data())
def test_the_most_central_rows_read_rounding_apart_as_a_tie(values, seed, data):
    values = np.asarray(values, dtype=np.float64) ** 2  # squared distances of counts: ties
    k = data.draw(st.integers(1, len(values)))
    rounded = values * (1 + 1e-12 * np.random.default_rng(seed).uniform(-1, 1, len(values)))
    tolerance = tie_tolerance(1e6)  # values 1e6 spreads from 0: 2.2e-8
    chosen = _most_central(values, k, tolerance, squared=True)
    assert len(chosen) == k == len(np.unique(chosen))
    np.testing.assert_array_equal(
        np.sort(_most_central(rounded, k, tolerance, squared=True)), np.sort(chosen))
    # The k smallest, the first tied ones in the rows' order.
    left_out = np.setdiff1d(np.arange(len(values)), chosen)
    if left_out.size:
        assert values[chosen].max() <= values[left_out].min()
        tied = np.flatnonzero(values == values[chosen].max())
        np.testing.assert_array_equal(np.intersect1d(tied, chosen),
                                      tied[:np.count_nonzero(np.isin(tied, chosen))])


def test_the_least_of_values_tied_to_rounding_is_the_first():
    tolerance = tie_tolerance(1e6)
    assert _first_least([0.5, 19 / 42 + 1e-12, 19 / 42, 0.9], tolerance) == 1
    assert _first_least([0.5, 19 / 42, 19 / 42 + 1e-12, 0.9], tolerance) == 1
    assert _first_least([0.3, 0.3 + 10 * tolerance], tolerance) == 0
    assert _first_least([0.3 + 10 * tolerance, 0.3], tolerance) == 1
    assert _first_least([np.inf, np.inf], tolerance) == 0


def test_distances_apart_by_more_than_the_datas_rounding_are_not_tied():
    # Two squared distances 7.8e-7 of themselves apart among 4,000 continuous rows (a
    # resampled statsmodels table): read as a tie by a fixed relative 1e-6, they swapped a row
    # in a concentration step and moved the fit. At the data's own rounding they are apart.
    values = np.array([30.0, 20.0 * (1 + 7.8e-7), 20.0, 10.0])
    tolerance = tie_tolerance(5.0)
    np.testing.assert_array_equal(np.sort(_most_central(values, 2, tolerance, squared=True)),
                                  [2, 3])
    # At a magnitude of 1e10 (2.2e-4 SD of rounding, 2e-3 in these squares) they tie.
    np.testing.assert_array_equal(
        np.sort(_most_central(values, 2, tie_tolerance(1e10), squared=True)), [1, 3])
    # Far rows: squared distances of 1e12, apart by 1e-6 of themselves, are not one run.
    far = 1e12 * (1 + 1e-6 * np.arange(4.0))
    assert len(_most_central(far, 2, tie_tolerance(5e8), squared=True)) == 2
    np.testing.assert_array_equal(np.sort(_most_central(far, 2, tie_tolerance(5e8),
                                                        squared=True)), [0, 1])
    np.testing.assert_array_equal(np.sort(_most_central(far[::-1], 2, tie_tolerance(5e8),
                                                        squared=True)), [2, 3])


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
    moved = trimmed_scatter(_SCALE * X - 627.0, 0.5, random_state=5)
    np.testing.assert_array_equal(moved[2], support)
    assert abs((moved[0][0] + 627.0) / _SCALE - location[0]) < 1e-6


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
