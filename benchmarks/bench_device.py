"""The default estimators on each device this machine has: fit time, error, and agreement with
the CPU's answer; on a CUDA device, with and without CUDA graphs of the game's steps (issue 16).

For ``RobustGANMean()`` and ``RobustGANScatter()`` (defaults, ``random_state=0``) on the far
design (inliers N(0, I), ε = 0.2, Q = N(5·1, I)) at each size, on every device of
``robustgan.engine.available_devices()`` (the CPU, and each CUDA device where there is one,
twice: step by step, and its steps replayed from CUDA graphs):

- cold: the first fit on that device in this process (CUDA's context and kernels load then);
- warm: the median of ``--repeats`` further fits;
- location ‖θ̂ − θ‖₂ and, for the scatter estimator, ‖Σ̂ − I‖_op;
- vs CPU: the largest difference between this device's location (and covariance) and the
  CPU's, relative to the CPU's error. The game runs in float32 on either device and the
  kernels sum in different orders, so the answers differ; the error they reach should not.

The start (``trimmed_scatter``'s concentration steps, NumPy) runs on the CPU whatever the
device; only the game moves. CUDA graphs are off by default for now
(``robustgan._step_graphs.BY_DEFAULT``); the rows marked "graphs" turn them on. On a CUDA
device, ``--games`` also times bare games
(``train_adversarial``: 1,000 generator steps of the estimators' location and Gaussian games,
n = 5,000, checks every 2 or 50 steps) with and without graphs: the time per step, and how far
the two runs' estimates are apart.

    python benchmarks/bench_device.py                       # results/bench_device.json
    python benchmarks/bench_device.py --sizes 100x5,50000x100 --repeats 5 --games
"""

import argparse
import statistics
import time
import warnings
from contextlib import contextmanager

import numpy as np
from _common import markdown_table, write_json

from robustgan import RobustGANMean, RobustGANScatter, _step_graphs
from robustgan.datasets import make_huber_contamination
from robustgan.engine import available_devices, train_adversarial
from robustgan.nets import GaussianGenerator, LocationGenerator, MLPDiscriminator

NAME = "bench_device"
SIZES = ((100, 5), (2_000, 10), (50_000, 100))
ESTIMATORS = {"RobustGANMean": RobustGANMean, "RobustGANScatter": RobustGANScatter}
WITH_GRAPHS = ", graphs"
GAMES = (("location", 10), ("location", 100), ("location", 1_000), ("gaussian", 10),
         ("gaussian", 100))
GAME_STEPS = 1_000


@contextmanager
def graphs_by_default(enabled):
    """The estimators' games (``cuda_graphs=None``) replayed from CUDA graphs, or not."""
    saved = _step_graphs.BY_DEFAULT
    _step_graphs.BY_DEFAULT = enabled
    try:
        yield
    finally:
        _step_graphs.BY_DEFAULT = saved


def settings(devices):
    """(label, device, graphs) per way of fitting: the CPU; each CUDA device step by step and
    replayed from graphs."""
    out = []
    for device in devices:
        out.append((str(device), device, False))
        if str(device).startswith("cuda"):
            out.append((str(device) + WITH_GRAPHS, device, True))
    return out


def synchronize(device):
    """Wait for CUDA's queued work, so that it counts in the time."""
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize(device)


def fit_once(estimator, X, device, graphs=True):
    """(fitted estimator, wall seconds), with CUDA's queued work finished inside the time."""
    start = time.perf_counter()
    with warnings.catch_warnings(), graphs_by_default(graphs):
        warnings.simplefilter("ignore")
        fitted = ESTIMATORS[estimator](random_state=0, device=device).fit(X)
    synchronize(device)
    return fitted, time.perf_counter() - start


def measure(estimator, n, p, devices, repeats):
    """One row per way of fitting (``settings``) for one (estimator, n, p)."""
    data = make_huber_contamination(n, p, 0.2, shift=5.0, random_state=0)
    truth = np.zeros(p)
    rows, reference = [], None
    for label, device, graphs in settings(devices):
        fitted, cold = fit_once(estimator, data.X, device, graphs)
        warm = [fit_once(estimator, data.X, device, graphs)[1] for _ in range(repeats)]
        location = fitted.location_
        covariance = getattr(fitted, "covariance_", None)
        row = {"estimator": estimator, "n": n, "p": p, "device": label,
               "cold_seconds": cold, "warm_seconds": statistics.median(warm),
               "location_error": float(np.linalg.norm(location - truth)),
               "scatter_error": (None if covariance is None
                                 else float(np.linalg.norm(covariance - np.eye(p), 2))),
               "selected": str(getattr(fitted, "selected_", ""))}
        if reference is None:
            reference = (location, covariance, row)
        else:
            row["location_vs_cpu"] = float(np.abs(location - reference[0]).max()
                                           / reference[2]["location_error"])
            if covariance is not None:
                row["scatter_vs_cpu"] = float(np.abs(covariance - reference[1]).max()
                                              / reference[2]["scatter_error"])
        rows.append(row)
        print(f"[{estimator} {n}x{p} {label}] cold {cold:.2f} s, warm {row['warm_seconds']:.3f} s,"
              f" location {row['location_error']:.4f}", flush=True)
    return rows


