"""Rows of data that need not fit in memory: a NumPy memmap, an h5py/zarr-like or a Dask array.

What the estimators do with such input: they fit it on a seeded, uniformly random subsample of
m rows drawn without replacement (``sample_rows``), never on the whole array. The game looks at
minibatches only: it draws T = n_steps·n_critic·batch_size real rows in all (400 generator
steps of 3 critic steps on 500 rows are 600,000 draws), so it never needs more than T distinct
rows, and the start (a median, a scale, a trimmed scatter) is an estimate from a sample. The
rows a fit uses are read once, chunk by chunk, and the array is never materialised: memory is
the m × p float64 sample plus one chunk, whatever n.

What it costs in accuracy: the estimate is that of the m sampled rows, so its sampling error
follows √(p/m) instead of √(p/n); the contamination term, of order ε, is unchanged (the sampled
rows are contaminated at ε in law). With m = 50,000 and p = 100, √(p/m) = 0.045: the error of
an in-memory fit on 50,000 rows, whatever n is.

What it costs in invariance: an in-memory fit orders the rows by their values before training,
so a seeded fit is invariant to a permutation of the rows bit for bit. The subsample depends on
the rows' positions (the seed picks positions, not values), so for out-of-core input a
permutation of the rows gives a different subsample: the estimate is permutation invariant in
distribution, not bit for bit. The sample is returned in increasing row order, and the positions
drawn depend only on (seed, n, m), not on how the rows are stored: a memmap, an HDF5 dataset and
a Dask array holding the same rows give the same sample, bit for bit.

How each storage is read (``sample_rows``, ``iter_row_chunks``):

- ``numpy.memmap``: each chunk of rows is mapped afresh from the file (``mmap``, read only) and
  unmapped after its rows are copied out, so the process's resident memory, which counts the
  mapped file pages it has touched, holds one chunk's pages at a time, not the file's. A
  copy-on-write memmap (``mode="c"``), whose pages may differ from the file, and one whose file
  cannot be opened again or no longer holds the array's values (one row is compared) are read
  through the array itself: the values are right, but the touched pages stay resident until
  the caller unmaps the array.
- h5py ``Dataset``, zarr ``Array`` and other duck arrays (``shape``, ``dtype``, ``__getitem__``):
  sorted fancy indexing chunk by chunk (``X.oindex[rows]`` where it exists, else ``X[rows]``).
- Dask arrays (anything with ``compute`` and ``chunks``): ``X[rows]`` with the sorted indices,
  then ``compute()``; Dask reads its own chunks, on a ``dask.distributed`` cluster as on the
  local scheduler.

None of h5py, zarr or Dask is imported here.
"""

import math
import mmap
import os
from numbers import Integral

import numpy as np

from ._validation import check_generator

__all__ = ["is_out_of_core", "iter_row_chunks", "sample_row_indices", "sample_rows"]

# Rows per chunk when ``chunk_rows`` is None: about this many bytes of stored rows per read.
# One chunk's mapped pages and its float64 copy are what a read holds besides the answer.
CHUNK_BYTES = 16 * 2**20


# --- what the input is -----------------------------------------------------------------------


def is_out_of_core(X):
    """Whether X is an array whose rows are read from storage rather than held in memory.

    True for a ``numpy.memmap`` backed by a file mapping, a Dask array (duck-typed: it has
    ``compute`` and ``chunks``) and an h5py ``Dataset``- or zarr ``Array``-like object (it has
    ``shape``, a NumPy ``dtype`` and ``__getitem__``, and is not an in-memory array: not a
    plain ``ndarray``, a list, a pandas object, a sparse matrix, a torch tensor or another
    NumPy-protocol array that implements ``__array_ufunc__``/``__array_function__``). Nothing
    is read and nothing is imported.

    Parameters
    ----------
    X : object
        The training data as the caller passed them.

    Returns
    -------
    bool

    Examples
    --------
    >>> import os, tempfile
    >>> is_out_of_core(np.zeros((3, 2)))
    False
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     X = np.memmap(os.path.join(folder, "X.f32"), np.float32, "w+", shape=(3, 2))
    ...     is_out_of_core(X), is_out_of_core(np.asarray(X))
    (True, False)
    """
    return _storage(X) != "memory"


