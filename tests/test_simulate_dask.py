"""A Dask cluster and the local executor give the same result rows for the same grid."""

import pytest

from robustgan.simulate import rows_equal, run

distributed = pytest.importorskip("distributed")

GRID = {
    "n_samples": 400,
    "n_features": 3,
    "contamination": [0.1, 0.2],
    "seeds": 2,
    "designs": {"far": {"shift": 5.0}, "close": {"shift": 0.5}},
    "estimators": {"mean": "sample-mean", "filter": "iterative-filter",
                   "gan": {"estimator": "js-gan", "n_steps": 20}},
}


def test_dask_and_local_runs_give_identical_rows(tmp_path):
    local = run(GRID, tmp_path / "local", progress=False)
    # One thread: the GAN seeds its discriminator under torch.random.fork_rng, which is
    # process-global state.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = run(GRID, tmp_path / "dask", scheduler=client, progress=False)
    assert (on_dask["status"] == "ok").all()
    assert rows_equal(local, on_dask)
    assert list(local["task_id"]) == list(on_dask["task_id"])
