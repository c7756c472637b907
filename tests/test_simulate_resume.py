"""Kill -9 in the middle of a run, rerun: no finished task redone, no row duplicated or lost."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from robustgan.simulate import ResultStore, rows_equal, run

REPO = Path(__file__).resolve().parents[1]

SLOW_MODULE = textwrap.dedent("""
    import time

    import numpy as np
    from sklearn.base import BaseEstimator


    class SlowMean(BaseEstimator):
        # Logs every fit it starts, so the test sees which tasks ran in which process.
        def __init__(self, log, delay=0.05, random_state=None):
            self.log = log
            self.delay = delay
            self.random_state = random_state

        def fit(self, X, y=None):
            with open(self.log, "a") as handle:
                handle.write(f"{self.random_state}\\n")
            time.sleep(self.delay)
            self.location_ = X.mean(axis=0)
            return self
""")


def _grid(tmp_path):
    log = tmp_path / "fits.log"
    grid = tmp_path / "grid.toml"
    grid.write_text(textwrap.dedent(f"""
        name = "kill-test"
        n_samples = 50
        n_features = 2
        contamination = [0.1, 0.2]
        seeds = 20
        [estimators]
        slow = {{ estimator = "slowmod:SlowMean", log = "{log}" }}
    """))
    return grid, log


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_run_resumes_without_redoing_or_losing_tasks(tmp_path, monkeypatch):
    (tmp_path / "slowmod.py").write_text(SLOW_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    grid, log = _grid(tmp_path)
    out = tmp_path / "results"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
           "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "robustgan", "simulate", str(grid), "--out", str(out),
         "--no-progress"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    parts = out / "parts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if parts.is_dir() and len(list(parts.glob("*.csv"))) >= 8:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the run finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    before = ResultStore(out).load()
    assert 8 <= len(before) < 40
    fits_before = len(log.read_text().splitlines())

    after = run(grid, out, progress=False)
    rerun_seeds = log.read_text().splitlines()[fits_before:]

    assert len(after) == 40 and after["task_id"].is_unique
    assert (after["status"] == "ok").all()
    # The rows finished before the kill are kept as they were (same wall times) ...
    kept = after.set_index("task_id").loc[before["task_id"]].reset_index()
    assert rows_equal(kept, before, ignore=())
    # ... and the rerun fitted exactly the others, once each.
    finished_seeds = set(map(str, _estimator_seeds(grid, before["task_id"])))
    assert not finished_seeds & set(rerun_seeds)
    assert len(rerun_seeds) == 40 - len(before)
    # Nothing is left half-written, and the store holds each row once.
    assert not list(out.rglob("*.tmp"))
    assert len(ResultStore(out).load()) == 40


def _estimator_seeds(grid, task_ids):
    from robustgan.simulate import load_grid

    wanted = set(task_ids)
    return [t.estimator_seed() for t in load_grid(grid).tasks() if t.task_id in wanted]


@pytest.mark.parametrize("task_id", ["0901179056876488", "80e4544226384096", "17191181e4293900",
                                     "1234", "nan"])
def test_task_ids_that_look_like_numbers_are_read_back_as_written(tmp_path, task_id):
    # A part file holds one row, and pandas typed the id from that one value: the leading zero
    # was lost, "80e4544226384096" read as inf (two such ids then counted as one task, and
    # both reran on every resume).
    store = ResultStore(tmp_path)
    other = "17191181e4293901"
    for name in (task_id, other):
        store.add({"task_id": name, "estimator": "1", "design": "2", "n_samples": 10,
                   "n_features": 2, "contamination": 0.1, "seed": 0, "location_error": 0.5,
                   "scatter_error": float("nan"), "seconds": 0.01, "status": "ok"})
    assert store.finished_ids() == {task_id, other}
    store.compact()
    rows = ResultStore(tmp_path).load()
    assert set(rows["task_id"]) == {task_id, other}
    assert list(rows["estimator"]) == ["1", "1"] and list(rows["design"]) == ["2", "2"]


def test_reading_a_store_creates_nothing(tmp_path):
    ResultStore(tmp_path / "none", create=False).load()
    assert not (tmp_path / "none").exists()