def _storage(X):
    """'memmap', 'dask', 'indexable' (h5py/zarr-like) or 'memory'."""
    if isinstance(X, np.memmap):
        return "memmap" if getattr(X, "_mmap", None) is not None else "memory"
    if isinstance(X, np.ndarray):
        return "memory"
    if hasattr(X, "compute") and hasattr(X, "chunks"):
        return "dask"
    if not all(hasattr(X, name) for name in ("shape", "dtype", "__getitem__")):
        return "memory"
    in_memory_protocol = hasattr(X, "__array_ufunc__") or hasattr(X, "__array_function__")
    if in_memory_protocol or hasattr(X, "tocsr") or type(X).__module__.split(".")[0] in (
        "pandas", "torch", "scipy"
    ):
        return "memory"
    try:
        np.dtype(X.dtype)
    except TypeError:
        return "memory"
    return "indexable"


# --- the sample ------------------------------------------------------------------------------


def sample_row_indices(n_samples, n_rows, random_state=None):
    """Sorted positions of a uniformly random subset of ``min(n_rows, n_samples)`` rows.

    The positions depend only on ``(random_state, n_samples, n_rows)``: this is the draw of
    ``sample_rows``, whatever the storage. ``n_rows >= n_samples`` gives every row and draws
    nothing.

    Parameters
    ----------
    n_samples : int
        Rows to draw from, at least 1.
    n_rows : int
        Rows to draw, at least 1.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default=None
        As in ``robustgan.datasets.make_huber_contamination``: an int seeds
        ``numpy.random.default_rng``; a Generator is used and advanced.

    Returns
    -------
    ndarray of shape (min(n_rows, n_samples),), int64
        Increasing, without repeats.

    Examples
    --------
    >>> sample_row_indices(10, 4, random_state=0)
    array([2, 4, 5, 7])
    >>> sample_row_indices(3, 5, random_state=0)
    array([0, 1, 2])
    """
    n = _check_count(n_samples, "n_samples")
    m = _check_count(n_rows, "n_rows")
    if m >= n:
        return np.arange(n, dtype=np.int64)
    # Generator.choice draws m of n without replacement in O(m) memory (Floyd) when m ≤ n/50,
    # else through a permutation of n (O(n) int64, transient).
    rows = check_generator(random_state).choice(n, size=m, replace=False, shuffle=False)
    return np.sort(rows.astype(np.int64, copy=False))


def sample_rows(X, n_rows, random_state=None, *, chunk_rows=None):
    """A seeded, uniformly random subset of the rows of X, read chunk by chunk.

    The rows are drawn without replacement (``sample_row_indices``) and returned in increasing
    row order, so the answer depends on the rows and the seed, not on the storage: a memmap, an
    h5py/zarr-like array, a Dask array and an in-memory array of the same values give the same
    float64 rows, bit for bit. X is never materialised: the memory held is the answer plus one
    chunk (see the module docstring for how each storage is read).

    Parameters
    ----------
    X : array-like, numpy.memmap, h5py/zarr-like or Dask array of shape (n_samples, n_features)
        Numeric (bool, integer or floating) data, at least one row and one feature.
    n_rows : int
        Rows to draw, at least 1; ``n_rows >= n_samples`` returns every row.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default=None
        Seed of the draw (see ``sample_row_indices``).
    chunk_rows : int or None, default=None
        Rows per read; None: about ``CHUNK_BYTES`` (16 MiB) of stored rows. A Dask array is
        read in its own chunks.

    Returns
    -------
    ndarray of shape (min(n_rows, n_samples), n_features), float64

    Raises
    ------
    ValueError
        For X not 2-D, without rows or features, of a non-numeric or complex dtype, with
        non-finite values in the rows read (the message names NaN or infinity and the row),
        or a Dask array of unknown chunk sizes.

    Examples
    --------
    >>> import os, tempfile
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     mapped = np.memmap(os.path.join(folder, "X.f32"), np.float32, "w+", shape=(10, 2))
    ...     mapped[:] = X
    ...     rows = sample_rows(mapped, 3, random_state=0)
    ...     del mapped
    >>> rows
    array([[10., 11.],
           [12., 13.],
           [18., 19.]])
    >>> np.array_equal(rows, sample_rows(X, 3, random_state=0))
    True
    """
    X, storage, (n, p) = _check_array(X)
    index = sample_row_indices(n, n_rows, random_state)
    if storage == "dask":
        selection = X if len(index) == n else X[index]
        return _checked(np.asarray(selection.compute(), dtype=np.float64), index)
    out = np.empty((len(index), p), dtype=np.float64)
    size = _chunk_rows(chunk_rows, X)
    read = _row_reader(X, storage)
    # Each chunk of positions [start, stop) reads the sampled rows that fall in it.
    bounds = np.searchsorted(index, np.arange(0, n + size, size))
    for k, start in enumerate(range(0, n, size)):
        lo, hi = bounds[k], bounds[k + 1]
        if lo < hi:
            rows = index[lo:hi]
            out[lo:hi] = _checked(read(start, min(start + size, n), rows), rows)
    return out


