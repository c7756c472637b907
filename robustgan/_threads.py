"""Thread use that fits the work: one intra-op thread for the training steps of small games.

A robust estimator's training step multiplies a few hundred rows by a discriminator of a few
thousand weights, thousands of times. Split over torch's intra-op threads, each piece is too
small to pay for waking the threads, and on a shared machine a thread that waits for a core
stalls the whole step: on 100 × 5 with other processes busy on a 2-core machine,
``RobustGANScatter().fit`` took 62–74 s with torch's default threads and 5–14 s on one
(issue 16). ``threads_for(work)`` runs its body on one thread when the step's work is below
``SMALL_STEP_WORK`` (from ``SPARE_CPU_STEP_WORK`` on, only when no CPU is spare) and leaves
the caller's setting alone otherwise; the caller's setting is
restored on exit, so a fit never changes the process's thread count.

``torch.set_num_threads`` is process-wide, so nested and concurrent (threaded) uses share one
count: the first to limit saves the caller's setting, the last to leave restores it.

``beside(function, *args, work=...)`` runs NumPy work that a game does not need (the robust
start ``RobustGANMean`` compares its game with) on one background thread while the caller
plays the game on torch: on two cores the two overlap. Where that work has independent parts
(``shared``), the caller can run some of them between its game's steps (``help_beside``), once
the game it plays is one it may not need.
"""

import collections
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import torch
from threadpoolctl import threadpool_limits

__all__ = ["BESIDE_MIN_WORK", "BLAS_THREADS_MIN_FEATURES", "SMALL_STEP_WORK",
           "SPARE_CPU_STEP_WORK", "beside", "blas_threads_for", "help_beside", "in_line",
           "n_columns", "shared", "step_work", "threads_for"]

# Rows per step × discriminator parameters below which a step runs on one intra-op thread.
# ``benchmarks/bench_load.py --part threshold`` times generator steps (3 critic steps each) on
# 1 and 2 threads of this 2-core machine. Quiet (load 0.7-1.1, two runs), 2 threads gained
# nothing up to 1e6 (0.96-1.04x), then 1.1-1.3x at 1.8e6, 1.3-1.4x at 6.3e6 (RobustGANScatter's
# p = 100 game), 1.5x at 2.5e7, 1.5-1.6x at 1e8. Shared with other processes (load 5-6), 2
# threads were 15x slower at 1.4e4 (100 × 5), 10x at 6.3e6, 4x at 1e8. Below 1e7 threads gain
# under 1.4x on a quiet machine and lose up to 15x on a busy one: one thread; above, the
# caller's setting.
SMALL_STEP_WORK = 10_000_000
# From this work on, a step below SMALL_STEP_WORK takes the caller's threads where a CPU is
# spare by the load average (``_spare_cpus``, as ``beside`` reads it): RobustGANScatter's
# p = 100 game (6.3e6) took 2.18 s on one thread and about 1.75 s on two, quiet, to the same
# bits (tested). Below it
# the gain is 1.0-1.3x, which a grid search's processes, started before the load average
# has seen them, would turn into a loss (GridSearchCV's p = 10 fits: 1.8e6).
SPARE_CPU_STEP_WORK = 5_000_000

_lock = threading.Lock()
_limited = 0
_saved = None


def step_work(rows, discriminator):
    """Rows per minibatch times the discriminator's parameters: the size of a training step.

    A forward and backward pass costs about 6 flops per row per weight; the other tensors of a
    step (activations, generated rows) are smaller. For a batched game the stacked
    discriminator holds every member's parameters and ``rows`` is per member, so the product
    is the whole step's work. None when ``rows`` is unknown.

    Examples
    --------
    >>> step_work(500, torch.nn.Linear(10, 20))
    110000
    """
    if rows is None:
        return None
    return int(rows) * sum(p.numel() for p in discriminator.parameters())


