"""robustgan.simulate.runner: the simulation runner groups tasks into batched games."""

import pytest

from robustgan.simulate import COLUMNS, parse_grid, rows_equal, run
from robustgan.simulate.runner import _work_units

# The batched rows are compared bit for bit, which holds on one thread only.
pytestmark = pytest.mark.usefixtures("one_thread")

GRID = {
    "n_samples": 300,
    "n_features": [2, 3],
    "contamination": [0.1, 0.2],
    "seeds": 2,
    "designs": {"far": {"shift": 5.0}},
    "estimators": {"mean": "sample-mean", "gan": {"estimator": "js-gan", "n_steps": 15}},
}


def test_runner_groups_gan_tasks_by_spec_and_shape():
    tasks = parse_grid(GRID).tasks()
    units = _work_units(tasks, True)
    batches = [u for u in units if isinstance(u, tuple)]
    assert sorted(len(b) for b in batches) == [4, 4]
    assert all(len({(t.n_features, t.estimator) for t in b}) == 1 for b in batches)
    assert sum(1 for u in units if not isinstance(u, tuple)) == len(tasks) // 2
    assert [len(b) for b in _work_units(tasks, 3) if isinstance(b, tuple)] == [3, 1, 3, 1]
    assert _work_units(tasks, False) == tasks


def test_batched_runs_store_the_same_rows_structure_and_repeat_exactly(tmp_path):
    batched_rows = run(GRID, tmp_path / "b", progress=False)
    again = run(GRID, progress=False)
    single = run(GRID, progress=False, batch=False)
    assert list(batched_rows.columns) == list(COLUMNS)
    assert (batched_rows["status"] == "ok").all() and (single["status"] == "ok").all()
    assert batched_rows["task_id"].tolist() == single["task_id"].tolist()
    assert rows_equal(batched_rows, again)
    mean = batched_rows["estimator"] == "mean"
    assert rows_equal(batched_rows[mean], single[mean])
    assert (batched_rows.loc[~mean, "seconds"] > 0).all()
    assert len(list((tmp_path / "b").glob("**/*.csv"))) >= 1


def test_a_resumed_batched_run_gives_the_rows_of_an_uninterrupted_one(tmp_path):
    run({**GRID, "seeds": 1}, tmp_path, progress=False)  # half the tasks, other batches
    resumed = run(GRID, tmp_path, progress=False)
    fresh = run(GRID, progress=False)
    assert rows_equal(resumed, fresh)


def test_runner_rejects_a_bad_batch_option():
    with pytest.raises(ValueError, match="batch must be"):
        run(GRID, progress=False, batch=0)
