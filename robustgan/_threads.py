"""Thread use that fits the work: one intra-op thread for the training steps of small games.

A robust estimator's training step multiplies a few hundred rows by a discriminator of a few
thousand weights, thousands of times. Split over torch's intra-op threads, each piece is too
small to pay for waking the threads, and on a shared machine a thread that waits for a core
stalls the whole step: on 100 × 5 with other processes busy on a 2-core machine,
``RobustGANScatter().fit`` took 62–74 s with torch's default threads and 5–14 s on one
(issue 16). ``threads_for(work)`` runs its body on one thread when the step's work is below
``SMALL_STEP_WORK`` and leaves the caller's setting alone otherwise; the caller's setting is
restored on exit, so a fit never changes the process's thread count.

``torch.set_num_threads`` is process-wide, so nested and concurrent (threaded) uses share one
count: the first to limit saves the caller's setting, the last to leave restores it.
"""

import threading
from contextlib import contextmanager

import torch

__all__ = ["SMALL_STEP_WORK", "step_work", "threads_for"]

# Rows per step × discriminator parameters below which a step runs on one intra-op thread.
# ``benchmarks/bench_load.py --part threshold`` times generator steps (3 critic steps each) on
# 1 and 2 threads of this 2-core machine. Quiet (load 0.7-1.1, two runs), 2 threads gained
# nothing up to 1e6 (0.96-1.04x), then 1.1-1.3x at 1.8e6, 1.3-1.4x at 6.3e6 (RobustGANScatter's
# p = 100 game), 1.5x at 2.5e7, 1.5-1.6x at 1e8. Shared with other processes (load 5-6), 2
# threads were 15x slower at 1.4e4 (100 × 5), 10x at 6.3e6, 4x at 1e8. Below 1e7 threads gain
# under 1.4x on a quiet machine and lose up to 15x on a busy one: one thread; above, the
# caller's setting.
SMALL_STEP_WORK = 10_000_000

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
