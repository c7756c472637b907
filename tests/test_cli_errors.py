"""The command line's errors: found before the work, and naming what the user must change."""

import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import robustgan.simulate
from robustgan.cli import main
from robustgan.divergences import get_divergence
from robustgan.simulate import ResultStore

REPO = Path(__file__).resolve().parents[1]

TINY_GRID = textwrap.dedent("""
    name = "tiny"
    n_samples = 50
    n_features = 2
    contamination = 0.1
    [estimators]
    mean = "sample-mean"
""")


def _one_line_error(argv, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


@pytest.fixture
def no_run(monkeypatch):
    """Fail a test whose command starts the simulation: its output path should stop it first."""
    def run(*args, **kwargs):
        raise AssertionError("the run started before its output path was checked")

    monkeypatch.setattr(robustgan.simulate, "run", run)


def _locked(monkeypatch, directory):
    """Make ``directory`` read as unwritable (chmod does not stop root, who runs some CIs)."""
    access = os.access

    def locked_access(path, mode, **kwargs):
        if Path(path) == directory and mode & os.W_OK:
            return False
        return access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", locked_access)


# --- output paths are checked before the work -----------------------------------------------


def _bad_json_path(tmp_path, monkeypatch, case):
    """An output file path that cannot be written, and what the message says about it."""
    if case == "missing directory":
        return tmp_path / "no-such-dir" / "rows.json", "no-such-dir' does not exist"
    if case == "a directory":
        return tmp_path, "is a directory, not a file"
    if case == "under a file":
        (tmp_path / "a-file").write_text("")
        return tmp_path / "a-file" / "rows.json", "a-file' is a file"
    _locked(monkeypatch, tmp_path / "locked")
    (tmp_path / "locked").mkdir()
    return tmp_path / "locked" / "rows.json", "locked' is not writable"


@pytest.mark.parametrize("case", ["missing directory", "a directory", "under a file",
                                  "unwritable directory"])
def test_study_refuses_a_json_path_it_could_not_write_before_running(case, tmp_path,
                                                                     monkeypatch, capsys, no_run):
    path, message = _bad_json_path(tmp_path, monkeypatch, case)
    argv = ["study", "--n-samples", "100", "--n-features", "2", "--json", str(path)]
    error = _one_line_error(argv, capsys)
    assert f"--json {str(path)!r}" in error and message in error


@pytest.mark.parametrize("command", ["simulate", "study"])
@pytest.mark.parametrize("case", ["under a file", "unwritable directory"])
def test_an_out_that_cannot_be_made_is_refused_before_running(command, case, tmp_path,
                                                             monkeypatch, capsys, no_run):
    if case == "under a file":
        (tmp_path / "a-file").write_text("")
        out, message = tmp_path / "a-file" / "store", "a-file' is a file, not a directory"
    else:
        (tmp_path / "locked").mkdir()
        _locked(monkeypatch, tmp_path / "locked")
        out, message = tmp_path / "locked" / "store", "locked' is not writable"
    argv = (["simulate", "--preset", "study", "--quick"] if command == "simulate"
            else ["study", "--n-samples", "100"])
    error = _one_line_error([*argv, "--out", str(out)], capsys)
    assert f"--out {str(out)!r}" in error and message in error


def test_report_refuses_a_plot_directory_it_cannot_make_before_printing(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(TINY_GRID, encoding="utf-8")
    store = tmp_path / "store"
    assert main(["simulate", str(grid), "--out", str(store), "--no-progress"]) == 0
    capsys.readouterr()
    (tmp_path / "a-file").write_text("")
    plots = tmp_path / "a-file" / "plots"
    assert main(["report", str(store), "--plot", "--plot-dir", str(plots)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no table printed first, then a traceback
    assert f"--plot-dir {str(plots)!r}" in captured.err and captured.err.count("\n") == 1


# --- Ctrl-C says where the finished rows are and how to resume ---------------------------------


SLOW_MODULE = textwrap.dedent("""
    import os
    import time

    from sklearn.base import BaseEstimator


    class SlowMean(BaseEstimator):
        def __init__(self, random_state=None):
            self.random_state = random_state

        def fit(self, X, y=None):
            time.sleep(float(os.environ.get("CLI_ERRORS_DELAY", "0")))
            self.location_ = X.mean(axis=0)
            return self
""")

SLOW_GRID = textwrap.dedent("""
    name = "slow"
    seeds = 100
    n_samples = 20
    n_features = 2
    contamination = 0.1
    [estimators]
    slow = "cli_errors_slowmod:SlowMean"
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.parametrize("out", [None, "my-store"])
def test_ctrl_c_names_the_store_and_the_command_that_resumes(out, tmp_path, monkeypatch, capsys):
    (tmp_path / "cli_errors_slowmod.py").write_text(SLOW_MODULE)
    (tmp_path / "grid.toml").write_text(SLOW_GRID, encoding="utf-8")
    store = tmp_path / (out or "results/slow")  # without --out: results/<grid name>
    argv = ["simulate", "grid.toml", "--no-progress", *(["--out", out] if out else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
           "OMP_NUM_THREADS": "1", "CLI_ERRORS_DELAY": "0.1"}
    # SIGINT back to its default in the child: a run started in the background by a
    # non-interactive shell (nohup … &) inherits it ignored, and Python then never raises
    # KeyboardInterrupt.
    process = subprocess.Popen([sys.executable, "-m", "robustgan", *argv], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if len(list((store / "parts").glob("*.csv"))) >= 2:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    error = process.communicate(timeout=60)[1]

    assert process.returncode == 130
    assert error.count("\n") == 1 and "Traceback" not in error
    assert f"finished tasks are kept in {str(store)!r}" in error
    command = shlex.split(error.partition("again to resume: ")[2])
    expected = argv if out else [*argv, "--out", str(store)]
    assert command == ["robustgan", *expected]

    kept = ResultStore(store).load()
    assert 2 <= len(kept) < 100
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(command[1:]) == 0
    capsys.readouterr()
    assert len(ResultStore(store).load()) == 100


# --- study --json: the old file or the whole new one, with a plain file's permissions ----------


STUDY = ["study", "--n-samples", "50", "--n-features", "2", "--contamination", "0.1"]


@pytest.fixture
def fast_study(monkeypatch):
    """Run the study with the sample mean under every label: its rows, in seconds."""
    real_run = robustgan.simulate.run

    def run(spec, out, **kwargs):
        estimators = {label: "sample-mean" for label in spec["estimators"]}
        return real_run({**spec, "estimators": estimators}, out, **kwargs)

    monkeypatch.setattr(robustgan.simulate, "run", run)


def test_a_kill_while_study_writes_its_json_leaves_the_old_file_whole(tmp_path, monkeypatch,
                                                                      capsys, fast_study):
    path = tmp_path / "rows.json"
    path.write_text('[{"an earlier": "run"}]')
    replace = os.replace

    def killed(source, target, **kwargs):
        if Path(target) == path:
            raise KeyboardInterrupt  # Ctrl-C once the new content is written, before it is in
        return replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", killed)
    assert main([*STUDY, "--json", str(path)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert path.read_text() == '[{"an earlier": "run"}]'
    assert sorted(os.listdir(tmp_path)) == ["rows.json"]  # no temporary left beside it


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
@pytest.mark.parametrize("existing, expected", [(None, 0o640), (0o604, 0o604)],
                         ids=["new file", "replaced file"])
def test_study_json_has_the_permissions_a_plain_write_gives_it(existing, expected, tmp_path,
                                                               capsys, fast_study):
    # A plain write makes a new file 0666 less the umask and keeps a replaced file's mode; an
    # atomic write through tempfile would make it 0600 either way.
    path, plain = tmp_path / "rows.json", tmp_path / "plain.json"
    previous = os.umask(0o027)
    try:
        if existing is not None:
            for each in (path, plain):
                each.write_text("[]")
                each.chmod(existing)
        plain.write_text("[]")
        assert main([*STUDY, "--json", str(path)]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) == expected
    assert len(json.loads(path.read_text(encoding="utf-8"))) == 2 * 5  # designs × estimators


# --- fit names the file, the row and the column of a bad cell -----------------------------------


def test_a_column_mixing_booleans_and_numbers_is_named_with_its_values_as_written(tmp_path,
                                                                                capsys):
    # A column of True/False alone is read as 1/0 (tests/test_cli_inputs.py); one that mixes
    # them with numbers holds no reading that is plainly the user's.
    path = tmp_path / "data.csv"
    path.write_text("a,flag\n1,True\n2,0.5\n3,True\n")
    error = _one_line_error(["fit", str(path)], capsys)
    assert "np." not in error
    assert ("column 'flag' is not numeric ('True' in data row 1), line 2, column 2 of the file; "
            "True/False are read as 1/0 only in a column of them alone") in error


def test_integers_past_int64_are_numbers(tmp_path, capsys):
    # pandas keeps them as Python ints (an object column), which are numbers all the same.
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,99999999999999999999\n3,4\n5,6\n")
    assert main(["fit", str(path), "--estimator", "coordinatewise-median"]) == 0
    assert "coordinatewise-median on 3 rows × 2 features" in capsys.readouterr().out


CELL_FILES = {
    # name: (file text, message); comments and blank lines count as the file's lines.
    "inf under a header": ("# made by hand\na,b,c\n1,2,3\n\n4,inf,6\n7,8,9\n",
                           "data row 2 has an infinite value (inf) in column 'b', line 5, "
                           "column 2 of the file"),
    "1e400, no header": ("1,2,3\n4,5,-1e400\n7,8,9\n",
                         "data row 2 has an infinite value (-inf) in column 'x2', line 2, "
                         "column 3 of the file"),
    "inf beside the pandas index": (",a,b\n0,1,2\n1,3,Infinity\n2,5,6\n",
                                    "data row 2 has an infinite value (inf) in column 'b', "
                                    "line 3, column 3 of the file"),
    "empty cell": ("a,b,c\n1,2,3\n\n4,,6\n7,8,9\n",
                   "data row 2 has no value for column 'b' (an empty cell, NaN or a short row), "
                   "line 4, column 2 of the file"),
}


@pytest.mark.parametrize("name", CELL_FILES, ids=list(CELL_FILES))
def test_a_bad_cell_of_a_text_file_is_named_by_file_row_and_column(name, tmp_path, capsys):
    text, message = CELL_FILES[name]
    path = tmp_path / "data.csv"
    path.write_text(text)
    error = _one_line_error(["fit", str(path)], capsys)
    assert f"{str(path)!r}: {message}" in error


@pytest.mark.parametrize("value, message", [
    (np.inf, "data row 3 has an infinite value (inf) in column 'x1', X[2, 1] of the array"),
    (np.nan, "data row 3 has no value for column 'x1' (NaN), X[2, 1] of the array"),
])
def test_a_bad_cell_of_an_npy_file_is_named_by_file_row_and_column(value, message, tmp_path,
                                                                    capsys):
    X = np.arange(12.0).reshape(4, 3)
    X[2, 1] = value
    path = tmp_path / "data.npy"
    np.save(path, X)
    error = _one_line_error(["fit", str(path)], capsys)
    assert f"{str(path)!r}: {message}" in error


# --- divergence names with parameters that are no finite numbers --------------------------------


@pytest.mark.parametrize("name, message", [
    ("beta(1e400,1)", "'beta(1e400,1)': alpha must be a finite number, got '1e400' (beyond the "
                      "float range, it reads as inf)"),
    ("beta(1,nan)", "'beta(1,nan)': beta must be a finite number, got 'nan'"),
    ("beta(1,-inf)", "'beta(1,-inf)': beta must be a finite number, got '-inf'"),
    ("beta(1.2.3,1)", "'beta(1.2.3,1)': alpha must be a number, got '1.2.3'"),
    ("alpha-1e400", "'alpha-1e400': alpha must be a finite number, got '1e400'"),
    ("alpha(-inf)", "'alpha(-inf)': alpha must be a finite number, got '-inf'"),
    ("beta(-2,1)", "proper for alpha, beta > -1, got (-2.0, 1.0)"),
])
def test_a_family_parameter_that_is_not_a_finite_number_is_named(name, message):
    with pytest.raises(ValueError) as raised:
        get_divergence(name)
    assert message in str(raised.value)
