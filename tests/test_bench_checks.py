"""benchmarks/bench_holdout.py, bench_real_data.py, bench_real_planted.py and
bench_issue_table.py: the checks a change to an estimator is run through; bench_device.py,
the devices side by side; and bench_speed.py's parts of a fit.
Their plumbing on a few small cases (the numbers are the full runs' business): a run
writes its JSON, a second run compares equal to the bit, a change is seen."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from robustgan import RobustGANMean

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench_holdout = pytest.importorskip("bench_holdout")
bench_real_data = pytest.importorskip("bench_real_data")
bench_real_planted = pytest.importorskip("bench_real_planted")
bench_issue_table = pytest.importorskip("bench_issue_table")


def test_holdout_designs_have_unique_names_and_the_stated_shapes():
    names = [design.name for design in bench_holdout.DESIGNS]
    assert len(names) == len(set(names))
    for design in bench_holdout.DESIGNS:
        if design.name.startswith(("small-", "clean-")):
            X, mask, location, scatter = bench_holdout.sample(design, 0)
            assert X.shape == (design.n, design.p)
            assert mask.sum() == design.n - round(design.eps * design.n)
            assert location.shape == (design.p,) and scatter.shape == (design.p, design.p)


def test_holdout_run_compares_equal_to_itself_and_sees_a_change(tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for target in (first, second):
        assert bench_holdout.main(["--designs", "small-far-p2-n30", "--seeds", "1",
                                   "--out", str(target)]) == 0
    capsys.readouterr()
    stored = json.loads(second.read_text())
    # A small-n design takes 8 seeds per seed asked for: its 3-seed medians are noise.
    assert sorted(record["seed"] for record in stored["fits"]) == list(range(8))
    bench_holdout.main(["--compare", str(first), str(second)])
    assert "fits equal to the bit: 32 of 32" in capsys.readouterr().out

    entry = stored["fits"][0]["estimators"]["RobustGANMean"]
    entry["location_error"] *= 2.0
    second.write_text(json.dumps(stored))
    bench_holdout.main(["--compare", str(first), str(second)])
    out = capsys.readouterr().out
    assert "fits equal to the bit: 31 of 32" in out
    assert "rose 1" in out


def test_real_data_run_compares_equal_to_itself_and_sees_a_change(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert bench_real_data.main(["--only", "stackloss", "--out", str(first)]) == 0
    assert bench_real_data.main(["--only", "stackloss", "--out", str(second),
                                 "--compare", str(first)]) == 0
    stored = json.loads(second.read_text())
    stored["datasets"][0]["fits"]["RobustGANScatter"]["location_"][0] += 1e-9
    second.write_text(json.dumps(stored))
    assert bench_real_data.main(["--compare", str(first), str(second)]) == 1


def test_real_data_refuses_to_compare_with_the_file_it_is_about_to_write(tmp_path):
    target = tmp_path / "new" / "real.json"
    assert bench_real_data.main(["--only", "stackloss", "--out", str(target)]) == 0
    before = target.read_bytes()
    with pytest.raises(SystemExit):
        bench_real_data.main(["--only", "stackloss", "--out", str(target),
                              "--compare", str(target)])
    assert target.read_bytes() == before


def test_planted_rows_lie_where_asked_in_the_references_metric():
    X, _ = bench_real_data.sources()["stackloss"][1]()
    truth = bench_real_planted.reference(X)
    data, mask = bench_real_planted.planted(X, truth, 10.0, seed=0)
    assert mask.sum() == 3 and data.shape == (24, 4) and not mask[:21].any()
    # Their mean lies 10 robust SD out (up to the spread of 3 rows at 0.1 SD), the clean
    # table's MinCovDet at 0 in its own metric.
    assert bench_real_planted.errors(data[mask].mean(axis=0), None, truth)[0] == pytest.approx(
        10.0, abs=0.3)
    assert bench_real_planted.errors(*truth, truth) == (0.0, pytest.approx(0.0, abs=1e-9))


def test_real_planted_run_writes_its_table_and_flags_a_loss(tmp_path, capsys):
    target = tmp_path / "planted.json"
    assert bench_real_planted.main(["--only", "stackloss", "--seeds", "1", "--distances", "10",
                                    "--out", str(target)]) == 0
    stored = json.loads(target.read_text())
    record = stored["datasets"]["stackloss"]
    assert [(r["distance"], r["seed"]) for r in record["runs"]] == [(10.0, 0)]
    summary = bench_real_planted.summarise(record, 10.0)
    assert summary["planted"] == 3 and "| stackloss | 10 |" in capsys.readouterr().out
    # A loss is flagged only against both MinCovDet and our own fit to the clean table.
    entry = record["runs"][0]["estimators"]
    entry["RobustGANScatter"]["location_error"] = 10 * entry["MinCovDet"]["location_error"] + 1
    assert "RGS loc" in bench_real_planted.summarise(record, 10.0)["flags"]
    record["clean_RobustGANScatter"]["location_error"] = entry["RobustGANScatter"]["location_error"]
    assert "RGS loc" not in bench_real_planted.summarise(record, 10.0)["flags"]
    # Each estimator against its own clean fit: RobustGANMean's, not RobustGANScatter's.
    entry["RobustGANMean"]["location_error"] = 10 * entry["MinCovDet"]["location_error"] + 1
    record["clean_RobustGANScatter"]["location_error"] = 0.0
    record["clean_RobustGANMean"]["location_error"] = entry["RobustGANMean"]["location_error"]
    assert "RGM loc" not in bench_real_planted.summarise(record, 10.0)["flags"]
    record["clean_RobustGANMean"]["location_error"] = 0.0
    assert "RGM loc" in bench_real_planted.summarise(record, 10.0)["flags"]


def test_one_collapsed_seed_is_flagged_though_the_median_hides_it(tmp_path):
    target = tmp_path / "planted.json"
    assert bench_real_planted.main(["--only", "stackloss", "--seeds", "3", "--distances", "5",
                                    "--out", str(target)]) == 0
    record = json.loads(target.read_text())["datasets"]["stackloss"]
    flags = bench_real_planted.summarise(record, 5.0)["flags"]
    assert not any("collapsed" in flag for flag in flags)
    entry = record["runs"][1]["estimators"]["RobustGANScatter"]
    entry["scatter_error"] = 5 * max(record["runs"][1]["estimators"]["MinCovDet"]["scatter_error"],
                                     record["clean_RobustGANScatter"]["scatter_error"]) + 1
    flags = bench_real_planted.summarise(record, 5.0)["flags"]
    assert "RGS scatter collapsed on seed(s) 1" in flags


def test_device_bench_writes_one_row_per_estimator_and_device(tmp_path, capsys):
    bench_device = pytest.importorskip("bench_device")
    out = tmp_path / "device.json"
    rows = bench_device.main(["--sizes", "60x2", "--repeats", "1", "--out", str(out)])
    devices = json.loads(out.read_text())["devices"]
    assert devices[0] == "cpu"
    # A CUDA device is fitted twice: its steps replayed from graphs, and step by step.
    ways = bench_device.settings(bench_device.available_devices())
    assert len(ways) == len(devices) + sum(d.startswith("cuda") for d in devices)
    assert len(rows) == 2 * len(ways)
    assert {r["estimator"] for r in rows} == {"RobustGANMean", "RobustGANScatter"}
    assert all(np.isfinite(r["location_error"]) and r["warm_seconds"] > 0 for r in rows)
    assert "| RobustGANScatter | 60 × 2 | cpu |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench_device.main(["--sizes", "60 by 2"])


def test_device_bench_plays_a_bare_game_of_either_model():
    bench_device = pytest.importorskip("bench_device")
    import torch

    for model, size in (("location", 3), ("gaussian", 3 + 9)):
        estimate, seconds = bench_device.play_game(model, 3, torch.device("cpu"), 2, graphs=False,
                                                   n=200, n_steps=20)
        assert estimate.shape == (size,) and bool(torch.isfinite(estimate).all()) and seconds > 0


def test_issue_table_run_writes_its_rows_and_verdicts(tmp_path, capsys):
    target = tmp_path / "issue_table.json"
    bench_issue_table.main(["--rows", "counts,stackloss", "--seeds", "1", "--out", str(target)])
    stored = json.loads(target.read_text())
    rows = stored["rows"]
    assert set(rows) == {"counts", "stackloss"}
    assert all(isinstance(row["passed"], bool) for row in rows.values())
    assert "| stackloss |" in capsys.readouterr().out


def test_speed_bench_times_every_game_of_a_fit():
    # start="js" plays two games, as a refereed default game whose start is still computing
    # does: bench_speed counts both (it once refused any fit of more than one game).
    bench_speed = pytest.importorskip("bench_speed")
    X = np.random.default_rng(0).standard_normal((300, 3))
    estimator = RobustGANMean(start="js", n_steps=20, random_state=0)
    parts, replay = bench_speed.fit_parts(estimator, X)
    assert parts["n_steps"] == 40 and parts["first_game_steps"] == 20
    assert parts["fit_s"] == pytest.approx(parts["start_s"] + parts["game_s"]
                                           + parts["finish_s"])
    assert estimator.location_.shape == (3,)
    assert replay.options["n_steps"] == 20


def test_holdout_merge_keeps_the_code_its_parts_measured(tmp_path, capsys):
    # Parts run from another checkout (PYTHONPATH) are merged by whichever robustgan the
    # merging process loads: the merged file once carried that one's hash, not the parts'.
    parts = [tmp_path / "a.json", tmp_path / "b.json"]
    for index, target in enumerate(parts, 1):
        assert bench_holdout.main(["--designs", "small-far-p2-n30", "--seeds", "1",
                                   "--part", f"{index}/2", "--out", str(target)]) == 0
        stored = json.loads(target.read_text())
        stored["code"] = {"commit": "measured", "robustgan_sources_sha1": "0123456789ab"}
        target.write_text(json.dumps(stored))
    merged = tmp_path / "merged.json"
    assert bench_holdout.main(["--merge", *map(str, parts), "--out", str(merged)]) == 0
    capsys.readouterr()
    body = json.loads(merged.read_text())
    assert body["code"] == {"commit": "measured", "robustgan_sources_sha1": "0123456789ab"}
    assert len(body["fits"]) == 8