@contextmanager
def threads_for(work, device="cpu"):
    """Run the body on one torch intra-op thread when ``work`` is small; restore on exit.

    Small: below ``SMALL_STEP_WORK``, and below ``SPARE_CPU_STEP_WORK`` where a CPU is spare
    (the one-minute load average, which counts the caller, less this process's other
    threads' share of it, at least half a CPU below the usable CPUs: ``_spare_cpus``).

    Parameters
    ----------
    work : int or None
        ``step_work`` of the game; None (unknown) keeps the caller's setting.
    device : torch.device or str, default="cpu"
        Where the game runs: the thread count matters for CPU tensors only.

    Yields
    ------
    int
        The number of intra-op threads the body runs on.

    Examples
    --------
    >>> before = torch.get_num_threads()
    >>> with threads_for(1000) as threads:
    ...     threads
    1
    >>> torch.get_num_threads() == before
    True
    """
    global _limited, _saved
    small = work is not None and work < SMALL_STEP_WORK and torch.device(device).type == "cpu"
    if small and work >= SPARE_CPU_STEP_WORK and _a_cpu_is_spare():
        small = False
    if not small:
        yield torch.get_num_threads()
        return
    with _lock:
        if _limited == 0:
            _saved = torch.get_num_threads()
            if _saved != 1:
                torch.set_num_threads(1)
        _limited += 1
    try:
        yield 1
    finally:
        with _lock:
            _limited -= 1
            if _limited == 0 and _saved != 1:
                torch.set_num_threads(_saved)


# Values (rows × features) from which ``beside`` runs its work on the background thread: below,
# the work takes a few milliseconds and a thread's hand-over would cost more than it saves.
BESIDE_MIN_WORK = 1_000_000

_background = None
_background_lock = threading.Lock()
_caller = threading.local()
# Calls that work running on the background thread offers the main thread, and calls that
# the main thread offers the background thread (``shared``).
_offered = collections.deque()
_offered_to_background = collections.deque()


@contextmanager
def in_line():
    """Within the body, ``beside`` runs its work at once in the caller's thread: for drivers
    that need every start before the games (``robustgan.fit_many``).

    Examples
    --------
    >>> with in_line():
    ...     beside(sum, [1, 2], work=10**9).done()
    True
    """
    with _marked("in_line"):
        yield


@contextmanager
def _marked(flag):
    """Within the body, the calling thread's ``flag`` (on ``_caller``) is True; its value before
    is restored after (nested uses restore in turn)."""
    saved = getattr(_caller, flag, False)
    setattr(_caller, flag, True)
    try:
        yield
    finally:
        setattr(_caller, flag, saved)


class _Done:
    """The outcome of work run in the caller's thread, with a ``Future``'s ``result``."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value

    def done(self):
        return True


def _spare_cpus():
    """CPUs this process may use, less the load on them: the one-minute load average (which
    counts the caller's own running thread), as ``make -l`` reads it, less this process's use
    beyond one CPU (``_own_load``).

    That use is the process's other threads, not another process's load: a loop of fits that
    run a start beside their game (a contamination study, a benchmark) raised the load average
    from 0.7 to 1.0 in 12 s and towards 1.6 within the minute, and read whole it then kept the
    later fits' start off the idle second CPU (a fit at 50,000 × 100: 0.95 s beside, 1.16 s
    without).
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on a Unix
        load = 1.0
    return usable - load + max(0.0, _own_load() - 1.0)


# This process's CPU use (all threads: ``time.process_time``) averaged as the kernel averages
# the load, exponentially over a minute: [monotonic time, process time, average] when last read.
_LOAD_WINDOW_S = 60.0
_own_use = [time.monotonic(), time.process_time(), 0.0]
_own_use_lock = threading.Lock()


def _own_load():
    """This process's share of the one-minute load average: the CPUs its threads have used,
    averaged over the last minute (exponentially, as the kernel averages the load).

    Examples
    --------
    >>> 0.0 <= _own_load()
    True
    """
    with _own_use_lock:
        then, used, average = _own_use
        now, using = time.monotonic(), time.process_time()
        if now > then:
            decay = math.exp(-(now - then) / _LOAD_WINDOW_S)
            average = decay * average + (1.0 - decay) * (using - used) / (now - then)
            _own_use[:] = now, using, average
        return average


