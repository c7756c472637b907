"""Equivariance on tied data: both defaults fitted to X, to a·X·D + b and to X's rows permuted.

What. Counts, scores and rounded values tie exactly, and the data's units and the rows' order
round such ties apart differently; every decision the fits take on sorted or binned values
must read them as ties (RESULTS.md, "Ties of counts and scores read as ties in any units and
any row order"). Each table is fitted three times with ``random_state=1``: as X, as
a·X·D + b (a from {1e-6, 1e-3, 1e3, 1e6}, D = e^U(−2, 2) per feature, b ~ U(−1e3, 1e3) per
feature), and with its rows permuted.

A fit *moved* where its location moved by more than 1e-3 of a feature's interquartile range
(its standard deviation where that is 0), or a ``predict`` label changed; under a permutation,
where the location moved by more than 1e-9 of it. A move under a·X·D + b is *excused* where
the transform destroyed digits (X is not recovered from a·X·D + b to 1e-9 of its spread: fewer
than about nine digits of the spread are left, and ties are read to
``robustgan.outliers.TIE_TOLERANCE``, 1e-8 of it) or the fit to X raised a ``DegenerateDataWarning`` (its answer is
singular or not robust, and the warning says so).

Tables (``--kinds``): ``poisson`` counts (means 1-30), ``answers`` 1-5 (a 15% block of 5s on one
item), ``integers`` 10 SD wide with a 20% group 4 SD out, ``rounded`` Gaussian values to 0.1
through a random mixing, ``dummy`` (a 0/1 feature beside Gaussian ones), ``copies`` (a third of
the rows one row), ``lognormal``, ``t2``, ``uniform``, ``exponential``, ``scales`` (per-feature
scales 1e-8-1e8) and ``far`` (a 20% group 1e6 out). n from {21, 30, 50, 80, 150, 300}, p from
1 to 8 (at most n/5). Table i of seed s is drawn from ``default_rng([s, i])``.

``--real`` fits the real tables of ``bench_real_data.py`` instead (the first 3,000 rows of
the larger ones), each with ``random_state=0``, as X, as 1e-3·X·D + b (D = e^U(−1, 1), b up
to 100 standard deviations) and permuted.

How::

    OMP_NUM_THREADS=1 python benchmarks/bench_ties.py --tables 200 --kinds tied --seed 61
    OMP_NUM_THREADS=1 python benchmarks/bench_ties.py --tables 150 --seed 62
    OMP_NUM_THREADS=1 python benchmarks/bench_ties.py --real

It prints one line per moved fit and a table of counts, and writes ``results/ties.json``
(``--out`` elsewhere). A table of n ≤ 300 costs 0.2-0.5 s for both estimators' three fits; 200
tables take about 2 minutes on one thread. To compare with older code, run this script with
``PYTHONPATH`` at a worktree of that commit.
"""

import argparse
import sys
import warnings

import numpy as np
from _common import markdown_table, write_json

from robustgan import DegenerateDataWarning, RobustGANMean, RobustGANScatter

ESTIMATORS = (RobustGANMean, RobustGANScatter)
TIED_KINDS = ("poisson", "answers", "integers", "rounded", "dummy")
KINDS = TIED_KINDS + ("copies", "lognormal", "t2", "uniform", "exponential", "scales", "far")
# Thresholds of a move (see the module's docstring), in a feature's interquartile ranges.
MOVED_UNDER_TRANSFORM = 1e-3
MOVED_UNDER_PERMUTATION = 1e-9
LOSSY = 1e-9


