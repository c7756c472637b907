"""Rows of out-of-core data: the same seeded sample whatever the storage, read without
materialising the array."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch

from robustgan.sources import (
    is_out_of_core,
    iter_row_chunks,
    sample_row_indices,
    sample_rows,
)

try:
    import dask.array as da
except ImportError:  # the dask cases are left out, the others still run
    da = None

needs_dask = pytest.mark.skipif(da is None, reason="needs dask")

N, P = 2_003, 7


class H5Like:
    """The part of h5py.Dataset that a reader may use: ``shape``, ``dtype``, slices and
    increasing integer arrays (h5py refuses any other order). It cannot become an ndarray, so
    a reader that tries to materialise it fails."""

    def __init__(self, array):
        self._array = array
        self.shape, self.dtype = array.shape, array.dtype
        self.rows_read = 0

    def __getitem__(self, key):
        rows = key[0] if isinstance(key, tuple) else key
        if not isinstance(rows, slice):
            rows = np.asarray(rows)
            if rows.ndim != 1 or np.any(np.diff(rows) <= 0):
                raise TypeError("Indexing elements must be in increasing order")
        out = np.array(self._array[key])
        self.rows_read += len(out)
        return out

    def __array__(self, *args, **kwargs):
        raise AssertionError("the dataset was materialised")


@pytest.fixture
def values():
    """float32 values whose first column is the row's position."""
    X = np.random.default_rng(0).standard_normal((N, P)).astype(np.float32)
    X[:, 0] = np.arange(N)
    return X


def write_memmap(path, array, order="C", offset=0):
    with open(path, "wb") as handle:
        handle.write(b"\x00" * offset)
        handle.write(np.asarray(array, order=order).tobytes(order=order))
    return np.memmap(path, dtype=array.dtype, mode="r", shape=array.shape, order=order,
                     offset=offset)


def storages(values, folder):
    """The same values in memory, in a memmap, in a Dask array and in an h5py-like dataset."""
    stores = {
        "memory": values,
        "memmap": write_memmap(folder / "X.f32", values),
        "h5like": H5Like(values),
    }
    if da is not None:
        stores["dask"] = da.from_array(values, chunks=(300, P))
    return stores


@pytest.fixture
def stores(values, tmp_path):
    return storages(values, tmp_path)


def test_every_storage_gives_the_same_rows_bit_for_bit(values, stores):
    expected = values[sample_row_indices(N, 500, random_state=3)].astype(np.float64)
    for name, X in stores.items():
        rows = sample_rows(X, 500, random_state=3)
        assert rows.dtype == np.float64 and rows.shape == (500, P), name
        assert np.array_equal(rows, expected), name


@needs_dask
def test_a_dask_array_over_the_memmap_gives_the_memmaps_rows(stores):
    over_memmap = da.from_array(stores["memmap"], chunks=(256, P))
    assert np.array_equal(sample_rows(over_memmap, 400, random_state=1),
                          sample_rows(stores["memmap"], 400, random_state=1))


def test_the_rows_do_not_depend_on_the_chunk_size(stores):
    expected = sample_rows(stores["memory"], 300, random_state=0)
    for chunk_rows in (1, 7, 1000, 10**6):
        for name in ("memmap", "h5like", "memory"):
            got = sample_rows(stores[name], 300, random_state=0, chunk_rows=chunk_rows)
            assert np.array_equal(got, expected), (name, chunk_rows)


def test_different_seeds_give_different_rows(stores):
    a = sample_rows(stores["memmap"], 100, random_state=0)
    b = sample_rows(stores["memmap"], 100, random_state=1)
    assert not np.array_equal(a[:, 0], b[:, 0])


def test_a_seed_gives_a_generator_the_same_draw():
    assert np.array_equal(sample_row_indices(N, 50, random_state=4),
                          sample_row_indices(N, 50, random_state=np.random.default_rng(4)))


def test_rows_are_distinct_and_in_increasing_order(stores):
    for n_rows in (1, 30, 1_000, N - 1):
        positions = sample_rows(stores["memmap"], n_rows, random_state=0)[:, 0]
        assert len(positions) == n_rows
        assert np.all(np.diff(positions) > 0)


