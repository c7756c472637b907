"""Memory of a default fit of data in memory: how many copies of its data a fit holds at its peak.

Each fit runs in a fresh child process on the far design of ``bench_highdim.py`` (inliers
N(0, I), 20% of the rows from N(5·1, I), float64, C order). Per fit, in units of the data's
own size (n·p·8 bytes):

* ``rss``: the growth of the process's peak resident memory during ``fit`` (VmHWM, reset
  before the fit, less the resident memory before it): everything the fit touched, NumPy,
  torch and the allocator's slack;
* ``numpy``: the peak of NumPy's allocations during ``fit`` (``tracemalloc``, in a second
  child, since tracing slows a fit): the part the estimators' own array code decides;

and the fit's seconds and a digest of ``location_`` (and ``covariance_``), so that two code
trees run side by side (``--trees``) can be checked to give the same fit to the bit.

    python benchmarks/bench_memory.py                               # 50,000 × 100, 20,000 × 400
    python benchmarks/bench_memory.py --cells 50000x1000            # the high-dimension cell
    python benchmarks/bench_memory.py --trees old=/tmp/old new=.    # two trees, side by side

Prints a table and writes JSON (``results/bench_memory.json`` unless ``--out``). Linux only
(``/proc/self/status`` and ``clear_refs``).
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import markdown_table, reset_peak_rss, status_bytes, write_json

ESTIMATORS = ("RobustGANMean", "RobustGANScatter")
DEFAULT_CELLS = ("50000x100", "20000x400")
EPS = 0.2


def far_design(n, p, seed=0):
    """Inliers N(0, I), the first ⌊εn⌋ rows from N(5·1, I)."""
    X = np.random.default_rng(seed).standard_normal((n, p))
    X[: int(EPS * n)] += 5.0
    return X


def _digest(*arrays):
    payload = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)
    return hashlib.sha1(payload).hexdigest()[:12]


def child(spec):
    """One fit; prints a JSON line with its seconds, peak growth and the fit's digest."""
    import tracemalloc

    import robustgan

    X = far_design(spec["n"], spec["p"])
    estimator = getattr(robustgan, spec["estimator"])
    estimator(random_state=0).fit(X[:500])  # imports and first-call setup outside the fit
    if spec["trace"]:
        tracemalloc.start()
    before = status_bytes("VmRSS")
    if not reset_peak_rss():
        raise OSError("cannot reset the peak RSS (/proc/self/clear_refs)")
    start = time.perf_counter()
    fitted = estimator(random_state=0).fit(X)
    seconds = time.perf_counter() - start
    out = {"seconds": seconds,
           "digest": _digest(fitted.location_, getattr(fitted, "covariance_", np.empty(0)))}
    if spec["trace"]:
        out["numpy_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    else:
        out["rss_mb"] = (status_bytes("VmHWM") - before) / 1024 / 1e3
    print(json.dumps(out))


def run_child(spec, tree):
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(text):
    n, p = (int(v) for v in text.lower().split("x"))
    return n, p


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="+", default=list(DEFAULT_CELLS),
                        help="n x p cells, e.g. 50000x100")
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--trees", nargs="+", default=None,
                        help="NAME=PATH code trees (repository roots) to run side by side; "
                        "default: this checkout")
    parser.add_argument("--repeats", type=int, default=1,
                        help="rounds; the trees alternate within each round")
    parser.add_argument("--out", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(json.loads(args.child))
        return 0
    here = Path(__file__).resolve().parent.parent
    trees = dict(t.split("=", 1) for t in args.trees) if args.trees else {"this": str(here)}
    results = []
    for n, p in map(_cell, args.cells):
        for name in args.estimators:
            for round_ in range(args.repeats):
                for tree, path in trees.items():
                    spec = {"estimator": name, "n": n, "p": p}
                    rss = run_child({**spec, "trace": False}, path)
                    traced = run_child({**spec, "trace": True}, path)
                    row = {**spec, "tree": tree, "round": round_, "data_mb": n * p * 8 / 1e6,
                           "rss": rss, "traced": traced}
                    results.append(row)
                    print(_line(row), flush=True)
    header = ["estimator", "n × p", "tree", "data MB", "RSS growth MB (× data)",
              "NumPy peak MB (× data)", "fit s", "digest"]
    table = markdown_table(header, [_row(r) for r in results])
    print(table)
    target = write_json("bench_memory", {"cells": args.cells, "trees": trees, "results": results},
                        path=args.out)
    print(f"wrote {target}")
    return 0


def _line(row):
    return " | ".join(str(v) for v in _row(row))


def _row(row):
    rss, traced = row["rss"], row["traced"]

    def share(mb):
        return f"{mb:.0f} ({mb / row['data_mb']:.1f}×)"

    digests = {rss.get("digest"), traced.get("digest")}
    return [row["estimator"], f"{row['n']:,} × {row['p']}", row["tree"], f"{row['data_mb']:.0f}",
            share(rss["rss_mb"]) if "rss_mb" in rss else rss.get("error"),
            share(traced["numpy_mb"]) if "numpy_mb" in traced else traced.get("error"),
            f"{rss['seconds']:.2f}" if "seconds" in rss else "—",
            "/".join(sorted(d for d in digests if d))]


if __name__ == "__main__":
    sys.exit(main())
