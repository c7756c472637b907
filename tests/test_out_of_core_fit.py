"""Estimators fitted on arrays that are not read whole: a NumPy memmap and a Dask array of the
same file give the same fit, which is the in-memory fit of the seeded subsample."""

import numpy as np
import pytest
from sklearn.utils import check_random_state

from robustgan import RobustGANMean, RobustGANScatter, make_huber_contamination
from robustgan.estimators import game_setup
from robustgan.sources import sample_rows

SUBSAMPLE = 1_000


@pytest.fixture
def memmap(tmp_path, monkeypatch):
    # A file of 3,000 rows, fitted on 1,000 of them (the default subsample is 100,000 rows).
    monkeypatch.setattr(game_setup, "OUT_OF_CORE_ROWS", SUBSAMPLE)
    data = make_huber_contamination(3_000, 4, 0.2, shift=5.0, random_state=0)
    path = tmp_path / "data.npy"
    mapped = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=data.X.shape)
    mapped[:] = data.X
    mapped.flush()
    del mapped
    return np.load(path, mmap_mode="r"), data


@pytest.mark.parametrize("estimator", [RobustGANMean(n_steps=40, random_state=0),
                                       RobustGANScatter(n_steps=40, random_state=0)],
                         ids=["mean", "scatter"])
def test_a_memmap_is_fitted_on_its_seeded_subsample(memmap, estimator):
    X, data = memmap
    fitted = estimator.fit(X)
    seed = int(check_random_state(0).randint(2**31 - 1))
    sample = sample_rows(X, SUBSAMPLE, random_state=seed)
    assert sample.shape == (SUBSAMPLE, 4)
    again = type(estimator)(**estimator.get_params()).fit(sample)
    np.testing.assert_array_equal(fitted.location_, again.location_)
    assert np.linalg.norm(fitted.location_ - data.location) < 0.3


def test_a_random_state_instance_gives_the_fit_of_the_same_subsample_in_memory(memmap):
    # The subsample's seed was drawn from the instance itself, so the fit's own seeds were the
    # instance's next draws, not those an in-memory fit takes (location_ 0.036 apart).
    X, _ = memmap
    # scale=1.0: the game is the estimate, and its seeds decide it.
    def estimator():
        return RobustGANMean(scale=1.0, n_steps=40, random_state=np.random.RandomState(0))

    fitted = estimator().fit(X)
    again = estimator().fit(game_setup.rows_in_memory(X, np.random.RandomState(0)))
    np.testing.assert_array_equal(fitted.location_, again.location_)


def test_a_dask_array_on_a_local_cluster_gives_the_memmaps_fit(memmap):
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    X, _ = memmap
    expected = RobustGANMean(n_steps=40, random_state=0).fit(X).location_
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster):
            lazy = da.from_array(X, chunks=(700, 4))
            fitted = RobustGANMean(n_steps=40, random_state=0).fit(lazy).location_
    np.testing.assert_allclose(fitted, expected, rtol=0, atol=1e-6)


def test_in_memory_input_is_not_subsampled(monkeypatch):
    X = make_huber_contamination(200, 3, 0.1, random_state=0).X
    whole = RobustGANMean(n_steps=20, random_state=0).fit(X).location_
    monkeypatch.setattr(game_setup, "OUT_OF_CORE_ROWS", 10)
    assert game_setup.rows_in_memory(X, 0) is X
    np.testing.assert_array_equal(RobustGANMean(n_steps=20, random_state=0).fit(X).location_,
                                  whole)


def test_fit_many_fits_each_out_of_core_data_set_on_its_members_subsample(memmap):
    from robustgan import fit_many

    X, data = memmap
    fits = fit_many(RobustGANMean(n_steps=40), [X, X], random_states=[0, 1])
    for seed, fitted in zip([0, 1], fits):
        sample = sample_rows(X, SUBSAMPLE,
                             random_state=int(check_random_state(seed).randint(2**31 - 1)))
        alone = RobustGANMean(n_steps=40, random_state=seed).fit(sample)
        # The same rows and start; the batched game is the member's own game in law.
        np.testing.assert_array_equal(fitted.trimmed_location_, alone.trimmed_location_)
        assert np.linalg.norm(fitted.location_ - data.location) < 0.3
