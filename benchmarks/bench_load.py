"""Fits under load: small games against busy cores, and GridSearchCV's parallel folds (issue 16).

    python benchmarks/bench_load.py                 # (a) and (b), a few minutes on 2 cores
    python benchmarks/bench_load.py --part busy     # only (a)
    python benchmarks/bench_load.py --part grid     # only (b)
    python benchmarks/bench_load.py --part threshold    # step time on 1 vs default threads
    python benchmarks/bench_load.py --unscoped      # (a) also without the one-thread scope

Parts:

- (a) busy: ``RobustGANMean().fit`` and ``RobustGANScatter().fit`` on 100 × 5 (ε = 0.2,
  Q = N(5·1, I)) while two CPU-bound processes (Python busy loops, spawned here and killed at
  the end) compete for the cores, with torch's default threads; ``MinCovDet().fit`` on the same
  data timed beside them, alternating, under the same load. Median of ``--repeats`` fits after a
  warm-up (the first fit of a process pays torch's imports, seconds under load). Bar: each GAN
  fit ≤ 10× MinCovDet's time. ``--unscoped`` adds the same fits with the training loop's
  one-thread scope disabled (``robustgan._threads.SMALL_STEP_WORK = 0``), the behaviour before.
- (b) grid: a 5-fold ``GridSearchCV(RobustGANMean(), {"n_critic": [3, 5]})`` at n = 2,000,
  p = 10, with ``n_jobs=2`` against ``n_jobs=1``, no busy processes. Bar: n_jobs=2 ≤ 3× the
  time of n_jobs=1 (it should be faster; the bar catches oversubscription), with warm workers;
  the first parallel search (cold: its worker processes import torch) is reported beside it.
- threshold: time per generator step of ``train_adversarial`` at growing step work (rows ×
  discriminator parameters) with one intra-op thread and with the default count, the scope
  disabled. Where one thread is no slower, the scope's one thread is free; the threshold
  ``robustgan._threads.SMALL_STEP_WORK`` is set below the work where more threads start to pay.

The machine's load average is recorded with every number: these are shared machines, and a
number is only as quiet as its load.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import torch
from _common import markdown_table, write_json

import robustgan._threads as threads
from robustgan import RobustGANMean, RobustGANScatter, make_huber_contamination
from robustgan.engine import train_adversarial
from robustgan.nets import LocationGenerator, MLPDiscriminator

BUSY = "while True:\n    pass\n"


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed_cpu(fn):
    """(wall seconds, this process's CPU seconds) of one call: on a loaded machine the second
    tells the work from the waiting."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _busy_processes(count):
    return [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(count)]


def _stop(processes):
    for process in processes:
        process.kill()
    for process in processes:
        process.wait()


def busy(repeats=3, unscoped=False, busy_count=2):
    from sklearn.covariance import MinCovDet

    X = make_huber_contamination(100, 5, 0.2, random_state=0).X
    fits = {
        "MinCovDet": lambda: MinCovDet(random_state=0).fit(X),
        "RobustGANMean": lambda: RobustGANMean(random_state=0).fit(X),
        "RobustGANScatter": lambda: RobustGANScatter(random_state=0).fit(X),
    }
    for fit in fits.values():  # warm-up: imports and first-call costs, before the load
        fit()
    processes = _busy_processes(busy_count)
    saved = threads.SMALL_STEP_WORK
    records = []
    try:
        time.sleep(1.0)
        modes = [("scoped", saved)] + ([("unscoped", 0)] if unscoped else [])
        for mode, work in modes:
            threads.SMALL_STEP_WORK = work
            times = {name: [] for name in fits}
            cpu = {name: [] for name in fits}
            load = os.getloadavg()[0]
            for _ in range(repeats if mode == "scoped" else 1):
                for name, fit in fits.items():
                    wall, seconds = _timed_cpu(fit)
                    times[name].append(wall)
                    cpu[name].append(seconds)
            mcd = statistics.median(times["MinCovDet"])
            mcd_cpu = statistics.median(cpu["MinCovDet"])
            for name in ("RobustGANMean", "RobustGANScatter"):
                median = statistics.median(times[name])
                median_cpu = statistics.median(cpu[name])
                records.append({"mode": mode, "estimator": name, "seconds": median,
                                "all_seconds": times[name], "mincovdet_seconds": mcd,
                                "ratio": median / mcd, "cpu_seconds": median_cpu,
                                "mincovdet_cpu_seconds": mcd_cpu, "cpu_ratio": median_cpu / mcd_cpu,
                                "bar": 10.0, "passed": median <= 10 * mcd,
                                "torch_threads": torch.get_num_threads(), "load_1min": load})
    finally:
        threads.SMALL_STEP_WORK = saved
        _stop(processes)
    header = ["mode", "estimator", "fit s", "MinCovDet s", "ratio", "bar", "CPU s", "CPU ratio",
              "load"]
    rows = [[r["mode"], r["estimator"], r["seconds"], r["mincovdet_seconds"], r["ratio"],
             "≤ 10×" + (" ok" if r["passed"] else " FAIL"), r["cpu_seconds"], r["cpu_ratio"],
             r["load_1min"]] for r in records]
    print(f"\n(a) 100 × 5, {busy_count} busy processes, torch threads {torch.get_num_threads()}")
    print(markdown_table(header, rows))
    return records


def grid(n_jobs=2, folds=5):
    from sklearn.model_selection import GridSearchCV

    X = make_huber_contamination(2_000, 10, 0.2, random_state=0).X
    search = {"n_critic": [3, 5]}

    def search_time(jobs, **params):
        return _timed(lambda: GridSearchCV(RobustGANMean(random_state=0, **params), search,
                                           cv=folds, n_jobs=jobs).fit(X))

    search_time(1, n_steps=5)  # warm-up of this process: imports, first-call costs
    runs = []
    # Cold: the first parallel search starts its worker processes, which import torch.
    for label, jobs in (("warm", 1), ("cold", n_jobs), ("warm", n_jobs)):
        load = os.getloadavg()[0]
        runs.append({"n_jobs": jobs, "workers": label, "seconds": search_time(jobs),
                     "load_1min": load})
    serial = runs[0]["seconds"]
    ratio = runs[2]["seconds"] / serial
    result = {"runs": runs, "ratio": ratio, "cold_ratio": runs[1]["seconds"] / serial,
              "bar": 3.0, "passed": ratio <= 3.0}
    candidates = len(search["n_critic"])
    print(f"\n(b) GridSearchCV, {folds} folds × {candidates} candidates, n=2,000, p=10")
    print(markdown_table(["n_jobs", "workers", "seconds", "load"],
                         [[r["n_jobs"], r["workers"], r["seconds"], r["load_1min"]] for r in runs]))
    print(f"n_jobs={n_jobs} / n_jobs=1, warm workers: {ratio:.2f} (bar ≤ 3×: "
          f"{'ok' if result['passed'] else 'FAIL'}); cold workers: {result['cold_ratio']:.2f}")
    return result


THRESHOLD_CASES = [  # (rows, p, hidden): the estimators' sizes and a few larger ones
    (100, 5, (20,)), (500, 10, (20,)), (500, 100, (20,)), (500, 10, (100, 25)),
    (500, 100, (100, 25)), (500, 200, (200, 50)), (2000, 200, (200, 50)), (2000, 500, (500, 100)),
]


def threshold(steps=60, repeats=3):
    default = torch.get_num_threads()
    saved = threads.SMALL_STEP_WORK
    threads.SMALL_STEP_WORK = 0  # measure both settings without the scope
    records = []
    try:
        for rows, p, hidden in THRESHOLD_CASES:
            real = torch.randn(max(rows, 1000), p)
            times = {}
            for count in (1, default):
                torch.set_num_threads(count)
                best = []
                for r in range(repeats):
                    torch.manual_seed(r)
                    disc = MLPDiscriminator(p, hidden_sizes=hidden)
                    gen = LocationGenerator(torch.zeros(p))
                    best.append(_timed(lambda: train_adversarial(
                        real, gen, disc, n_steps=steps, n_critic=3, batch_size=rows,
                        random_state=r)) / steps)
                times[count] = min(best)
            torch.set_num_threads(default)
            disc = MLPDiscriminator(p, hidden_sizes=hidden)
            work = threads.step_work(rows, disc)
            records.append({"rows": rows, "p": p, "hidden": list(hidden), "work": work,
                            "ms_per_step_1": 1e3 * times[1], f"ms_per_step_{default}":
                            1e3 * times[default], "speedup": times[1] / times[default],
                            "load_1min": os.getloadavg()[0]})
    finally:
        threads.SMALL_STEP_WORK = saved
        torch.set_num_threads(default)
    print(f"\nthreshold: ms per generator step (3 critic steps), 1 vs {default} threads")
    print(markdown_table(
        ["rows", "p", "hidden", "work", "1 thread", f"{default} threads", "speed-up", "load"],
        [[r["rows"], r["p"], tuple(r["hidden"]), r["work"], r["ms_per_step_1"],
          r[f"ms_per_step_{default}"], r["speedup"], r["load_1min"]] for r in records]))
    print(f"SMALL_STEP_WORK = {saved:,}")
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["all", "busy", "grid", "threshold"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--unscoped", action="store_true")
    args = parser.parse_args()
    payload = {"small_step_work": threads.SMALL_STEP_WORK}
    if args.part in ("all", "busy"):
        payload["busy"] = busy(args.repeats, args.unscoped)
    if args.part in ("all", "grid"):
        payload["grid"] = grid()
    if args.part == "threshold":
        payload["threshold"] = threshold()
    name = "bench_load" if args.part == "all" else f"bench_load_{args.part}"
    print("wrote", write_json(name, payload))


if __name__ == "__main__":
    main()
