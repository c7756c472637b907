"""benchmarks/bench_atlas.py: the atlas machinery on a 2-cell grid (the numbers are the full
run's business): one file per (cell, seed), resume, failures recorded, aggregation, tables and
heatmaps, the CPU-time budget of the slow peers."""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench_atlas = pytest.importorskip("bench_atlas")

CELLS = "n21-p2,p1"


@pytest.fixture
def short_games(monkeypatch):
    """Our estimators with short games: the smoke test checks plumbing, not accuracy."""

    def fit_ours(name, X, cell, seed):
        cls = bench_atlas.RobustGANMean if name == "RobustGANMean" else bench_atlas.RobustGANScatter
        return cls(random_state=seed, n_steps=20).fit(X)

    monkeypatch.setattr(bench_atlas, "_fit_ours", fit_ours)


def test_quick_run_writes_every_output_and_resumes(tmp_path, short_games, monkeypatch):
    payload = bench_atlas.main(["--quick", "--cells", CELLS, "--out", str(tmp_path)])

    per_seed = sorted(p.name for p in (tmp_path / "atlas").glob("*.json"))
    assert per_seed == ["n21-p2__seed0.json", "p1__seed0.json"]
    for name in ("atlas_quick.json", "atlas_quick.md", "atlas_quick_location.png",
                 "atlas_quick_scatter.png"):
        assert (tmp_path / name).stat().st_size > 0
    stored = json.loads((tmp_path / "atlas_quick.json").read_text())
    assert [c["cell"]["name"] for c in stored["cells"]] == CELLS.split(",")

    for cell in payload["cells"]:
        for kind in ("location", "scatter"):
            summary = cell[kind]
            assert summary["best_peer"] not in bench_atlas.OURS + (bench_atlas.ORACLE,)
            ours = summary["RobustGANScatter"]
            assert ours["ratio_best_peer"] == pytest.approx(ours["error"]
                                                            / summary["best_peer_error"])
            assert ours["ratio_start"] > 0
        assert cell["estimators"]["RobustGANMean"]["start_location_error"] > 0
    # DetMCD cannot fit one feature: recorded with its reason, the run goes on.
    p1 = json.loads((tmp_path / "atlas" / "p1__seed0.json").read_text())
    assert p1["estimators"]["DetMCD"]["status"] == "failed"
    assert p1["estimators"]["DetMCD"]["reason"]
    assert "DetMCD" in payload["cells"][1]["estimators"]
    assert payload["cells"][1]["estimators"]["DetMCD"]["location_error"] is None
    text = (tmp_path / "atlas_quick.md").read_text()
    assert "| n21-p2 |" in text and "best peer" in text

    # A second run reuses the stored (cell, seed) results: nothing is fitted again.
    def no_fit(*args, **kwargs):
        raise AssertionError("refitted a stored (cell, seed)")

    monkeypatch.setattr(bench_atlas, "measure", no_fit)
    again = bench_atlas.run_atlas(CELLS.split(","), 1, tmp_path, name="again", plots=False)
    assert again["cells"] == payload["cells"]


def _busy(X, cell, seed):
    end = time.process_time() + 30.0
    while time.process_time() < end:
        pass
    return X.mean(axis=0), np.cov(X, rowvar=False)


def test_budget_skips_a_slow_peer_and_does_not_retry_it(tmp_path, monkeypatch):
    cell = bench_atlas.CELLS_BY_NAME["n21-p2"]
    data = bench_atlas.sample(cell, 0)
    monkeypatch.setitem(bench_atlas.PEER_FITS, "OGK", _busy)
    entry = bench_atlas.measure("OGK", cell, data, 0, 1.0, {})
    assert entry["status"] == "skipped (time)"
    assert bench_atlas.measure("OGK", cell, data, 1, 1.0, {"OGK": 0})["reason"].startswith(
        "over the budget on seed 0")
    fitted = bench_atlas.measure("MinCovDet", cell, data, 0, 10.0, {})
    assert fitted["status"] == "ok" and fitted["cpu_seconds"] < 10.0


def test_errors_are_measured_in_the_inliers_geometry():
    cell = bench_atlas.CELLS_BY_NAME["scale10"]
    data = bench_atlas.sample(cell, 0)
    # One inlier scale (σ = 10) off along the first axis; Σ̂ = 2Σ.
    shifted = data.location + 10.0 * np.eye(cell.p)[0]
    assert bench_atlas.location_error(shifted, data) == pytest.approx(1.0)
    assert bench_atlas.scatter_error(2 * data.scatter, data) == pytest.approx(1.0)
    # t inliers: shapes, so a multiple of Σ is exact.
    t_data = bench_atlas.sample(bench_atlas.CELLS_BY_NAME["t3"], 0)
    assert bench_atlas.scatter_error(3 * t_data.scatter, t_data) == pytest.approx(0.0, abs=1e-12)


def test_small_cells_take_more_seeds_in_a_full_run():
    small = [cell.name for cell in bench_atlas.CELLS
             if len(bench_atlas.seeds_of(cell, 3, bench_atlas.SMALL_SEED_MULTIPLE)) > 3]
    assert small == ["p1", "p2", "n21-p2", "n21-p4", "n100-p5"]
    p1, core = bench_atlas.CELLS_BY_NAME["p1"], bench_atlas.CELLS_BY_NAME["core"]
    assert bench_atlas.seeds_of(p1, 3, 8) == range(24)
    assert bench_atlas.seeds_of(core, 3, 8) == range(3)
    assert bench_atlas.seeds_of(p1, 1) == range(1)  # --quick and run_atlas's default
