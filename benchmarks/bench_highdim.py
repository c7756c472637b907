"""High dimension: error against the rate √(p/n) + ε and the oracle, fit time and peak memory.

    python benchmarks/bench_highdim.py            # p = 200, 500, 1000, n = 50p: ≤ ~20 min
    python benchmarks/bench_highdim.py --quick    # p = 50, 100, n = 50p: a few minutes
    python benchmarks/bench_highdim.py --budget-s 3600 --fit-timeout-s 1800   # everything

Cells: p = 200, 500, 1,000 with n = 50p; inliers N(0, I), ε = 0.2 (exactly 0.2n outliers),
the far design Q = N(5·1, I) and the close design Q = N(0.5·1, I)
(``robustgan.datasets.make_huber_contamination(n, p, 0.2, shift=5.0 or 0.5)``), seed 0 (one
seed per cell: a p = 1,000 cell costs minutes).

Per cell: ``RobustGANMean()`` and ``RobustGANScatter()`` with their defaults, each fitted in a
fresh process, so that its peak memory is its own: the process's peak resident set
(``ru_maxrss`` of that child alone, through ``os.wait4``) and its growth during ``fit`` (the
high-water mark after the fit, reset before it where Linux allows, less the resident set
before it, after a small warm-up fit that pays torch's lazy initialisation; the data, n × p
float64, are already in memory then). Columns:

- ‖θ̂ − θ‖₂ of both estimators' locations (θ = 0), ‖Σ̂ − Σ‖_op of RobustGANScatter's
  ``covariance_`` (Σ = I);
- the rate √(p/n) + ε (with n = 50p, √(1/50) + 0.2 = 0.341 at every p: the minimax rate of
  both problems, up to constants);
- the oracle: the mean of the inliers only, ‖x̄_in − θ‖₂, and their sample covariance,
  ‖S_in − Σ‖_op: what an estimator that knew the outliers would get;
- ``fit`` time (wall seconds, data generation excluded) and peak memory.

Time budget: cells run in order (p ascending; far, then close; mean, then scatter) until
``--budget-s`` is spent; a fit is stopped after ``--fit-timeout-s`` (or what is left of the
budget). A stopped fit is reported as "not run" with the time it had run; the same estimator
at the same p is then not started on the other design (it would be stopped too), and every
cell past the budget is reported as not run.
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time

from _common import RESULTS, markdown_table, reset_peak_rss, status_bytes, write_json

from robustgan.io_utils import atomic_write_text

ESTIMATORS = ("RobustGANMean", "RobustGANScatter")
DESIGNS = {"far": 5.0, "close": 0.5}
EPSILON = 0.2


# --- one fit, in its own process -------------------------------------------------------------


def child(spec):
    """Fit one estimator on one cell's data; print the errors, time and memory as JSON."""
    import numpy as np

    import robustgan
    from robustgan import make_huber_contamination

    p, n, shift, seed = spec["p"], spec["n"], spec["shift"], spec["seed"]
    data = make_huber_contamination(n, p, EPSILON, shift=shift, random_state=seed)
    out = {}
    if spec["oracle"]:
        inliers = data.X[data.inlier_mask]
        out["oracle_location"] = float(np.linalg.norm(inliers.mean(axis=0) - data.location))
        scatter = np.cov(inliers, rowvar=False)
        out["oracle_scatter"] = float(np.linalg.norm(scatter - data.scatter, ord=2))
        del inliers, scatter
    estimator = getattr(robustgan, spec["estimator"])(random_state=seed)
    # A small fit first: torch's lazy initialisation (about 90 MB on first use) is not this
    # fit's memory.
    warm = make_huber_contamination(200, 5, EPSILON, random_state=seed).X
    getattr(robustgan, spec["estimator"])(n_steps=5, random_state=seed).fit(warm)
    # The high-water mark from here on (else it counts from the start).
    out["hwm_reset"] = reset_peak_rss()
    before = status_bytes("VmRSS")
    start = time.perf_counter()
    estimator.fit(data.X)
    out["fit_s"] = time.perf_counter() - start
    out["fit_growth_mb"] = (status_bytes("VmHWM") - before) / 1e6
    out["rss_before_fit_mb"] = before / 1e6
    out["location_error"] = float(np.linalg.norm(estimator.location_ - data.location))
    if hasattr(estimator, "covariance_"):
        out["scatter_error"] = float(np.linalg.norm(estimator.covariance_ - data.scatter, ord=2))
    out["n_iter"] = int(getattr(estimator, "n_iter_", -1))
    print(json.dumps(out), flush=True)


def run_child(spec, timeout):
    """(result dict or None, wall seconds, peak RSS of the child in MB, status)."""
    command = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = start + timeout
    status = "ok"
    while True:
        pid, code, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pid, code, usage = os.wait4(process.pid, 0)
            status = "stopped"
            break
        time.sleep(0.2)
    process.returncode = os.waitstatus_to_exitcode(code)
    wall = time.perf_counter() - start
    stdout, stderr = process.stdout.read(), process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    peak_mb = usage.ru_maxrss * 1024 / 1e6  # kB on Linux
    if status == "ok" and process.returncode != 0:
        status = "failed: " + (stderr.strip().splitlines() or ["?"])[-1][:200]
    result = json.loads(stdout.strip().splitlines()[-1]) if status == "ok" else None
    return result, wall, peak_mb, status


# --- the table -------------------------------------------------------------------------------