def _a_cpu_is_spare():
    """Whether a second thread of this process would find a CPU: at least half a CPU beyond
    the load (``_spare_cpus``)."""
    return _spare_cpus() >= 0.5


def _single_blas_thread(function, args):
    # One BLAS thread: OpenBLAS's threads spin after a product, and beside a torch game on two
    # cores they take the game's core (restored when the work ends). Under a fit's own limit
    # (``blas_threads_for``, set by the main thread) this one changes nothing: BLAS is on one
    # thread already, and threadpoolctl 3.8 lets only the thread holding a limit change it.
    with threadpool_limits(limits=1, user_api="blas"), _one_blas_thread():
        return function(*args)


# Features from which a fit's NumPy and SciPy work keeps the caller's BLAS threads
# (``blas_threads_for``). NumPy and SciPy each load their own OpenBLAS, each with its own pool
# of threads that spin after a call: a SciPy call after a NumPy product waits for a core that
# NumPy's pool is spinning on. On this 2-core machine, a NumPy product of 2,000 × 100 rows and
# then ``scipy.linalg.eigh`` of a 100 × 100 matrix took 28.6 ms on two threads and 1.7 ms on
# one. RobustGANScatter's start (trimmed_scatter and correct_absorbed_cluster, n = 50p, three
# runs each) on one thread against two: p = 100 0.69-0.71 against 0.87-1.03 s, p = 200 2.0-2.2
# against 4.0-4.5 s, p = 300 4.3-4.4 against 6.8-7.2 s, p = 400 8.8-9.0 against 9.5-10.9 s;
# from p = 500 two are faster (17.1-18.2 against 15.3-15.7 s; p = 1,000, n = 10,000: 14.7-15.5
# against 12.0-12.9 s).
BLAS_THREADS_MIN_FEATURES = 450


@contextmanager
def blas_threads_for(n_features):
    """Run a fit's body on one BLAS thread where its data have few features
    (below ``BLAS_THREADS_MIN_FEATURES``); keep the caller's setting otherwise.

    Below that the fit's matrices (p × p decompositions, products of n × p rows) are too small
    for threads to pay, and NumPy's and SciPy's pools take each other's cores. The limit is
    process-wide, so it is set from the main thread only, as ``beside`` does: fits in a
    caller's own threads (a threading backend) run under the caller's setting, which one of
    them lifting its limit would change under the others. Nested uses restore in turn
    (threadpoolctl's ``threadpool_limits``).

    Parameters
    ----------
    n_features : int or None
        The data's columns; None (unknown) keeps the caller's setting.

    Examples
    --------
    >>> with blas_threads_for(10):
    ...     pass
    """
    if (n_features is None or n_features >= BLAS_THREADS_MIN_FEATURES
            or threading.current_thread() is not threading.main_thread()):
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"), _one_blas_thread():
        yield


def _one_blas_thread():
    # Marks the calling thread as under a one-thread BLAS limit: where it is the main thread,
    # ``shared`` may offer calls to the background thread, which then runs them as they would
    # run here.
    return _marked("one_blas_thread")


def n_columns(X):
    """The columns of a 2-D array-like before validation (None where it has no clear shape):
    what ``blas_threads_for`` reads before a fit converts its data.

    Examples
    --------
    >>> n_columns([[1.0, 2.0], [3.0, 4.0]]), n_columns(torch.zeros(5, 3)), n_columns("x")
    (2, 3, None)
    """
    shape = getattr(X, "shape", None)
    if shape is not None:
        return int(shape[1]) if len(shape) == 2 else None
    if isinstance(X, (str, bytes)):
        return None
    try:
        return len(X[0])
    except Exception:  # noqa: BLE001 - anything without rows: the fit's validation says what
        return None