def play_game(model, p, device, check_every, graphs, n=5_000, n_steps=GAME_STEPS):
    """(estimate, seconds) of one bare game of the estimators' kind on the far design."""
    import torch

    rows = torch.randn(n, p, generator=torch.Generator().manual_seed(0))
    rows[: n // 5] += 5.0
    rows = rows.to(device)
    torch.manual_seed(0)
    discriminator = MLPDiscriminator(p, hidden_sizes=(2 * p,)).to(device)
    location = torch.zeros(p, device=device)
    generator = (LocationGenerator(location) if model == "location"
                 else GaussianGenerator(location, torch.eye(p, device=device)))
    lr_g = 0.1 if model == "location" else 0.005
    synchronize(device)
    start = time.perf_counter()
    with graphs_by_default(graphs):
        fit = train_adversarial(rows, generator, discriminator, n_steps=n_steps, n_critic=3,
                                lr_g=lr_g, latent_sampler="pool", check_every=check_every,
                                random_state=0)
    estimate = torch.cat([v.flatten() for v in fit.averaged_parameters.values()])
    synchronize(device)
    return estimate, time.perf_counter() - start


def measure_games(device, repeats):
    """Per bare game and check interval: ms per step with and without graphs, and the largest
    difference of the two estimates relative to the estimate's size."""
    rows = []
    for model, p in GAMES:
        for check_every in (2, 50):
            times, estimates = {}, {}
            for graphs in (False, True):
                play_game(model, p, device, check_every, graphs)  # kernels and captures warm
                runs = [play_game(model, p, device, check_every, graphs) for _ in range(repeats)]
                estimates[graphs] = runs[0][0]
                times[graphs] = statistics.median(t for _, t in runs)
            difference = float((estimates[True] - estimates[False]).abs().max()
                               / estimates[False].abs().max().clamp(min=1e-12))
            row = {"model": model, "p": p, "check_every": check_every,
                   "ms_per_step_step_by_step": 1e3 * times[False] / GAME_STEPS,
                   "ms_per_step_graphs": 1e3 * times[True] / GAME_STEPS,
                   "speedup": times[False] / times[True], "relative_difference": difference}
            rows.append(row)
            print(f"[game {model} p={p} check every {check_every}] "
                  f"{row['ms_per_step_step_by_step']:.3f} -> {row['ms_per_step_graphs']:.3f} "
                  f"ms/step, difference {difference:.2e}", flush=True)
    return rows


def parse_sizes(text):
    """'100x5,50000x100' -> ((100, 5), (50000, 100))."""
    try:
        return tuple(tuple(int(v) for v in item.split("x")) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes are NxP pairs separated by commas, got "
                                         f"{text!r}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=SIZES, help="e.g. 100x5,50000x100")
    parser.add_argument("--repeats", type=int, default=3, help="warm fits per cell")
    parser.add_argument("--games", action="store_true",
                        help="also time bare games with and without CUDA graphs (CUDA only)")
    parser.add_argument("--out", help="JSON path (default results/bench_device.json)")
    args = parser.parse_args(argv)
    devices = available_devices()
    games = []
    if args.games:
        for device in devices:
            if str(device).startswith("cuda"):
                games.extend({"device": str(device), **row}
                             for row in measure_games(device, args.repeats))
    rows = []
    for n, p in args.sizes:
        for estimator in ESTIMATORS:
            rows.extend(measure(estimator, n, p, devices, args.repeats))
    header = ["estimator", "n × p", "device", "cold s", "warm s", "location", "scatter",
              "selected", "Δ location / CPU error", "Δ scatter / CPU error"]
    print(markdown_table(header, [
        [r["estimator"], f"{r['n']} × {r['p']}", r["device"], r["cold_seconds"],
         r["warm_seconds"], r["location_error"], r["scatter_error"] or "—", r["selected"],
         r.get("location_vs_cpu", "—"), r.get("scatter_vs_cpu", "—")] for r in rows]))
    if games:
        print(markdown_table(
            ["game", "p", "check every", "ms/step step by step", "ms/step graphs", "speed-up",
             "Δ estimate (relative)"],
            [[g["model"], g["p"], g["check_every"], g["ms_per_step_step_by_step"],
              g["ms_per_step_graphs"], g["speedup"], g["relative_difference"]] for g in games]))
    path = write_json(NAME, {"devices": [str(d) for d in devices], "repeats": args.repeats,
                             "rows": rows, "games": games}, args.out)
    print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
