"""The command line: robustgan simulate | report | fit | study."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from robustgan.cli import build_parser, main
from robustgan.simulate import ResultStore

REPO = Path(__file__).resolve().parents[1]

GRID = textwrap.dedent("""
    name = "cli-test"
    seeds = 2
    n_samples = 300
    n_features = 3
    contamination = [0.1, 0.2]
    [designs]
    "N(5·1, I)" = { shift = 5.0 }
    [estimators]
    mean = "sample-mean"
    median = "coordinatewise-median"
""")


@pytest.mark.parametrize("command", [[], ["simulate"], ["report"], ["fit"], ["study"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: robustgan" in capsys.readouterr().out


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "robustgan", "simulate", "--help"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert "--scheduler" in done.stdout and "--preset" in done.stdout


def test_simulate_then_report(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID, encoding="utf-8")
    out = tmp_path / "results"
    assert main(["simulate", str(grid), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "| design | n | p | ε | mean | median |" in printed
    assert len(ResultStore(out).load()) == 8

    assert main(["report", str(out), "--plot"]) == 0
    printed = capsys.readouterr().out
    assert "| N(5·1, I) | 300 | 3 | 0.2 |" in printed
    assert (out / "plots" / "error_vs_contamination.png").is_file()


def test_grid_errors_name_the_field_and_the_line(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID.replace("n_features = 3", "n_features = -3"), encoding="utf-8")
    assert main(["simulate", str(grid), "--out", str(tmp_path / "r")]) == 2
    error = capsys.readouterr().err
    assert f"{grid}:5: field 'n_features': must be an int >= 1, got -3" in error


def test_simulate_needs_exactly_one_grid(capsys):
    assert main(["simulate"]) == 2
    assert "give a grid file or --preset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "--preset", "no-such"])


def test_fit_reads_csv_with_a_header_and_npy(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3))
    X[:40] += 20.0
    csv = tmp_path / "data.csv"
    np.savetxt(csv, X, delimiter=",", header="a,b,c", comments="")
    assert main(["fit", str(csv), "--estimator", "mcd", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["features"] == ["a", "b", "c"]
    assert np.linalg.norm(result["location"]) < 0.3
    assert np.asarray(result["covariance"]).shape == (3, 3)

    npy = tmp_path / "data.npy"
    np.save(npy, X)
    assert main(["fit", str(npy), "--estimator", "js-gan", "--param", "n_steps=50"]) == 0
    printed = capsys.readouterr().out
    assert "js-gan on 400 rows × 3 features" in printed and "flagged as outliers" in printed


def test_fit_reports_bad_input(tmp_path, capsys):
    assert main(["fit", str(tmp_path / "missing.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    csv = tmp_path / "x.csv"
    csv.write_text("1,2\n3,4\n5,7\n")
    assert main(["fit", str(csv), "--estimator", "nope"]) == 2
    assert "unknown estimator 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fit", str(csv), "--param", "no-equals"])


def test_study_prints_the_comparison_table(tmp_path, capsys):
    assert main(["study", "--n-samples", "300", "--n-features", "2", "--contamination", "0.2",
                 "--json", str(tmp_path / "rows.json")]) == 0
    printed = capsys.readouterr().out
    assert "| sample mean | coordinatewise median | JS-GAN | TV-GAN |" in printed
    assert len(json.loads((tmp_path / "rows.json").read_text())) == 2 * 4