def _forget_background():
    # A forked child has none of its parent's threads: its first ``beside`` starts its own, and
    # the calls its parent's threads offered each other (``shared``) are no one's to run. Its
    # CPU time starts again from 0, and its own load with it.
    global _background, _background_lock
    _background, _background_lock = None, threading.Lock()
    _offered.clear()
    _offered_to_background.clear()
    _own_use[:] = time.monotonic(), time.process_time(), 0.0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_background)


def beside(function, *args, work, blas=True):
    """``function(*args)``, run on robustgan's background thread when ``work`` is large.

    The caller goes on (plays its game) and calls ``result()`` when it needs the value, which
    waits for it and raises what the function raised. The work runs at once in the caller's
    thread instead where it is smaller than ``BESIDE_MIN_WORK`` values, where no CPU is spare
    (fewer than half a CPU beyond the one-minute load average, which counts the caller, less
    this process's other threads' share of it, ``_spare_cpus``: a second thread on a busy
    machine only takes the game's core, 10% slower in a measured fit),
    when called from any thread but the main one (a caller's own threads, ``fit_many``'s
    preparation pool or a threading backend, are parallel already, and their BLAS limits would
    interleave with this one's), and within ``in_line()``. The background thread is one for
    the whole process. The function must run no torch operation: torch's OpenMP team for this
    thread would live as long as the process, and with more OpenMP threads than CPUs libgomp
    lets every team's workers sleep between parallel regions, which halved the speed of the
    process's later parallel torch work (a test watches RobustGANMean's start). The function
    must not depend on what the caller does meanwhile, and from the main thread it runs on one
    BLAS thread wherever it runs, so its value is the same either way, to the bit (BLAS on
    several threads rounds differently). From another thread it runs under the caller's BLAS
    limits.

    Parameters
    ----------
    function : callable
    *args
        Its arguments.
    work : int
        The size of the work (values it reads).
    blas : bool, default=True
        Whether the function runs BLAS products, which are then limited to one thread. Work
        without them (sorts, sums) skips the limit, whose setting and restoring cost about
        1 ms.

    Returns
    -------
    object with ``result()`` and ``done()``

    Examples
    --------
    >>> beside(sum, [1, 2, 3], work=3).result()
    6
    """
    in_main_thread = threading.current_thread() is threading.main_thread()
    if not in_main_thread:
        return _Done(function(*args))
    if work < BESIDE_MIN_WORK or getattr(_caller, "in_line", False) or not _a_cpu_is_spare():
        # On one BLAS thread here too: products on two threads round differently in the last
        # bits (RobustGANMean's start at 50,000 × 100: 5.6e-17 in the location), and the value
        # must not depend on the machine's load.
        return _Done(_single_blas_thread(function, args) if blas else function(*args))
    if not blas:
        return _background_executor().submit(function, *args)
    return _background_executor().submit(_on_the_background, function, args)


def _background_executor():
    """The background thread (one for the process), started at its first use."""
    global _background
    with _background_lock:
        if _background is None:
            _background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="robustgan-beside")
        return _background


def _on_the_background(function, args):
    # Only work under the one-thread BLAS limit shares its calls (``shared``): a call the main
    # thread runs is then under the same limit, and rounds as it would here.
    with _marked("on_background"):
        return _single_blas_thread(function, args)


class _Offered:
    """One call of ``shared``: run once, by whichever thread claims it first, under the NumPy
    floating-point error handling of the thread that made it (``np.errstate`` is per thread)."""

    def __init__(self, function, item):
        self._function, self._item = function, item
        self._errors = np.geterr()
        self._claim = threading.Lock()
        self._finished = threading.Event()
        self._value = self._error = None

    def run(self):
        """Run the call unless another thread has claimed it; True where this thread did and
        it raised ``KeyboardInterrupt`` or ``SystemExit``, which that thread must raise too."""
        if not self._claim.acquire(blocking=False):
            return False
        try:
            with np.errstate(**self._errors):
                self._value = self._function(self._item)
        except BaseException as error:  # noqa: BLE001 - raised where the value is read
            self._error = error
        finally:
            self._finished.set()
        return isinstance(self._error, (KeyboardInterrupt, SystemExit))

    def result(self):
        self._finished.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def wait(self):
        self._finished.wait()


