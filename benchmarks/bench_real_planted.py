"""Real data with a planted cluster: our defaults' errors against MinCovDet's on tables we did
not choose.

What it is for: ``bench_real_data.py`` checks that a change leaves real-data fits equal to the
bit, but it has no truth to measure an error against. Here each data set of
``bench_real_data.py`` (the resampled copies left out) gets a truth of its own and a known
contamination:

- the reference is ``MinCovDet(random_state=0)`` fitted to the clean table, (μ, Σ) with
  Σ = LLᵀ;
- k = ⌈n/9⌉ rows (10% of the n + k) are planted at μ + d·L·u + 0.1·L·z, u a random unit
  vector and z standard normal: a tight cluster d robust SD away in the data's own metric;
- ``RobustGANMean()``, ``RobustGANScatter()`` and ``MinCovDet`` (each ``random_state=seed``)
  are fitted to the n + k rows, and their errors measured in the reference's metric: location
  ‖Σ^{-1/2}(μ̂ − μ)‖₂, scatter ‖Σ^{-1/2} Σ̂ Σ^{-1/2} − I‖_op. ``RobustGANScatter``'s planted
  rows missed by ``predict`` (its ``contamination=0.1`` flags a tenth of the rows: as many as
  were planted) and MinCovDet's outside its ``support_`` are counted.

The reference is one robust fit, not a truth: on tables far from elliptical (a trending time
series, skewed counts) any two half-sample estimates differ, and ours may already differ from
MinCovDet's on the clean table (the ``clean`` columns: ours fitted to the clean table, in the
same metric). A data set is flagged where ours is worse than MinCovDet's median by more than
1.25 × and 0.05 (location) or 0.1 (scatter), and also worse than the same estimator on the
clean table by as much: the planted rows, not the table, made the difference; and where one
seed collapsed: ours 4 × worse than both MinCovDet's on that seed and ours on the clean table.

    OMP_NUM_THREADS=1 python benchmarks/bench_real_planted.py   # results/real_planted.json
    python benchmarks/bench_real_planted.py --only macrodata,engel --seeds 12
    python benchmarks/bench_real_planted.py --distances 5 --out /tmp/new.json

A run of every data set at 3 seeds and d = 5 and 10 takes about 3 minutes on one thread. Data
sets whose reference covariance is singular (a column constant on MinCovDet's support) are
skipped and listed: their metric does not exist.
"""

import argparse
import math
import sys
import time
import warnings

import numpy as np
from _common import markdown_table, write_json
from bench_real_data import Skipped, chosen, sources
from sklearn.covariance import MinCovDet

from robustgan import RobustGANMean, RobustGANScatter

NAME = "real_planted"
DISTANCES = (5.0, 10.0)
CLUSTER_SPREAD = 0.1
# A data set is flagged where ours is worse than MinCovDet by both margins, and worse than our
# own fit to the clean table by the same margins.
RATIO, LOCATION_MARGIN, SCATTER_MARGIN = 1.25, 0.05, 0.1
# A seed collapsed where ours is this many times worse than both MinCovDet on that seed and our
# own fit to the clean table: a median of 3 seeds hides one such seed (macrodata before the
# split of a tight cluster was checked along every direction: 22 on one seed, median 2.5).
COLLAPSE = 4.0


