"""The command line: robustgan simulate | report | fit | study."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
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
    assert main(["fit", str(tmp_path)]) == 2
    assert "is a directory, not a file" in capsys.readouterr().err
    csv = tmp_path / "x.csv"
    csv.write_text("1,2\n3,4\n5,7\n")
    assert main(["fit", str(csv), "--estimator", "nope"]) == 2
    assert "unknown estimator 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fit", str(csv), "--param", "no-equals"])


def test_study_prints_each_row_as_it_ends_then_the_table(tmp_path, capsys, monkeypatch):
    import robustgan.simulate

    printed_before_each_run = []  # what stdout had when each estimator's run started
    real_run = robustgan.simulate.run

    def run(*args, **kwargs):
        printed_before_each_run.append(capsys.readouterr().out)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(robustgan.simulate, "run", run)
    assert main(["study", "--n-samples", "300", "--n-features", "2", "--contamination", "0.2",
                 "--json", str(tmp_path / "rows.json")]) == 0
    printed = capsys.readouterr().out
    columns = "| sample mean | coordinatewise median | RobustGANMean() | JS-GAN (scale=1) |"
    assert columns + " TV-GAN (scale=1) |" in printed
    assert len(json.loads((tmp_path / "rows.json").read_text())) == 2 * 5
    # Each estimator's rows are out before the next one starts, not all at the end.
    header, mean_rows, median_rows, default_rows, js_rows = printed_before_each_run
    assert header.startswith("n=300, p=2")
    assert mean_rows.count("  sample mean, N(") == 2
    assert median_rows.count("  coordinatewise median, N(") == 2
    assert "  RobustGANMean(), N(5·1, I), ε=0.2, seed 0: " in default_rows
    assert "  JS-GAN (scale=1), N(5·1, I), ε=0.2, seed 0: " in js_rows


def test_version(capsys):
    from robustgan import __version__

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"robustgan {__version__}"


# --- fit: reading text files -----------------------------------------------------------------

def _contaminated(n=200, p=3):
    X = np.random.default_rng(1).standard_normal((n, p))
    X[: n // 10] += 10.0
    return X


def _fit_json(path, *options):
    assert main(["fit", str(path), "--estimator", "coordinatewise-median", "--json",
                 *options]) == 0


WRITERS = {
    # name: (writer, feature names read back)
    "pandas, header 0..p-1": (lambda f, X: pd.DataFrame(X).to_csv(f, index=False),
                              ["0", "1", "2"]),
    "pandas, index column": (lambda f, X: pd.DataFrame(X, columns=list("abc")).to_csv(f),
                             ["a", "b", "c"]),
    "pandas, index and header 0..p-1": (lambda f, X: pd.DataFrame(X).to_csv(f),
                                        ["0", "1", "2"]),
    "tab": (lambda f, X: pd.DataFrame(X, columns=list("abc")).to_csv(f, sep="\t", index=False),
            ["a", "b", "c"]),
    "semicolon, decimal comma": (
        lambda f, X: pd.DataFrame(X).to_csv(f, sep=";", decimal=",", index=False),
        ["0", "1", "2"]),
    "whitespace, numpy": (lambda f, X: np.savetxt(f, X), ["x0", "x1", "x2"]),
    "numpy, commented header": (lambda f, X: np.savetxt(f, X, header="a b c"),
                                ["x0", "x1", "x2"]),
    "no header": (lambda f, X: np.savetxt(f, X, delimiter=","), ["x0", "x1", "x2"]),
}


@pytest.mark.parametrize("writer", WRITERS, ids=list(WRITERS))
def test_fit_reads_every_usual_text_table_as_the_same_matrix(writer, tmp_path, capsys):
    X = _contaminated()
    write, features = WRITERS[writer]
    path = tmp_path / "data.tsv"
    write(path, X)
    _fit_json(path)
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 200 and result["features"] == features
    np.testing.assert_allclose(result["location"], np.median(X, axis=0), rtol=1e-9)


def test_the_pandas_index_is_not_a_feature(tmp_path, capsys):
    path = tmp_path / "data.csv"
    pd.DataFrame(_contaminated(3000, 2)).to_csv(path)
    assert main(["fit", str(path), "--estimator", "js-gan", "--param", "n_steps=50"]) == 0
    printed = capsys.readouterr().out
    assert "on 3000 rows × 2 features" in printed
    assert int(printed.split("flagged as outliers:")[1]) < 1000


def test_header_and_index_column_can_be_forced(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("1,2,3\n4,5,6\n7,8,9\n10,11,12\n")
    _fit_json(path, "--header")
    result = json.loads(capsys.readouterr().out)
    assert result["features"] == ["1", "2", "3"] and result["n_samples"] == 3
    _fit_json(path, "--index-col", "0")
    result = json.loads(capsys.readouterr().out)
    assert result["features"] == ["x1", "x2"] and result["location"] == [6.5, 7.5]
    pd.DataFrame(np.arange(8.0).reshape(4, 2)).to_csv(path)
    _fit_json(path, "--index-col", "none")
    assert json.loads(capsys.readouterr().out)["features"] == ["Unnamed: 0", "0", "1"]
    # Read as data, pandas' header row has an empty cell.
    assert main(["fit", str(path), "--no-header", "--delimiter", ","]) == 2
    assert "data row 1 has no value for column 'x0'" in capsys.readouterr().err


BAD_FILES = {
    "empty": (b"", "is empty"),
    "blank lines": (b"\n\n  \n", "is empty"),
    "header only": (b"a,b,c\n", "has a header but no data rows"),
    "text cell": (b"a,b\n1,2\n3,x\n4,5\n", "column 'b' is not numeric ('x' in data row 2)"),
    "short row": (b"1,2,3\n4,5,6\n7,8\n9,10,11\n", "data row 3 has no value for column 'x2'"),
    "long row": (b"1,2,3\n4,5,6\n7,8,9,10\n9,10,11\n", "rows of unequal length"),
    "not text": (b"\xff\xfe\x00\x81garbage", "is not UTF-8 text"),
}


@pytest.mark.parametrize("name", BAD_FILES, ids=list(BAD_FILES))
def test_bad_text_files_are_one_line_errors(name, tmp_path, capsys):
    content, message = BAD_FILES[name]
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    assert main(["fit", str(path)]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1 and "Traceback" not in error


def test_a_pickled_npy_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    assert main(["fit", str(path)]) == 2
    error = capsys.readouterr().err
    assert "is not a readable .npy array" in error and error.count("\n") == 1


def test_an_empty_file_from_the_shell_exits_2_without_a_traceback(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    done = subprocess.run([sys.executable, "-m", "robustgan", "fit", str(path)], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr == f"robustgan fit: error: {str(path)!r} is empty\n"


def test_bad_reading_options_are_usage_errors(tmp_path):
    for option in (["--index-col", "x"], ["--delimiter", "ab"]):
        with pytest.raises(SystemExit) as exit_:
            build_parser().parse_args(["fit", "data.csv", *option])
        assert exit_.value.code == 2


def test_the_label_follows_the_divergence(tmp_path, capsys):
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    assert main(["fit", str(path), "--param", "divergence=tv", "--param", "n_steps=20"]) == 0
    assert capsys.readouterr().out.startswith("tv-gan on 200 rows × 3 features")
    assert main(["fit", str(path), "--param", "n_steps=20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["estimator"] == "js-gan"


def test_fit_takes_the_scatter_model_under_its_new_and_its_old_name(tmp_path, capsys):
    # ``--param generator=...`` (RobustGANScatter's name for model before 0.2) still fits the
    # same estimate, with a FutureWarning; both names at once is a one-line error.
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    fit = ["fit", str(path), "--estimator", "js-gan-scatter", "--json", "--param", "n_steps=20",
           "--param", "hidden_sizes=(8, 4)"]
    assert main([*fit, "--param", "model=elliptical"]) == 0
    new = json.loads(capsys.readouterr().out)
    with pytest.warns(FutureWarning, match="`generator` was renamed to `model`"):
        assert main([*fit, "--param", "generator=elliptical"]) == 0
    assert json.loads(capsys.readouterr().out) == new
    both = ["--param", "model=elliptical", "--param", "generator=gaussian"]
    assert main([*fit, *both]) == 2
    assert "set model only" in capsys.readouterr().err


def test_the_outlier_rule_and_the_seed_can_be_given_as_params(tmp_path, capsys):
    # --param contamination=... is the estimator's outlier rule, --param random_state=... its
    # seed; both collided with the command's own --contamination (the level ε given to the
    # filter and halving) and --random-state, and ended in a traceback.
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    fit = ["fit", str(path), "--json", "--param", "n_steps=20"]

    def flagged(*options):
        assert main([*fit, *options]) == 0
        return json.loads(capsys.readouterr().out)["n_outliers"]

    assert flagged("--param", "contamination=0.3") == 60
    assert flagged("--param", "contamination=0.05") == 10
    assert flagged("--param", "random_state=3") == flagged("--random-state", "3")
    assert main(["fit", str(path), "--estimator", "sample-mean", "--param",
                 "contamination=0.2"]) == 2
    error = capsys.readouterr().err
    assert "has no parameter 'contamination'" in error and error.count("\n") == 1


def test_ctrl_c_is_one_line_that_says_where_the_finished_tasks_are(tmp_path, capsys, monkeypatch):
    import robustgan.cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(robustgan.cli, "_simulate", interrupted)
    assert main(["simulate", "--preset", "study", "--out", str(tmp_path / "store")]) == 130
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert "interrupted; finished tasks are kept in" in error and "again to resume" in error


def test_estimators_that_assume_an_identity_scatter_say_so_beside_their_count(tmp_path, capsys):
    # On data in other units their count is every row or none (300 of 300 here). The
    # location-only estimators measure in their features' MADs (feature_scale_) and do not.
    path = tmp_path / "data.npy"
    np.save(path, 100.0 * _contaminated())
    for estimator, assumes in [("coordinatewise-median", False), ("iterative-filter", True),
                               ("js-gan", False), ("tyler", False)]:
        assert main(["fit", str(path), "--estimator", estimator, "--param", "n_steps=20"]
                    if estimator == "js-gan" else ["fit", str(path), "--estimator", estimator]) == 0
        out = capsys.readouterr().out
        assert ("assumes the inliers' covariance is the identity" in out) is assumes


# --- user errors that ended in a traceback ---------------------------------------------------

def _one_line_error(argv, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    return error


def _latin1(path):
    path.write_bytes('name = "études"\n'.encode("latin-1"))


BAD_GRID_FILES = {
    # name: (file name, writer, message)
    "not a grid format": ("grid.csv", lambda path: path.write_text("a,b\n1,2\n"),
                          "grid.csv': use a .toml, .yaml, .yml or .json file"),
    "not UTF-8": ("grid.toml", _latin1, "grid.toml' is not UTF-8 text"),
    "a directory": ("grid.toml", lambda path: path.mkdir(), "grid.toml' is a directory"),
}


@pytest.mark.parametrize("name", BAD_GRID_FILES, ids=list(BAD_GRID_FILES))
def test_a_grid_file_the_loader_cannot_read_is_a_one_line_error(name, tmp_path, capsys):
    filename, write, message = BAD_GRID_FILES[name]
    write(tmp_path / filename)
    assert message in _one_line_error(["simulate", str(tmp_path / filename)], capsys)


@pytest.mark.parametrize("command", ["simulate", "study"])
def test_an_out_that_is_a_file_is_a_one_line_error(command, tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID, encoding="utf-8")
    out = tmp_path / "results.txt"
    out.write_text("not a store")
    argv = [command, str(grid)] if command == "simulate" else [command, "--n-samples", "300"]
    error = _one_line_error([*argv, "--out", str(out)], capsys)
    assert "results.txt' is a file, not a result directory" in error


def test_a_malformed_scheduler_address_is_a_one_line_error(tmp_path, capsys):
    pytest.importorskip("distributed")
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID, encoding="utf-8")
    argv = ["simulate", str(grid), "--out", str(tmp_path / "r"), "--scheduler", "no-port"]
    assert "--scheduler 'no-port': missing port number" in _one_line_error(argv, capsys)


def test_a_diverging_fit_is_a_one_line_error_that_names_the_learning_rates(tmp_path, capsys):
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    argv = ["fit", str(path), "--param", "lr_d=1e10", "--param", "n_steps=20"]
    assert "Lower the learning rates (lr_d, lr_g)" in _one_line_error(argv, capsys)


def test_an_estimator_that_sets_no_location_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    name = "sklearn.preprocessing:StandardScaler"
    error = _one_line_error(["fit", str(path), "--estimator", name], capsys)
    assert f"estimator {name!r} (StandardScaler) set no location_ in fit" in error


@pytest.mark.parametrize("name, message", [("os:sep", "is not a class"),
                                           ("builtins:object", "has no fit method")])
def test_a_module_path_to_no_estimator_is_a_one_line_error(name, message, tmp_path, capsys):
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    error = _one_line_error(["fit", str(path), "--estimator", name], capsys)
    assert f"estimator {name!r}" in error and message in error


def test_a_param_of_the_wrong_type_for_an_unchecked_estimator_is_a_one_line_error(tmp_path,
                                                                                    capsys):
    # OGK declares no parameter constraints: its maxiter is first used, as an int, in fit.
    path = tmp_path / "data.npy"
    np.save(path, _contaminated())
    argv = ["fit", str(path), "--estimator", "ogk", "--param", "maxiter=abc"]
    assert "estimator 'ogk' cannot fit with --param maxiter='abc'" in _one_line_error(argv, capsys)


def test_a_nan_in_an_npy_file_is_a_one_line_error(tmp_path, capsys):
    # The estimators' own message for a NaN runs over several lines.
    X = _contaminated()
    X[4, 2] = np.nan
    path = tmp_path / "data.npy"
    np.save(path, X)
    error = _one_line_error(["fit", str(path)], capsys)
    assert "data row 5 has no value for column 'x2' (NaN)" in error
