"""What fit reads as numbers: True/False count as 1/0 in a text file as in a .npy array.

scikit-learn's ``check_array`` takes a boolean array as numbers (converted to float); fit does
the same for a .npy array and for a text column that pandas reads as booleans, so that one
table gives one matrix whichever file it came in.
"""

import json

import numpy as np
import pytest

from robustgan.cli import main


def _fit_json(path, capsys, estimator="sample-mean"):
    assert main(["fit", str(path), "--estimator", estimator, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_boolean_text_column_is_read_as_ones_and_zeros(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,flag\n1,True\n2,False\n3,True\n")
    result = _fit_json(path, capsys)
    assert result["features"] == ["a", "flag"] and result["n_samples"] == 3
    np.testing.assert_allclose(result["location"], [2.0, 2.0 / 3.0], rtol=1e-12)


def test_a_boolean_table_gives_the_same_fit_as_a_text_file_and_as_a_npy_array(tmp_path, capsys):
    X = np.array([[True, False], [True, True], [False, True], [True, True]])
    npy, csv = tmp_path / "data.npy", tmp_path / "data.csv"
    np.save(npy, X)
    csv.write_text("".join(f"{a},{b}\n" for a, b in X))  # Python writes True/False
    from_npy, from_csv = _fit_json(npy, capsys), _fit_json(csv, capsys)
    # A first row of booleans is data, as one of numbers is: no header taken from it.
    assert from_csv["n_samples"] == from_npy["n_samples"] == 4
    assert from_csv["features"] == from_npy["features"] == ["x0", "x1"]
    assert from_csv["location"] == from_npy["location"] == [0.75, 0.75]


@pytest.mark.parametrize("true, false", [("true", "false"), ("TRUE", "FALSE"),
                                         (" True", " False")])
def test_the_spellings_pandas_reads_as_booleans_are_ones_and_zeros(true, false, tmp_path,
                                                                   capsys):
    path = tmp_path / "data.tsv"
    path.write_text(f"1;{true}\n2;{false}\n")  # no header: the first row is data
    result = _fit_json(path, capsys)
    assert result["n_samples"] == 2 and result["location"] == [1.5, 0.5]


def test_a_missing_cell_of_a_boolean_column_is_named_as_in_a_number_column(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a,flag\n1,True\n2,\n3,False\n")
    assert main(["fit", str(path)]) == 2
    error = capsys.readouterr().err
    assert ("data row 2 has no value for column 'flag' (an empty cell, NaN or a short row), "
            "line 3, column 2 of the file") in error
