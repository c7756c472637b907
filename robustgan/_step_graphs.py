"""The steps between two checks of a game on a GPU, replayed from a captured CUDA graph.

A robust estimator's training step is a few dozen small kernels (a minibatch of a few hundred
rows against a discriminator of a few thousand weights). On a GPU each takes microseconds of
arithmetic and about as long again to launch from Python, so the game runs at the speed of
its launches: on an H200 a default ``RobustGANMean`` fit took as long as on 16 CPU cores
(issue 16, RESULTS.md). A CUDA graph records the kernels of the steps between two checks once
and replays them with one launch.

What a replay computes must be what the steps would compute, so a game is captured only where
nothing in its steps is decided on the host between the checks: a single game (not a batched
one, whose samplers refill their draws on the host), real rows drawn by an ``IndexSampler``
from a tensor on the GPU, latent noise from a ``NormalPool`` or fresh normals, plain ``SGD``
for both players at a constant rate, weight penalties only, no constraints, and hooks that are
Polyak-Ruppert or exponential averages. Every random draw comes from the loop's generator,
which is registered with the graph, so a replay draws what the steps would have drawn. A
window in which the averaging starts runs step by step, and so does a stretch shorter than a
window, which no other window repeats. A window whose settings (parameters' storage, learning
rates, the closed-form kernels, ...) changed since its capture is captured anew.

Off by default for now (``BY_DEFAULT``): the loops that ask for it (``cuda_graphs=True``)
replay their steps.
"""

import warnings

import torch

__all__ = ["BY_DEFAULT", "MIN_WINDOWS", "StepGraphs", "averaging_phase"]

# Whether a loop that does not say (``AdversarialLoop(cuda_graphs=None)``, every estimator's)
# replays its steps. Off: written in a session whose GPU loan fell through, the replays have
# not yet run on a GPU. tests/test_step_graphs.py and ``benchmarks/bench_device.py --games``
# are the check that turns this on: the same games and fits with and without graphs.
BY_DEFAULT = False

# Windows ahead a game needs to be captured. The first runs step by step (the warm-up), and
# the second pays for its recording (about a window's launches) and the graph's
# instantiation before its replay, so a game of fewer windows runs step by step. Not yet
# measured on a GPU: ``bench_device.py --games`` will tell.
MIN_WINDOWS = 4


def averaging_phase(hooks, first, count):
    """Per hook with a ``start`` (``IterateAverage``), whether it averages steps [first,
    first + count); None where one starts inside them: the hooks decide that on the host, so a
    graph would bake in the decision of the step it was captured at.

    Examples
    --------
    >>> from robustgan.engine import IterateAverage
    >>> average = IterateAverage(torch.nn.Linear(1, 1), start=10)
    >>> averaging_phase([average], 0, 10), averaging_phase([average], 10, 5)
    ((False,), (True,))
    >>> averaging_phase([average], 8, 4) is None
    True
    """
    phase = []
    for hook in hooks:
        start = getattr(hook, "start", None)
        if start is None:
            continue
        if first < start < first + count:
            return None
        phase.append(start <= first)
    return tuple(phase)


class StepGraphs:
    """Captured windows of one ``AdversarialLoop.run`` on a CUDA device.

    The first window runs step by step on the capture stream (what torch asks before a
    capture: the kernels' lazy set-up happens there, outside the graph); each later window is
    the replay of a graph captured for its length, averaging phase and settings.

    Parameters
    ----------
    loop : AdversarialLoop
        Its ``_advance(sample_real, step, slot, buffers)`` runs one step and writes its losses
        to ``buffers[k][slot]``; ``_graph_settings(sample_real)`` names what a capture bakes in.
    device : torch.device
        A CUDA device.
    window : int
        The steps between two checks. A shorter stretch (the last before the end of the run,
        or the rest of a window whose first steps ran one by one) occurs once: it runs step by
        step rather than pay for a capture it would replay once.
    """

    def __init__(self, loop, device, window):
        self.loop = loop
        self.window = window
        self.stream = torch.cuda.Stream(device)
        self.graphs = {}
        self.warmed = False
        self.failed = False

    def advance(self, sample_real, first, count):
        """Run steps [first, first + count) from a graph, their losses written to the loop's
        history; False where they must run one by one (the loop then runs them)."""
        if self.failed or count != self.window:
            return False
        phase = averaging_phase(self.loop.g_hooks, first, count)
        if phase is None:
            return False
        key = (count, phase, self.loop._graph_settings(sample_real))
        entry = self.graphs.get(key)
        if entry is None and not self.warmed:
            self._on_stream(lambda: self._steps(sample_real, first, count, self.loop._losses, 0))
            self.warmed = True
            return True
        if entry is None:
            entry = self._capture(sample_real, first, count)
            if entry is None:
                return False
            self.graphs[key] = entry
        graph, window = entry
        graph.replay()
        for history, losses in zip(self.loop._losses, window):
            history[first:first + count].copy_(losses)
        return True

    def _steps(self, sample_real, first, count, buffers, offset):
        """Steps [first, first + count), step k's losses written to ``buffers[.][k - offset]``."""
        for step in range(first, first + count):
            self.loop._advance(sample_real, step, step - offset, buffers)

    def _on_stream(self, work):
        current = torch.cuda.current_stream(self.stream.device)
        self.stream.wait_stream(current)
        try:
            with torch.cuda.stream(self.stream):
                return work()
        finally:
            current.wait_stream(self.stream)

    def _capture(self, sample_real, first, count):
        """(graph, its loss buffers) of ``count`` steps from ``first``, or None where the steps
        cannot be captured (warned once; the game then runs step by step)."""
        device = self.stream.device
        window = tuple(torch.zeros(count, device=device) for _ in self.loop._losses)
        graph = torch.cuda.CUDAGraph()
        graph.register_generator_state(self.loop.rng)

        def record():
            # "thread_local": a robust start computed on another thread meanwhile is not
            # part of this capture and must not break it.
            graph.capture_begin(capture_error_mode="thread_local")
            try:
                self._steps(sample_real, first, count, window, first)
            finally:
                graph.capture_end()

        try:
            self._on_stream(record)
        except RuntimeError as error:
            self.failed = True
            warnings.warn(f"the game's steps could not be captured in a CUDA graph ({error}); "
                          "it runs step by step", stacklevel=5)
            return None
        return graph, window