def shared(function, items, *, work=0):
    """The calls ``function(item)`` for each item, run to their end, some by another thread
    where one helps: one finished call per item, whose ``result()`` is the value or raises the
    call's exception.

    The calls after the first are offered to the other thread, which runs what it finds; this
    thread runs the rest in order:

    - in work running on robustgan's background thread (``beside``), to the main thread, which
      runs calls between the steps of a game it may not need (``help_beside``);
    - on the main thread, under a one-thread BLAS limit (``blas_threads_for``), where ``work``
      (the values the calls read, all together) is at least ``BESIDE_MIN_WORK`` and a CPU is
      spare, to the background thread once it is free.

    Anywhere else the calls run in order in this thread. Each call runs once, on one thread or
    the other, under the limit of one BLAS thread (threadpoolctl's limit is process-wide), so
    the values are the same to the bit whoever runs them. An exception is raised only where its
    call's value is read, as where the calls were made one at a time as needed. ``function``
    must run no torch operation (``beside``) and must not change what another call reads.

    Examples
    --------
    >>> [call.result() for call in shared(abs, [-1, 2, -3])]
    [1, 2, 3]
    """
    calls = [_Offered(function, item) for item in items]
    queue = _helping_queue(len(calls), work)
    offered = calls[1:] if queue is not None else []
    helper = _offer(queue, offered)
    try:
        for call in calls:
            call.run()
        for call in offered:
            call.wait()  # where the other thread runs it
        return calls
    finally:
        for call in offered:
            try:
                queue.remove(call)
            except ValueError:  # taken by the other thread
                pass
        # The background's help ends here, inside this thread's BLAS limit: its own limit,
        # left after this one, would set the process's BLAS threads when it ends.
        if helper is not None and not helper.cancel():
            helper.result()


def _helping_queue(count, work):
    """Where ``shared``'s calls are offered from this thread: the queue the other thread reads,
    or None where they run here."""
    if count < 2:
        return None
    if getattr(_caller, "on_background", False):
        return _offered
    if (threading.current_thread() is not threading.main_thread() or work < BESIDE_MIN_WORK
            or not getattr(_caller, "one_blas_thread", False)
            or getattr(_caller, "in_line", False) or not _a_cpu_is_spare()):
        return None
    return _offered_to_background


def _offer(queue, calls):
    """Put ``calls`` on ``queue``; where that is the background thread's, ask it to help and
    return the help's future."""
    if not calls:
        return None
    queue.extend(calls)
    if queue is not _offered_to_background:
        return None
    # Behind any work put beside before: the calls not yet taken by then are run here.
    return _background_executor().submit(_single_blas_thread, _help_from_background, ())


def _taken(queue):
    """The calls offered on ``queue``, each taken off it as it is reached, until none is left."""
    while True:
        try:
            yield queue.popleft()
        except IndexError:
            return


def _help_from_background():
    # The background thread's side of ``shared``: the calls the main thread offers, until none
    # is left (those taken by the main thread meanwhile are skipped).
    for call in _taken(_offered_to_background):
        call.run()


def help_beside():
    """Run the calls that work on robustgan's background thread offers (``shared``), until
    none is left; returns at once where none is offered.

    For the main thread, between the steps of a game played while that work runs and whose
    result may not be needed (``RobustGANMean``'s game after its refereed first part): the
    background work then ends sooner. The calls run ``in_line``, and a ``KeyboardInterrupt``
    in one is raised here too.

    Examples
    --------
    >>> help_beside()
    """
    for call in _taken(_offered):
        # In line: work the call would put beside would wait behind the very work that waits
        # for this call (the background thread is one).
        with in_line():
            interrupted = call.run()
        if interrupted:
            call.result()
