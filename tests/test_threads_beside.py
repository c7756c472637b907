"""``robustgan._threads.beside``: work run on a background thread beside a game."""

import concurrent.futures
import contextlib
import math
import multiprocessing
import sys
import threading
import time
import types

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import robustgan._threads as threads
import robustgan.engine as engine
import robustgan.estimators.mean as mean_module
import robustgan.multivariate as multivariate
from robustgan import RobustGANMean, RobustGANScatter
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


@pytest.mark.parametrize(("spare", "work"), [(0.0, 10**12), (1.0, 10)])
def test_work_run_in_line_by_the_main_thread_runs_on_one_blas_thread_too(monkeypatch, spare,
                                                                         work):
    # Two BLAS threads round products differently in the last bits: a value that depended on
    # where it ran would depend on the machine's load.
    monkeypatch.setattr(threads, "_spare_cpus", lambda: spare)
    with threadpool_limits(limits=2, user_api="blas"):
        _, thread, blas = threads.beside(_where_and_blas_threads, 0, work=work).result()
        after = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    assert thread == threading.current_thread().name
    assert blas and all(count == 1 for count in blas)
    assert all(count == 2 for count in after)


def test_spare_cpus_are_the_usable_ones_less_the_load(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (2.5, 0.0, 0.0), raising=False)
    for own in (0.0, 0.5, 1.0):  # the caller's thread, which the load counts
        monkeypatch.setattr(threads, "_own_load", lambda own=own: own)
        assert threads._spare_cpus() == 1.5
    # This process's use beyond one CPU is its other threads, not another process's load: a
    # loop of fits on two threads raises the load average that the next fit reads.
    monkeypatch.setattr(threads, "_own_load", lambda: 1.75)
    assert threads._spare_cpus() == 2.25


def test_own_load_follows_this_processs_cpu_use(monkeypatch):
    clock = {"wall": 1000.0, "cpu": 50.0}
    # The module's clocks only: the time module itself is left to the other threads.
    monkeypatch.setattr(threads, "time", types.SimpleNamespace(
        monotonic=lambda: clock["wall"], process_time=lambda: clock["cpu"]))
    monkeypatch.setattr(threads, "_own_use", [1000.0, 50.0, 0.0])
    # Two busy threads for a minute: the average rises to 2·(1 − 1/e), as the kernel's would.
    clock["wall"], clock["cpu"] = 1060.0, 170.0
    assert threads._own_load() == pytest.approx(2.0 * (1.0 - math.exp(-1.0)))
    # Idle for five minutes: it decays towards 0.
    clock["wall"] = 1360.0
    assert threads._own_load() < 0.01
    # Read twice at the same instant: unchanged.
    assert threads._own_load() == threads._own_load()


def _fail():
    raise ArithmeticError("from the background")


def test_the_works_error_is_raised_by_result(two_cpus):
    pending = threads.beside(_fail, work=10**12)
    with pytest.raises(ArithmeticError, match="from the background"):
        pending.result()


def test_shared_calls_run_here_in_order_outside_background_work():
    seen = []

    def call(item):
        seen.append((item, threading.current_thread().name))
        if item == 2:
            raise ValueError("two")
        return 10 * item

    calls = threads.shared(call, [0, 1, 2, 3])
    assert seen == [(item, threading.current_thread().name) for item in range(4)]
    assert [calls[index].result() for index in (0, 1, 3)] == [0, 10, 30]
    # Raised where its value is read, as where the calls were made one by one as needed.
    with pytest.raises(ValueError, match="two"):
        calls[2].result()


def _help_until_done(pending, timeout=60):
    """The main thread's side of ``shared``: help until the background work has ended."""
    deadline = time.monotonic() + timeout
    while not pending.done():
        assert time.monotonic() < deadline, "the background work never ended"
        threads.help_beside()
        time.sleep(0.001)
    return pending.result()


