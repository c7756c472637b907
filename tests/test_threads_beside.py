"""``robustgan._threads.beside``: work run on a background thread beside a game."""

import multiprocessing
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import robustgan._threads as threads
import robustgan.engine as engine
import robustgan.estimators.mean as mean_module
from robustgan import RobustGANMean
from robustgan.engine import TrainingDivergedError


def _where_and_blas_threads(value):
    blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return value, threading.current_thread().name, blas


@pytest.fixture
def two_cpus(monkeypatch):
    # An idle second CPU, whatever the machine running the tests has and does.
    monkeypatch.setattr(threads, "_spare_cpus", lambda: 1.0)


def test_small_work_runs_in_the_callers_thread(two_cpus):
    value, thread, _ = threads.beside(_where_and_blas_threads, 7, work=10).result()
    assert value == 7 and thread == threading.current_thread().name


def test_large_work_runs_beside_on_one_blas_thread_and_restores_it(two_cpus):
    # The limit shows where BLAS runs several threads, as by default on CI's two cores (with
    # OMP_NUM_THREADS=1 it is 1 before and after anyway).
    before = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    value, thread, blas = threads.beside(_where_and_blas_threads, 7,
                                         work=threads.BESIDE_MIN_WORK).result()
    assert value == 7 and thread.startswith("robustgan-beside")
    assert all(count == 1 for count in blas)
    after = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    assert after == before


@pytest.mark.parametrize("spare", [0.0, 0.4])
def test_without_a_spare_cpu_work_runs_in_the_callers_thread(monkeypatch, spare):
    monkeypatch.setattr(threads, "_spare_cpus", lambda: spare)
    _, thread, _ = threads.beside(_where_and_blas_threads, 0, work=10**12).result()
    assert thread == threading.current_thread().name


def test_spare_cpus_are_the_usable_ones_less_the_load(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (2.5, 0.0, 0.0), raising=False)
    assert threads._spare_cpus() == 1.5


def _fail():
    raise ArithmeticError("from the background")


def test_the_works_error_is_raised_by_result(two_cpus):
    pending = threads.beside(_fail, work=10**12)
    with pytest.raises(ArithmeticError, match="from the background"):
        pending.result()


def _in_child(connection):
    connection.send(threads.beside(_where_and_blas_threads, 3, work=10**12).result()[:2])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="no fork on this platform")
def test_a_forked_child_gets_its_own_background_thread(two_cpus):
    threads.beside(_where_and_blas_threads, 1, work=10**12).result()  # the parent's is running
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=_in_child, args=(child,))
    process.start()
    try:
        # Without the at-fork reset the child's work would wait for a thread it does not have.
        assert parent.poll(60), "the child's background work never ran"
        value, thread = parent.recv()
        assert value == 3 and thread.startswith("robustgan-beside")
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()


def _contaminated(seed=0, n=400, p=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[: n // 5] += 5.0
    return X


def test_the_start_beside_the_game_is_the_start_before_it(two_cpus, monkeypatch):
    X = _contaminated()
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    beside = RobustGANMean(random_state=3).fit(X)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 10**18)
    inline = RobustGANMean(random_state=3).fit(X)
    for name in ("location_", "trimmed_location_", "trimmed_scatter_", "game_location_"):
        assert np.array_equal(getattr(beside, name), getattr(inline, name)), name
    assert beside.selected_ == inline.selected_


def test_a_failed_game_waits_for_its_start_and_reports_the_games_error(two_cpus, monkeypatch):
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    game_failed, finished = threading.Event(), []
    corrected_start = mean_module._corrected_start
    failure_message = engine._failure_message

    def failing(*args):
        game_failed.set()
        return failure_message(*args)

    def start_outliving_the_game(*args):
        # Still running when the game fails, and for a while after.
        game_failed.wait(60)
        time.sleep(0.5)
        finished.append(corrected_start(*args))
        raise ArithmeticError("the start's error, not the one to report")

    monkeypatch.setattr(engine, "_failure_message", failing)
    monkeypatch.setattr(mean_module, "_corrected_start", start_outliving_the_game)
    with pytest.raises(TrainingDivergedError) as raised:
        RobustGANMean(lr_d=1e6, n_steps=60, random_state=0).fit(_contaminated())
        # Checked with the error (and its traceback, which holds the games) still alive.
    assert finished, "the fit raised while its start was computing"
    del raised


def test_a_failed_start_fails_the_fit(two_cpus, monkeypatch):
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    monkeypatch.setattr(mean_module, "_corrected_start", lambda *args: _fail())
    with pytest.raises(ArithmeticError, match="from the background"):
        RobustGANMean(n_steps=60, random_state=0).fit(_contaminated())


def test_a_call_from_another_thread_runs_in_that_thread(two_cpus):
    # e.g. fit_many's preparation pool, which limits BLAS itself: no second limit interleaved.
    found = []
    worker = threading.Thread(target=lambda: found.append(
        threads.beside(_where_and_blas_threads, 5, work=10**12).result()), name="callers-own")
    worker.start()
    worker.join(60)
    assert found and found[0][:2] == (5, "callers-own")
