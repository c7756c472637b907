"""Batched fits (``robustgan.fit_many``) against the one-at-a-time loop, on the issue's bars.

    python benchmarks/bench_batched.py                  # everything (about 6 minutes on 2 cores)
    python benchmarks/bench_batched.py --threads 1      # pin torch to one thread
    python benchmarks/bench_batched.py --compile        # also time the torch.compile'd batches

Parts, all in one run so that the ratios share the machine's load (printed with them):

- throughput: R JS-GAN mean fits (``RobustGANMean`` defaults, ε = 0.2, Q = N(5·1, I)) at
  (n=2,000, p=10, R=64) and (n=20,000, p=100, R=16), and R TV-GAN mean fits
  (``RobustGANMean("tv")``: its JS-GAN game, 300 steps here, then its TV game, 300 steps with
  5 discriminator steps each; ``fit_many`` plays each stage as one batched game) at
  (n=2,000, p=10, R=64): wall time of ``[RobustGANMean(divergence, random_state=s).fit(X)
  for ...]`` against ``fit_many`` on the same data and seeds, both after a warm-up; fits per
  second and their ratio. Process CPU time too: on a shared machine it tells a slow run from
  a descheduled one. "steps" is ``n_iter_``, the TV game's for TV.
- agreement: the 64 errors ‖θ̂ − θ‖₂ of the game's estimate (``game_location_``) of each
  p = 10 setting, one-at-a-time against batched (same data sets, same seeds, different random
  streams): two-sample Kolmogorov–Smirnov test at level 0.01, and the medians.
- memory: in fresh processes, the peak RSS during the batched fit of the first setting and
  during the one-at-a-time loop on the same data (Linux: the high-water mark is reset before
  the fit through /proc/self/clear_refs; elsewhere ``getrusage``'s peak since start), the bytes
  of the input data sets and of the one float32 buffer the batch trains on, and whether the
  sampler used that buffer as it is (no second copy).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from _common import markdown_table, reset_peak_rss, status_bytes, write_json
from scipy import stats

from robustgan import RobustGANMean, fit_many, make_huber_contamination

SETTINGS = [
    {"divergence": "js", "n": 2_000, "p": 10, "R": 64, "bar": 10.0},
    {"divergence": "js", "n": 20_000, "p": 100, "R": 16, "bar": 5.0},
    {"divergence": "tv", "n": 2_000, "p": 10, "R": 64, "bar": 5.0},
]
EPSILON = 0.2
LOOP_MEMORY_FITS = 4


def _datasets(n, p, R):
    return [make_huber_contamination(n, p, EPSILON, random_state=seed) for seed in range(R)]


def _errors(fits, data):
    # The game's estimate: with scale="auto", location_ may be the robust start's, which is
    # computed the same way in both paths.
    return [float(np.linalg.norm(f.game_location_ - d.location)) for f, d in zip(fits, data)]


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start):
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def throughput(setting, compile=False):
    divergence, n, p, R = setting["divergence"], setting["n"], setting["p"], setting["R"]
    data = _datasets(n, p, R)
    Xs = [d.X for d in data]
    seeds = list(range(R))
    # Warm-up: first-call costs (imports, allocator, kernels) are not per-fit costs.
    RobustGANMean(divergence, random_state=0, n_steps=5).fit(Xs[0])
    fit_many(RobustGANMean(divergence, n_steps=5), Xs[:2], random_states=seeds[:2])

    load_before = os.getloadavg()
    start = _clock()
    solo = [RobustGANMean(divergence, random_state=s).fit(X) for X, s in zip(Xs, seeds)]
    solo_wall, solo_cpu = _since(start)
    start = _clock()
    batched = fit_many(RobustGANMean(divergence), Xs, random_states=seeds)
    batched_wall, batched_cpu = _since(start)
    record = {
        **setting, "load_before": load_before, "load_after": os.getloadavg(),
        "solo_seconds": solo_wall, "solo_cpu_seconds": solo_cpu,
        "batched_seconds": batched_wall, "batched_cpu_seconds": batched_cpu,
        "solo_fits_per_second": R / solo_wall, "batched_fits_per_second": R / batched_wall,
        "ratio": solo_wall / batched_wall, "cpu_ratio": solo_cpu / batched_cpu,
        "solo_errors": _errors(solo, data), "batched_errors": _errors(batched, data),
        "n_steps": int(solo[0].n_iter_),
    }
    if compile:
        fit_many(RobustGANMean(divergence, n_steps=5), Xs, random_states=seeds,
                 compile=True)  # compiles
        start = _clock()
        fit_many(RobustGANMean(divergence), Xs, random_states=seeds, compile=True)
        record["compiled_seconds"], _ = _since(start)
        record["compiled_ratio"] = solo_wall / record["compiled_seconds"]
    return record


def agreement(record):
    solo, batched = np.array(record["solo_errors"]), np.array(record["batched_errors"])
    test = stats.ks_2samp(solo, batched)
    median_solo, median_batched = float(np.median(solo)), float(np.median(batched))
    return {
        "divergence": record["divergence"], "n": record["n"], "p": record["p"],
        "replicates": len(solo), "ks_statistic": float(test.statistic),
        "ks_pvalue": float(test.pvalue), "rejects_at_0.01": bool(test.pvalue < 0.01),
        "median_solo": median_solo, "median_batched": median_batched,
        "median_relative_difference": abs(median_batched - median_solo) / median_solo,
        "mean_solo": float(solo.mean()), "mean_batched": float(batched.mean()),
    }


def _peak_rss_bytes(reset):
    if reset:
        return status_bytes("VmHWM")
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def memory_child(n, p, R, mode):
    """Runs in a fresh process: RSS around the batched fit, or around the one-at-a-time loop."""
    from robustgan import batched

    copies = []
    original = batched._row_storage

    def watched(tensors):
        storage, offsets = original(tensors)
        copies.append(all(t.untyped_storage().data_ptr() != storage.untyped_storage().data_ptr()
                          for t in tensors))
        return storage, offsets

    batched._row_storage = watched
    data = _datasets(n, p, R)
    Xs = [d.X for d in data]
    # Warm-up, so that one-time imports and kernel set-up do not count as the fit's memory.
    RobustGANMean(random_state=0, n_steps=5).fit(Xs[0])
    fit_many(RobustGANMean(n_steps=5), Xs[:2], random_states=range(2))
    copies.clear()
    rss_before = status_bytes("VmRSS")
    reset = reset_peak_rss()
    if mode == "batched":
        fit_many(RobustGANMean(), Xs, random_states=range(R))
    else:
        # A loop holds one fit at a time: its peak is reached within the first few fits.
        for seed, X in enumerate(Xs[:LOOP_MEMORY_FITS]):
            RobustGANMean(random_state=seed).fit(X)
    peak = _peak_rss_bytes(reset)
    print(json.dumps({
        "mode": mode, "n": n, "p": p, "R": R, "rss_before_fit": rss_before, "peak_rss": peak,
        "peak_is_since_fit_start": reset, "peak_over_rss_before": peak - rss_before,
        "input_bytes": sum(X.nbytes for X in Xs), "training_buffer_bytes": R * n * p * 4,
        "sampler_copied_the_data": any(copies),
    }))


def memory(setting, threads, mode):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
         os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, os.path.abspath(__file__), "--memory-child",
               f"{setting['n']},{setting['p']},{setting['R']},{mode}", "--threads", str(threads)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own choice)")
    parser.add_argument("--compile", action="store_true", help="also time compile=True")
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        *sizes, mode = args.memory_child.split(",")
        memory_child(*(int(v) for v in sizes), mode)
        return

    records = [throughput(setting, compile=args.compile) for setting in SETTINGS]
    rows = []
    for r in records:
        rows.append([f"{r['divergence']}, n={r['n']:,}, p={r['p']}, R={r['R']}", r["n_steps"],
                     r["solo_seconds"],
                     r["batched_seconds"], r["ratio"], r["cpu_ratio"], f"≥ {r['bar']:g}",
                     "yes" if r["ratio"] >= r["bar"] else "no",
                     " / ".join(f"{v:.2f}" for v in r["load_before"][:1] + r["load_after"][:1])])
    print(f"## Throughput: one-at-a-time loop vs fit_many (torch threads: "
          f"{torch.get_num_threads()})\n")
    print(markdown_table(["setting", "steps", "loop s", "batched s", "ratio", "CPU-time ratio",
                          "bar", "met", "load avg before / after"], rows), "\n")
    if args.compile:
        print(markdown_table(["setting", "compiled s", "ratio"],
                             [[f"{r['divergence']}, p={r['p']}", r["compiled_seconds"],
                               r["compiled_ratio"]]
                              for r in records]), "\n")

    agree = [agreement(r) for r in records if r["p"] == 10]
    print("## Agreement: ‖θ̂ − θ‖₂ over 64 replicates (n=2,000, p=10, ε=0.2)\n")
    print(markdown_table(
        ["divergence", "KS statistic", "KS p-value", "rejects at 0.01", "median loop",
         "median batched", "median rel. diff"],
        [[a["divergence"], a["ks_statistic"], a["ks_pvalue"], a["rejects_at_0.01"],
          a["median_solo"], a["median_batched"], a["median_relative_difference"]]
         for a in agree]), "\n")

    mem = [memory(setting, torch.get_num_threads(), mode)
           for setting in SETTINGS if setting["divergence"] == "js"
           for mode in ("batched", "loop")]
    print("## Memory (fresh processes; RSS in MB)\n")
    print(markdown_table(
        ["setting", "run", "RSS before fit", "peak RSS during fit", "peak − before",
         "input data", "training buffer", "sampler copied the data"],
        [[f"n={m['n']:,}, p={m['p']}, R={m['R']}", m["mode"], m["rss_before_fit"] / 2**20,
          m["peak_rss"] / 2**20, m["peak_over_rss_before"] / 2**20, m["input_bytes"] / 2**20,
          m["training_buffer_bytes"] / 2**20,
          m["sampler_copied_the_data"] if m["mode"] == "batched" else "-"] for m in mem]),
        "\n")

    name = "bench_batched" if args.threads is None else f"bench_batched_threads{args.threads}"
    path = write_json(name, {"throughput": records, "agreement": agree, "memory": mem})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
