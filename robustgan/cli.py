"""The command line: ``robustgan simulate | report | fit | study`` (also ``python -m robustgan``).

    robustgan simulate grid.toml --out results/          # or --preset gao2019-table1 [--quick]
    robustgan simulate ... --jobs 2                      # local processes
    robustgan simulate ... --scheduler tcp://host:8786   # a Dask distributed cluster
    robustgan report results/ --plot                     # markdown table + PNG plots
    robustgan fit data.csv --estimator js-gan            # robust location (and scatter) of a file
    robustgan study                                      # the README's small study
"""

import argparse
import ast
import json
import sys
from pathlib import Path

import numpy as np

__all__ = ["build_parser", "main"]

_ORDERING = {
    # preset -> (estimators that must beat the references, references best to worst, designs).
    # Only the far design separates the references: with outliers at N(0.5·1, I) the median
    # and the mean are biased alike (both ≈ ε·0.5·√p), so "median ≪ mean" is not the claim there.
    "gao2019-table1": (["JS-GAN", "TV-GAN", "iterative filter"],
                       ["coordinatewise median", "sample mean"], ["N(5·1, I)"]),
    "study": (["JS-GAN", "TV-GAN"], ["coordinatewise median", "sample mean"], ["N(5·1, I)"]),
}


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


# ---------------------------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------------------------


def _simulate(args):
    from .simulate import preset, run
    from .simulate.grid import load_grid

    if (args.grid is None) == (args.preset is None):
        raise CommandError("give a grid file or --preset NAME (one of them)")
    if args.quick and args.preset is None:
        raise CommandError("--quick applies to a --preset only")
    grid = load_grid(preset(args.preset, quick=args.quick) if args.preset else args.grid)
    out = args.out if args.out is not None else Path("results") / grid.name
    rows = run(grid, out, jobs=args.jobs, scheduler=args.scheduler,
               progress=not args.no_progress, retry_failed=args.retry_failed)
    print(f"results: {out} ({len(rows)} rows)")
    _print_report(rows, grid.to_dict())
    return 0


def _print_report(rows, spec, published=None):
    from .simulate import PUBLISHED, check_ordering, comparison_table, format_table

    metric = spec.get("metric", "location")
    label = "‖θ̂ − θ‖₂" if metric == "location" else "‖Σ̂ − Σ‖_op"
    print(f"\n{spec.get('description') or spec.get('name', '')}")
    print(f"{label}, mean (std) over replicates\n")
    print(format_table(rows, metric))
    base = spec.get("name", "").removesuffix("-quick")
    figures = {k[1:]: v for k, v in PUBLISHED.items() if k[0] == base}
    if figures:
        print("\n" + comparison_table(rows, figures, metric))
    if base in _ORDERING:
        robust, references, designs = _ORDERING[base]
        print(f"\nordering check ({', '.join(designs)}): each of {', '.join(robust)} ≥2× "
              f"better than {' and '.join(references)}; {' ≤ '.join(references)} (10% slack)")
        checked = rows[rows["design"].isin(designs)]
        for cell, ordering, holds in check_ordering(checked, robust=robust,
                                                    references=references, metric=metric):
            print(f"  {'ok  ' if holds else 'FAIL'} {cell[0]}, ε={cell[3]:g}: {ordering}")
    failed = rows[rows["status"] != "ok"]
    if len(failed):
        print(f"\n{len(failed)} task(s) failed, e.g. {failed['status'].iloc[0]}")


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def _report(args):
    from .simulate import ResultStore, plot

    path = Path(args.results)
    if not path.is_dir():
        raise CommandError(f"{str(path)!r} is not a result directory (robustgan simulate --out)")
    store = ResultStore(path)
    rows = store.load()
    if rows.empty:
        raise CommandError(f"{str(path)!r} holds no results yet")
    spec = store.read_spec()
    if args.metric != "auto":
        spec["metric"] = args.metric
    _print_report(rows, spec)
    if args.plot:
        for written in plot(rows, args.plot_dir or path / "plots", spec.get("metric", "location")):
            print(f"plot: {written}")
    return 0


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------


