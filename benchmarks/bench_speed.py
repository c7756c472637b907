"""Where the time of a default fit goes, per fit and per generator step (issue 16).

    python benchmarks/bench_speed.py            # p = 10, 100 (n = 50,000), 1000 (n = 10,000)
    python benchmarks/bench_speed.py --quick    # p = 10, 100 at n = 10,000: a minute or two
    python benchmarks/bench_speed.py --n-large 50000    # p = 1000 at n = 50,000 too

The default run takes about 10 minutes on this 2-core machine. At p = 1,000 the default n for
that p is 10,000, not 50,000: the start (``trimmed_scatter``'s concentration steps, O(n·p²)
each) of one fit took 242 s at n = 50,000 with the machine shared (load 4–5), so the two
p = 1,000 fits alone would take about 10 minutes; ``--n-large 50000`` runs them.

For ``RobustGANMean()`` and ``RobustGANScatter()`` with their defaults, on the far design
(ε = 0.2, Q = N(5·1, I), inliers N(0, I)), at each p:

- fit: the three parts of ``fit`` (``robustgan.estimators._base.fit_adversarial``) timed apart:
  start (validation, preprocessing, the start estimate and the game's construction:
  the fitting protocol's ``_adversarial_games`` up to its first ``yield``), game (every
  ``problem.solve()``: a default RobustGANMean whose robust start is still computing plays
  its game in two parts, the referee's 100 steps and the rest) and finish (the rest of
  ``_adversarial_games``: the referee, reweighting, distances, the outlier threshold, and
  the wait for a start computed beside the game). Start and finish run under cProfile, which
  names the robustgan functions their time went to (cumulative, so nested functions overlap);
  its cost is small against their array work. Their sum is the fit; ``fit`` itself is timed
  beside it (median of ``--repeats``) where p ≤ 100, as a check that the parts add up.
- per step: the first game replayed from a copy of its problem for ``SHORT_STEPS`` steps;
  per step = (T_first − T_short)/(S_first − SHORT_STEPS), T_short the best of two, and the
  game's one-time setup (pool of latent draws, optimisers) = T_short − SHORT_STEPS × per step
  (noisy under load: it can come out negative).
- overhead: the per-step time of the same estimator on p = 2, batch_size = 8, where the
  arithmetic is negligible: the fixed cost of a step (Python, autograd, op dispatch, optimiser
  updates), measured right after each cell at the thread count that cell's game ran on (one
  intra-op thread for small steps; torch's default count, with the loop's one-thread scope
  disabled through ``robustgan._threads.SMALL_STEP_WORK = 0``, for large ones).
- arithmetic: every matrix product of one generator step (its ``n_critic`` discriminator steps
  and the generator step) is recorded, shapes and strides, under a ``TorchDispatchMode`` and
  replayed back to back on 1 and on 2 threads: the step's matmul time without Python or
  autograd (the table shows it at the thread count the loop uses). Its flops (2·M·K·N per product; ``torch.utils.flop_counter`` counts the
  same) and the bytes its operands and results occupy (a lower bound on the traffic; they
  fit in cache at these sizes).
- floor: the larger of flops / the machine's matmul rate and bytes / its copy bandwidth, both
  measured beside each cell (fp32 2048 × 2048 products, best of 3 on 1 and on 2 threads, the
  faster taken; a 256 MB copy): on a shared machine the rate of the moment is the one that
  counts. The ratio per step / floor is how far a step is from what the hardware allows.

Everything runs in one process, one fit at a time, with the machine's load average recorded:
on a shared 2-core machine, ratios measured side by side are what to compare.
"""

import argparse
import copy
import cProfile
import math
import os
import pstats
import statistics
import time

import numpy as np
import torch
from _common import RESULTS, markdown_table, write_json
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

import robustgan._threads as threads
from robustgan import RobustGANMean, RobustGANScatter, make_huber_contamination
from robustgan.estimators._base import next_game
from robustgan.io_utils import atomic_write_text

SHORT_STEPS = 10
# The small products' time at the end over their time at the start above which the run warns
# that the process slowed: a quiet machine's repeats differ by 10% at most; the second OpenMP
# team made them 2.0-2.4 times slower.
SLOWED_PROCESS = 1.3
ESTIMATORS = {"RobustGANMean": RobustGANMean, "RobustGANScatter": RobustGANScatter}
# Products of two matrices (and their batched forms) in a training step: linear layers
# forward (addmm) and backward (mm), the Gaussian generator's z·Lᵀ (mm).
_MATMULS = {
    torch.ops.aten.mm.default: "mm",
    torch.ops.aten.addmm.default: "addmm",
    torch.ops.aten.bmm.default: "bmm",
    torch.ops.aten.baddbmm.default: "baddbmm",
}