def table(kind, rng):
    """One table of ``kind``: an (n, p) float array."""
    n = int(rng.choice([21, 30, 50, 80, 150, 300]))
    p = min(int(rng.integers(1, 9)), max(1, n // 5))
    if kind == "poisson":
        return rng.poisson(rng.uniform(1, 30, p), (n, p)).astype(float)
    if kind == "answers":
        mixing = 0.5 * np.eye(p) + 0.5 / p
        X = np.clip(np.round(3 + 1.2 * rng.standard_normal((n, p)) @ mixing), 1, 5)
        X[:int(0.15 * n), 0] = 5
        return X
    if kind == "integers":
        X = np.round(10 * rng.standard_normal((n, p)) + 50)
        X[:int(0.2 * n)] += 40
        return X
    if kind == "rounded":
        return np.round(rng.standard_normal((n, p)) @ rng.standard_normal((p, p)), 1)
    if kind == "dummy":
        X = rng.standard_normal((n, p))
        X[:, 0] = rng.integers(0, 2, n) + (rng.standard_normal(n) if p == 1 else 0)
        return X
    if kind == "copies":
        X = rng.standard_normal((n, p))
        X[:n // 3] = X[0]
        return X
    if kind == "lognormal":
        return np.exp(rng.standard_normal((n, p)) * rng.uniform(0.2, 1.5, p))
    if kind == "t2":
        return rng.standard_t(2, (n, p))
    if kind == "uniform":
        return rng.uniform(size=(n, p))
    if kind == "exponential":
        return rng.exponential(size=(n, p)) @ np.triu(np.ones((p, p)))
    if kind == "scales":
        return rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-8, 8, p)
    if kind == "far":
        X = rng.standard_normal((n, p))
        X[:int(0.2 * n)] += 1e6
        return X
    raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")


def spread(X):
    """Per feature: the interquartile range, the standard deviation where that is 0, else 1."""
    iqr = np.subtract(*np.percentile(X, [75, 25], axis=0))
    iqr = np.where(iqr > 0, iqr, X.std(axis=0))
    return np.where(iqr > 0, iqr, 1.0)


def compare(estimator, X, factors, shift, scale, perm, random_state):
    """Fit ``estimator`` to X, a·X·D + b and X[perm]; the moves and why they are excused."""
    moved = scale * X * factors + shift
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DegenerateDataWarning)
        fit = estimator(random_state=random_state).fit(X)
    degenerate = any(issubclass(w.category, DegenerateDataWarning) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        fit_moved = estimator(random_state=random_state).fit(moved)
        fit_permuted = estimator(random_state=random_state).fit(X[perm])
    units = spread(X)
    back = (fit_moved.location_ - shift) / (scale * factors)
    recovered = float(np.max(np.abs((moved - shift) / (scale * factors) - X).max(axis=0) / units))
    lossy = recovered > LOSSY
    return {
        "transform_location": float(np.max(np.abs(back - fit.location_) / units)),
        "transform_labels": int(np.count_nonzero(fit_moved.predict(moved) != fit.predict(X))),
        "permutation_location": float(np.max(np.abs(fit_permuted.location_ - fit.location_)
                                             / units)),
        "permutation_labels": int(np.count_nonzero(
            fit_permuted.predict(X[perm]) != fit.predict(X)[perm])),
        "recovered": recovered,
        "excused": "degenerate" if degenerate else ("lossy" if lossy else None),
    }


def moves(record):
    """(moved under the transform, moved under the permutation) of one record."""
    return (record["transform_location"] > MOVED_UNDER_TRANSFORM
            or record["transform_labels"] > 0,
            record["permutation_location"] > MOVED_UNDER_PERMUTATION
            or record["permutation_labels"] > 0)


def invented(tables, kinds, seed):
    for i in range(tables):
        rng = np.random.default_rng([seed, i])
        kind = str(rng.choice(kinds))
        X = table(kind, rng)
        p = X.shape[1]
        scale = 10.0 ** rng.choice([-6, -3, 3, 6])
        factors, shift = np.exp(rng.uniform(-2, 2, p)), rng.uniform(-1e3, 1e3, p)
        yield f"{i} {kind} {X.shape[0]}x{p} a={scale:g}", X, factors, shift, scale, \
            rng.permutation(len(X)), 1


def real(max_rows=3_000):
    import bench_real_data

    for name, (_, load) in bench_real_data.sources().items():
        if "resampled" in name:
            continue
        try:
            X = np.asarray(load()[0], dtype=np.float64)[:max_rows]
        except bench_real_data.Skipped:  # too few usable columns: skipped there too
            continue
        n, p = X.shape
        if n <= p + 2:
            continue
        rng = np.random.default_rng(1)
        perm = rng.permutation(n)
        factors = np.exp(rng.uniform(-1, 1, p))
        shift = rng.uniform(-100, 100, p) * X.std(axis=0)
        yield f"{name} {n}x{p}", X, factors, shift, 1e-3, perm, 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--kinds", default="all",
                        help="'all', 'tied' (counts, answers, integers, rounded, dummies) or "
                             "a comma-separated list of kinds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", action="store_true", help="the real tables instead")
    parser.add_argument("--out", default=None, help="JSON path (default results/ties.json)")
    args = parser.parse_args(argv)
    kinds = {"all": KINDS, "tied": TIED_KINDS}.get(args.kinds) or tuple(args.kinds.split(","))
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    cases = real() if args.real else invented(args.tables, kinds, args.seed)
    records = []
    for name, X, factors, shift, scale, perm, random_state in cases:
        for estimator in ESTIMATORS:
            record = {"table": name, "estimator": estimator.__name__,
                      **compare(estimator, X, factors, shift, scale, perm, random_state)}
            records.append(record)
            transform, permutation = moves(record)
            if transform or permutation:
                print(f"{name} {estimator.__name__}: location {record['transform_location']:.1e}"
                      f" and {record['transform_labels']} labels under a·X·D + b, "
                      f"{record['permutation_location']:.1e} and "
                      f"{record['permutation_labels']} permuted"
                      + (f" (excused: {record['excused']})" if record["excused"] else ""),
                      flush=True)
    counted = [moves(r) + (r["excused"],) for r in records]
    rows = [["fits", len(records)],
            ["moved under a·X·D + b", sum(t and not e for t, _, e in counted)],
            ["moved under a·X·D + b, excused", sum(t and bool(e) for t, _, e in counted)],
            ["moved under a permutation", sum(p for _, p, _ in counted)]]
    print(markdown_table(["", "count"], rows))
    payload = {"arguments": vars(args), "records": records,
               "counts": {label: count for label, count in rows}}
    print("wrote", write_json("ties", payload, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