def iter_row_chunks(X, chunk_rows=None):
    """Consecutive chunks of the rows of X as float64 arrays: one streaming pass over X.

    For statistics that a pass can accumulate (sums, counts, extremes, histograms) on data
    that do not fit in memory. Each chunk is checked to be finite as it is read.

    Parameters
    ----------
    X : array-like, numpy.memmap, h5py/zarr-like or Dask array of shape (n_samples, n_features)
    chunk_rows : int or None, default=None
        Rows per chunk (the last may be shorter); None: about ``CHUNK_BYTES`` of stored rows.

    Yields
    ------
    ndarray of shape (rows, n_features), float64

    Raises
    ------
    ValueError
        As ``sample_rows``.

    Examples
    --------
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> [chunk.shape for chunk in iter_row_chunks(X, chunk_rows=2)]
    [(2, 2), (2, 2), (1, 2)]
    >>> sum(chunk.sum(axis=0) for chunk in iter_row_chunks(X, chunk_rows=2))
    array([20., 25.])
    """
    X, storage, (n, _) = _check_array(X)
    size = _chunk_rows(chunk_rows, X)
    read = _row_reader(X, storage)
    for start in range(0, n, size):
        stop = min(start + size, n)
        yield _checked(read(start, stop, None), np.arange(start, stop))


# --- validation ------------------------------------------------------------------------------


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int ≥ 1, got {value!r}")
    return int(value)


def _check_array(X):
    """(X, storage, (n, p)): X as an ndarray when it is in memory; shape and dtype checked."""
    storage = _storage(X)
    if storage == "memory":
        X = np.asarray(X)
    shape = tuple(X.shape)
    if len(shape) != 2:
        hint = " Reshape with X.reshape(-1, 1) for one feature." if len(shape) == 1 else ""
        raise ValueError(f"Expected a 2-D array of shape (n_samples, n_features), got "
                         f"{len(shape)}-D of shape {shape}.{hint}")
    if any(isinstance(s, float) and math.isnan(s) for s in shape):
        raise ValueError(f"The Dask array's number of rows is unknown (shape {shape}): call "
                         "X.compute_chunk_sizes() first.")
    n, p = (int(s) for s in shape)
    if n < 1 or p < 1:
        raise ValueError(f"X of shape {shape}: at least 1 row and 1 feature are required.")
    dtype = np.dtype(X.dtype)
    if dtype.kind == "c":
        raise ValueError(f"Complex data are not supported: X has dtype {dtype}.")
    if dtype.kind not in "biuf":
        raise ValueError(f"X must have a numeric (bool, integer or floating) dtype, got "
                         f"{dtype}: convert the columns to numbers first.")
    return X, storage, (n, p)


