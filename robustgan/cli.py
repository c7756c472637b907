"""The command line: ``robustgan simulate | report | fit | study`` (also ``python -m robustgan``).

    robustgan simulate grid.toml --out results/          # or --preset gao2019-table1 [--quick]
    robustgan simulate ... --jobs 2                      # local processes
    robustgan simulate ... --scheduler tcp://host:8786   # a Dask distributed cluster
    robustgan report results/ --plot                     # markdown table + PNG plots
    robustgan fit data.csv --estimator js-gan            # robust location (and scatter) of a file
    robustgan study                                      # the README's small study

A user error (a missing or malformed file, a bad option) is one line on stderr and exit status 2.
"""

import argparse
import ast
import csv
import itertools
import json
import os
import shlex
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
    "study": (["RobustGANMean()", "JS-GAN (scale=1)", "TV-GAN (scale=1)"],
              ["coordinatewise median", "sample mean"], ["N(5·1, I)"]),
}


class CommandError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run whose finished rows are kept in the result store ``store``."""

    def __init__(self, store):
        super().__init__()
        self.store = store


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
    if args.preset:
        grid = load_grid(preset(args.preset, quick=args.quick))
    else:
        grid = _grid_file(args.grid)
    out = _result_dir(args.out if args.out is not None else Path("results") / grid.name)
    scheduler = _connect(args.scheduler) if args.scheduler else None
    try:
        rows = run(grid, out, jobs=args.jobs, scheduler=scheduler,
                   progress=not args.no_progress, retry_failed=args.retry_failed)
    except KeyboardInterrupt:
        # The default store is not in args: main's message must still say where it is.
        raise _Interrupted(out) from None
    finally:
        if scheduler is not None:
            scheduler.close()
    print(f"results: {out} ({len(rows)} rows)")
    _print_report(rows, grid.to_dict())
    return 0


def _grid_file(path):
    """The grid of a user's file; a CommandError for a file the loader cannot read."""
    from .simulate import GridError
    from .simulate.grid import load_grid

    if Path(path).is_dir():
        raise CommandError(f"grid file {path!r} is a directory, not a file")
    try:
        return load_grid(path)
    except GridError:
        raise  # already names the file, the line and the field
    except UnicodeDecodeError:
        raise CommandError(f"grid file {path!r} is not UTF-8 text") from None
    except ValueError as exc:
        # parse_grid turns every problem of the fields into a GridError, so what is left is
        # the loader refusing the file itself (its suffix).
        raise CommandError(str(exc)) from None


def _result_dir(path):
    """``path``, unless it names something the result store cannot be made in."""
    if path.exists() and not path.is_dir():
        raise CommandError(f"--out {str(path)!r} is a file, not a result directory")
    _check_writable(path, "--out", directory=True)
    return path


def _check_writable(path, option, *, directory=False):
    """Refuse, before any work, an output path that could not be written once the work is done.

    Outputs are written when the work ends, so a bad path found only then cost the whole run.
    A directory (``directory=True``) is made when missing, parents included: the nearest
    existing one must take new entries. A file's own directory must exist and take them.

    Parameters
    ----------
    path : str or Path
    option : str
        The option that gave ``path``, to name it in the message.
    directory : bool, default=False
        Whether ``path`` is a directory rather than a file.

    Raises
    ------
    CommandError
        Naming the option, the path and what stands in the way.

    Examples
    --------
    >>> _check_writable("/no/such/rows.json", "--json")
    Traceback (most recent call last):
        ...
    robustgan.cli.CommandError: --json '/no/such/rows.json': directory '/no/such' does not exist
    """
    path = Path(path)
    named = f"{option} {str(path)!r}"
    if directory:
        if os.path.exists(path) and not path.is_dir():
            raise CommandError(f"{named} is a file, not a directory")
        parent = next(p for p in (path, *path.parents) if os.path.exists(p))
        if not parent.is_dir():
            raise CommandError(f"{named}: {str(parent)!r} is a file, not a directory")
    else:
        if path.is_dir():
            raise CommandError(f"{named} is a directory, not a file")
        parent = path.parent
        if not parent.is_dir():
            problem = "is a file" if os.path.exists(parent) else "does not exist"
            raise CommandError(f"{named}: directory {str(parent)!r} {problem}")
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise CommandError(f"{named} exists and is not writable")
    # Search (X) as well as write (W): making an entry needs both. os.access lets root pass
    # where root may write, and fails on a read-only file system.
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(f"{named}: directory {str(parent)!r} is not writable")


