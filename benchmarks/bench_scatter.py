"""RobustGANScatter against its own start, the inliers' sample covariance and MinCovDet.

Issue 3's bars, each a part:

* ``gaussian``: n=50,000, p=100, ε=0.2, Q=N(5·1, I): ‖Σ̂ − Σ‖_op over seeds, fit time.
* ``structured``: Toeplitz 0.5^|i−j| and a random condition-number-100 Σ at n=50·p, ε=0.1:
  relative operator error, beside the sample covariance of the inliers alone (the oracle that
  knows which rows are clean; no estimator should be expected to beat it).
* ``cauchy``: t(1) inliers, 10% outliers, p=20, n=20,000: relative error of the shape Σ/tr(Σ)·p.

Every row reports the GAN estimate and its trimmed start (``raw_covariance_``), so what the game
adds is visible. ``--mcd`` adds MinCovDet (minutes per fit at p=100).

Run: ``python benchmarks/bench_scatter.py --part all --seeds 3``
"""

import argparse

import numpy as np
from _common import timed, write_json
from sklearn.covariance import MinCovDet

from robustgan import RobustGANScatter, make_huber_contamination


def relative(estimate, truth):
    return float(np.linalg.norm(estimate - truth, 2) / np.linalg.norm(truth, 2))


def shape(matrix):
    return matrix / np.trace(matrix) * len(matrix)


def structured_scatter(kind, p):
    if kind == "toeplitz":
        return 0.5 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    rotation, _ = np.linalg.qr(np.random.default_rng(123).standard_normal((p, p)))
    return (rotation * np.logspace(0, 2, p)) @ rotation.T


def measure(case, data, seed, metric, mcd, **params):
    est, seconds = timed(RobustGANScatter(random_state=seed, **params).fit, data.X)
    inliers = np.cov(data.X[data.inlier_mask], rowvar=False)
    row = {
        "case": case,
        "seed": seed,
        "gan": metric(est.covariance_, data.scatter),
        "start": metric(est.raw_covariance_, data.scatter),
        "inlier_sample_cov": metric(inliers, data.scatter),
        "sample_cov": metric(np.cov(data.X, rowvar=False), data.scatter),
        "location_error": float(np.linalg.norm(est.location_ - data.location)),
        "fit_s": seconds,
    }
    if mcd:
        fitted, row["mcd_s"] = timed(MinCovDet(random_state=seed).fit, data.X)
        row["mcd"] = metric(fitted.covariance_, data.scatter)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
          flush=True)
    return row


def operator(estimate, truth):
    return float(np.linalg.norm(estimate - truth, 2))


def shape_error(estimate, truth):
    return relative(shape(estimate), shape(truth))


def run(parts, seeds, mcd):
    rows = []
    for seed in range(seeds):
        if "gaussian" in parts:
            data = make_huber_contamination(50_000, 100, 0.2, random_state=seed)
            rows.append(measure("gaussian p=100", data, seed, operator, mcd))
        if "structured" in parts:
            for kind in ("toeplitz", "cond100"):
                data = make_huber_contamination(
                    5_000, 100, 0.1, scatter=structured_scatter(kind, 100), random_state=seed
                )
                rows.append(measure(f"{kind} p=100 n=5000", data, seed, relative, mcd))
        if "cauchy" in parts:
            data = make_huber_contamination(20_000, 20, 0.1, inliers="cauchy", random_state=seed)
            for model in ("elliptical", "gaussian"):
                rows.append(
                    measure(f"cauchy p=20 {model}", data, seed, shape_error, mcd, model=model)
                )
    return rows


def table(rows):
    keys = [k for k in ("gan", "start", "inlier_sample_cov", "sample_cov", "mcd", "fit_s", "mcd_s")
            if any(k in r for r in rows)]
    lines = ["| case | " + " | ".join(f"median {k}" for k in keys) + " |",
             "|---" * (len(keys) + 1) + "|"]
    for case in dict.fromkeys(r["case"] for r in rows):
        group = [r for r in rows if r["case"] == case]
        cells = [f"{np.median([r[k] for r in group if k in r]):.3f}" if any(k in r for r in group)
                 else "" for k in keys]
        lines.append(f"| {case} ({len(group)} seeds) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["gaussian", "structured", "cauchy", "all"], default="all")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--mcd", action="store_true", help="also fit MinCovDet (slow at p=100)")
    args = parser.parse_args()
    parts = {"gaussian", "structured", "cauchy"} if args.part == "all" else {args.part}
    rows = run(parts, args.seeds, args.mcd)
    print(table(rows))
    write_json(f"scatter_{args.part}", {"rows": rows})


if __name__ == "__main__":
    main()