def _checked(rows, index):
    """``rows`` if every value is finite, else a ValueError naming NaN or inf and the row."""
    if np.isfinite(rows).all():
        return rows
    bad = ~np.isfinite(rows)
    i, j = np.argwhere(bad)[0]
    what = "NaN" if np.isnan(rows[i, j]) else "infinity"
    raise ValueError(f"X contains {what} (row {int(index[i])}, column {int(j)}); the rows read "
                     f"hold {int(np.isnan(rows).sum())} NaN and {int(np.isinf(rows).sum())} "
                     "infinite values. Remove or impute them first (sklearn.impute).")


def _chunk_rows(chunk_rows, X):
    if chunk_rows is None:
        row_bytes = max(1, int(X.shape[1]) * np.dtype(X.dtype).itemsize)
        return max(1, CHUNK_BYTES // row_bytes)
    return _check_count(chunk_rows, "chunk_rows")


# --- reading rows ----------------------------------------------------------------------------


def _row_reader(X, storage):
    """``read(start, stop, rows)``: float64 rows ``rows`` (sorted positions in [start, stop))
    of X, or every row of [start, stop) when ``rows`` is None."""
    if storage == "memmap":
        return _MappedRows(X)
    if storage == "dask":
        return lambda start, stop, rows: np.asarray(
            (X[start:stop] if rows is None else X[rows]).compute(), dtype=np.float64)
    if storage == "indexable":
        take = X.oindex if hasattr(X, "oindex") else X
        return lambda start, stop, rows: np.asarray(
            X[start:stop] if rows is None else take[rows], dtype=np.float64)
    return lambda start, stop, rows: np.array(
        X[start:stop] if rows is None else X[rows], dtype=np.float64)


class _MappedRows:
    """Rows of a memmap read through a fresh, read-only mapping of their part of the file.

    Each read maps the bytes of rows [start, stop), copies the rows out as float64 and unmaps
    them, so the pages touched leave the process's resident set with the read. The array's
    position in the file is its data address less the start of numpy's mapping, which works
    for views (row and column slices, negative strides) as well as whole arrays. The first
    read checks one row against the array itself; a copy-on-write memmap, a file that cannot
    be opened again or one that no longer holds the array's bytes are read through the array.
    """

    def __init__(self, X):
        self.X = X
        self.itemsize = X.dtype.itemsize
        self.position = self._file_position(X)
        self.checked = False

    @staticmethod
    def _file_position(X):
        if X.mode == "c" or not X.filename:
            return None
        start = X.offset - X.offset % mmap.ALLOCATIONGRANULARITY
        base = np.frombuffer(X._mmap, dtype=np.uint8)
        try:
            return start + (X.ctypes.data - base.ctypes.data)
        finally:
            del base

    def __call__(self, start, stop, rows):
        if self.position is None:
            return np.array(self.X[start:stop] if rows is None else self.X[rows],
                            dtype=np.float64)
        try:
            out = self._read(start, stop, rows)
        except (OSError, ValueError):
            self.position = None
            return self(start, stop, rows)
        if not self.checked:
            self.checked = True
            first = start if rows is None else int(rows[0])
            if not np.array_equal(out[0], np.asarray(self.X[first], dtype=np.float64),
                                  equal_nan=True):
                self.position = None
                return self(start, stop, rows)
        return out

    def _read(self, start, stop, rows):
        (s0, s1), p = self.X.strides, self.X.shape[1]
        first = self.position + start * s0  # byte of element (start, 0)
        corners = [first + i * s0 + j * s1 for i in (0, stop - start - 1) for j in (0, p - 1)]
        lo, hi = min(corners), max(corners) + self.itemsize
        aligned = lo - lo % mmap.ALLOCATIONGRANULARITY
        with open(self.X.filename, "rb") as handle:
            if os.fstat(handle.fileno()).st_size < hi:
                raise ValueError("the file is shorter than the array")
            mapped = mmap.mmap(handle.fileno(), hi - aligned, access=mmap.ACCESS_READ,
                               offset=aligned)
        try:
            window = np.ndarray((stop - start, p), dtype=self.X.dtype, buffer=mapped,
                                offset=first - aligned, strides=(s0, s1))
            out = np.array(window if rows is None else window[rows - start], dtype=np.float64)
            del window
        finally:
            mapped.close()
        return out
