"""Our default estimators on the real data sets that scikit-learn and statsmodels ship.

What it is for: checking a code change on real data the defaults were not tuned on. Every
simulated benchmark draws from laws we chose; these tables (counts, prices, pixels, ties,
skew, a handful of rows) were not chosen by us. A run stores, per data set, the fitted
``location_`` and ``covariance_`` of ``RobustGANMean()``, ``RobustGANScatter()`` and
``MinCovDet`` (all ``random_state=0``) with every bit (JSON writes a float's ``repr``, which
reads back exactly), so that a later run can be compared *equal to the bit*: a refactoring
that should change nothing must leave every fit identical, and where it does not, the
comparison shows how far each fit moved, in the data's own scale and in MinCovDet's metric.

    OMP_NUM_THREADS=1 python benchmarks/bench_real_data.py      # all, writes results/real_data.json
    python benchmarks/bench_real_data.py --only wine,fair       # a subset
    python benchmarks/bench_real_data.py --out /tmp/new.json --compare results/real_data.json
    python benchmarks/bench_real_data.py --compare OLD.json NEW.json   # two files, no fitting
    python benchmarks/bench_real_data.py --compare OLD.json --no-run   # OLD against the last run
    python benchmarks/bench_real_data.py --list                 # the data set names

A full run takes about a minute on one thread of the project's 2-core box (50 s of CPU, 50 to
70 s wall with the other core busy; 39 data sets kept of 40, 3 fits each, the 4,000-row
resamples and the largest tables most of it). Compare runs made on the same machine and
thread count: torch's reductions may round differently on more threads (a comparison warns
when the two files record different counts), and another machine's matrix products differ in
their last bits, which a game's steps carry further (the atlas on two of this project's
machines: starts equal to 1e-12, games within 3.5%). To check a change, run the old commit's
code first on the same machine (``git worktree add /tmp/old <commit>``, then this script there
with ``PYTHONPATH=/tmp/old``). ``--compare`` exits with status 1 unless every fit compared is
equal to the bit; ``--no-run`` compares OLD.json with ``--out`` (default
``results/real_data.json``).

Data: numeric columns only; columns that are all NaN are dropped, then rows with a NaN, then
constant columns; a data set is kept when at least 2 columns remain and n > p + 2 (MinCovDet's
support needs more rows than columns). Skipped data sets are printed and listed in the JSON
with the reason. Six of them (``RESAMPLED``) are also drawn again to 4,000 rows with
replacement (``numpy.random.default_rng(0)``, one generator per data set) plus a jitter of
1 % of each column's standard deviation times standard normal noise, so that the copies of a
row are not exact ties, as ``<name>_resampled4000``.

Per fit: the estimate, ``selected_`` where the estimator has it, the rows flagged as outliers
(``predict(X) == -1`` for ours; for MinCovDet the rows whose robust squared distance ``dist_``
exceeds the χ²_p 0.975 quantile), the fit's wall seconds, its warnings (category and the first
200 characters, counted), and the exception's type and message where it raised (the run goes
on). Our defaults' ``contamination=0.1`` makes ``predict`` flag about a tenth of the rows
whatever the data, so ours are also counted by MinCovDet's rule (``mahalanobis(X)`` above that
quantile, ``flagged_chi2``; "RGS χ²" in the table). The table's "RGS–MCD" is
‖Σ̂_MCD^{-1/2}(μ̂_RGS − μ̂_MCD)‖₂: how far our location is from MinCovDet's, in MinCovDet's
metric ("RGM–MCD" the same for RobustGANMean); NaN where MinCovDet's scatter is singular (a
column constant on its support, as ties in count data make it).
"""

import argparse
import hashlib
import importlib
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
import statsmodels
from _common import RESULTS, markdown_table, read_json, timed, write_json
from scipy import stats
from sklearn.covariance import MinCovDet

import robustgan
from robustgan import RobustGANMean, RobustGANScatter