def _connect(address):
    """A client of the Dask scheduler at ``address``, connected now: an unreachable or
    malformed address is the user's, and ``run`` would report it only as a traceback."""
    try:
        from distributed import Client
    except ImportError:
        raise CommandError("--scheduler needs Dask's distributed package: "
                           "pip install 'robustgan[dask]'") from None
    try:
        return Client(address)
    except (OSError, ValueError) as exc:  # a timeout; a missing port or an unknown scheme
        raise CommandError(f"--scheduler {address!r}: {exc}") from None


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
    if args.plot:
        _check_writable(args.plot_dir or path / "plots",
                        "--plot-dir" if args.plot_dir else "--plot", directory=True)
    store = ResultStore(path, create=False)
    rows, set_aside = store.grid_rows()
    if rows.empty and not set_aside:
        raise CommandError(f"{str(path)!r} holds no results yet")
    spec = store.read_spec()
    if rows.empty:
        # Nothing of the recorded grid (rows written by hand, or a spec.json replaced by a run
        # that has finished nothing yet): the stored rows are all there is to show.
        rows, set_aside = store.load(), 0
        print(f"no stored row is a task of the grid in {str(path / 'spec.json')!r}: "
              f"summarising all {len(rows)} rows, whatever grid they came from")
    if set_aside:
        print(f"set aside {set_aside} row(s) of tasks not in the current grid (an earlier "
              f"grid's): {str(path / 'spec.json')!r} records the grid summarised")
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


_DELIMITERS = ("\t", ";", ",", "|")  # tried in this order; whitespace after them
_WHITESPACE = r"\s+"
_SAMPLE_LINES = 50
# pandas' own boolean spellings, given to it explicitly so that header detection counts as
# values the very cells the parser reads as booleans.
_TRUE = ("True", "TRUE", "true")
_FALSE = ("False", "FALSE", "false")


def _read_matrix(path, options):
    """The data file as a float matrix and its column names; a CommandError for bad input."""
    path = Path(path)
    if not path.is_file():
        problem = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise CommandError(f"data file {str(path)!r} {problem}")
    if path.suffix == ".npy":
        return _read_npy(path)
    return _read_text(path, options)


def _read_npy(path):
    try:
        X = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:  # a pickled or truncated array, not a .npy of numbers
        raise CommandError(f"{str(path)!r} is not a readable .npy array: {exc}") from None
    if X.dtype.kind not in "iufb":
        raise CommandError(f"{str(path)!r}: the array holds {X.dtype}, not numbers")
    X = X.astype(np.float64)
    names = [f"x{i}" for i in range(X.shape[1] if X.ndim == 2 else 0)]
    if X.ndim == 2:
        _check_finite(path, X, names, lambda row, col: f"X[{row}, {col}] of the array",
                      missing="NaN")
    return X, names