def _load():
    return round(os.getloadavg()[0], 2)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


# --- the machine -----------------------------------------------------------------------------


def machine_rates(size=2048, repeats=3):
    """Measured fp32 matmul GFLOP/s on 1 and 2 intra-op threads, and copy bandwidth (GB/s)."""
    saved = torch.get_num_threads()
    a, b = torch.randn(size, size), torch.randn(size, size)
    rates = {}
    try:
        for count in sorted({1, min(2, os.cpu_count() or 1)}):
            torch.set_num_threads(count)
            torch.mm(a, b)
            best = min(_timed(lambda: torch.mm(a, b))[1] for _ in range(repeats))
            rates[f"gflops_{count}_threads"] = 2 * size**3 / best / 1e9
        source = torch.randn(2**26)  # 256 MB: beyond the caches
        target = torch.empty_like(source)
        target.copy_(source)
        best = min(_timed(lambda: target.copy_(source))[1] for _ in range(repeats))
        rates["copy_gb_per_s"] = 2 * source.numel() * 4 / best / 1e9  # read + write
    finally:
        torch.set_num_threads(saved)
    return rates


def small_products_ms(count=2000, repeats=3):
    """Best time (ms) of ``count`` products of 100 × 100 by 100 × 500 (fp32) on torch's
    current threads: measured at the start and at the end of a run, it shows a process whose
    later torch work slowed. A torch operation on a second long-lived thread leaves an OpenMP
    team that makes libgomp's workers sleep between parallel regions (RESULTS.md, thirty-second
    session: these products then took about twice as long for the rest of the process)."""
    weights, rows = torch.randn(100, 100), torch.randn(500, 100)

    def products():
        for _ in range(count):
            torch.mm(weights, rows.T)

    products()
    return 1e3 * min(_timed(products)[1] for _ in range(repeats))


# --- the parts of a fit ----------------------------------------------------------------------


def _copy_problem(problem):
    """A copy that trains apart from ``problem``, sharing its (large, read-only) data."""
    return copy.deepcopy(problem, {id(problem.real): problem.real})


def _with_steps(problem, n_steps):
    problem = _copy_problem(problem)
    problem.options["n_steps"] = int(n_steps)
    return problem


def _loop_threads(problem):
    """The intra-op threads the training loop runs this game on now (``robustgan._threads``:
    one below ``SMALL_STEP_WORK``, the caller's from ``SPARE_CPU_STEP_WORK`` where a CPU is
    spare by the load average)."""
    work = threads.step_work(min(problem.options["batch_size"], problem.real.shape[0]),
                             problem.discriminator)
    with threads.threads_for(work) as count:
        return count


def _profiled(fn):
    """(result, seconds, the robustgan functions that took the most of it)."""
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    try:
        result = fn()
    finally:
        profile.disable()
    return result, time.perf_counter() - start, _where(profile)


def _where(profile, top=4):
    """The robustgan functions with the largest cumulative time, (name, seconds, calls), nested
    functions included (a function's time counts in its callers' too); a function followed by
    one with 90% of its time or more (its wrapper) is left out."""
    rows = []
    for (path, _, function), (_, calls, _, cumulative, _) in pstats.Stats(profile).stats.items():
        if f"{os.sep}robustgan{os.sep}" in path and not function.startswith("<"):
            module = path.split(f"{os.sep}robustgan{os.sep}")[-1].removesuffix(".py")
            rows.append((f"{module.replace(os.sep, '.')}.{function}", cumulative, calls))
    rows.sort(key=lambda row: -row[1])
    rows = [row for row in rows if not row[0].endswith(("_adversarial_games",
                                                        "_adversarial_result"))]
    # A function that spends 90% of its time in the next one is a wrapper: name the callee.
    kept = [row for row, after in zip(rows, rows[1:] + [("", 0.0)]) if after[1] < 0.9 * row[1]]
    return kept[:top]


def _rest_of_fit(games, fit, profile):
    """Send each solved game to the estimator's games and solve the next one, until it is
    fitted: (seconds outside the games, under ``profile``; seconds in them; their steps).

    A default RobustGANMean whose robust start is still computing plays its game in two
    parts (the referee's first steps, then the rest beside the start), and ``start="js"``
    two games: the games after the first count as game time, the rest as the finish."""
    finish = game = 0.0
    steps = 0
    while True:
        began = time.perf_counter()
        profile.enable()
        try:
            problem = next_game(games, fit)
        finally:
            profile.disable()
        finish += time.perf_counter() - began
        if problem is None:
            return finish, game, steps
        fit, seconds = _timed(problem.solve)
        game += seconds
        steps += int(fit.n_iter)


