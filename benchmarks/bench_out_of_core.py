"""Out-of-core fits: a float32 memmap of 2,000,000 × 100 rows, against the same estimator on its
first 50,000 rows in memory (issue 16's bar: peak RSS growth ≤ 400 MB, time ≤ 4×, error ≤ 0.08
on the far design), and a Dask array of the same file giving the memmap's answer.

Each fit runs in a fresh child process, whose peak RSS (VmHWM, reset before the fit) is the fit's; the
file is written once (about 800 MB, in a temporary folder unless ``--dir`` is given) and
removed at the end. Prints a table and writes JSON (``results/bench_out_of_core.json``).

    OMP_NUM_THREADS=1 python benchmarks/bench_out_of_core.py            # ~3-5 min
    python benchmarks/bench_out_of_core.py --rows 400000                 # quicker
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from _common import markdown_table, reset_peak_rss, status_bytes, write_json

N_FEATURES = 100
EPS = 0.2
CHUNK = 100_000


def write_memmap(path, n, seed=0):
    """The far design (inliers N(0, I), outliers N(5·1, I) at rate ε) as float32, by chunks."""
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, N_FEATURES))
    rng = np.random.default_rng(seed)
    for start in range(0, n, CHUNK):
        rows = min(CHUNK, n - start)
        block = rng.standard_normal((rows, N_FEATURES), dtype=np.float32)
        block[rng.random(rows) < EPS] += 5.0
        X[start:start + rows] = block
    X.flush()
    del X


def child(spec):
    """Fit one configuration; print JSON with its time, error and peak RSS growth."""
    import robustgan

    cls = getattr(robustgan, spec["estimator"])
    X = np.load(spec["path"], mmap_mode="r")
    if spec["input"] == "in-memory":
        X = np.array(X[: spec["rows"]], dtype=np.float64)
    elif spec["input"] == "dask":
        import dask.array as da

        X = da.from_array(X, chunks=(CHUNK, N_FEATURES))
    before = status_bytes("VmRSS")
    if not reset_peak_rss():
        raise OSError("cannot reset the peak RSS (/proc/self/clear_refs)")
    start = time.perf_counter()
    est = cls(random_state=0).fit(X)
    seconds = time.perf_counter() - start
    peak = status_bytes("VmHWM")
    print(json.dumps({"seconds": seconds, "error": float(np.linalg.norm(est.location_)),
                      "location": est.location_.tolist(),
                      "rss_growth_mb": (peak - before) / 1024.0**2}))


def run(spec):
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--dir", default=None, help="where to write the memmap file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--estimators", default="RobustGANMean,RobustGANScatter")
    args = parser.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = os.path.join(folder, "far.npy")
        start = time.perf_counter()
        write_memmap(path, args.rows)
        print(f"wrote {args.rows:,} x {N_FEATURES} float32 in {time.perf_counter() - start:.0f} s",
              flush=True)
        rows, results = [], {}
        for name in args.estimators.split(","):
            fits = {kind: run({"estimator": name, "path": path, "input": kind, "rows": 50_000})
                    for kind in ("in-memory", "memmap", "dask")}
            memory, mapped, lazy = fits["in-memory"], fits["memmap"], fits["dask"]
            same = float(np.max(np.abs(np.subtract(mapped["location"], lazy["location"]))))
            results[name] = {**fits, "dask_vs_memmap_max_abs": same}
            rows.append([name, f"{memory['seconds']:.1f}", f"{mapped['seconds']:.1f}",
                         f"{mapped['seconds'] / memory['seconds']:.2f}",
                         f"{memory['error']:.3f}", f"{mapped['error']:.3f}",
                         f"{memory['rss_growth_mb']:.0f}", f"{mapped['rss_growth_mb']:.0f}",
                         f"{lazy['seconds']:.1f}", f"{same:.1e}"])
            print(markdown_table(["estimator", "50k in memory s", "memmap s", "ratio",
                                  "error 50k", "error memmap", "RSS MB 50k", "RSS MB memmap",
                                  "dask s", "|dask − memmap|"], rows), flush=True)
    write_json("bench_out_of_core", {"rows": args.rows, "p": N_FEATURES,
                                      "eps": EPS, "results": results})


if __name__ == "__main__":
    main()