def reference(X):
    """MinCovDet's (location, scatter) on the clean table, or Skipped where the scatter is
    singular (no metric to measure in)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = MinCovDet(random_state=0).fit(X)
    values = np.linalg.eigvalsh(fit.covariance_)
    if not values.min() > 1e-12 * values.max():
        raise Skipped("MinCovDet's covariance of the clean table is singular")
    return fit.location_, fit.covariance_


def errors(location, scatter, truth):
    """Location and scatter errors in the metric of ``truth`` = (μ, Σ)."""
    mu, sigma = truth
    values, vectors = np.linalg.eigh(sigma)
    root = (vectors / np.sqrt(values)) @ vectors.T
    location_error = float(np.linalg.norm(root @ (location - mu)))
    scatter_error = (None if scatter is None
                     else float(np.linalg.norm(root @ scatter @ root - np.eye(len(mu)), 2)))
    return location_error, scatter_error


def planted(X, truth, distance, seed):
    """X with ⌈n/9⌉ rows planted ``distance`` robust SD from μ along a random direction; the
    rows and the planted mask."""
    mu, sigma = truth
    n, p = X.shape
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(p)
    direction /= np.linalg.norm(direction)
    factor = np.linalg.cholesky(sigma)
    k = math.ceil(n / 9)
    noise = CLUSTER_SPREAD * rng.standard_normal((k, p)) @ factor.T
    rows = mu + distance * factor @ direction + noise
    mask = np.r_[np.zeros(n, bool), np.ones(k, bool)]
    return np.vstack([X, rows]), mask


def fit_all(X, seed):
    """The three fits, with warnings silenced (bench_real_data records them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"RobustGANMean": RobustGANMean(random_state=seed).fit(X),
                "RobustGANScatter": RobustGANScatter(random_state=seed).fit(X),
                "MinCovDet": MinCovDet(random_state=seed).fit(X)}


