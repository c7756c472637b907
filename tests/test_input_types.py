"""Inputs NumPy's conversion reads wrong or not at all, on every estimator, in ``fit`` and in
``predict``: a torch tensor is read whatever its autograd state or device; a masked array with
masked values, and dates or times, are refused by a ValueError that names them, never a
silently wrong answer or an error from deep inside NumPy or torch.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from robustgan import CoordinatewiseMedian, RobustGANMean, RobustGANScatter, TrimmedMean

ESTIMATORS = {
    "median": lambda: CoordinatewiseMedian(),
    "trimmed": lambda: TrimmedMean(0.1),
    "mean": lambda: RobustGANMean(n_steps=20, random_state=0),
    "scatter": lambda: RobustGANScatter(n_steps=20, random_state=0),
}

estimators = pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS.keys())


@pytest.fixture(autouse=True)
def quiet():
    # Small fits warn about their own convergence; that is not what is checked here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _data(n=60):
    return np.random.default_rng(0).standard_normal((n, 2))


DATETIME_COLUMNS = {
    "datetime": pd.date_range("2020-01-01", periods=60, freq="h"),
    "datetime with time zone": pd.date_range("2020-01-01", periods=60, freq="h", tz="UTC"),
    "timedelta": pd.to_timedelta(np.arange(60), unit="s"),
    "period": pd.period_range("2020-01-01", periods=60, freq="D"),
}

datetime_columns = pytest.mark.parametrize(
    "column", DATETIME_COLUMNS.values(), ids=DATETIME_COLUMNS.keys())


@estimators
@datetime_columns
def test_fit_names_a_date_or_time_column(make, column):
    # A naive datetime or timedelta column failed in NumPy's type promotion, a period column
    # was called non-numeric and told to be one-hot encoded, and a time-zone-aware column
    # alone was averaged as nanoseconds since 1970.
    for frame in (pd.DataFrame({"a": _data()[:, 0], "t": column}),
                  pd.DataFrame({"t": column, "b": _data()[:, 1]})):
        with pytest.raises(ValueError, match=r"date or time column\(s\) t .*seconds"):
            make().fit(frame)


@estimators
@datetime_columns
def test_predict_names_a_date_or_time_column(make, column):
    estimator = make().fit(pd.DataFrame(_data(), columns=["a", "t"]))
    frame = pd.DataFrame({"a": _data()[:, 0], "t": column})
    with pytest.raises(ValueError, match=r"date or time column\(s\) t "):
        estimator.predict(frame)


@estimators
@pytest.mark.parametrize("dtype", ["datetime64[s]", "timedelta64[ms]"])
def test_a_date_or_time_array_is_refused_in_fit_and_predict(make, dtype):
    # Were averaged silently, as counts of their storage unit.
    X = (_data() * 1000).astype(np.int64).astype(dtype)
    with pytest.raises(ValueError, match=re.escape(f"dates or times (dtype {dtype})")):
        make().fit(X)
    estimator = make().fit(_data())
    with pytest.raises(ValueError, match=r"dates or times"):
        estimator.predict(X)


@estimators
def test_a_tensor_that_requires_grad_is_read_as_its_values(make):
    # Used to reach the user as torch's "Can't call numpy() on Tensor that requires grad".
    X = _data()
    tensor = torch.tensor(X, requires_grad=True)
    expected = make().fit(X)
    fitted = make().fit(tensor)
    np.testing.assert_array_equal(fitted.location_, expected.location_)
    np.testing.assert_array_equal(expected.predict(tensor), expected.predict(X))
    assert tensor.grad is None and tensor.requires_grad


@estimators
def test_a_bfloat16_tensor_is_read_as_its_values(make):
    # NumPy has no bfloat16: torch refused the conversion ("unsupported ScalarType BFloat16").
    tensor = torch.tensor(_data()).to(torch.bfloat16)
    X = tensor.float().numpy()
    expected = make().fit(X)
    np.testing.assert_array_equal(make().fit(tensor).location_, expected.location_)
    np.testing.assert_array_equal(expected.predict(tensor), expected.predict(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@estimators
def test_a_cuda_tensor_is_read_as_its_values(make):
    X = _data()
    tensor = torch.tensor(X, device="cuda", requires_grad=True)
    expected = make().fit(X)
    np.testing.assert_array_equal(make().fit(tensor).location_, expected.location_)
    np.testing.assert_array_equal(expected.predict(tensor), expected.predict(X))


def _masked(X, rows):
    mask = np.zeros(X.shape, dtype=bool)
    mask[rows] = True
    return np.ma.masked_array(X, mask=mask)


@estimators
def test_a_masked_array_is_refused_when_a_value_is_masked(make):
    X = _data()
    X[-1] = 1e6
    # Nothing masked: the array is its data.
    expected = make().fit(X[:-1])
    np.testing.assert_array_equal(make().fit(_masked(X[:-1], [])).location_, expected.location_)
    # The masked row at 1e6 used to be fitted as data, silently.
    with pytest.raises(ValueError, match=r"masked array with 2 masked values.*X\.mask\.any"):
        make().fit(_masked(X, [-1]))
    with pytest.raises(ValueError, match=r"masked array with 2 masked values"):
        expected.predict(_masked(X, [-1]))


def test_the_masked_row_of_the_audit_is_not_averaged():
    X = np.ma.masked_array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [1e6, 1e6]],
                           mask=[[0, 0], [0, 0], [0, 0], [1, 1]])
    with pytest.raises(ValueError, match="do not skip masked values"):
        TrimmedMean(0.0).fit(X)
    np.testing.assert_array_equal(TrimmedMean(0.0).fit(X[~X.mask.any(axis=1)]).location_, [1, 1])