def fit_parts(estimator, X):
    """The seconds of a fit's start, games and finish (start and finish under cProfile, with
    where their time went), of a short replay of its first game, and a copy of that game's
    problem. The step time is the first game's."""
    games = estimator._adversarial_games(X)
    problem, start, start_where = _profiled(lambda: next(games))
    # The best of two short games: on a shared machine one may be slowed.
    short_time = min(_timed(_with_steps(problem, SHORT_STEPS).solve)[1] for _ in range(2))
    replay = _copy_problem(problem)  # for the step's matmuls, before the game trains it
    loop_threads = _loop_threads(problem)  # read beside the game: it follows the load
    fit, game = _timed(problem.solve)
    first_steps = int(fit.n_iter)
    per_step = (game - short_time) / max(first_steps - SHORT_STEPS, 1)
    profile = cProfile.Profile()
    finish, later_games, later_steps = _rest_of_fit(games, fit, profile)
    return {
        "start_s": start, "game_s": game + later_games, "finish_s": finish,
        "fit_s": start + game + later_games + finish,
        "n_steps": first_steps + later_steps, "first_game_steps": first_steps,
        "step_ms": 1e3 * per_step,
        "setup_ms": 1e3 * (short_time - SHORT_STEPS * per_step),
        "threads": loop_threads,
        "step_work": threads.step_work(problem.options["batch_size"], problem.discriminator),
        "start_where": start_where, "finish_where": _where(profile),
    }, replay


def step_overhead(name, default_threads, steps=200, repeats=3):
    """ms per generator step of the estimator on p = 2, batch_size = 8, where the arithmetic
    is negligible: the fixed cost of a step. On one intra-op thread, or with
    ``default_threads`` on torch's default count (the loop's one-thread scope disabled).
    The best of ``repeats`` runs of ``steps`` steps (their setup, a pool of 10,000 × 2 draws,
    included)."""
    X = make_huber_contamination(2_000, 2, 0.2, random_state=0).X
    problem = next(ESTIMATORS[name](batch_size=8, random_state=0)._adversarial_games(X))
    saved = threads.SMALL_STEP_WORK
    threads.SMALL_STEP_WORK = 0 if default_threads else saved
    try:
        best = min(_timed(_with_steps(problem, steps).solve)[1] for _ in range(repeats))
    finally:
        threads.SMALL_STEP_WORK = saved
    return 1e3 * best / steps


class _MatmulRecorder(TorchDispatchMode):
    """Records (op, operand shapes and strides) of every matrix product dispatched."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in _MATMULS:
            operands = [(tuple(a.shape), tuple(a.stride())) for a in args if torch.is_tensor(a)]
            self.calls.append((func, operands))
        return func(*args, **(kwargs or {}))


def _product_size(func, operands):
    """(flops, bytes of operands and result) of one recorded product."""
    shapes = [shape for shape, _ in operands]
    if _MATMULS[func] in ("mm", "addmm"):
        (m, k), (_, n) = shapes[-2], shapes[-1]
        batch = 1
    else:
        (batch, m, k), (_, _, n) = shapes[-2], shapes[-1]
    elements = batch * (m * k + k * n + m * n)
    return 2 * batch * m * k * n, 4 * elements


def _replay_ms(operands, count, min_seconds, windows=5):
    """ms per pass of the recorded products, run back to back on ``count`` threads: the best
    of ``windows`` windows of ``min_seconds / windows`` each (a busy moment spoils one)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(count)
    best = math.inf
    try:
        for f, args in operands:
            f(*args)
        for _ in range(windows):
            passes, elapsed = 0, 0.0
            start = time.perf_counter()
            while elapsed < min_seconds / windows:
                for f, args in operands:
                    f(*args)
                passes += 1
                elapsed = time.perf_counter() - start
            best = min(best, elapsed / passes)
    finally:
        torch.set_num_threads(saved)
    return 1e3 * best