def _read_text(path, options):
    """A delimited text file: delimiter, header and pandas' index column detected (see fit -h)."""
    skipped, lines = _sample_lines(path)
    sep = options.delimiter or _sniff_delimiter(lines)
    cells = [_split(line, sep) for line in lines]
    header = options.header if options.header is not None else _looks_like_header(cells[0])
    frame = _parse(path, sep, header, skipped, _decimal(sep, cells[int(header):]))
    if not header:
        frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    if frame.empty:
        raise CommandError(f"{str(path)!r} has a header but no data rows")
    # Positions counted before the index column goes: they are the file's.
    positions = {column: number for number, column in enumerate(frame.columns, 1)}
    frame = _drop_index_column(frame, options.index_col, header)

    def cell(row, col):
        line = _line_number(path, skipped, row + int(header))
        at = "" if line is None else f"line {line}, "
        return f"{at}column {positions[frame.columns[col]]} of the file"

    X = _check_numeric(frame, path, cell)
    return X, [str(c) for c in frame.columns]


def _line_number(path, skipped, nonblank):
    """The number (from 1) of the file's line that pandas read as its ``nonblank``-th (from 0)
    non-blank line after the first ``skipped``, or None past the end.

    pandas skips blank lines, ones of whitespace included, so a data row's index is not its
    line. A quoted cell spanning lines would shift the count; numeric tables hold none.
    """
    with path.open(encoding="utf-8-sig") as handle:
        lines = enumerate(handle, 1)
        found = (number for number, line in itertools.islice(lines, skipped, None)
                 if line.strip())
        return next(itertools.islice(found, nonblank, None), None)


def _sample_lines(path):
    """(comment lines at the top, the first non-blank lines after them); empty files raise."""
    skipped, lines = 0, []
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for line in handle:
                if not lines and (not line.strip() or line.lstrip().startswith("#")):
                    skipped += 1  # np.savetxt writes its header as a "# ..." comment
                elif line.strip():
                    lines.append(line.rstrip("\r\n"))
                    if len(lines) == _SAMPLE_LINES:
                        break
    except UnicodeDecodeError:
        raise CommandError(f"{str(path)!r} is not UTF-8 text (a CSV or .npy file)") from None
    if not lines:
        raise CommandError(f"{str(path)!r} is empty")
    return skipped, lines


def _sniff_delimiter(lines):
    """The delimiter that splits every sampled line into the same number (≥ 2) of fields.

    Tab, semicolon, comma and bar are tried in that order (a semicolon file may use decimal
    commas), then runs of whitespace. A file no delimiter splits evenly is ragged: the
    delimiter that splits the most lines is returned, and parsing reports the bad row.

    Examples
    --------
    >>> _sniff_delimiter(["a;b", "1,5;2,5"]), _sniff_delimiter(["1 2", " 3  4"])
    (';', '\\\\s+')
    """
    counts = {sep: [len(_split(line, sep)) for line in lines]
              for sep in (*_DELIMITERS, _WHITESPACE)}
    for sep, per_line in counts.items():
        if min(per_line) >= 2 and len(set(per_line)) == 1:
            return sep
    best = max(counts, key=lambda sep: sum(n >= 2 for n in counts[sep]))
    return best if max(counts[best]) >= 2 else ","  # one column


def _split(line, sep):
    if sep == _WHITESPACE:
        return line.split()
    return next(csv.reader([line], delimiter=sep, skipinitialspace=True), [])


def _looks_like_header(cells):
    """Whether a first row is a header: some cell is not a number, or the cells are pandas'
    default column labels 0, 1, ..., p − 1 (``DataFrame(array).to_csv``).

    A row of other numbers (or of True and False, read as 1 and 0) is data; ``--header`` says
    otherwise.

    Examples
    --------
    >>> [_looks_like_header(row) for row in (["a", "b"], ["0", "1"], ["1", "2"], ["1", "True"])]
    [True, True, False, False]
    """
    if not all(_is_number(cell) or cell.strip() in (*_TRUE, *_FALSE) for cell in cells):
        return True
    return [cell.strip() for cell in cells] == [str(i) for i in range(len(cells))]


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _decimal(sep, rows):
    """The decimal mark: a comma when a semicolon file writes 1,5;2,25, else a point."""
    if sep != ";":
        return "."
    cells = [cell for row in rows for cell in row]
    commas = [cell for cell in cells if "," in cell]
    if commas and all(_is_number(cell.replace(",", ".")) for cell in commas):
        return ","
    return "."