def _offered_to_the_main_thread(item):
    # The first call waits until the main thread has run one of the others: a call offered is
    # taken, and runs under the background's limit of one BLAS thread.
    taken = _offered_to_the_main_thread.taken
    if item == 0:
        assert taken.wait(30), "the main thread took none of the calls"
    on_main = threading.current_thread() is threading.main_thread()
    blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    if on_main:
        taken.set()
    if item == 3:
        raise ArithmeticError("three")
    return item * item, on_main, blas


def _share_four():
    calls = threads.shared(_offered_to_the_main_thread, range(4))
    return [call.result() for call in calls[:3]], calls[3]


def test_background_work_shares_its_calls_with_the_helping_main_thread(two_cpus):
    _offered_to_the_main_thread.taken = threading.Event()
    values, failed = _help_until_done(threads.beside(_share_four, work=10**12))
    assert [value for value, _, _ in values] == [0, 1, 4]
    assert not values[0][1] and any(on_main for _, on_main, _ in values[1:])
    assert all(count == 1 for _, _, blas in values for count in blas)
    with pytest.raises(ArithmeticError, match="three"):
        failed.result()
    assert not threads._offered  # nothing left offered
    threads.help_beside()  # returns at once where nothing is offered


def _where_run(item):
    if item == 0:
        time.sleep(0.3)  # the others are taken meanwhile
    blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return item, threading.current_thread().name, blas


@pytest.mark.parametrize("features", [10, threads.BLAS_THREADS_MIN_FEATURES])
def test_the_main_thread_offers_large_work_to_the_background_under_one_blas_thread(
        two_cpus, features):
    # Under a fit's one-thread limit (fewer than 450 features) the background thread takes
    # calls, under the same limit; where the fit keeps the caller's BLAS threads, a call run
    # there would round otherwise, and none is offered.
    before = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    with threads.blas_threads_for(features):
        calls = threads.shared(_where_run, range(3), work=threads.BESIDE_MIN_WORK)
    # The background's limit ended inside the fit's: the caller's setting is back.
    assert [info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas"] == before
    values = [call.result() for call in calls]
    assert [item for item, _, _ in values] == [0, 1, 2]
    here = threading.current_thread().name
    elsewhere = [name for _, name, _ in values if name != here]
    if features < threads.BLAS_THREADS_MIN_FEATURES:
        assert values[0][1] == here and elsewhere
        assert all(name.startswith("robustgan-beside") for name in elsewhere)
        assert all(count == 1 for _, _, blas in values for count in blas)
    else:
        assert not elsewhere
    assert not threads._offered_to_background


def _divide_by_zero(item):
    if item == 0:
        time.sleep(0.3)  # the others are taken meanwhile
    return threading.current_thread().name, np.ones(1) / np.zeros(1)


def test_a_call_run_elsewhere_keeps_the_callers_floating_point_error_handling(two_cpus):
    # np.errstate is per thread: a call the background runs must still raise where the
    # caller asked for it.
    with threads.blas_threads_for(10), np.errstate(divide="raise"):
        calls = threads.shared(_divide_by_zero, range(3), work=threads.BESIDE_MIN_WORK)
    for call in calls:
        with pytest.raises(FloatingPointError):
            call.result()


@pytest.mark.parametrize("case", ["small", "in line", "no spare cpu"])
def test_the_main_thread_keeps_small_work_in_line_work_and_work_on_a_busy_machine(
        monkeypatch, case):
    monkeypatch.setattr(threads, "_spare_cpus", lambda: 0.0 if case == "no spare cpu" else 1.0)
    work = 10 if case == "small" else threads.BESIDE_MIN_WORK
    with threads.blas_threads_for(10), (threads.in_line() if case == "in line"
                                        else contextlib.nullcontext()):
        values = [call.result() for call in threads.shared(_where_run, range(3), work=work)]
    assert {name for _, name, _ in values} == {threading.current_thread().name}


def _beside_again(item):
    # Work put beside from a call the main thread runs would wait for the background thread,
    # which waits for this call.
    if item == 0:
        time.sleep(0.3)  # the other is taken meanwhile
        return 0
    return threads.beside(sum, [item, 1], work=10**12).result()


def test_work_put_beside_by_a_call_the_main_thread_runs_runs_in_line(two_cpus):
    pending = threads.beside(
        lambda: [call.result() for call in threads.shared(_beside_again, range(2))],
        work=10**12)
    assert _help_until_done(pending, timeout=30) == [0, 2]


def _interrupted_on_the_main_thread(item):
    if threading.current_thread() is threading.main_thread():
        raise KeyboardInterrupt
    if item == 0:
        time.sleep(0.5)  # the others are taken meanwhile
    return item


def test_an_interrupt_in_a_call_the_main_thread_runs_is_raised_there(two_cpus):
    pending = threads.beside(lambda: threads.shared(_interrupted_on_the_main_thread, range(3)),
                             work=10**12)
    with pytest.raises(KeyboardInterrupt):
        _help_until_done(pending)
    concurrent.futures.wait([pending], timeout=30)


def _in_child(connection):
    value, thread = threads.beside(_where_and_blas_threads, 3, work=10**12).result()[:2]
    # The child's CPU time starts from 0: its own load is read from there, not the parent's.
    connection.send((value, thread, threads._own_use[1] <= time.process_time(),
                     len(threads._offered) + len(threads._offered_to_background)))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                    reason="no fork on this platform")