def step_arithmetic(replay, min_seconds=0.3):
    """Flops, bytes and matmul-only time of one generator step of ``replay``'s game, and the
    floor from the machine's rates measured beside it."""
    one = _with_steps(replay, 1)
    recorder = _MatmulRecorder()
    with FlopCounterMode(display=False) as counter, recorder:
        one.solve()
    flops = sum(_product_size(f, ops)[0] for f, ops in recorder.calls)
    nbytes = sum(_product_size(f, ops)[1] for f, ops in recorder.calls)
    operands = [(f, [torch.empty_strided(shape, stride).normal_() for shape, stride in ops])
                for f, ops in recorder.calls]
    counts = sorted({1, min(2, os.cpu_count() or 1)})
    replayed = {count: _replay_ms(operands, count, min_seconds) for count in counts}
    rates = machine_rates()
    gflops = max(rates[f"gflops_{count}_threads"] for count in counts)
    floor_flops, floor_bytes = flops / (gflops * 1e9), nbytes / (rates["copy_gb_per_s"] * 1e9)
    return {
        "products": len(recorder.calls),
        "mflop": flops / 1e6,
        "mflop_flop_counter": counter.get_total_flops() / 1e6,
        "mbytes": nbytes / 1e6,
        "matmul_ms": replayed[_loop_threads(replay)],
        **{f"matmul_ms_{count}_threads": ms for count, ms in replayed.items()},
        "rates_beside": rates,
        "floor_ms": 1e3 * max(floor_flops, floor_bytes),
        "floor_flops_ms": 1e3 * floor_flops,
        "floor_bytes_ms": 1e3 * floor_bytes,
    }


def direct_fits(estimator_class, X, repeats):
    times = [_timed(lambda: estimator_class(random_state=0).fit(X))[1] for _ in range(repeats)]
    return statistics.median(times)


# --- the run ---------------------------------------------------------------------------------


def run(sizes, repeats, direct_max_p):
    """Every cell of ``sizes`` ({p: n}); returns the machine's rates and the cells."""
    rates = machine_rates()
    rates["small_products_ms"] = small_products_ms()
    print(f"machine: {rates}", flush=True)
    # The first fit of a process pays torch's lazy initialisation: a small one first.
    warm = make_huber_contamination(500, 5, 0.2, random_state=0).X
    for cls in ESTIMATORS.values():
        cls(n_steps=5, random_state=0).fit(warm)
    cells = []
    for p, n in sizes.items():
        data = make_huber_contamination(n, p, 0.2, random_state=0)
        for name, cls in ESTIMATORS.items():
            load = _load()
            parts, replay = fit_parts(cls(random_state=0), data.X)
            cell = {"estimator": name, "p": p, "n": n, "load_before": load, **parts,
                    **step_arithmetic(replay)}
            del replay
            # Beside the cell, at the thread count its game ran on.
            cell["overhead_ms"] = step_overhead(name, default_threads=parts["threads"] > 1)
            if p <= direct_max_p:
                cell["fit_direct_s"] = direct_fits(cls, data.X, repeats)
            cell["load_after"] = _load()
            cells.append(cell)
            print(_line(cell), flush=True)
        del data
    at_end = small_products_ms()
    if at_end > SLOWED_PROCESS * rates["small_products_ms"]:
        print(f"warning: the small products took {at_end:.0f} ms at the end of the run against "
              f"{rates['small_products_ms']:.0f} ms at its start: the process slowed, and the "
              "later cells with it", flush=True)
    return {"rates": rates, "cells": cells, "small_products_end_ms": at_end}


def _line(c):
    return (f"{c['estimator']:16s} p={c['p']:5d} n={c['n']:6d}: fit {c['fit_s']:.2f}s "
            f"(start {c['start_s']:.2f}, game {c['game_s']:.2f}, finish {c['finish_s']:.2f}; "
            f"direct {c.get('fit_direct_s', math.nan):.2f}), {c['n_steps']} steps of "
            f"{c['step_ms']:.2f} ms on {c['threads']} thread(s) (overhead "
            f"{c['overhead_ms']:.2f}, matmuls {c['matmul_ms']:.2f}, floor {c['floor_ms']:.3f}; "
            f"{c['mflop']:.1f} MFLOP), load {c['load_before']}-{c['load_after']}; start: "
            f"{_where_text(c['start_where'], c['start_s'])}")


def _where_text(where, total, top=3):
    return ", ".join(f"{name.rsplit('.', 1)[-1]} {seconds / total:.0%} ({calls}×)"
                     for name, seconds, calls in where[:top])


def _rates_text(rates):
    return (f"{rates['gflops_1_threads']:.0f} / "
            f"{rates.get('gflops_2_threads', math.nan):.0f}")


