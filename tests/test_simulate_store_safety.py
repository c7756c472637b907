"""The result store under changed grids, damaged files, concurrent writers and refused runs."""

import json
import subprocess
import sys
import threading
import time
import warnings

import pytest

from robustgan.cli import main
from robustgan.simulate import COLUMNS, ResultStore, StoreError, run

GRID = {"name": "safety", "n_samples": 40, "n_features": 2, "contamination": [0.1, 0.2],
        "seeds": 2, "estimators": ["sample-mean", "coordinatewise-median"]}


def _row(task_id, **fields):
    return {**dict.fromkeys(COLUMNS, 0), "task_id": task_id, "estimator": "e", "design": "d",
            "location_error": 0.5, "status": "ok", **fields}


def _report(out, capsys):
    status = main(["report", str(out)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------------------------------------
# report summarises the recorded grid only, in its order
# ---------------------------------------------------------------------------------------------


def test_report_sets_aside_the_rows_of_an_earlier_grid(tmp_path, capsys):
    run(GRID, tmp_path, progress=False)
    current = run(GRID | {"random_state": 1}, tmp_path, progress=False)
    assert len(ResultStore(tmp_path).load()) == 16

    rows, set_aside = ResultStore(tmp_path, create=False).grid_rows()
    assert set_aside == 8
    assert list(rows["task_id"]) == list(current["task_id"])

    status, out, _ = _report(tmp_path, capsys)
    assert status == 0
    assert "set aside 8 row(s) of tasks not in the current grid (an earlier grid's)" in out
    # two replicates per cell, not four, and the numbers of the current grid's rows
    assert " (" in out and "[" not in out
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(table) == 3


def test_report_without_other_rows_says_nothing_of_setting_aside(tmp_path, capsys):
    run(GRID, tmp_path, progress=False)
    status, out, _ = _report(tmp_path, capsys)
    assert status == 0 and "set aside" not in out


def test_report_orders_cells_and_estimators_as_the_grid_lists_them(tmp_path, capsys):
    estimators = ["trimmed-mean", "sample-mean", "geometric-median", "coordinatewise-median"]
    contamination = [0.3, 0.2, 0.1, 0.0]
    run(GRID | {"estimators": estimators, "contamination": contamination, "seeds": 1},
        tmp_path, progress=False)
    status, out, _ = _report(tmp_path, capsys)
    assert status == 0
    table = [line for line in out.splitlines() if line.startswith("| ")]
    assert table[0] == "| design | n | p | ε | " + " | ".join(estimators) + " |"
    assert [line.split(" | ")[3] for line in table[1:]] == ["0.3", "0.2", "0.1", "0"]


# ---------------------------------------------------------------------------------------------
# damaged files
# ---------------------------------------------------------------------------------------------


def _finished_store(path):
    run(GRID, path, progress=False)
    assert not list((path / "parts").glob("*.csv"))
    return path


def test_a_torn_last_row_is_left_out_with_a_warning_and_run_again(tmp_path):
    store = _finished_store(tmp_path)
    results = store / "results.csv"
    text = results.read_text(encoding="utf-8")
    results.write_text(text[:-6], encoding="utf-8")  # "ok" and a few digits before it

    with pytest.warns(UserWarning, match=r"results\.csv.*left out 1 row"):
        rows = ResultStore(store).load()
    assert len(rows) == 7 and set(rows["status"]) == {"ok"}

    with pytest.warns(UserWarning):
        rows = run(GRID, store, progress=False)
    assert len(rows) == 8 and set(rows["status"]) == {"ok"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(ResultStore(store).load()) == 8  # compaction wrote the store whole again


@pytest.mark.parametrize("column, value", [("location_error", "0.12x"), ("seed", "one"),
                                           ("status", ""), ("status", "o"),
                                           ("contamination", "")])
def test_a_row_with_a_value_that_does_not_parse_is_left_out(tmp_path, column, value):
    store = ResultStore(tmp_path)
    store.add(_row("a1"))
    store.add(_row("b2"))
    part = tmp_path / "parts" / "b2.csv"
    header, line = part.read_text(encoding="utf-8").splitlines()
    fields = line.split(",")
    fields[COLUMNS.index(column)] = value
    part.write_text(header + "\n" + ",".join(fields) + "\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"b2\.csv.*left out 1 row"):
        assert store.finished_ids() == {"a1"}


def test_floats_are_read_back_exactly(tmp_path):
    store = ResultStore(tmp_path)
    values = [0.1 + 0.2, 1 / 3, 2.220446049250313e-16, 123456.789e-7]
    for i, value in enumerate(values):
        store.add(_row(f"t{i}", location_error=value, scatter_error=float("nan")))
    store.compact()
    rows = store.load()
    assert list(rows["location_error"]) == values
    assert rows["scatter_error"].isna().all()


@pytest.mark.parametrize("damage, problem", [
    (lambda s: (s / "results.csv").write_bytes(b""), r"results\.csv' is empty"),
    (lambda s: (s / "parts" / "x.csv").write_bytes(b""), r"x\.csv' is empty"),
    (lambda s: (s / "parts" / "x.csv").write_bytes(b"\xff\xfe\x00\x81junk"),
     r"x\.csv' is not UTF-8"),
    (lambda s: (s / "results.csv").write_text("task_id,estimator\nabc,mean\n"),
     r"results\.csv' lacks the columns"),
])
def test_a_file_that_cannot_be_read_is_one_store_error_naming_it(tmp_path, capsys, damage,
                                                                 problem):
    store = _finished_store(tmp_path)
    damage(store)
    with pytest.raises(StoreError, match=problem):
        ResultStore(store).load()
    status, out, err = _report(store, capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("robustgan report: error: result store file")


def test_a_truncated_spec_is_a_store_error_naming_it(tmp_path, capsys):
    store = _finished_store(tmp_path)
    spec = store / "spec.json"
    spec.write_text(spec.read_text(encoding="utf-8")[:40], encoding="utf-8")
    with pytest.raises(StoreError, match=r"spec\.json' is not a JSON grid"):
        ResultStore(store).read_spec()
    status, _, err = _report(store, capsys)
    assert status == 2 and "spec.json" in err and len(err.strip().splitlines()) == 1


def test_the_leftovers_of_an_interrupted_write_are_not_damage(tmp_path):
    # A kill during an atomic write leaves a partial temporary beside its target, never a
    # partial target: those are not read, and warn of nothing.
    store = _finished_store(tmp_path)
    (store / ".results.csv.k1l2.tmp").write_text("task_id,estim", encoding="utf-8")
    (store / "parts" / ".abc.csv.k1l2.tmp").write_text("", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(ResultStore(store).load()) == 8
        assert len(run(GRID, store, progress=False)) == 8


# ---------------------------------------------------------------------------------------------
# concurrent writers
# ---------------------------------------------------------------------------------------------


def test_a_compaction_in_between_another_ones_read_and_write_loses_no_row(tmp_path):
    a, b = ResultStore(tmp_path), ResultStore(tmp_path)
    a.add(_row("a1"))
    load = a.load
    b_done = threading.Event()

    def b_finishes():
        b.add(_row("b1"))
        b.compact()
        b_done.set()

    other = threading.Thread(target=b_finishes)

    def load_while_b_finishes():
        frame = load()
        other.start()
        b_done.wait(0.5)  # b's compaction must wait for a's to end
        return frame

    a.load = load_while_b_finishes
    a.compact()
    a.load = load
    other.join(10)
    assert b_done.is_set()
    assert sorted(ResultStore(tmp_path).load()["task_id"]) == ["a1", "b1"]


_WRITER = """
import sys
from robustgan.simulate import COLUMNS, ResultStore
store = ResultStore(sys.argv[1], compact_every=1)
for i in range(int(sys.argv[3])):
    store.add(dict.fromkeys(COLUMNS, 0) | {"task_id": f"{sys.argv[2]}{i}", "estimator": "e",
                                           "design": "d", "status": "ok"})
    store.finished_ids()
store.compact()
"""


def test_two_processes_compacting_into_one_store_keep_every_row(tmp_path):
    count = 60
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path), prefix,
                                 str(count)], stderr=subprocess.PIPE, text=True)
               for prefix in ("a", "b")]
    errors = [writer.communicate(timeout=300)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    assert len(ResultStore(tmp_path).load()) == 2 * count


def test_a_reader_rereads_when_a_part_file_vanishes_under_it(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    store.add(_row("a1"))
    glob = type(store.parts).glob
    calls = []

    def glob_then_compact(self, pattern):
        found = list(glob(self, pattern))
        if not calls and self == store.parts:
            calls.append(1)
            ResultStore(tmp_path).compact()  # between this reader's listing and its reading
        return iter(found)

    monkeypatch.setattr(type(store.parts), "glob", glob_then_compact)
    assert store.finished_ids() == {"a1"}


# ---------------------------------------------------------------------------------------------
# refused runs write nothing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keywords, error, message", [
    ({"jobs": 0}, ValueError, "jobs must be a positive count"),
    ({"jobs": "2"}, TypeError, "jobs must be an int"),
    ({"jobs": 1.5}, TypeError, "jobs must be an int"),
    ({"batch": 0}, ValueError, "batch must be"),
])
def test_a_refused_run_leaves_the_store_and_its_spec_as_they_were(tmp_path, keywords, error,
                                                                  message):
    _finished_store(tmp_path / "old")
    spec = (tmp_path / "old" / "spec.json").read_text(encoding="utf-8")
    with pytest.raises(error, match=message):
        run(GRID | {"random_state": 7}, tmp_path / "old", progress=False, **keywords)
    assert (tmp_path / "old" / "spec.json").read_text(encoding="utf-8") == spec
    with pytest.raises(error, match=message):
        run(GRID, tmp_path / "new", progress=False, **keywords)
    assert not (tmp_path / "new").exists()


def test_an_out_that_is_a_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "afile"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(StoreError, match="afile' is a file, not a result store directory"):
        run(GRID, path, progress=False)
    assert path.read_text(encoding="utf-8") == "keep me"


def test_a_damaged_store_is_refused_before_its_spec_is_replaced(tmp_path):
    store = _finished_store(tmp_path)
    spec = json.loads((store / "spec.json").read_text(encoding="utf-8"))
    (store / "results.csv").write_bytes(b"")
    with pytest.raises(StoreError):
        run(GRID | {"random_state": 3}, store, progress=False)
    assert json.loads((store / "spec.json").read_text(encoding="utf-8")) == spec


def test_writing_waits_for_no_lock_a_reader_would_need(tmp_path):
    # Readers take no lock: a report on a store being written never blocks the run.
    store = _finished_store(tmp_path)
    start = time.perf_counter()
    with ResultStore(store)._lock:
        assert len(ResultStore(store, create=False).load()) == 8
    assert time.perf_counter() - start < 5