def run_dataset(X, seeds, distances):
    """Every (distance, seed) of one clean table ``X``: the three fits' errors, the planted
    rows ours missed and MinCovDet kept, and ours on the clean table."""
    truth = reference(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean_fit = RobustGANScatter(random_state=0).fit(X)
        clean_mean = RobustGANMean(random_state=0).fit(X)
    clean = dict(zip(("location_error", "scatter_error"),
                     errors(clean_fit.location_, clean_fit.covariance_, truth)))
    clean_mean_error = errors(clean_mean.location_, None, truth)[0]
    runs = []
    for distance in distances:
        for seed in range(seeds):
            data, mask = planted(X, truth, distance, seed)
            fits = fit_all(data, seed)
            entry = {}
            for name, fit in fits.items():
                location, scatter = errors(fit.location_, getattr(fit, "covariance_", None),
                                           truth)
                entry[name] = {"location_error": location, "scatter_error": scatter}
            entry["RobustGANScatter"]["planted_missed"] = int(
                np.sum(fits["RobustGANScatter"].predict(data)[mask] == 1))
            entry["MinCovDet"]["planted_in_support"] = int(np.sum(fits["MinCovDet"].support_[mask]))
            runs.append({"distance": distance, "seed": seed, "planted_rows": int(mask.sum()),
                         "estimators": entry})
    return {"clean_RobustGANScatter": clean,
            "clean_RobustGANMean": {"location_error": clean_mean_error}, "runs": runs}


def _median(runs, name, key):
    return float(np.median([r["estimators"][name][key] for r in runs]))


def summarise(record, distance):
    """One table row's numbers for ``distance``: medians and the flags."""
    runs = [r for r in record["runs"] if r["distance"] == distance]
    row = {key: _median(runs, name, error)
           for key, name, error in [("rgm_loc", "RobustGANMean", "location_error"),
                                    ("rgs_loc", "RobustGANScatter", "location_error"),
                                    ("rgs_scatter", "RobustGANScatter", "scatter_error"),
                                    ("mcd_loc", "MinCovDet", "location_error"),
                                    ("mcd_scatter", "MinCovDet", "scatter_error")]}
    clean = record["clean_RobustGANScatter"]
    # Each estimator against its own clean-table fit; results written before RobustGANMean's
    # was recorded hold RobustGANScatter's alone.
    clean_mean = record.get("clean_RobustGANMean", clean)

    def worse(ours, peer, own_clean, margin):
        return (ours > RATIO * peer and ours > peer + margin
                and ours > RATIO * own_clean and ours > own_clean + margin)

    row["flags"] = [label for label, ours, peer, own, margin in [
        ("RGM loc", row["rgm_loc"], row["mcd_loc"], clean_mean["location_error"],
         LOCATION_MARGIN),
        ("RGS loc", row["rgs_loc"], row["mcd_loc"], clean["location_error"], LOCATION_MARGIN),
        ("RGS scatter", row["rgs_scatter"], row["mcd_scatter"], clean["scatter_error"],
         SCATTER_MARGIN)] if worse(ours, peer, own, margin)]
    for label, name, error, margin, own in [
            ("RGM", "RobustGANMean", "location_error", LOCATION_MARGIN, clean_mean),
            ("RGS", "RobustGANScatter", "location_error", LOCATION_MARGIN, clean),
            ("RGS", "RobustGANScatter", "scatter_error", SCATTER_MARGIN, clean)]:
        collapsed = [r["seed"] for r in runs
                     if r["estimators"][name][error] > COLLAPSE * max(
                         r["estimators"]["MinCovDet"][error], own[error]) + margin]
        kind = "loc" if error == "location_error" else "scatter"
        if collapsed and f"{label} {kind}" not in row["flags"]:
            row["flags"].append(f"{label} {kind} collapsed on seed(s) "
                                + ", ".join(map(str, collapsed)))
    row["missed"] = int(np.median([r["estimators"]["RobustGANScatter"]["planted_missed"]
                                   for r in runs]))
    row["planted"] = runs[0]["planted_rows"]
    return row


def print_table(records, distances):
    rows = []
    for name, record in records.items():
        clean = record["clean_RobustGANScatter"]
        clean_mean = record.get("clean_RobustGANMean", {"location_error": math.nan})
        for distance in distances:
            s = summarise(record, distance)
            rows.append([name, f"{distance:g}", s["rgm_loc"], s["rgs_loc"], s["rgs_scatter"],
                         s["mcd_loc"], s["mcd_scatter"], clean_mean["location_error"],
                         clean["location_error"], clean["scatter_error"],
                         f"{s['missed']}/{s['planted']}", ", ".join(s["flags"]) or "—"])
    print(markdown_table(["data set", "d", "RGM loc", "RGS loc", "RGS scatter", "MCD loc",
                          "MCD scatter", "clean RGM loc", "clean RGS loc",
                          "clean RGS scatter", "RGS missed", "flagged"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated data set names (default: all)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per distance (default 3)")
    parser.add_argument("--distances", default=",".join(f"{d:g}" for d in DISTANCES),
                        help="comma-separated distances d in robust SD (default 5,10)")
    parser.add_argument("--out", help="output JSON (default results/real_planted.json)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    try:
        distances = [float(d) for d in args.distances.split(",") if d.strip()]
    except ValueError:
        parser.error(f"--distances takes numbers, got {args.distances!r}")
    # The resampled copies are the same tables again, drawn to 4,000 rows.
    table = {name: load for name, (source, load) in sources().items()
             if not source.endswith(" resampled")}
    names = chosen(args.only, table, parser)
    start = time.perf_counter()
    records, skipped = {}, []
    for name in names:
        try:
            X, _ = table[name]()
            records[name] = run_dataset(X, args.seeds, distances)
        except Skipped as exc:
            skipped.append({"name": name, "reason": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 - a failing fit is a finding, not the run's end
            skipped.append({"name": name, "reason": f"FAILED: {type(exc).__name__}: {exc}"})
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        print(f"{name}: {len(X)} rows × {X.shape[1]}", flush=True)
    print()
    print_table(records, distances)
    if skipped:
        print("\nskipped: " + "; ".join(f"{s['name']} ({s['reason']})" for s in skipped))
    payload = {"seeds": args.seeds, "distances": distances, "cluster_spread": CLUSTER_SPREAD,
               "seconds_total": time.perf_counter() - start, "datasets": records,
               "skipped": skipped}
    target = write_json(NAME, payload, args.out)
    flagged = sum(bool(summarise(r, d)["flags"]) for r in records.values() for d in distances)
    print(f"\n{len(records)} data sets in {payload['seconds_total']:.0f} s, {flagged} (data set, "
          f"d) flagged; wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