def markdown(result, note):
    rates = result["rates"]
    fits = [[c["estimator"], c["p"], c["n"], c["fit_s"], c["start_s"], c["game_s"],
             c["finish_s"], c.get("fit_direct_s", "not run"), c["n_steps"],
             f"{c['load_before']}–{c['load_after']}",
             _where_text(c["start_where"], c["start_s"])] for c in result["cells"]]
    steps = [[c["estimator"], c["p"], f"{c['step_ms']:.2f}", f"{c['setup_ms']:.0f}",
              c["threads"], f"{c['overhead_ms']:.2f}", f"{c['matmul_ms_1_threads']:.2f}",
              f"{c.get('matmul_ms_2_threads', math.nan):.2f}", f"{c['mflop']:.1f}",
              f"{c['mbytes']:.2f}",
              _rates_text(c["rates_beside"]),
              f"{c['floor_ms']:.3f}", f"{c['step_ms'] / c['floor_ms']:.1f}×"]
             for c in result["cells"]]
    lines = [
        "# Where the time of a default fit goes (benchmarks/bench_speed.py)",
        "",
        note,
        "",
        (f"Machine at the start: matmul {rates['gflops_1_threads']:.1f} GFLOP/s on 1 thread, "
         f"{rates.get('gflops_2_threads', math.nan):.1f} on 2 (fp32 2048², best of 3); copy "
         f"{rates['copy_gb_per_s']:.1f} GB/s. Far design, ε = 0.2, seed 0."),
        "",
        (f"2,000 small products (100 × 100 by 100 × 500, fp32, torch's default threads): "
         f"{rates['small_products_ms']:.0f} ms at the start of the run, "
         f"{result['small_products_end_ms']:.0f} ms at its end (a process whose torch work "
         "slowed between the two, as with a second OpenMP team, shows here)."),
        "",
        "## Per fit",
        "",
        markdown_table(["estimator", "p", "n", "fit s", "start s", "game s", "finish s",
                        "fit() s", "steps", "load", "start: where (share of the start, calls)"],
                       fits),
        "",
        ("fit = start + game + finish (the parts of `fit` timed apart, start and finish under "
         "cProfile); fit() = `fit` itself, median of the repeats. start: where = the "
         "robustgan functions with the largest cumulative share of the start (nested ones "
         "overlap; thin wrappers left out)."),
        "",
        "## Per generator step",
        "",
        markdown_table(["estimator", "p", "ms/step", "setup ms", "threads",
                        "overhead ms/step", "matmuls ms (1 thr)", "matmuls ms (2 thr)",
                        "MFLOP/step", "MB/step", "GFLOP/s beside (1 / 2 thr)",
                        "floor ms/step", "step/floor"], steps),
        "",
        (f"ms/step = (first game − its first {SHORT_STEPS} steps)/(its steps − {SHORT_STEPS}) "
         "(a refereed RobustGANMean's first game is the referee's 100 steps); setup = the "
         "game's one-time cost (noisy: negative means the short game was slowed more). threads "
         "= the loop's intra-op threads for this game. overhead = ms/step of the same "
         "estimator on p = 2, batch 8 (arithmetic negligible) on that thread count, measured "
         "after the cell. matmuls = the step's recorded matrix products replayed back to back. "
         "floor = max(flops / the faster matmul rate beside the cell, bytes / copy "
         "bandwidth)."),
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="p = 10, 100 at n = 10,000, one repeat")
    parser.add_argument("--n-large", type=int, default=10_000, help="n for p = 1000")
    parser.add_argument("--repeats", type=int, default=3, help="fit() timings per cell")
    parser.add_argument("--name", default=None, help="results/<name>.json and .md")
    args = parser.parse_args()
    if args.quick:
        sizes, repeats, name = {10: 10_000, 100: 10_000}, 1, "bench_speed_quick"
        note = "Quick run: n = 10,000, one fit() timing per cell."
    else:
        sizes = {10: 50_000, 100: 50_000, 1000: args.n_large}
        repeats, name = args.repeats, "bench_speed"
        note = (f"n = 50,000 for p ≤ 100, n = {args.n_large:,} for p = 1000 (the start of one "
                "fit at p = 1000, n = 50,000 took 242 s on this shared machine); fit() timed "
                f"({repeats} repeats) for p ≤ 100 only. Where a CPU is spare, RobustGANMean's "
                "robust start runs beside its game (robustgan._threads.beside): its work then "
                "overlaps the game's (slowing its steps) and shows in 'finish' as the wait for "
                "it; 'start' is what precedes the game.")
    name = args.name or name
    started = time.perf_counter()
    result = run(sizes, repeats, direct_max_p=100)
    result["note"] = note
    result["wall_s"] = time.perf_counter() - started
    write_json(name, result)
    text = markdown(result, note)
    path = RESULTS / f"{name}.md"
    atomic_write_text(path, text)
    print(text)
    print(f"wrote {path} in {result['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