NAME = "real_data"
SKLEARN = ["wine", "iris", "diabetes", "breast_cancer", "digits", "linnerud"]
STATSMODELS = [
    "stackloss", "star98", "longley", "scotland", "cancer", "ccard", "fair", "spector", "copper",
    "grunfeld", "randhie", "heart", "committee", "modechoice", "engel", "nile", "anes96",
    "china_smoking", "co2", "cpunish", "elnino", "macrodata", "strikes", "sunspots",
    "statecrime", "danish_data", "interest_inflation", "fertility",
]
RESAMPLED = ["wine", "fair", "digits", "star98", "ccard", "macrodata"]
RESAMPLE_ROWS = 4_000
JITTER = 0.01
ESTIMATORS = ["RobustGANMean", "RobustGANScatter", "MinCovDet"]
SHORT = {"RobustGANMean": "RGM", "RobustGANScatter": "RGS", "MinCovDet": "MCD"}


class Skipped(Exception):
    """A data set that did not load, or is too small once cleaned; the message says which."""


def _sklearn_frame(name):
    from sklearn import datasets

    if name == "linnerud":  # exercises and body measures of the same 20 men: one table
        bunch = datasets.load_linnerud()
        return pd.DataFrame(np.hstack([bunch.data, bunch.target]),
                            columns=list(bunch.feature_names) + list(bunch.target_names))
    # Unscaled: the measured units, not columns someone already centred and scaled for us.
    bunch = (datasets.load_diabetes(scaled=False) if name == "diabetes"
             else getattr(datasets, f"load_{name}")())
    return pd.DataFrame(bunch.data, columns=[str(c) for c in bunch.feature_names])


def _statsmodels_frame(name):
    module = importlib.import_module(f"statsmodels.datasets.{name}")
    loaded = module.load_pandas() if hasattr(module, "load_pandas") else module.load()
    return pd.DataFrame(loaded.data)


def clean(frame):
    """``(X, columns)``: the numeric, finite-row, non-constant part of ``frame``, or Skipped."""
    numeric = frame.select_dtypes(include="number")
    # Fertility's last year column is empty: dropping rows first would drop every row.
    numeric = numeric.dropna(axis=1, how="all").dropna(axis=0, how="any")
    X = numeric.to_numpy(dtype=np.float64)
    varying = ~(X == X[:1]).all(axis=0) if len(X) else np.zeros(X.shape[1], bool)
    X = np.ascontiguousarray(X[:, varying])
    columns = [str(c) for c, keep in zip(numeric.columns, varying) if keep]
    n, p = X.shape
    if p < 2:
        raise Skipped(f"{p} numeric non-constant column(s) after cleaning ({n} rows)")
    if n <= p + 2:
        raise Skipped(f"n = {n} <= p + 2 = {p + 2} after cleaning")
    return X, columns


def resample(X, rows=RESAMPLE_ROWS, seed=0):
    rng = np.random.default_rng(seed)
    drawn = X[rng.integers(0, len(X), size=rows)]
    return drawn + JITTER * X.std(axis=0) * rng.standard_normal(drawn.shape)


def sources():
    """Data set name → (source, loader of ``(X, columns)``), in the order of the tables."""
    table = {}
    for name in SKLEARN:
        table[name] = ("sklearn", lambda name=name: clean(_sklearn_frame(name)))
    for name in STATSMODELS:
        table[name] = ("statsmodels", lambda name=name: clean(_statsmodels_frame(name)))
    for base in RESAMPLED:
        def load(base=base):
            X, columns = table[base][1]()
            return resample(X), columns
        table[f"{base}_resampled{RESAMPLE_ROWS}"] = (table[base][0] + " resampled", load)
    return table


def _warnings(caught):
    counts = {}
    for w in caught:
        key = (w.category.__name__, str(w.message)[:200])
        counts[key] = counts.get(key, 0) + 1
    return [{"category": c, "message": m, "count": k} for (c, m), k in counts.items()]


