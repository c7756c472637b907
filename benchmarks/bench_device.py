"""The default estimators on each device this machine has: fit time, error, and agreement with
the CPU's answer (issue 16).

For ``RobustGANMean()`` and ``RobustGANScatter()`` (defaults, ``random_state=0``) on the far
design (inliers N(0, I), ε = 0.2, Q = N(5·1, I)) at each size, on every device of
``robustgan.engine.available_devices()`` (the CPU, and each CUDA device where there is one):

- cold: the first fit on that device in this process (CUDA's context and kernels load then);
- warm: the median of ``--repeats`` further fits;
- location ‖θ̂ − θ‖₂ and, for the scatter estimator, ‖Σ̂ − I‖_op;
- vs CPU: the largest difference between this device's location (and covariance) and the
  CPU's, relative to the CPU's error. The game runs in float32 on either device and the
  kernels sum in different orders, so the answers differ; the error they reach should not.

The start (``trimmed_scatter``'s concentration steps, NumPy) runs on the CPU whatever the
device; only the game moves.

    python benchmarks/bench_device.py                       # results/bench_device.json
    python benchmarks/bench_device.py --sizes 100x5,50000x100 --repeats 5
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from _common import markdown_table, write_json

from robustgan import RobustGANMean, RobustGANScatter
from robustgan.datasets import make_huber_contamination
from robustgan.engine import available_devices

NAME = "bench_device"
SIZES = ((100, 5), (2_000, 10), (50_000, 100))
ESTIMATORS = {"RobustGANMean": RobustGANMean, "RobustGANScatter": RobustGANScatter}


def fit_once(estimator, X, device):
    """(fitted estimator, wall seconds), with CUDA's queued work finished inside the time."""
    import torch

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ESTIMATORS[estimator](random_state=0, device=device).fit(X)
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    return fitted, time.perf_counter() - start


def measure(estimator, n, p, devices, repeats):
    """One row per device for one (estimator, n, p)."""
    data = make_huber_contamination(n, p, 0.2, shift=5.0, random_state=0)
    truth = np.zeros(p)
    rows, reference = [], None
    for device in devices:
        fitted, cold = fit_once(estimator, data.X, device)
        warm = [fit_once(estimator, data.X, device)[1] for _ in range(repeats)]
        location = fitted.location_
        covariance = getattr(fitted, "covariance_", None)
        row = {"estimator": estimator, "n": n, "p": p, "device": str(device),
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
        print(f"[{estimator} {n}x{p} {device}] cold {cold:.2f} s, warm {row['warm_seconds']:.3f} s,"
              f" location {row['location_error']:.4f}", flush=True)
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
    parser.add_argument("--out", help="JSON path (default results/bench_device.json)")
    args = parser.parse_args(argv)
    devices = available_devices()
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
    path = write_json(NAME, {"devices": [str(d) for d in devices], "repeats": args.repeats,
                             "rows": rows}, args.out)
    print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