def test_a_forked_child_gets_its_own_background_thread(two_cpus):
    threads.beside(_where_and_blas_threads, 1, work=10**12).result()  # the parent's is running
    threads._own_load()  # read at the parent's CPU time, seconds of it after importing torch
    # A call offered between the parent's threads when it forks: none of the child's.
    offered = threads._Offered(abs, -1)
    threads._offered.append(offered)
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=_in_child, args=(child,))
    process.start()
    try:
        # Without the at-fork reset the child's work would wait for a thread it does not have.
        assert parent.poll(60), "the child's background work never ran"
        value, thread, own_clock_reset, offered_in_child = parent.recv()
        assert value == 3 and thread.startswith("robustgan-beside")
        assert own_clock_reset
        assert offered_in_child == 0
    finally:
        threads._offered.remove(offered)
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


def test_the_start_beside_the_game_runs_no_torch_operation(two_cpus, monkeypatch):
    # A torch operation on the background thread left a second OpenMP team alive for the
    # process's life; libgomp then let its workers sleep between parallel regions, and every
    # later parallel torch operation in the process ran at about half speed (a
    # RobustGANScatter fit of 50,000 x 100 after RobustGANMean fits: 3.72 s against 2.34 s).
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    corrected_start = mean_module._corrected_start
    where, torch_calls = [], []

    def watch(frame, event, called):
        if event == "c_call":
            owner = getattr(called, "__module__", None) or type(
                getattr(called, "__self__", None)).__module__
            if owner.startswith("torch"):
                torch_calls.append(f"{called} from {frame.f_code.co_name}")

    def watched_start(*args):
        where.append(threading.current_thread().name)
        sys.setprofile(watch)
        try:
            return corrected_start(*args)
        finally:
            sys.setprofile(None)

    monkeypatch.setattr(mean_module, "_corrected_start", watched_start)
    RobustGANMean(random_state=0).fit(_contaminated())
    assert where and where[0].startswith("robustgan-beside")
    assert torch_calls == []


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


def _start_waiting_for_the_rest_of_the_game(monkeypatch):
    """Patch RobustGANMean so that its start is still computing when the game's first part
    ends: the rest of the game is then played beside it (``_rest_beside_start``)."""
    rest_started = threading.Event()
    rest_beside_start = RobustGANMean._rest_beside_start
    corrected_start = mean_module._corrected_start

    def spied(self, X, rest, robust_start):
        rest_started.robust_start = robust_start
        rest_started.set()
        return (yield from rest_beside_start(self, X, rest, robust_start))

    def late_start(*args):
        assert rest_started.wait(60), "the rest of the game never started"
        time.sleep(0.2)  # a few checks of the rest's steps
        return corrected_start(*args)

    monkeypatch.setattr(RobustGANMean, "_rest_beside_start", spied)
    monkeypatch.setattr(mean_module, "_corrected_start", late_start)
    return rest_started


