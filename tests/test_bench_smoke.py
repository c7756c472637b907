"""Plumbing of the benchmark scripts that no other test runs: each main path on the tiniest
data it allows, writing into tmp_path. The numbers are the full runs' business; these tests
catch a script that no longer runs against the current library (bench_speed.py once crashed
unseen when the estimators changed under it)."""

import functools
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from robustgan import make_huber_contamination

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
_common = pytest.importorskip("_common")


@pytest.fixture
def results(tmp_path, monkeypatch):
    # write_json reads _common.RESULTS at call time: the tracked benchmarks/results stay as
    # they are.
    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    return tmp_path


def _argv(monkeypatch, *args):
    # For the scripts whose main() reads sys.argv itself.
    monkeypatch.setattr(sys, "argv", ["bench", *args])


def _small_data(module, monkeypatch, n=300, p=3):
    """Shrink the script's hard-coded sizes (n = 50,000, p = 100) to n × min(p, 3)."""
    def small(n_rows, n_features, eps, scatter=None, **kwargs):
        if scatter is not None:  # a principal submatrix of a scatter stays positive definite
            scatter = scatter[:p, :p]
        return make_huber_contamination(n, min(n_features, p), eps, scatter=scatter, **kwargs)

    monkeypatch.setattr(module, "make_huber_contamination", small)


def test_tukey_writes_one_record_per_seed(results, monkeypatch):
    bench = pytest.importorskip("bench_tukey")
    for name, value in (("EXACT_N", 200), ("APPROX_N", 300), ("APPROX_P", 3),
                        ("LONGER_FACTOR", 2)):
        monkeypatch.setattr(bench, name, value)
    _argv(monkeypatch, "--seeds", "1")
    bench.main()
    stored = json.loads((results / "tukey.json").read_text())
    assert [r["seed"] for r in stored["records"]] == [0]
    assert set(stored["summary"]) == {"max_exact_2d_seconds", "max_approximate_p10_seconds",
                                      "max_depth_gap"}
    assert 0 <= stored["records"][0]["default_depth"] <= 0.5


def test_peers_times_each_fit_alone(results, tmp_path, monkeypatch, capsys):
    bench = pytest.importorskip("bench_peers")
    _argv(monkeypatch, "--n-samples", "300", "--n-features", "3", "--seeds", "1",
          "--out", str(tmp_path / "store"), "--name", "peers")
    bench.main()
    stored = json.loads((results / "peers.json").read_text())
    far, close = (stored["summary"][bench.DESIGN_KEYS[key]] for key in ("far", "close"))
    assert set(far) == set(bench.PEERS) and set(close) == set(bench.PEERS)
    assert far["JS-GAN"]["time_ratio"] == 1.0 and far["MinCovDet (sklearn)"]["failed"] == 0
    # A batched run (simulate.run's default) gives the two designs' JS-GAN fits one shared
    # time, the batch's; timed alone, as the peers are, they differ.
    assert far["JS-GAN"]["seconds"] != close["JS-GAN"]["seconds"]
    assert "| MinCovDet (sklearn) |" in capsys.readouterr().out


def test_gan_mixtures_writes_runs_and_summary(results):
    bench = pytest.importorskip("bench_gan_mixtures")
    bench.main(["--seeds", "1", "--datasets", "ring", "--losses", "wgan-gp", "--steps", "5",
                "--hidden", "8", "--name", "mixtures"])
    stored = json.loads((results / "mixtures.json").read_text())
    (run,) = stored["runs"]
    assert (run["dataset"], run["loss"], run["n_steps"], run["n_modes"]) == (
        "ring", "wgan-gp", 5, 8)
    (summary,) = stored["summary"]
    assert summary["full_and_hq80"] in {"0/1", "1/1"} and np.isfinite(summary["mmd_mean"])


@pytest.mark.usefixtures("one_thread")  # main() sets torch to one thread; restored after
def test_gan_digits_writes_scores_and_pictures(results, monkeypatch):
    pytest.importorskip("matplotlib")
    bench = pytest.importorskip("bench_gan_digits")
    monkeypatch.setattr(bench, "RESULTS", results)  # the pictures' folder
    monkeypatch.setattr(bench, "N_SAMPLES", 200)
    bench.main(["--steps", "5", "--losses", "wgan-gp"])
    stored = json.loads((results / "gan_digits.json").read_text())
    assert set(stored["runs"]) == {"wgan-gp"} and stored["classifier_accuracy"] > 0.8
    assert 1.0 <= stored["runs"]["wgan-gp"]["inception_score"] <= 10.0
    assert (results / "gan_digits_wgan-gp.png").stat().st_size > 0
    assert (results / "gan_digits_real.png").stat().st_size > 0