def test_the_sample_is_uniform_over_the_rows():
    # Each row is drawn with probability m/n: over 400 draws of 10 rows out of 40, every row's
    # count is Binomial(400, 1/4), mean 100, sd 8.7.
    counts = np.zeros(40)
    for seed in range(400):
        counts[sample_row_indices(40, 10, random_state=seed)] += 1
    assert np.all(np.abs(counts - 100) < 5 * 8.7)


def test_asking_for_every_row_or_more_returns_every_row(values, stores):
    for name, X in stores.items():
        for n_rows in (N, N + 1, 10**9):
            assert np.array_equal(sample_rows(X, n_rows, random_state=0),
                                  values.astype(np.float64)), name


def test_views_of_a_memmap_read_the_view(values, tmp_path):
    mapped = write_memmap(tmp_path / "X.f32", values)
    views = {
        "rows": (mapped[17:1500], values[17:1500]),
        "columns": (mapped[:, 2:5], values[:, 2:5]),
        "strided": (mapped[::3, ::2], values[::3, ::2]),
        "reversed": (mapped[::-1, ::-1], values[::-1, ::-1]),
    }
    fortran = write_memmap(tmp_path / "F.f32", values, order="F")
    shifted = write_memmap(tmp_path / "O.f32", values, offset=4099)
    views["fortran"] = (fortran, values)
    views["offset"] = (shifted, values)
    for name, (view, expected) in views.items():
        assert is_out_of_core(view), name
        got = sample_rows(view, 200, random_state=2, chunk_rows=64)
        want = expected[sample_row_indices(len(expected), 200, random_state=2)]
        assert np.array_equal(got, want.astype(np.float64)), name


def test_a_copy_on_write_memmap_reads_its_own_values(values, tmp_path):
    write_memmap(tmp_path / "X.f32", values)
    mapped = np.memmap(tmp_path / "X.f32", dtype=np.float32, mode="c", shape=values.shape)
    mapped[:, 1] = -1.0  # in this process's pages only, not in the file
    assert np.all(sample_rows(mapped, 100, random_state=0)[:, 1] == -1.0)


def test_a_file_changed_under_the_memmap_is_read_through_the_memmap(values, tmp_path):
    mapped = write_memmap(tmp_path / "X.f32", values)  # maps the file that is replaced next
    os.replace(write_memmap(tmp_path / "Y.f32", values + 1).filename, tmp_path / "X.f32")
    expected = values[sample_row_indices(N, 100, random_state=0)].astype(np.float64)
    assert np.array_equal(sample_rows(mapped, 100, random_state=0), expected)


def test_iter_row_chunks_streams_every_row_in_order(values, stores):
    for name, X in stores.items():
        chunks = list(iter_row_chunks(X, chunk_rows=500))
        assert [len(c) for c in chunks] == [500, 500, 500, 500, 3], name
        assert np.array_equal(np.concatenate(chunks), values.astype(np.float64)), name


def test_the_h5like_dataset_is_read_row_by_sampled_row(stores):
    sample_rows(stores["h5like"], 123, random_state=0, chunk_rows=100)
    assert stores["h5like"].rows_read == 123


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinity"),
                                       (-np.inf, "infinity")])
def test_non_finite_values_in_the_rows_read_are_named(values, tmp_path, bad, word):
    values[1234, 3] = bad
    for X in storages(values, tmp_path).values():
        with pytest.raises(ValueError, match=rf"{word} \(row 1234, column 3\)"):
            sample_rows(X, N, random_state=0)
        with pytest.raises(ValueError, match=word):
            list(iter_row_chunks(X))


def test_a_non_finite_value_outside_the_sample_is_not_read(values):
    index = sample_row_indices(N, 10, random_state=0)
    values[np.setdiff1d(np.arange(N), index)[0], 1] = np.nan
    assert np.isfinite(sample_rows(values, 10, random_state=0)).all()