def _fitted_attributes(est):
    return {name: getattr(est, name) for name in
            ("location_", "game_location_", "trimmed_location_", "selected_", "n_iter_")}


@pytest.mark.parametrize("game_taken", [False, True])
def test_the_rest_of_the_game_played_beside_the_start_changes_nothing(two_cpus, monkeypatch,
                                                                      game_taken):
    # 1,500 rows: a 300-step game, whose first 100 steps referee the start. Played in line the
    # start is there after them; beside the game, the rest is played meanwhile and stopped
    # once the start is there and taken. The fit must not depend on which happened.
    X = _contaminated(n=1500, p=10)
    if game_taken:
        monkeypatch.setattr(RobustGANMean, "_start_absorbed_a_cluster", lambda *args: True)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 10**18)
    inline = RobustGANMean(random_state=5).fit(X)
    assert inline.selected_ == ("game" if game_taken else "trimmed")
    assert inline.n_iter_ == len(inline.history_.d_loss) == (300 if game_taken else 100)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    rest_started = _start_waiting_for_the_rest_of_the_game(monkeypatch)
    steps_played, run = [], engine.AdversarialLoop.run

    def wait_for_the_start(*args):
        # The rest's first check waits for the start: on a quiet machine its 200 steps were
        # over before the start was there, and nothing was left to stop.
        concurrent.futures.wait([rest_started.robust_start])
        return False

    def recorded_run(self, *args, callbacks=(), **kwargs):
        if steps_played:  # the rest of the game
            callbacks = (wait_for_the_start, *callbacks)
        steps_played.append(run(self, *args, callbacks=callbacks, **kwargs))
        return steps_played[-1]

    monkeypatch.setattr(engine.AdversarialLoop, "run", recorded_run)
    beside = RobustGANMean(random_state=5).fit(X)
    assert rest_started.is_set()
    # The first part, then the rest: whole where the game is taken, stopped early where not.
    assert steps_played[0] == 100
    assert steps_played[1] == 200 if game_taken else steps_played[1] < 200
    for name, value in _fitted_attributes(inline).items():
        assert np.array_equal(getattr(beside, name), value), name
    np.testing.assert_array_equal(beside.history_.d_loss, inline.history_.d_loss)


def test_the_main_thread_runs_some_of_the_start_to_the_same_fit(two_cpus, monkeypatch):
    # The start's candidates are shared (trimmed_scatter): the main thread runs what it takes
    # between the steps of the game's rest. The fit must not depend on it.
    X = _contaminated(n=1500, p=10)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 10**18)
    inline = RobustGANMean(n_steps=3000, random_state=5).fit(X)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    _start_waiting_for_the_rest_of_the_game(monkeypatch)
    on_main, taken, concentrate = [], threading.Event(), multivariate._concentrate

    def concentrated(X, location, *args):
        if not on_main:
            # The first candidate, the background's own: it waits until another is taken.
            on_main.append(None)
            assert taken.wait(30), "the main thread took none of the candidates"
        elif threading.current_thread() is threading.main_thread():
            on_main.append(True)
            taken.set()
        return concentrate(X, location, *args)

    monkeypatch.setattr(multivariate, "_concentrate", concentrated)
    beside = RobustGANMean(n_steps=3000, random_state=5).fit(X)
    assert True in on_main
    assert beside.selected_ == inline.selected_ == "trimmed"
    for name, value in _fitted_attributes(inline).items():
        assert np.array_equal(getattr(beside, name), value), name


def test_the_background_runs_some_of_an_in_line_start_to_the_same_fit(two_cpus, monkeypatch):
    # RobustGANScatter computes its start on the main thread, before its game: the background
    # thread, free, takes some of its candidates (``shared``). The fit must not depend on it.
    X = _contaminated(n=1500, p=10)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 10**18)
    in_line = RobustGANScatter(random_state=5).fit(X)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    elsewhere, taken, concentrate = [], threading.Event(), multivariate._concentrate

    def concentrated(X, location, *args):
        if threading.current_thread() is not threading.main_thread():
            elsewhere.append(True)
            taken.set()
        elif not taken.is_set() and not elsewhere:
            # The first candidate, the main thread's own: it waits until another is taken.
            elsewhere.append(False)
            assert taken.wait(30), "the background thread took none of the candidates"
        return concentrate(X, location, *args)

    monkeypatch.setattr(multivariate, "_concentrate", concentrated)
    shared_out = RobustGANScatter(random_state=5).fit(X)
    assert True in elsewhere
    for name in ("location_", "covariance_", "raw_location_", "raw_covariance_"):
        assert np.array_equal(getattr(shared_out, name), getattr(in_line, name)), name


