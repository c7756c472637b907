"""robustgan._columns: column statistics shared out over threads."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from robustgan import _columns
from robustgan._columns import column_medians


@pytest.fixture
def threaded(monkeypatch):
    """Every array is shared out, over three threads (one more than the CI machine's cores)."""
    monkeypatch.setattr(_columns, "_THREADED_ELEMENTS", 0)
    threads = torch.get_num_threads()
    torch.set_num_threads(3)
    yield
    torch.set_num_threads(threads)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 9)),
              elements=st.floats(-1e6, 1e6)))
def test_column_medians_are_numpy_s_to_the_bit(X):
    # Set up by hand: hypothesis runs many examples per call of a function-scoped fixture.
    threads = torch.get_num_threads()
    torch.set_num_threads(3)
    _columns._THREADED_ELEMENTS, saved = 0, _columns._THREADED_ELEMENTS
    try:
        np.testing.assert_array_equal(column_medians(X), np.median(X, axis=0))
    finally:
        _columns._THREADED_ELEMENTS = saved
        torch.set_num_threads(threads)


def test_a_large_array_is_split_into_one_block_per_thread(threaded, monkeypatch):
    blocks = []
    median = np.median

    def watched(X, axis=None):
        blocks.append(X.shape)
        return median(X, axis=axis)

    monkeypatch.setattr(_columns.np, "median", watched)
    X = np.random.default_rng(0).standard_normal((101, 7))
    result = column_medians(X)
    assert sorted(blocks) == [(101, 2), (101, 2), (101, 3)]
    monkeypatch.undo()
    np.testing.assert_array_equal(result, np.median(X, axis=0))


def test_one_thread_or_a_small_array_is_numpy_itself(monkeypatch):
    calls = []
    monkeypatch.setattr(_columns, "ThreadPoolExecutor",
                        lambda *a: calls.append(a) or pytest.fail("threads were started"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        column_medians(np.ones((1000, 300)))
    finally:
        torch.set_num_threads(threads)
    column_medians(np.ones((10, 3)))
    assert calls == []