def _parse(path, sep, header, skipped, decimal):
    import pandas as pd

    try:
        return pd.read_csv(path, sep=sep, header=0 if header else None, skiprows=skipped,
                           decimal=decimal, skipinitialspace=sep != _WHITESPACE,
                           true_values=list(_TRUE), false_values=list(_FALSE),
                           encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise CommandError(f"{str(path)!r} is empty") from None
    except pd.errors.ParserError as exc:
        # pandas' message names the line: "Expected 3 fields in line 5, saw 4".
        reason = str(exc).strip().splitlines()[-1].removeprefix("Error tokenizing data. ")
        raise CommandError(f"{str(path)!r}: rows of unequal length ({reason}); give "
                           "--delimiter if the detected one is wrong") from None
    except ValueError as exc:
        raise CommandError(f"{str(path)!r}: cannot be read as a table ({exc})") from None


def _drop_index_column(frame, index_col, header):
    """The frame without its row labels: column ``index_col``, or under "auto" an unnamed
    first column of increasing integers (pandas' index, written by ``to_csv``)."""
    if index_col == "none" or frame.shape[1] < 2:
        return frame
    if index_col == "auto":
        first = frame.iloc[:, 0]
        unnamed = header and str(frame.columns[0]).startswith("Unnamed: ")
        labels = first.dtype.kind == "i" and bool(first.is_monotonic_increasing) and first.is_unique
        return frame.iloc[:, 1:] if unnamed and labels else frame
    if not 0 <= index_col < frame.shape[1]:
        raise CommandError(f"--index-col {index_col}: the file has {frame.shape[1]} columns")
    return frame.drop(columns=frame.columns[index_col])


def _check_numeric(frame, path, cell):
    """The frame as a float matrix, or one line naming its first non-numeric, missing or
    infinite cell: its data row and column, and where ``cell(row, col)`` says it is (row and
    col counted from 0 in the frame).

    A column pandas reads as booleans (True/False alone) is 1/0, as a boolean .npy array is
    and as scikit-learn's ``check_array`` takes one.
    """
    import pandas as pd

    for col, column in enumerate(frame.columns):
        values = frame[column]
        if values.dtype.kind in "iufb":
            continue
        # Objects: integers past int64 as Python ints, or True/False with empty cells as
        # Python bools; to_numeric takes both, and an empty cell stays NaN for _check_finite.
        numbers = pd.to_numeric(values, errors="coerce")
        bad = (numbers.isna() & values.notna()).to_numpy()
        if not bad.any():
            frame = frame.assign(**{column: numbers})
            continue
        row = int(np.argmax(bad))
        written = str(values.iloc[row])
        # pandas reads a column as booleans only when every cell is one; mixed with numbers,
        # True is text, and the message must say why it is refused here and taken elsewhere.
        mixed = ("; True/False are read as 1/0 only in a column of them alone"
                 if written.strip() in (*_TRUE, *_FALSE) else "")
        raise CommandError(f"{str(path)!r}: column {str(column)!r} is not numeric "
                           f"({written!r} in data row {row + 1}), {cell(row, col)}{mixed}")
    X = frame.to_numpy(dtype=np.float64)
    # "inf", "-Infinity", or a number such as 1e400 that pandas reads as inf.
    _check_finite(path, X, [str(c) for c in frame.columns], cell,
                  missing="an empty cell, NaN or a short row",
                  infinite="one past ±1.8e308 reads as inf")
    return X


def _check_finite(path, X, columns, cell, *, missing, infinite=None):
    """One line naming X's first missing (NaN) cell, else its first infinite one, if any: its
    data row, its column's name in ``columns`` and ``cell(row, col)``; ``missing`` says what
    a NaN stands for, ``infinite`` how an inf may have come about.

    As the estimators' own messages do not: theirs run over several lines and name neither
    the file nor the cell.
    """
    missing_cells = np.isnan(X)
    if missing_cells.any():
        row, col = np.argwhere(missing_cells)[0]
        raise CommandError(f"{str(path)!r}: data row {row + 1} has no value for column "
                           f"{columns[col]!r} ({missing}), {cell(row, col)}")
    infinite_cells = np.isinf(X)
    if infinite_cells.any():
        row, col = np.argwhere(infinite_cells)[0]
        note = "" if infinite is None else f" ({infinite})"
        raise CommandError(f"{str(path)!r}: data row {row + 1} has an infinite value "
                           f"({X[row, col]}) in column {columns[col]!r}, {cell(row, col)}; "
                           f"{_FINITE}{note}")


_FINITE = "the estimators need finite numbers"


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
    from .simulate.registry import GIVEN_SCATTER

    X, columns = _read_matrix(args.data, args)
    if X.ndim != 2 or X.shape[0] < 2:
        raise CommandError(f"{args.data!r}: need a 2-D table with at least 2 rows, got "
                           f"shape {X.shape}")
    estimator = _fitted(_estimator(args), X, args)
    label = _label(args.estimator, estimator)
    result = {"estimator": label, "n_samples": X.shape[0], "features": columns,
              "location": np.asarray(estimator.location_).tolist()}
    if getattr(estimator, "covariance_", None) is not None:
        result["covariance"] = np.asarray(estimator.covariance_).tolist()
    if hasattr(estimator, "predict"):
        result["n_outliers"] = int(np.sum(estimator.predict(X) == -1))
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{label} on {X.shape[0]} rows × {X.shape[1]} features")
    width = max(len(c) for c in columns)
    print("location:")
    for name, value in zip(columns, result["location"]):
        print(f"  {name:>{width}}  {value: .6g}")
    if "covariance" in result:
        print("covariance:")
        print(np.array2string(np.asarray(result["covariance"]), precision=4, max_line_width=100))
    if "n_outliers" in result:
        print(f"flagged as outliers: {result['n_outliers']}")
        measured = ("covariance_", "scatter_", "feature_scale_")
        assumed = not any(hasattr(estimator, a) for a in measured)
        if assumed or args.estimator in GIVEN_SCATTER:
            # These measure distances under an identity scatter they assume, not estimate: in
            # other units every row, or none, is flagged.
            print(f"  ({label} assumes the inliers' covariance is the identity: on data in "
                  "other units, standardise first or use js-gan or mcd)")
    return 0


def _estimator(args):
    """The unfitted estimator of --estimator and --param; a CommandError for bad input."""
    from .simulate import make_estimator

    params = dict(args.param)
    random_state = params.pop("random_state", args.random_state)
    # --contamination is the level ε given to the estimators that take it as an input;
    # --param contamination=... is an estimator's own parameter (its outlier rule).
    own = {"contamination": params.pop("contamination")} if "contamination" in params else {}
    try:
        estimator = make_estimator(args.estimator, contamination=args.contamination,
                                   random_state=random_state, **params)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    except TypeError as exc:
        # make_estimator turns a class's refusal of the parameters into a ValueError; a
        # TypeError left is inspect's, for a 'module:Name' that names no callable.
        if ":" not in args.estimator:
            raise
        raise CommandError(f"estimator {args.estimator!r} is not a class ({exc})") from None
    if not callable(getattr(estimator, "fit", None)):
        raise CommandError(f"estimator {args.estimator!r} ({type(estimator).__name__}) has no "
                           "fit method")
    if own:
        if "contamination" not in getattr(estimator, "get_params", dict)():
            raise CommandError(f"estimator {args.estimator!r} has no parameter 'contamination'; "
                               "--contamination sets the level ε of those that take one")
        estimator.set_params(**own)
    return estimator


def _fitted(estimator, X, args):
    """``estimator`` fitted to X; a CommandError where the user's choices make the fit fail."""
    from .engine import TrainingDivergedError

    try:
        estimator.fit(X)
    except (ValueError, TrainingDivergedError) as exc:
        # TrainingDivergedError: the game ran away under the user's learning rates or
        # penalties; its message says which settings to lower.
        raise CommandError(str(exc)) from None
    except TypeError as exc:
        # A parameter the estimator does not check before fitting (OGK's, a user's class's)
        # meets its wrong type only here; one it checks cannot, so that TypeError is a bug.
        unchecked = _unchecked_params(estimator, args.param)
        if not unchecked:
            raise
        given = ", ".join(f"{key}={value!r}" for key, value in unchecked)
        raise CommandError(f"estimator {args.estimator!r} cannot fit with --param {given}: "
                           f"{exc}") from None
    if getattr(estimator, "location_", None) is None:
        raise CommandError(f"estimator {args.estimator!r} ({type(estimator).__name__}) set no "
                           "location_ in fit: fit needs a location or covariance estimator "
                           "(one of robustgan's, or e.g. sklearn.covariance:MinCovDet)")
    return estimator


def _unchecked_params(estimator, params):
    """The (key, value) pairs of ``params`` that ``estimator`` declares no constraint for."""
    checked = getattr(estimator, "_parameter_constraints", {})
    return [(key, value) for key, value in params if key not in checked]


def _label(name, estimator):
    """The estimator's name as fitted: ``js-gan`` with ``divergence="tv"`` is ``tv-gan``.

    Examples
    --------
    >>> from robustgan.simulate import make_estimator
    >>> _label("js-gan", make_estimator("js-gan", divergence="tv"))
    'tv-gan'
    >>> _label("coordinatewise-median", make_estimator("coordinatewise-median"))
    'coordinatewise-median'
    """
    divergence = getattr(estimator, "divergence", None)
    if divergence is None or "-gan" not in name:
        return name
    short = divergence if isinstance(divergence, str) else getattr(divergence, "name", "")
    return f"{short.lower()}-gan{name.partition('-gan')[2]}" if short else name


# ---------------------------------------------------------------------------------------------
# study
# ---------------------------------------------------------------------------------------------


def _study(args):
    import pandas as pd

    from .simulate import load_grid, preset

    if args.out is not None:
        _result_dir(args.out)
    if args.json:
        _check_writable(args.json, "--json")
    grid = load_grid(preset("study", n_samples=args.n_samples, n_features=args.n_features,
                            contamination=tuple(args.contamination), seeds=args.seeds))
    print(f"n={args.n_samples}, p={args.n_features}, inliers N(0, I), {args.seeds} seed(s)",
          flush=True)
    parts = [_run_printing_rows(grid, label, args) for label in grid.estimators]
    order = {task.task_id: task.index for task in grid.tasks()}
    rows = pd.concat(parts).sort_values("task_id", key=lambda ids: ids.map(order))
    rows = rows.reset_index(drop=True)
    if args.out is not None:
        from .simulate import ResultStore

        ResultStore(args.out).write_spec(grid.to_dict())  # the whole grid, for report
    _print_report(rows, grid.to_dict())
    if args.json:
        from .io_utils import atomic_write_text

        # A kill mid-write must leave the old file, not half a new one; the file is the user's,
        # so it gets the permissions a plain write gives, not a temporary's 0600.
        atomic_write_text(args.json, rows.to_json(orient="records", indent=1), private=False)
    return 0


def _run_printing_rows(grid, label, args):
    """Run one estimator's tasks of the grid and print a line per row, flushed, as it ends.

    ``simulate.run`` returns when its grid is done, so the study runs one estimator at a time:
    rows come out estimator by estimator instead of all at the end. Task seeds depend on the
    task alone and batched fits group one estimator's tasks anyway, so the rows are those of
    one run of the whole grid.
    """
    from .simulate import run

    spec = {**grid.to_dict(), "estimators": {label: grid.to_dict()["estimators"][label]}}
    rows = run(spec, args.out, jobs=args.jobs, progress=args.progress)
    for row in rows.itertuples():
        outcome = (f"{row.location_error:.3f}  ({row.seconds:.2f} s)" if row.status == "ok"
                   else row.status)
        print(f"  {row.estimator}, {row.design}, ε={row.contamination:g}, seed {row.seed}: "
              f"{outcome}", flush=True)
    return rows


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


def _delimiter(text):
    names = {"tab": "\t", "\\t": "\t", "whitespace": _WHITESPACE, "space": _WHITESPACE}
    value = names.get(text.lower(), text)
    if len(value) != 1 and value != _WHITESPACE:
        raise argparse.ArgumentTypeError(f"a delimiter is one character, 'tab' or "
                                         f"'whitespace', got {text!r}")
    return value


def _index_col(text):
    if text in ("auto", "none"):
        return text
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"--index-col is auto, none or a column position "
                                         f"(0, 1, ...), got {text!r}")
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
                    f"Estimators: {', '.join(available_estimators())}, or 'module:Class'. "
                    "Text files: the delimiter, a header row and pandas' index column are "
                    "detected (options below override); leading '#' lines are skipped; "
                    "every other cell must be a number, or a column of True/False alone "
                    "(read as 1/0, as a boolean .npy array is).")
    parser.add_argument("data", help="a delimited text file (.csv, .tsv, .txt) or .npy file")
    parser.add_argument("--estimator", default="js-gan", help="default: js-gan")
    parser.add_argument("--param", type=_param, action="append", default=[], metavar="KEY=VALUE",
                        help="an estimator parameter, repeatable (e.g. --param divergence=tv)")
    parser.add_argument("--contamination", type=_fraction, default=0.1,
                        help="the level ε given to the estimators that take it as an input "
                             "(iterative-filter, dimension-halving); default 0.1. The outlier "
                             "rule of the others is --param contamination=auto or a fraction")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--delimiter", type=_delimiter,
                        help="field delimiter: a character, 'tab' or 'whitespace' (default: "
                             "detected among tab, ';', ',', '|' and whitespace)")
    parser.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                        help="the first row is (not) a header (default: detected: a header "
                             "has a non-number or is 0, 1, ..., p-1 as pandas writes)")
    parser.add_argument("--index-col", type=_index_col, default="auto", metavar="{auto,none,N}",
                        help="a column of row labels to drop: its position N, none, or auto "
                             "(default: an unnamed first column of increasing integers, "
                             "pandas' index)")
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
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="robustgan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"robustgan {__version__}")
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
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    from .simulate import GridError, StoreError

    try:
        return args.run(args)
    except (CommandError, GridError, StoreError, FileNotFoundError) as exc:
        print(f"robustgan {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader left (robustgan fit ... | head): stop quietly, as Python's docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt as exc:
        # Ctrl-C: every finished task is already stored (atomically); say so, no traceback.
        store = getattr(exc, "store", None) or getattr(args, "out", None)
        kept = "" if store is None else _resume_hint(store, argv, given=args.out is not None)
        print(f"robustgan {args.command}: interrupted{kept}", file=sys.stderr)
        return 130


def _resume_hint(store, argv, given):
    """Where an interrupted run's finished rows are and the command that resumes it.

    Without --out the store is the default ``results/<grid name>``, relative to the working
    directory: the command names it, absolute, so that it resumes from anywhere.

    Examples
    --------
    >>> print(_resume_hint(Path("/r/x"), ["simulate", "--preset", "study"], given=False)[2:])
    finished tasks are kept in '/r/x': run the same command again to resume: robustgan
    simulate --preset study --out /r/x
    """
    store = Path(store).absolute()
    command = argv if given else [*argv, "--out", str(store)]
    return (f"; finished tasks are kept in {str(store)!r}: run the same command again to "
            f"resume: robustgan {shlex.join(command)}")


if __name__ == "__main__":
    sys.exit(main())