def test_highdim_fits_each_estimator_in_its_own_process(results, monkeypatch):
    bench = pytest.importorskip("bench_highdim")
    monkeypatch.setattr(bench, "RESULTS", results)  # the markdown's folder
    monkeypatch.setattr(bench, "DESIGNS", {"far": 5.0})  # one cell: two child processes
    _argv(monkeypatch, "--ps", "2", "--name", "highdim", "--budget-s", "300")
    bench.main()
    (cell,) = json.loads((results / "highdim.json").read_text())["cells"]
    assert (cell["p"], cell["n"], cell["design"]) == (2, 100, "far")
    for name in bench.ESTIMATORS:
        assert cell["fits"][name]["status"] == "ok", cell["fits"][name]["status"]
        assert np.isfinite(cell["fits"][name]["location_error"])
    assert np.isfinite(cell["fits"]["RobustGANScatter"]["scatter_error"])
    assert "| 2 | 100 | far |" in (results / "highdim.md").read_text()


def test_memory_runs_each_tree_in_fresh_processes_and_reads_both_peaks(results):
    bench = pytest.importorskip("bench_memory")
    tree = str(Path(__file__).resolve().parents[1])
    out = results / "memory.json"
    assert bench.main(["--cells", "2000x5", "--estimators", "RobustGANScatter",
                       "--trees", f"a={tree}", f"b={tree}", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["results"]
    assert [row["tree"] for row in rows] == ["a", "b"]
    for row in rows:
        assert row["rss"]["rss_mb"] >= 0 and row["traced"]["numpy_mb"] > 0
    # The same code and seed: the same fit, whether traced or not.
    assert len({row[kind]["digest"] for row in rows for kind in ("rss", "traced")}) == 1


def test_load_busy_and_grid_parts(results, monkeypatch):
    bench = pytest.importorskip("bench_load")
    # No busy loops on a shared machine, and a small serial search: the plumbing is the same.
    monkeypatch.setattr(bench, "_busy_processes", lambda count: [])
    monkeypatch.setattr(bench, "grid", functools.partial(bench.grid, n_jobs=1, folds=2))
    _argv(monkeypatch, "--repeats", "1", "--unscoped")
    bench.main()
    stored = json.loads((results / "bench_load.json").read_text())
    assert [(r["mode"], r["estimator"]) for r in stored["busy"]] == [
        (mode, name) for mode in ("scoped", "unscoped")
        for name in ("RobustGANMean", "RobustGANScatter")]
    assert [r["workers"] for r in stored["grid"]["runs"]] == ["warm", "cold", "warm"]
    assert isinstance(stored["grid"]["passed"], bool)


def test_load_threshold_part(results, monkeypatch):
    bench = pytest.importorskip("bench_load")
    monkeypatch.setattr(bench, "THRESHOLD_CASES", bench.THRESHOLD_CASES[:1])
    _argv(monkeypatch, "--part", "threshold")
    bench.main()
    (record,) = json.loads((results / "bench_load_threshold.json").read_text())["threshold"]
    assert (record["rows"], record["p"], record["hidden"]) == (100, 5, [20])
    assert record["work"] > 0 and record["ms_per_step_1"] > 0


def test_mean_defaults_bars_and_speed(results, monkeypatch):
    bench = pytest.importorskip("bench_mean_defaults")
    _small_data(bench, monkeypatch)
    monkeypatch.setattr(bench, "bars", functools.partial(bench.bars, seeds=range(1)))
    monkeypatch.setattr(bench, "speed", functools.partial(bench.speed, repeats=1))
    for part in ("bars", "speed"):
        _argv(monkeypatch, "--part", part)
        bench.main()
    bars = json.loads((results / "mean_defaults_bars.json").read_text())["bars"]
    assert [r["design"] for r in bars] == ["far N(5·1,I)", "clean (ε=0)", "close N(0.5·1,I)"]
    assert set(bars[0]["median"]) == {"JS-GAN", "TV-GAN", "sample mean", "median",
                                      "seconds JS"}
    speed = json.loads((results / "mean_defaults_speed.json").read_text())["speed"]
    assert len(speed["gan_seconds"]) == 1 and np.isfinite(speed["mincovdet_location_error"])


def test_out_of_core_child_fits_memmap_and_dask_alike(tmp_path, capsys):
    pytest.importorskip("dask.array")
    bench = pytest.importorskip("bench_out_of_core")
    path = str(tmp_path / "far.npy")
    bench.write_memmap(path, 600)
    fits = {}
    for kind in ("in-memory", "memmap", "dask"):
        bench.main(["--child", json.dumps({"estimator": "RobustGANMean", "path": path,
                                           "input": kind, "rows": 300})])
        fits[kind] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(fits["memmap"]) == {"seconds", "error", "location", "rss_growth_mb"}
    assert fits["dask"]["location"] == fits["memmap"]["location"]
    assert len(fits["in-memory"]["location"]) == bench.N_FEATURES


@pytest.mark.slow  # three child processes, each importing torch: 18 s here, at the limit
def test_out_of_core_main(results, tmp_path):
    pytest.importorskip("dask.array")
    bench = pytest.importorskip("bench_out_of_core")
    bench.main(["--rows", "600", "--dir", str(tmp_path), "--estimators", "RobustGANMean"])
    stored = json.loads((results / "bench_out_of_core.json").read_text())
    entry = stored["results"]["RobustGANMean"]
    assert {"in-memory", "memmap", "dask"} <= set(entry)
    assert entry["dask_vs_memmap_max_abs"] == 0.0


def test_batched_throughput_agreement_and_memory(results, monkeypatch):
    bench = pytest.importorskip("bench_batched")
    # p = 10: the agreement part reads the p = 10 settings only.
    monkeypatch.setattr(bench, "SETTINGS", [
        {"divergence": "js", "n": 200, "p": 10, "R": 2, "bar": 1.0}])
    _argv(monkeypatch)
    bench.main()
    stored = json.loads((results / "bench_batched.json").read_text())
    (record,) = stored["throughput"]
    assert len(record["solo_errors"]) == len(record["batched_errors"]) == 2
    assert [a["replicates"] for a in stored["agreement"]] == [2]
    assert [m["mode"] for m in stored["memory"]] == ["batched", "loop"]
    assert stored["memory"][0]["training_buffer_bytes"] == 2 * 200 * 10 * 4


def test_scatter_runs_every_part(results, monkeypatch, capsys):
    bench = pytest.importorskip("bench_scatter")
    _small_data(bench, monkeypatch)
    _argv(monkeypatch, "--part", "all", "--seeds", "1", "--mcd")
    bench.main()
    rows = json.loads((results / "scatter_all.json").read_text())["rows"]
    assert [r["case"] for r in rows] == ["gaussian p=100", "toeplitz p=100 n=5000",
                                         "cond100 p=100 n=5000", "cauchy p=20 elliptical",
                                         "cauchy p=20 gaussian"]
    assert all(np.isfinite([r["gan"], r["start"], r["mcd"]]).all() for r in rows)
    assert "| cauchy p=20 gaussian (1 seeds) |" in capsys.readouterr().out


def test_speed_warns_where_the_process_slowed_during_the_run(monkeypatch, capsys):
    # The small products are timed before and after the cells: a later torch slowdown of the
    # whole process (a second OpenMP team) is named, and the table states both times.
    bench = pytest.importorskip("bench_speed")
    times = iter([100.0, 100.0 * bench.SLOWED_PROCESS + 1.0])
    monkeypatch.setattr(bench, "small_products_ms", lambda: next(times))
    monkeypatch.setattr(bench, "machine_rates", lambda: {
        "gflops_1_threads": 50.0, "gflops_2_threads": 90.0, "copy_gb_per_s": 10.0})
    monkeypatch.setattr(bench, "ESTIMATORS", {"RobustGANMean": bench.ESTIMATORS["RobustGANMean"]})
    monkeypatch.setattr(bench, "step_overhead", lambda name, default_threads: 1.0)
    result = bench.run({2: 400}, repeats=1, direct_max_p=0)
    assert "warning: the small products took 131 ms" in capsys.readouterr().out
    text = bench.markdown(result, "note")
    assert "100 ms at the start of the run, 131 ms at its end" in text


def test_ties_fits_each_table_three_times_and_counts_the_moves(results, capsys):
    bench = pytest.importorskip("bench_ties")
    assert bench.main(["--tables", "2", "--kinds", "poisson,answers", "--seed", "61"]) == 0
    stored = json.loads((results / "ties.json").read_text())
    assert [r["estimator"] for r in stored["records"]] == ["RobustGANMean", "RobustGANScatter"] * 2
    assert stored["counts"]["fits"] == 4
    assert stored["counts"]["moved under a permutation"] == 0
    assert "| moved under a·X·D + b |" in capsys.readouterr().out
    # Every kind draws a table of the documented sizes.
    for kind in bench.KINDS:
        X = bench.table(kind, np.random.default_rng(0))
        assert 21 <= X.shape[0] <= 300 and 1 <= X.shape[1] <= max(1, X.shape[0] // 5)