@pytest.mark.parametrize("game_taken", [False, True])
def test_a_failed_rest_of_the_game_fails_only_a_fit_that_takes_the_game(two_cpus, monkeypatch,
                                                                        game_taken):
    # The rest of the game diverges (a huge discriminator rate). Where the start is taken,
    # that game was not needed: in line it is never played, beside the start it is dropped.
    # Where the game is taken, both ways raise its error.
    X = _contaminated(n=1500, p=10)
    rest_of_game = mean_module._rest_of_game
    monkeypatch.setattr(mean_module, "_rest_of_game",
                        lambda options: {**rest_of_game(options), "lr_d": 1e6})
    if game_taken:
        monkeypatch.setattr(RobustGANMean, "_start_absorbed_a_cluster", lambda *args: True)
    for inline in (True, False):
        monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 10**18 if inline else 0)
        if not inline:
            rest_started = _start_waiting_for_the_rest_of_the_game(monkeypatch)
        if game_taken:
            with pytest.raises(TrainingDivergedError):
                RobustGANMean(random_state=5).fit(X)
        else:
            est = RobustGANMean(random_state=5).fit(X)
            assert est.selected_ == "trimmed" and est.n_iter_ == 100
            np.testing.assert_array_equal(est.location_, est.trimmed_location_)
    assert rest_started.is_set()


def test_fit_many_computes_every_start_before_the_games(two_cpus, monkeypatch):
    # One data set: fit_many prepares it in the main thread, where beside would otherwise run
    # the start in the background and the member would play the rest of its game meanwhile,
    # with a callback that a batched game cannot honour for one member. Here the rest would
    # diverge: fit drops it (the start is taken), and so must fit_many, which never plays it.
    from robustgan import fit_many
    from robustgan.batched import solve_many
    import robustgan.estimators.many as many_module

    X = _contaminated(n=1500, p=10)
    monkeypatch.setattr(threads, "BESIDE_MIN_WORK", 0)
    corrected_start = mean_module._corrected_start

    def slow_start(*args):
        time.sleep(0.5)  # still computing when the game's first part ends
        return corrected_start(*args)

    monkeypatch.setattr(mean_module, "_corrected_start", slow_start)
    rest_of_game = mean_module._rest_of_game
    monkeypatch.setattr(mean_module, "_rest_of_game",
                        lambda options: {**rest_of_game(options), "lr_d": 1e6})
    solved = []
    monkeypatch.setattr(many_module, "solve_many", lambda batch, **kwargs: solved.append(
        [p.options["n_steps"] for p in batch]) or solve_many(batch, **kwargs))
    (fitted,) = fit_many(RobustGANMean(random_state=5), [X], random_states=[5])
    assert solved == [[100]] and fitted.selected_ == "trimmed" and fitted.n_iter_ == 100
    assert fitted.selected_ == RobustGANMean(random_state=5).fit(X).selected_


def test_a_batched_game_refuses_callbacks():
    from robustgan.batched import solve_many
    from robustgan.divergences import get_divergence
    from robustgan.engine import AdversarialProblem
    from robustgan.nets import LocationGenerator, MLPDiscriminator
    import torch

    problem = AdversarialProblem(torch.zeros(10, 2), LocationGenerator(torch.zeros(2)),
                                 MLPDiscriminator(2, hidden_sizes=(4,)), get_divergence("js"),
                                 {"n_steps": 5, "callbacks": (lambda *args: False,)}, 0)
    with pytest.raises(ValueError, match="no callbacks"):
        solve_many([problem])