def run(ps, designs, seed, budget, fit_timeout):
    started = time.perf_counter()
    cells, stopped = [], {}
    for p in ps:
        n = 50 * p
        for design in designs:
            cell = {"p": p, "n": n, "design": design, "shift": DESIGNS[design], "seed": seed,
                    "rate": math.sqrt(p / n) + EPSILON, "fits": {}}
            for index, name in enumerate(ESTIMATORS):
                left = budget - (time.perf_counter() - started)
                if (name, p) in stopped:
                    cell["fits"][name] = {"status": f"not run: stopped at {stopped[name, p]:.0f} s "
                                                    "on the previous design"}
                    continue
                if left < 10:
                    cell["fits"][name] = {"status": "not run: over the time budget"}
                    continue
                spec = {"estimator": name, "p": p, "n": n, "shift": DESIGNS[design],
                        "seed": seed, "oracle": index == 0 or "oracle_location" not in cell}
                load = round(os.getloadavg()[0], 2)
                result, wall, peak, status = run_child(spec, min(fit_timeout, left))
                fit = {"status": status, "wall_s": wall, "peak_rss_mb": peak, "load": load}
                if result is not None:
                    for key in ("oracle_location", "oracle_scatter"):
                        if key in result:
                            cell[key] = result.pop(key)
                    fit.update(result)
                elif status == "stopped":
                    stopped[name, p] = wall
                cell["fits"][name] = fit
                print(_line(cell, name), flush=True)
            cells.append(cell)
    return cells


def _line(cell, name):
    fit = cell["fits"][name]
    head = f"p={cell['p']:5d} n={cell['n']:6d} {cell['design']:5s} {name:16s}"
    if fit["status"] != "ok":
        return f"{head} {fit['status']} (wall {fit.get('wall_s', 0):.0f} s)"
    scatter = f", scatter {fit['scatter_error']:.3f}" if "scatter_error" in fit else ""
    return (f"{head} location {fit['location_error']:.3f}{scatter} (oracle "
            f"{cell.get('oracle_location', math.nan):.3f}, rate {cell['rate']:.3f}), fit "
            f"{fit['fit_s']:.1f} s, peak RSS {fit['peak_rss_mb']:.0f} MB (fit +"
            f"{fit['fit_growth_mb']:.0f} MB), load {fit['load']}")


def _value(fit, key, digits=3):
    if fit.get("status") != "ok":
        return "not run" if fit.get("status", "").startswith("not run") else fit.get("status")
    return f"{fit[key]:.{digits}f}"


def _time(fit):
    if fit.get("status") == "ok":
        return f"{fit['fit_s']:.1f}"
    if fit.get("status") == "stopped":
        return f"stopped at {fit['wall_s']:.0f}"
    return fit.get("status", "")


def markdown(cells, note):
    header = ["p", "n", "design", "Mean ‖θ̂−θ‖", "Scatter ‖θ̂−θ‖", "Scatter ‖Σ̂−Σ‖_op",
              "√(p/n)+ε", "oracle ‖θ̂−θ‖", "oracle ‖Σ̂−Σ‖_op", "Mean fit s", "Scatter fit s",
              "Mean peak RSS MB (fit +)", "Scatter peak RSS MB (fit +)"]
    rows = []
    for c in cells:
        mean, scatter = (c["fits"].get(name, {}) for name in ESTIMATORS)
        rows.append([
            c["p"], c["n"], c["design"], _value(mean, "location_error"),
            _value(scatter, "location_error"), _value(scatter, "scatter_error"),
            f"{c['rate']:.3f}", _optional(c, "oracle_location"), _optional(c, "oracle_scatter"),
            _time(mean), _time(scatter), _memory(mean), _memory(scatter),
        ])
    return "\n".join([
        "# High dimension (benchmarks/bench_highdim.py)",
        "",
        note,
        "",
        markdown_table(header, rows),
        "",
        ("Inliers N(0, I), ε = 0.2, far Q = N(5·1, I), close Q = N(0.5·1, I); default "
         "estimators; one fit per cell (seed 0), each in its own process. Peak RSS: the fit "
         "process's high-water mark (data included); fit +: its growth during `fit`. Not run: "
         "past the time budget, or a fit stopped at the time shown (see the JSON)."),
    ]) + "\n"


def _optional(cell, key):
    return f"{cell[key]:.3f}" if key in cell else "not run"


def _memory(fit):
    if fit.get("status") != "ok":
        return "not run"
    return f"{fit['peak_rss_mb']:.0f} (+{fit['fit_growth_mb']:.0f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="p = 50, 100; a few minutes")
    parser.add_argument("--ps", type=int, nargs="+", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget-s", type=float, default=None,
                        help="seconds for the whole table (default 1200; 300 with --quick)")
    parser.add_argument("--fit-timeout-s", type=float, default=600,
                        help="a fit running longer is stopped and reported as not run")
    parser.add_argument("--name", default=None, help="results/<name>.json and .md")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(json.loads(args.child))
        return
    ps = args.ps or ((50, 100) if args.quick else (200, 500, 1000))
    budget = args.budget_s or (300 if args.quick else 1200)
    name = args.name or ("bench_highdim_quick" if args.quick else "bench_highdim")
    started = time.perf_counter()
    cells = run(ps, tuple(DESIGNS), args.seed, budget, args.fit_timeout_s)
    wall = time.perf_counter() - started
    note = (f"p = {', '.join(map(str, ps))}, n = 50p, seed {args.seed}; time budget "
            f"{budget:.0f} s, fits stopped after {args.fit_timeout_s:.0f} s; the table took "
            f"{wall:.0f} s.")
    write_json(name, {"note": note, "budget_s": budget, "fit_timeout_s": args.fit_timeout_s,
                      "wall_s": wall, "cells": cells})
    text = markdown(cells, note)
    atomic_write_text(RESULTS / f"{name}.md", text)
    print(text)


if __name__ == "__main__":
    main()