def _read_matrix(path, delimiter):
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"data file {str(path)!r} does not exist")
    if path.suffix == ".npy":
        X = np.load(path, allow_pickle=False)
        return X, [f"x{i}" for i in range(X.shape[1] if X.ndim == 2 else 0)]
    import pandas as pd

    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    fields = first.strip().split(delimiter or ",")
    header = 0 if not all(_is_number(f) for f in fields) else None
    frame = pd.read_csv(path, sep=delimiter or ",", header=header)
    columns = [str(c) for c in frame.columns] if header == 0 else \
        [f"x{i}" for i in range(frame.shape[1])]
    non_numeric = [c for c, kind in zip(columns, frame.dtypes) if kind.kind not in "if"]
    if non_numeric:
        raise CommandError(f"{str(path)!r}: columns {non_numeric} are not numeric")
    return frame.to_numpy(dtype=np.float64), columns


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _param(text):
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"a parameter is KEY=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        pass  # a bare word stays a string: --param divergence=tv
    return key, value


def _fit(args):
    from .simulate import make_estimator

    X, columns = _read_matrix(args.data, args.delimiter)
    if X.ndim != 2 or X.shape[0] < 2:
        raise CommandError(f"{args.data!r}: need a 2-D table with at least 2 rows, got "
                           f"shape {X.shape}")
    try:
        estimator = make_estimator(args.estimator, contamination=args.contamination,
                                   random_state=args.random_state, **dict(args.param))
        estimator.fit(X)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    result = {"estimator": args.estimator, "n_samples": X.shape[0], "features": columns,
              "location": estimator.location_.tolist()}
    if getattr(estimator, "covariance_", None) is not None:
        result["covariance"] = np.asarray(estimator.covariance_).tolist()
    if hasattr(estimator, "predict"):
        result["n_outliers"] = int(np.sum(estimator.predict(X) == -1))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{args.estimator} on {X.shape[0]} rows × {X.shape[1]} features")
    width = max(len(c) for c in columns)
    print("location:")
    for name, value in zip(columns, result["location"]):
        print(f"  {name:>{width}}  {value: .6g}")
    if "covariance" in result:
        print("covariance:")
        print(np.array2string(np.asarray(result["covariance"]), precision=4, max_line_width=100))
    if "n_outliers" in result:
        print(f"flagged as outliers: {result['n_outliers']}")
    return 0


# ---------------------------------------------------------------------------------------------
# study
# ---------------------------------------------------------------------------------------------


def _study(args):
    from .simulate import preset, run

    grid = preset("study", n_samples=args.n_samples, n_features=args.n_features,
                  contamination=tuple(args.contamination), seeds=args.seeds)
    rows = run(grid, args.out, jobs=args.jobs, progress=args.progress)
    print(f"n={args.n_samples}, p={args.n_features}, inliers N(0, I), {args.seeds} seed(s)")
    _print_report(rows, grid)
    if args.json:
        Path(args.json).write_text(rows.to_json(orient="records", indent=1), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------------------------------
# the parser
# ---------------------------------------------------------------------------------------------


def _fraction(text):
    value = float(text)
    if not 0.0 <= value < 0.5:
        raise argparse.ArgumentTypeError(f"contamination must be in [0, 0.5), got {text}")
    return value


def _jobs(text):
    value = int(text)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"--jobs is a positive count or -1 (all cores), got {text}")
    return value


