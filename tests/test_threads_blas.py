"""``robustgan._threads.blas_threads_for``: a fit's NumPy and SciPy work on one BLAS thread
where its data have few features, the caller's setting restored."""

import contextlib
import threading

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import robustgan._threads as threads
import robustgan.estimators.scatter as scatter_module
from robustgan import RobustGANScatter, fit_many


def _blas_threads():
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    # The caller's setting the tests expect restored; the one-thread limit shows against it
    # (CI's machines have two cores).
    with threadpool_limits(limits=2, user_api="blas"):
        if not all(count == 2 for count in _blas_threads()):
            pytest.skip("BLAS runs on one thread here whatever is asked")
        yield


def test_nested_limits_restore_in_turn(two_blas_threads):
    # fit_many's members' fits: a fit's limit inside fit_many's.
    with threads.blas_threads_for(5):
        with threads.blas_threads_for(5):
            assert all(count == 1 for count in _blas_threads())
        assert all(count == 1 for count in _blas_threads())
    assert all(count == 2 for count in _blas_threads())


def test_a_fit_in_a_callers_own_thread_sets_no_limit(monkeypatch):
    # The limit is process-wide: a fit in one of a caller's threads that set and lifted it would
    # change it under the others (threadpoolctl 3.8 ignores it there anyway while another
    # thread holds one, so the call itself is what shows).
    calls = []

    def recording_limits(**kwargs):
        calls.append(threading.current_thread().name)
        return contextlib.nullcontext()

    monkeypatch.setattr(threads, "threadpool_limits", recording_limits)

    def fit_body():
        with threads.blas_threads_for(5):
            pass

    worker = threading.Thread(target=fit_body, name="callers-worker")
    worker.start()
    worker.join()
    assert calls == []
    fit_body()
    assert calls == [threading.main_thread().name]


@pytest.mark.parametrize(("n_features", "expected"),
                         [(1, 1), (threads.BLAS_THREADS_MIN_FEATURES - 1, 1),
                          (threads.BLAS_THREADS_MIN_FEATURES, 2), (None, 2)])
def test_blas_threads_follow_the_number_of_features(two_blas_threads, n_features, expected):
    with threads.blas_threads_for(n_features):
        assert all(count == expected for count in _blas_threads())
    assert all(count == 2 for count in _blas_threads())


def test_an_error_in_the_body_restores_the_setting(two_blas_threads):
    with pytest.raises(KeyError), threads.blas_threads_for(3):
        raise KeyError("inside")
    assert all(count == 2 for count in _blas_threads())


@pytest.mark.parametrize(("X", "expected"), [
    (np.zeros((4, 3)), 3),
    ([[1.0, 2.0], [3.0, 4.0]], 2),
    (pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}), 2),
    (np.zeros(5), None),          # 1-D: the fit's validation refuses it
    ([1.0, 2.0], None),
    ([], None),
    ("not data", None),
    (None, None),
])
def test_n_columns_reads_the_shape_before_validation(X, expected):
    assert threads.n_columns(X) == expected


def _recording(function, record):
    def recorded(*args, **kwargs):
        record.append(_blas_threads())
        return function(*args, **kwargs)
    return recorded


@pytest.mark.parametrize("n_features", [4, 12])
def test_a_fit_with_few_features_runs_its_start_on_one_blas_thread(two_blas_threads,
                                                                   monkeypatch, n_features):
    # Twelve features count as many here: the caller's threads are kept.
    monkeypatch.setattr(threads, "BLAS_THREADS_MIN_FEATURES", 10)
    record = []
    monkeypatch.setattr(scatter_module, "trimmed_scatter",
                        _recording(scatter_module.trimmed_scatter, record))
    X = np.random.default_rng(0).standard_normal((300, n_features))
    RobustGANScatter(random_state=0, n_steps=5).fit(X)
    expected = 1 if n_features < 10 else 2
    assert record and all(count == expected for count in record[0])
    assert all(count == 2 for count in _blas_threads())


def test_fit_many_reads_its_games_on_one_blas_thread(two_blas_threads, monkeypatch):
    # After the games, outside the pool that prepares the members: the reweighting steps.
    record = []
    monkeypatch.setattr(scatter_module, "reweighted_estimate",
                        _recording(scatter_module.reweighted_estimate, record))
    rng = np.random.default_rng(1)
    fit_many(RobustGANScatter(n_steps=5), [rng.standard_normal((200, 3)) for _ in range(3)],
             random_states=[0, 1, 2])
    assert len(record) == 3 and all(count == 1 for blas in record for count in blas)
    assert all(count == 2 for count in _blas_threads())