def _array(value):
    return None if value is None else np.asarray(value, dtype=np.float64).tolist()


def fit_one(kind, X):
    """One fit's record; an exception is stored, not raised, so that one data set cannot stop
    the run."""
    make = {"RobustGANMean": RobustGANMean, "RobustGANScatter": RobustGANScatter,
            "MinCovDet": MinCovDet}[kind]
    record = {"location_": None, "covariance_": None, "selected_": None, "flagged": None,
              "flagged_chi2": None, "seconds": None, "warnings": [], "error": None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # the default filter shows a warning once per process
        try:
            estimator, record["seconds"] = timed(make(random_state=0).fit, X)
            record["location_"] = _array(estimator.location_)
            record["covariance_"] = _array(getattr(estimator, "covariance_", None))
            record["selected_"] = getattr(estimator, "selected_", None)
            cut = stats.chi2.ppf(0.975, X.shape[1])
            if kind == "MinCovDet":
                record["flagged"] = record["flagged_chi2"] = int(np.sum(estimator.dist_ > cut))
            else:
                record["flagged"] = int(np.sum(estimator.predict(X) == -1))
                # predict flags the contamination=0.1 quantile of the training rows by
                # construction; the χ² count is the one that compares with MinCovDet's.
                record["flagged_chi2"] = int(np.sum(estimator.mahalanobis(X) > cut))
        except Exception as error:  # noqa: BLE001 - a failed fit is a result, not the end
            record["error"] = {"type": type(error).__name__, "message": str(error)[:500]}
    record["warnings"] = _warnings(caught)
    return record


def standardised(delta, scatter):
    """‖S^{-1/2} Δ‖₂ for a vector Δ, ‖S^{-1/2} Δ S^{-1/2}‖_op for a matrix; NaN where S is
    singular or missing."""
    if delta is None or scatter is None:
        return float("nan")
    scatter = np.asarray(scatter, dtype=np.float64)
    scale = np.sqrt(np.diag(scatter))
    if not np.all(scale > 0) or not np.all(np.isfinite(scatter)):
        return float("nan")
    # Both norms are unchanged by rescaling the columns (S → DSD, Δ → DΔ or DΔD), so work on
    # the correlation matrix: columns in dollars beside columns in fractions would make S look
    # singular to an eigenvalue test on S itself.
    values, vectors = np.linalg.eigh(scatter / np.outer(scale, scale))
    if values.min() <= 1e-12 * values.max():
        return float("nan")
    inverse_root = (vectors / np.sqrt(values)) @ vectors.T  # R^{-1/2} = V Λ^{-1/2} Vᵀ
    delta = np.asarray(delta, dtype=np.float64)
    if delta.ndim == 1:
        return float(np.linalg.norm(inverse_root @ (delta / scale)))
    delta = delta / np.outer(scale, scale)
    return float(np.linalg.norm(inverse_root @ delta @ inverse_root, 2))


def _difference(fits, a, b):
    if fits[a]["location_"] is None or fits[b]["location_"] is None:
        return float("nan")
    delta = np.subtract(fits[a]["location_"], fits[b]["location_"])
    return standardised(delta, fits["MinCovDet"]["covariance_"])


def run(names, table):
    records, skipped = [], []
    for name in names:
        source, load = table[name]
        try:
            X, columns = load()
        except Exception as error:  # noqa: BLE001 - a data set that fails is skipped
            reason = error.args[0] if isinstance(error, Skipped) else (
                f"{type(error).__name__}: {str(error)[:300]}")
            print(f"{name}: skipped ({reason})", flush=True)
            skipped.append({"name": name, "source": source, "reason": reason})
            continue
        fits = {kind: fit_one(kind, X) for kind in ESTIMATORS}
        record = {"name": name, "source": source, "n": X.shape[0], "p": X.shape[1],
                  "columns": columns, "data_sha256": hashlib.sha256(X.tobytes()).hexdigest(),
                  "fits": fits,
                  "rgs_mcd_distance": _difference(fits, "RobustGANScatter", "MinCovDet"),
                  "rgm_mcd_distance": _difference(fits, "RobustGANMean", "MinCovDet")}
        records.append(record)
        times = ", ".join(f"{SHORT[k]} {_seconds(fits[k])}" for k in ESTIMATORS)
        print(f"{name}: n={X.shape[0]}, p={X.shape[1]}; {times}", flush=True)
    return records, skipped


def _seconds(fit):
    return "error" if fit["error"] else f"{fit['seconds']:.2f} s"


def _outcome(fit, attribute):
    if fit["error"]:
        return f"error: {fit['error']['type']}"
    return fit[attribute] if fit[attribute] is not None else "—"


def print_table(records):
    header = ["data set", "n", "p", "RGM selected_", "RGM flagged", "RGS selected_",
              "RGS flagged", "RGS χ²", "MCD flagged", "RGS–MCD", "RGM–MCD", "RGM s", "RGS s",
              "MCD s"]
    rows = []
    for r in records:
        f = r["fits"]
        rows.append([r["name"], r["n"], r["p"],
                     _outcome(f["RobustGANMean"], "selected_"),
                     _outcome(f["RobustGANMean"], "flagged"),
                     _outcome(f["RobustGANScatter"], "selected_"),
                     _outcome(f["RobustGANScatter"], "flagged"),
                     _outcome(f["RobustGANScatter"], "flagged_chi2"),
                     _outcome(f["MinCovDet"], "flagged"),
                     r["rgs_mcd_distance"], r["rgm_mcd_distance"],
                     *(f[k]["seconds"] if f[k]["seconds"] is not None else "—"
                       for k in ESTIMATORS)])
    print(markdown_table(header, rows))


def _bits(value):
    return None if value is None else np.asarray(value, dtype=np.float64)


def _same_bits(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def _moved(old, new, scatter):
    """``max|new − old| / max|old|`` and the change in MinCovDet's metric, as text."""
    if old is None or new is None or old.shape != new.shape:
        return "shape changed" if old is not None and new is not None else "missing"
    if _same_bits(old, new):
        return "equal"
    tiny = np.finfo(np.float64).tiny
    relative = np.max(np.abs(new - old)) / max(np.max(np.abs(old)), tiny)
    return f"{relative:.2e} rel, {standardised(new - old, scatter):.2e} std"


def compare(old, new):
    """Print, per data set and estimator, whether the fits are equal to the bit; return
    (equal, compared)."""
    for key in ("threads", "torch"):
        if old.get("machine", {}).get(key) != new.get("machine", {}).get(key):
            print(f"warning: {key} differs: {old.get('machine', {}).get(key)} (old) vs "
                  f"{new.get('machine', {}).get(key)} (new); bits may differ for that alone")
    olds = {r["name"]: r for r in old["datasets"]}
    news = {r["name"]: r for r in new["datasets"]}
    for side, mine, theirs in (("old", olds, news), ("new", news, olds)):
        alone = [n for n in mine if n not in theirs]
        if alone:
            print(f"only in the {side} file ({len(alone)}): {', '.join(alone)}")
    rows, equal, compared = [], 0, 0
    for name in [n for n in news if n in olds]:
        o, n = olds[name], news[name]
        if o["data_sha256"] != n["data_sha256"]:
            print(f"{name}: the data differ (a loader or library changed); fits compared anyway")
        scatter = n["fits"]["MinCovDet"]["covariance_"] or o["fits"]["MinCovDet"]["covariance_"]
        for kind in ESTIMATORS:
            a, b = o["fits"][kind], n["fits"][kind]
            compared += 1
            if a["error"] or b["error"]:
                same = a["error"] == b["error"]
                equal += same
                verdict = ("both raised " if same else "raised: ") + " → ".join(
                    e["type"] if e else "ok" for e in (a["error"], b["error"]))
                rows.append([name, kind, verdict, "", "", "", ""])
                continue
            location = (_bits(a["location_"]), _bits(b["location_"]))
            covariance = (_bits(a["covariance_"]), _bits(b["covariance_"]))
            same = _same_bits(*location) and _same_bits(*covariance)
            equal += same
            flagged = (f"{a['flagged']}" if a["flagged"] == b["flagged"]
                       else f"{a['flagged']} → {b['flagged']}")
            selected = (f"{a['selected_']}" if a["selected_"] == b["selected_"]
                        else f"{a['selected_']} → {b['selected_']} (changed)")
            if a["selected_"] is None and b["selected_"] is None:
                selected = "—"
            if same:
                rows.append([name, kind, "equal to the bit", "", "", selected, flagged])
                continue
            rows.append([name, kind, "differs", _moved(*location, scatter),
                         "" if covariance[1] is None else _moved(*covariance, scatter),
                         selected, flagged])
    print(markdown_table(["data set", "estimator", "bits", "location_ Δ", "covariance_ Δ",
                          "selected_", "flagged"], rows))
    print(f"{equal} of {compared} fits equal to the bit")
    return equal, compared


def chosen(only, table, parser):
    """The data set names of ``--only`` (comma-separated; every name of ``table`` where None),
    in its order; a usage error naming those ``table`` does not hold."""
    if not only:
        return list(table)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in table]
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; bench_real_data.py --list prints the names")
    return names


def _versions():
    return {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__,
            "sklearn": sklearn.__version__, "statsmodels": statsmodels.__version__,
            "robustgan": getattr(robustgan, "__version__", None)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated data set names (default: all)")
    parser.add_argument("--out", help=f"output JSON (default {RESULTS / (NAME + '.json')})")
    parser.add_argument("--compare", nargs="+", metavar="JSON",
                        help="OLD.json: compare the run (or --out, with --no-run) to it; "
                             "OLD.json NEW.json: compare two files, no fitting")
    parser.add_argument("--no-run", action="store_true", help="fit nothing; with --compare")
    parser.add_argument("--list", action="store_true", help="print the data set names and exit")
    args = parser.parse_args(argv)
    table = sources()
    if args.list:
        print("\n".join(table))
        return 0
    if args.compare and len(args.compare) > 2:
        parser.error("--compare takes OLD.json or OLD.json NEW.json")
    if args.compare and len(args.compare) == 2:
        equal, compared = compare(read_json(args.compare[0]), read_json(args.compare[1]))
        return 0 if equal == compared else 1
    if args.no_run:
        if not args.compare:
            parser.error("--no-run needs --compare")
        current = args.out or RESULTS / f"{NAME}.json"
        equal, compared = compare(read_json(args.compare[0]), read_json(current))
        return 0 if equal == compared else 1
    # The baseline is read before anything is fitted: the run may be about to overwrite it.
    baseline = None
    if args.compare:
        target = Path(args.out) if args.out else RESULTS / f"{NAME}.json"
        if target.resolve() == Path(args.compare[0]).resolve():
            parser.error(f"--compare {args.compare[0]} is the file this run writes; "
                         "give --out another path")
        baseline = read_json(args.compare[0])
    names = chosen(args.only, table, parser)
    start = time.perf_counter()
    records, skipped = run(names, table)
    payload = {"estimators": ESTIMATORS, "random_state": 0, "versions": _versions(),
               "only": args.only, "seconds_total": time.perf_counter() - start,
               "datasets": records, "skipped": skipped}
    print()
    print_table(records)
    if skipped:
        print("\nskipped: " + "; ".join(f"{s['name']} ({s['reason']})" for s in skipped))
    target = write_json(NAME, payload, args.out)
    print(f"\n{len(records)} data sets in {payload['seconds_total']:.0f} s; wrote {target}")
    if baseline is not None:
        # Read back what was written: the comparison then sees exactly the stored bits.
        equal, compared = compare(baseline, read_json(target))
        return 0 if equal == compared else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