def _add_simulate(commands):
    from .simulate import available_presets

    parser = commands.add_parser(
        "simulate", help="run a contamination grid (resumable)",
        description="Run every unfinished task of a grid: a TOML/YAML/JSON file or a built-in "
                    "preset. Rows go to a result store as tasks finish; rerunning with the same "
                    "--out skips the finished tasks, so a killed run resumes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="grid file example (TOML):\n" + _GRID_EXAMPLE)
    parser.add_argument("grid", nargs="?", help="grid file (.toml, .yaml, .yml, .json)")
    parser.add_argument("--preset", choices=available_presets(), help="a built-in grid")
    parser.add_argument("--quick", action="store_true",
                        help="the preset's small variant (fewer seeds, smaller n and p)")
    parser.add_argument("--out", type=Path,
                        help="result store directory (default: results/<grid name>)")
    parser.add_argument("--jobs", type=_jobs, default=1,
                        help="local worker processes; -1 for every core (default: 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on this Dask scheduler (tcp://host:8786) instead")
    parser.add_argument("--retry-failed", action="store_true",
                        help="also rerun tasks whose stored row is an error")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=_simulate)


_GRID_EXAMPLE = """
  name = "my-study"
  seeds = 3
  n_samples = [5000]
  n_features = [10, 20]
  contamination = [0.1, 0.2]
  [designs]
  "N(5·1, I)" = { outliers = "gaussian_shift", shift = 5.0 }
  [estimators]
  "JS-GAN" = "js-gan"
  "TV-GAN" = { estimator = "js-gan", divergence = "tv" }
  "median" = "coordinatewise-median"
"""


def _add_report(commands):
    parser = commands.add_parser(
        "report", help="tables (and plots) of a result store",
        description="Print a markdown table of a result store: mean (std) error over "
                    "replicates per cell and estimator, the published figures where known, "
                    "and the papers' ordering check for their presets.")
    parser.add_argument("results", help="a result store directory (robustgan simulate --out)")
    parser.add_argument("--metric", choices=["auto", "location", "scatter"], default="auto",
                        help="auto: the grid's own metric")
    parser.add_argument("--plot", action="store_true",
                        help="also write PNG plots of the error vs ε, p and n")
    parser.add_argument("--plot-dir", type=Path, help="where the plots go (default: RESULTS/plots)")
    parser.set_defaults(run=_report)


def _add_fit(commands):
    from .simulate import available_estimators

    parser = commands.add_parser(
        "fit", help="robust location (and scatter) of a CSV or .npy file",
        description="Fit one estimator to a data file (rows = observations) and print its "
                    "location, covariance (scatter estimators) and the count of flagged rows. "
                    f"Estimators: {', '.join(available_estimators())}, or 'module:Class'.")
    parser.add_argument("data", help=".csv/.txt (header row detected) or .npy file")
    parser.add_argument("--estimator", default="js-gan", help="default: js-gan")
    parser.add_argument("--param", type=_param, action="append", default=[], metavar="KEY=VALUE",
                        help="an estimator parameter, repeatable (e.g. --param divergence=tv)")
    parser.add_argument("--contamination", type=_fraction, default=0.1,
                        help="ε given to estimators that need it (filter, halving); default 0.1")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--delimiter", help="CSV delimiter (default: ,)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=_fit)


def _add_study(commands):
    parser = commands.add_parser(
        "study", help="the README's small study: GANs vs medians vs the mean",
        description="JS-GAN and TV-GAN against the coordinatewise median and the sample mean "
                    "on simulated data (outliers at N(5·1, I) and N(0.5·1, I)), as a table.")
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--contamination", type=_fraction, nargs="+", default=[0.1, 0.2])
    parser.add_argument("--seeds", type=int, default=1, help="data sets per cell")
    parser.add_argument("--jobs", type=_jobs, default=1, help="local worker processes")
    parser.add_argument("--out", type=Path, help="also keep the rows in this result store")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.set_defaults(run=_study)


def build_parser():
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="robustgan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_simulate, _add_report, _add_fit, _add_study):
        add(commands)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
    >>> np.save(path, np.arange(10.0).reshape(5, 2))
    >>> main(["fit", path, "--estimator", "coordinatewise-median"])  # doctest: +ELLIPSIS
    coordinatewise-median on 5 rows × 2 features
    location:
      x0   4
      x1   5
    flagged as outliers: ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    from .simulate import GridError

    try:
        return args.run(args)
    except (CommandError, GridError, FileNotFoundError) as exc:
        print(f"robustgan {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
