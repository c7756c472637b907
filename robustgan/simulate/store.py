"""The result store: one row per finished task, written so that a killed run loses nothing finished.

Layout of a store directory::

    results.csv        the compacted rows
    parts/<id>.csv     rows finished since the last compaction, one file per task
    spec.json          the grid of the last run (name, metric), for ``report``

Every file is written through ``robustgan.io_utils.atomic_open`` (a temporary in the same
directory, flushed to disk and renamed over its target), so a reader never sees half a file.
A row's file name is its task id, so a task written twice (a crash between compaction's
rename and its clean-up) is still one row: reading deduplicates by ``task_id``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..io_utils import atomic_open, atomic_write_text

__all__ = ["COLUMNS", "MemoryStore", "ResultStore"]

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


# pandas >= 3 parses floats exactly by default (and deprecates the option); older pandas needs
# "round_trip" to read back the very float that was written.
_EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


# Read as text whatever they look like: a part file holds one row, from whose one value pandas
# would infer a type, and task ids are hex digests ("0901179056876488" lost its zero,
# "80e4544226384096" became inf), so finished rows were dropped as duplicates and rerun.
_TEXT = {"task_id": str, "estimator": str, "design": str, "status": str}


def _read_csv(path):
    return pd.read_csv(path, keep_default_na=False, dtype=_TEXT, **_EXACT_FLOATS,
                       na_values={c: ["", "NaN", "nan"] for c in _DTYPES})


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
        if create:
            self.parts.mkdir(parents=True, exist_ok=True)
        self._since_compaction = 0

    def load(self):
        """All rows, one per task id, as a DataFrame with the columns ``COLUMNS``."""
        frames = [_read_csv(self.results)] if self.results.exists() else []
        frames += [_read_csv(part) for part in sorted(self.parts.glob("*.csv"))]
        if not frames:
            return _frame([])
        frame = pd.concat(frames, ignore_index=True)
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"result store {str(self.path)!r} lacks columns {missing}")
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
        """Fold the per-task files into ``results.csv`` (atomically), then remove them."""
        parts = sorted(self.parts.glob("*.csv"))
        self._since_compaction = 0
        if not parts:
            return
        frame = self.load()
        _write_frame(self.results, frame)
        for part in parts:
            part.unlink(missing_ok=True)

    def write_spec(self, spec):
        """Record the grid (``report`` reads its name and metric)."""
        text = json.dumps(spec, indent=1, ensure_ascii=False, default=str)
        atomic_write_text(self.path / "spec.json", text)

    def read_spec(self):
        """The recorded grid, or an empty dict."""
        path = self.path / "spec.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


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
