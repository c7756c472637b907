"""How many copies of its data the robust start and a fit hold at their peak, and the blocked
kernels that keep it low giving the values of the whole-array ones to the bit.

The peaks are NumPy's allocations as ``tracemalloc`` counts them, which do not depend on the
machine's load (``benchmarks/bench_memory.py`` measures resident memory too). Before the
blocked kernels, ``trimmed_scatter`` on data whose candidates use every row (n ≤ 50·p) peaked
at 7.1-7.2 times the data (the ranks of the Spearman start: five arrays of the data's size),
a RobustGANScatter fit at 20,000 × 100 at 4.2 times.
"""

import tracemalloc

import numpy as np
import pytest
from scipy import stats

from robustgan import RobustGANScatter
from robustgan import multivariate
from robustgan.multivariate import spatial_sign_covariance, spearman_rho_matrix, trimmed_scatter


def _peak_over_data(function, X):
    """NumPy's peak allocation during ``function(X)``, in units of X's size."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        function(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / X.nbytes


def _far_design(n, p, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, p))
    X[: n // 5] += 5.0
    return X


@pytest.mark.parametrize("block_values", [1, 7 * 40, 10**9])
def test_column_ranks_in_blocks_are_scipys_average_ranks(monkeypatch, block_values):
    # Blocks of one column, of 7 (the last one short) and all of them: the same ranks, ties
    # (a rounded column) included.
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_normal((40, 8)), np.round(rng.standard_normal(40)),
                         np.repeat(np.arange(4.0), 10)])
    monkeypatch.setattr(multivariate, "_RANK_BLOCK_VALUES", block_values)
    ranks = multivariate._column_ranks(X)
    np.testing.assert_array_equal(ranks, stats.rankdata(X, axis=0))
    assert ranks.flags.f_contiguous  # the layout whose products spearman_rho_matrix rounds


def test_spatial_sign_covariance_in_blocks_is_the_whole_arrays_to_the_bit():
    # More rows than a block (2,048), one of them at the location (its sign is 0).
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5_000, 3))
    location = X[17].copy()
    Z = X - location
    norms = np.linalg.norm(Z, axis=1)
    U = Z / np.where(norms > 0, norms, 1.0)[:, None]
    np.testing.assert_array_equal(spatial_sign_covariance(X, location), U.T @ U / len(X))


def test_the_spearman_start_holds_its_ranks_and_a_block(monkeypatch):
    # Blocks of 50,000 values (12 columns here), so that small data show what large data do
    # with the default block of 1,000,000.
    monkeypatch.setattr(multivariate, "_RANK_BLOCK_VALUES", 50_000)
    X = _far_design(4_000, 300)
    assert _peak_over_data(spearman_rho_matrix, X) < 1.6  # 5.1 with the whole-array ranks


def test_the_robust_start_holds_about_three_copies_of_its_data(monkeypatch):
    # n ≤ 50·p: the candidates are computed on every row.
    monkeypatch.setattr(multivariate, "_RANK_BLOCK_VALUES", 50_000)
    X = _far_design(4_000, 300)
    ratio = _peak_over_data(lambda data: trimmed_scatter(data, random_state=0), X)
    assert ratio < 3.6  # 7.2 before the blocked ranks and with the unordered copy kept


def test_a_scatter_fit_holds_under_three_copies_of_its_data():
    X = _far_design(20_000, 100)
    ratio = _peak_over_data(lambda data: RobustGANScatter(random_state=0).fit(data), X)
    assert ratio < 3.0  # 4.2 before