@pytest.mark.parametrize("X, message", [
    (np.arange(5.0), "2-D array.*1-D.*reshape"),
    (np.zeros((2, 2, 2)), "2-D array.*3-D"),
    (np.zeros((0, 3)), "at least 1 row"),
    (np.zeros((3, 0)), "1 feature"),
    (np.array([["a", "b"], ["c", "d"]], dtype=object), "numeric.*object"),
    (np.array([["a", "b"]]), "numeric.*<U1"),
    (np.ones((2, 2), dtype=complex), "Complex"),
])
def test_malformed_arrays_are_refused(X, message):
    with pytest.raises(ValueError, match=message):
        sample_rows(X, 1, random_state=0)
    if X.ndim == 2 and X.size:
        with pytest.raises(ValueError, match=message):
            sample_rows(H5Like(X), 1, random_state=0)


@pytest.mark.parametrize("n_rows", [0, -1, 2.5, True, "3"])
def test_n_rows_must_be_a_positive_int(values, n_rows):
    with pytest.raises(ValueError, match="n_rows"):
        sample_rows(values, n_rows)


@needs_dask
def test_a_dask_array_of_unknown_length_is_refused(values):
    X = da.from_array(values, chunks=(500, P))
    X = X[X[:, 1] > -100]  # a boolean mask leaves the chunks' lengths unknown
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        sample_rows(X, 10)


def test_integer_and_bool_data_are_read_as_float64():
    X = np.arange(12).reshape(6, 2)
    assert np.array_equal(sample_rows(X, 6), X.astype(np.float64))
    assert sample_rows(X > 3, 6).dtype == np.float64


def test_what_counts_as_out_of_core(stores, values):
    assert all(is_out_of_core(X) for name, X in stores.items() if name != "memory")
    for in_memory in (values, values.tolist(), pd.DataFrame(values),
                      pd.Series(values[:, 0]), torch.from_numpy(values),
                      np.asarray(stores["memmap"]), stores["memmap"] + 1):
        assert not is_out_of_core(in_memory), type(in_memory)


@needs_dask
def test_a_dask_distributed_cluster_gives_the_memmaps_rows(stores):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        on_cluster = sample_rows(stores["dask"], 700, random_state=5)
        chunks = list(iter_row_chunks(stores["dask"], chunk_rows=1000))
    assert np.array_equal(on_cluster, sample_rows(stores["memmap"], 700, random_state=5))
    assert np.array_equal(np.concatenate(chunks), sample_rows(stores["memmap"], N))


_PEAK_RSS = textwrap.dedent("""
    import sys
    import numpy as np
    from robustgan.sources import sample_rows

    def status(field):
        with open("/proc/self/status") as handle:
            return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field))

    path, n, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n, p))
    try:  # reset the high-water mark to the current RSS (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass
    before = status("VmRSS:")
    rows = sample_rows(X, n // 10, random_state=0)
    print(status("VmHWM:") - before, rows.nbytes)
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc")
def test_sampling_a_memmap_keeps_the_file_out_of_resident_memory(tmp_path):
    # 500,000 × 100 float32 = 200 MB. A 10% sample is 20 MB of float32 rows, 40 MB as float64;
    # read through one mapping of the whole file it would leave about two thirds of the file's
    # pages resident (a 4 kB page holds 10 rows, 1 − 0.9¹⁰ of the pages hold a sampled row).
    n, p = 500_000, 100
    path = tmp_path / "big.f32"
    rng = np.random.default_rng(0)
    with open(path, "wb") as handle:  # in tenths: the test process never holds the file
        handle.writelines(rng.standard_normal((n // 10, p), dtype=np.float32).tobytes()
                          for _ in range(10))
    size = os.path.getsize(path)
    result = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(path), str(n), str(p)],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    growth, answer = (int(v) for v in result.stdout.split())
    assert answer == n // 10 * p * 8
    assert growth < 0.5 * size, f"peak RSS grew {growth / 2**20:.0f} MiB on a " \
                                f"{size / 2**20:.0f} MiB file"
