"""The result store: one row per finished task, written so that a killed run loses nothing finished.

Layout of a store directory::

    results.csv        the compacted rows
    parts/<id>.csv     rows finished since the last compaction, one file per task
    spec.json          the grid of the last run, whose rows ``report`` summarises
    .lock              held by a compaction (see below)

Every file is written through ``robustgan.io_utils.atomic_open`` (a temporary in the same
directory, flushed to disk and renamed over its target), so a reader never sees half a file.
A row's file name is its task id, so a task written twice (a crash between compaction's
rename and its clean-up) is still one row: reading deduplicates by ``task_id``.

Several runs may write into one store at once (disjoint grids, or the same one): a part file
is one task's, so writing one needs no lock, and compaction, the only read-modify-write, holds
the lock file ``.lock`` so that no run folds in rows another compaction has since moved. A
reader takes no lock: a part file gone between listing and reading was compacted meanwhile,
and reading again finds its row in ``results.csv``.

Writes being atomic, a file that is torn or does not parse was damaged outside robustgan: a
row that is not a complete, well-formed row is dropped with a warning (its task is then run
again like any missing one), and a file that cannot be read at all is a ``StoreError``.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock

from ..io_utils import atomic_open, atomic_write_text
from .grid import GridError, parse_grid

__all__ = ["COLUMNS", "MemoryStore", "ResultStore", "StoreError"]

COLUMNS = ("task_id", "estimator", "design", "n_samples", "n_features", "contamination", "seed",
           "location_error", "scatter_error", "seconds", "status")
_DTYPES = {"n_samples": "int64", "n_features": "int64", "seed": "int64", "contamination": "float64",
           "location_error": "float64", "scatter_error": "float64", "seconds": "float64"}


def _write_frame(path, frame):
    """``frame`` as CSV at ``path``, atomically."""
    with atomic_open(path, "w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False)


def _frame(rows):
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    return frame.astype(_DTYPES) if len(frame) else frame


class StoreError(ValueError):
    """A result store file that cannot be read at all, or a path that cannot hold a store."""


# Every field is read as text and converted here: pandas would type a part file's one value by
# its look (task ids are hex digests: "0901179056876488" lost its zero, "80e4544226384096"
# became inf), and a column holding one malformed value would not convert at all.
_INTS = ("n_samples", "n_features", "seed")
_FLOATS = ("contamination", "location_error", "scatter_error", "seconds")
_MAY_BE_NAN = ("location_error", "scatter_error", "seconds")


def _read_csv(path):
    """The well-formed rows of one store file, and how many others it held."""
    try:
        text = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise StoreError(f"result store file {str(path)!r} is empty (not even a header line); "
                         "remove it to run its tasks again") from None
    except UnicodeDecodeError:
        raise StoreError(f"result store file {str(path)!r} is not UTF-8 text") from None
    except pd.errors.ParserError as exc:
        raise StoreError(f"result store file {str(path)!r} is not a CSV table of results: "
                         f"{' '.join(str(exc).split())}") from None
    missing = [c for c in COLUMNS if c not in text.columns]
    if missing:
        raise StoreError(f"result store file {str(path)!r} lacks the columns {missing}")
    bad = np.zeros(len(text), dtype=bool)
    columns = {}
    for column in COLUMNS:
        values = text[column].to_numpy(dtype=object)
        if column in _INTS or column in _FLOATS:
            parse = _int if column in _INTS else _float
            parsed = [parse(value, column in _MAY_BE_NAN) for value in values]
            bad |= np.array([value is None for value in parsed], dtype=bool)
            values = [np.nan if value is None else value for value in parsed]
        columns[column] = values
    status = text["status"]
    # A torn last row lacks its last fields: its status is empty or cut short.
    bad |= ~((status == "ok") | status.str.startswith("error: ")).to_numpy()
    bad |= (text["task_id"] == "").to_numpy()
    frame = pd.DataFrame(columns, columns=list(COLUMNS))[~bad]
    # Python's float() reads back the very double that was written (pandas' converters need
    # not), so the types are set only now, on values already parsed.
    return frame.astype(_DTYPES).reset_index(drop=True), int(bad.sum())


def _float(text, may_be_nan):
    if text in ("", "nan", "NaN"):
        return np.nan if may_be_nan else None
    try:
        return float(text)
    except ValueError:
        return None


def _int(text, may_be_nan):
    try:
        return int(text)
    except ValueError:
        return None


class ResultStore:
    """Rows of finished tasks in a directory (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The store directory; created when missing (unless ``create`` is False).
    compact_every : int, default=500
        Fold the per-task files into ``results.csv`` after this many new rows, so a long run
        keeps few files while a kill loses nothing.
    create : bool, default=True
        False for a reader (``robustgan report``): a missing directory is not made.

    Examples
    --------
    >>> import tempfile
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> store.add({"task_id": "a1", "estimator": "mean", "design": "d", "n_samples": 10,
    ...            "n_features": 2, "contamination": 0.1, "seed": 0, "location_error": 0.5,
    ...            "scatter_error": float("nan"), "seconds": 0.01, "status": "ok"})
    >>> store.finished_ids()
    {'a1'}
    """

    def __init__(self, path, compact_every=500, *, create=True):
        self.path = Path(path)
        self.parts = self.path / "parts"
        self.results = self.path / "results.csv"
        self.compact_every = compact_every
        if self.path.exists() and not self.path.is_dir():
            raise StoreError(f"{str(self.path)!r} is a file, not a result store directory")
        if create:
            self.parts.mkdir(parents=True, exist_ok=True)
        self._since_compaction = 0
        self._lock = FileLock(self.path / ".lock")

    def load(self):
        """All rows, one per task id, as a DataFrame with the columns ``COLUMNS``.

        Rows that are not complete, well-formed rows are left out with a warning naming the
        file; a file that cannot be read at all raises ``StoreError``.
        """
        while True:
            parts = sorted(self.parts.glob("*.csv"))
            files = ([self.results] if self.results.exists() else []) + parts
            try:
                read = [(path, *_read_csv(path)) for path in files]
                break
            except FileNotFoundError:
                continue  # another run compacted between listing and reading: read again
        for path, _, dropped in read:
            if dropped:
                warnings.warn(f"result store file {str(path)!r}: left out {dropped} row(s) "
                              "that are not complete, well-formed rows (torn or edited); "
                              "their tasks will run again", stacklevel=2)
        frames = [frame for _, frame, _ in read if len(frame)]
        if not frames:
            return _frame([])
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.drop_duplicates("task_id", keep="last")
        return frame[list(COLUMNS)].astype(_DTYPES).reset_index(drop=True)

    def finished_ids(self, retry_failed=False):
        """Ids of the tasks with a row (only the successful ones when ``retry_failed``)."""
        frame = self.load()
        if retry_failed:
            frame = frame[frame["status"] == "ok"]
        return set(frame["task_id"])

    def add(self, row):
        """Write one finished task's row (atomically), compacting every ``compact_every``."""
        target = self.parts / f"{row['task_id']}.csv"
        _write_frame(target, _frame([row]))
        self._since_compaction += 1
        if self._since_compaction >= self.compact_every:
            self.compact()

    def compact(self):
        """Fold the per-task files into ``results.csv`` (atomically), then remove them.

        Holds the store's lock file: a concurrent compaction in between this one's reading and
        writing would otherwise be overwritten, and its rows lost.
        """
        self._since_compaction = 0
        with self._lock:
            parts = sorted(self.parts.glob("*.csv"))
            if not parts:
                return
            frame = self.load()
            _write_frame(self.results, frame)
            for part in parts:
                part.unlink(missing_ok=True)

    def write_spec(self, spec):
        """Record the grid (``report`` reads it)."""
        text = json.dumps(spec, indent=1, ensure_ascii=False, default=str)
        atomic_write_text(self.path / "spec.json", text)

    def read_spec(self):
        """The recorded grid, or an empty dict."""
        path = self.path / "spec.json"
        if not path.exists():
            return {}
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"result store file {str(path)!r} is not a JSON grid: "
                             f"{exc}") from None
        if not isinstance(spec, dict):
            raise StoreError(f"result store file {str(path)!r} is not a JSON grid: a "
                             f"{type(spec).__name__}, not an object")
        return spec

    def grid_rows(self):
        """The rows of the recorded grid's tasks, in grid order, and how many rows are not.

        A store rerun after a change of the grid (an estimator's parameter, the seeds) holds
        the rows of both settings under the same labels: they are different tasks, and only
        the current grid's belong in its summary.

        Returns
        -------
        rows : pandas.DataFrame
            As ``load``, restricted to the tasks of ``spec.json``'s grid and in its order
            (every row, in stored order, when the store records no grid).
        set_aside : int
            The number of stored rows left out.

        Raises
        ------
        StoreError
            When ``spec.json`` is damaged or is not a grid that can be read.

        Examples
        --------
        >>> import tempfile
        >>> from robustgan.simulate import run
        >>> out = tempfile.mkdtemp()
        >>> grid = {"n_samples": 50, "n_features": 2, "contamination": 0.1,
        ...         "estimators": ["sample-mean"]}
        >>> _ = run(grid, out, progress=False)
        >>> _ = run(grid | {"random_state": 1}, out, progress=False)
        >>> rows, set_aside = ResultStore(out, create=False).grid_rows()
        >>> len(rows), set_aside
        (1, 1)
        """
        rows = self.load()
        spec = self.read_spec()
        if "estimators" not in spec:
            return rows, 0
        try:
            tasks = parse_grid(spec).tasks()
        except GridError as exc:
            raise StoreError(f"result store file {str(self.path / 'spec.json')!r} is not a "
                             f"grid that can be read: {exc}") from None
        order = {task.task_id: task.index for task in tasks}
        kept = rows[rows["task_id"].isin(order)]
        kept = kept.sort_values("task_id", key=lambda ids: ids.map(order))
        return kept.reset_index(drop=True), len(rows) - len(kept)


