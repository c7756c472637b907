"""Speed and accuracy of the GAN estimators against the peers a user would pick instead:
scikit-learn's MinCovDet, statsmodels' OGK, and robustgan's own baselines, measured in one run,
on the same data sets, one fit at a time (so the timings do not compete for cores).

    python benchmarks/bench_peers.py              # n=10,000, p=20, ε=0.2, 3 seeds (about 2 min)
    python benchmarks/bench_peers.py --quick      # n=2,000, p=10, 1 seed (about 20 s)
    python benchmarks/bench_peers.py --n-samples 50000 --n-features 100   # the papers' size;
                                                  # MinCovDet alone takes about 5 min a fit there
    python benchmarks/bench_peers.py --all --designs far --n-samples 50000 --n-features 100 \
        --seeds 5 --out benchmarks/results/accuracy_p100   # issue 4's accuracy table (~40 min)

``--all`` adds every other registered estimator (trimmed mean, geometric and Tukey medians,
TV-GAN, Spearman scatter). ``--out`` keeps one result file per fit in that folder, so a run
stopped with Ctrl-C (or killed) resumes where it stopped when started again with the same
arguments.

Every fit goes through ``robustgan.simulate.run`` (the same seeds, data and error measures as
the contamination studies). Prints a markdown table per design and writes
``benchmarks/results/bench_peers.json``. Ratios are the peer's over JS-GAN's, both measured here:
a time ratio above 1 means JS-GAN is faster, an error ratio above 1 that JS-GAN is more accurate.
"""

import argparse

import numpy as np
from _common import markdown_table, write_json

from robustgan.simulate import ESTIMATORS, run

PEERS = {
    "JS-GAN": "js-gan",
    "JS-GAN scatter": "js-gan-scatter",
    "MinCovDet (sklearn)": "mcd",
    "OGK (statsmodels)": "ogk",
    "iterative filter": "iterative-filter",
    "dimension halving": "dimension-halving",
    "coordinatewise median": "coordinatewise-median",
    "Kendall τ": "kendall-tau",
    "Tyler M": "tyler",
    "spatial sign": "spatial-sign",
    "sample mean / covariance": "sample-mean",
}
# The rest of the registry, for the full accuracy table (--all).
MORE_PEERS = {
    "TV-GAN": "tv-gan",
    "trimmed mean": "trimmed-mean",
    # The default cut (0.1 from each end) is below ε = 0.2; a user who knows ε trims more.
    "trimmed mean (cut 0.25)": {"estimator": "trimmed-mean", "proportiontocut": 0.25},
    "geometric median": "geometric-median",
    "Tukey median (approx.)": "tukey-median",
    "Spearman ρ": "spearman",
}
DESIGNS = {"far N(5·1, I)": {"shift": 5.0}, "close N(0.5·1, I)": {"shift": 0.5}}
DESIGN_KEYS = {"far": "far N(5·1, I)", "close": "close N(0.5·1, I)"}


def grid(n_samples, n_features, contamination, seeds, peers=PEERS, designs=DESIGNS):
    return {
        "name": "bench-peers",
        "n_samples": n_samples,
        "n_features": n_features,
        "contamination": contamination,
        "seeds": seeds,
        "designs": designs,
        "estimators": {label: spec for label, spec in peers.items()
                       if (spec["estimator"] if isinstance(spec, dict) else spec) in ESTIMATORS},
    }


def _median(series):
    values = series.dropna().to_numpy()
    return float(np.median(values)) if values.size else float("nan")


def _ratio(peer, reference):
    return peer / reference if np.isfinite(peer) and np.isfinite(reference) and reference else None


def summarise(rows):
    """Per design and estimator: median seconds and errors, and their ratios to JS-GAN's."""
    summary = {}
    for design, in_design in rows.groupby("design", sort=False):
        stats = {}
        for label, fits in in_design.groupby("estimator", sort=False):
            ok = fits[fits["status"] == "ok"]
            stats[label] = {"seconds": _median(ok["seconds"]),
                            "location_error": _median(ok["location_error"]),
                            "scatter_error": _median(ok["scatter_error"]),
                            "failed": int((fits["status"] != "ok").sum())}
        reference = stats.get("JS-GAN", {})
        for entry in stats.values():
            entry["time_ratio"] = _ratio(entry["seconds"], reference.get("seconds", np.nan))
            entry["location_error_ratio"] = _ratio(entry["location_error"],
                                                   reference.get("location_error", np.nan))
        summary[design] = stats
    return summary


def _cell(value, digits=3):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def _ratio_cell(value):
    return "—" if value is None else f"{value:.2g}"


def print_tables(summary, settings):
    header = ["estimator", "fit s", "time ratio", "‖θ̂ − θ‖₂", "error ratio", "‖Σ̂ − Σ‖_op"]
    for design, stats in summary.items():
        print(f"\n## {design}: n={settings['n_samples']}, p={settings['n_features']}, "
              f"ε={settings['contamination']}, median of {settings['seeds']} seed(s)\n")
        rows = [[label, _cell(s["seconds"]), _ratio_cell(s["time_ratio"]),
                 _cell(s["location_error"]), _ratio_cell(s["location_error_ratio"]),
                 _cell(s["scatter_error"])] for label, s in stats.items()]
        print(markdown_table(header, rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n-samples", type=int)
    parser.add_argument("--n-features", type=int)
    parser.add_argument("--contamination", type=float, default=0.2)
    parser.add_argument("--seeds", type=int)
    parser.add_argument("--all", action="store_true", help="every registered estimator")
    parser.add_argument("--designs", nargs="+", choices=sorted(DESIGN_KEYS),
                        default=sorted(DESIGN_KEYS, reverse=True))
    parser.add_argument("--out", help="result folder: one file per fit, resumable")
    parser.add_argument("--name", default="bench_peers", help="JSON file name in results/")
    args = parser.parse_args()
    settings = {
        "n_samples": args.n_samples or (2_000 if args.quick else 10_000),
        "n_features": args.n_features or (10 if args.quick else 20),
        "contamination": args.contamination,
        "seeds": args.seeds or (1 if args.quick else 3),
    }
    peers = {**PEERS, **MORE_PEERS} if args.all else PEERS
    designs = {DESIGN_KEYS[key]: DESIGNS[DESIGN_KEYS[key]] for key in args.designs}
    # One fit at a time: the timings must not compete for cores. batch=False: run() batches
    # the GAN fits of a grid by default, and a batched row's seconds is the batch's wall time
    # shared among its fits, not one fit's time beside the peers'.
    rows = run(grid(**settings, peers=peers, designs=designs), args.out, jobs=1, batch=False)
    summary = summarise(rows)
    print_tables(summary, settings)
    path = write_json(args.name, {"settings": {**settings, "designs": args.designs,
                                               "all": args.all}, "summary": summary,
                                  "rows": rows.to_dict(orient="records")})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