class MemoryStore:
    """The store of a run without an output directory: rows in memory, nothing resumable.

    Examples
    --------
    >>> MemoryStore().load().shape
    (0, 11)
    """

    def __init__(self):
        self._rows = {}

    def load(self):
        return _frame(self._rows.values())

    def finished_ids(self, retry_failed=False):
        return {k for k, row in self._rows.items() if not retry_failed or row["status"] == "ok"}

    def add(self, row):
        self._rows[row["task_id"]] = row

    def compact(self):
        pass

    def write_spec(self, spec):
        pass

    def read_spec(self):
        return {}


def rows_equal(left, right, ignore=("seconds",)):
    """Whether two result frames hold the same rows, ignoring wall times (which never repeat).

    Examples
    --------
    >>> row = dict.fromkeys(COLUMNS, 0) | {"task_id": "x", "status": "ok"}
    >>> a, b = _frame([row | {"seconds": 1.0}]), _frame([row | {"seconds": 2.0}])
    >>> rows_equal(a, b)
    True
    """
    keep = [c for c in COLUMNS if c not in ignore]
    a = left[keep].sort_values("task_id").reset_index(drop=True)
    b = right[keep].sort_values("task_id").reset_index(drop=True)
    if a.shape != b.shape:
        return False
    return all(
        np.array_equal(a[c].to_numpy(), b[c].to_numpy(), equal_nan=a[c].dtype.kind == "f")
        for c in keep
    )
