"""No torch exception reaches a user: data of any scale, dtype and degeneracy either fit, with
finite answers in the data's units, or are refused by a ValueError that names the problem."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robustgan import CoordinatewiseMedian, RobustGANMean, RobustGANScaler, RobustGANScatter
from robustgan.estimators.game_setup import pull_in_far_rows

ESTIMATORS = {
    "mean": lambda: RobustGANMean(n_steps=20, random_state=0),
    "scatter": lambda: RobustGANScatter(n_steps=20, random_state=0),
    "scaler": lambda: RobustGANScaler(RobustGANScatter(n_steps=20, random_state=0)),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(log_scale=st.floats(-200, 200), dtype=st.sampled_from(["float64", "float32", "int64"]),
       n=st.integers(3, 60), p=st.integers(1, 4), constant_column=st.booleans())
def test_fit_and_predict_raise_only_named_errors(name, log_scale, dtype, n, p, constant_column):
    rng = np.random.default_rng(n * 7 + p)
    X = rng.standard_normal((n, p)) * 10.0**log_scale
    if constant_column:
        X[:, 0] = 3.0 * 10.0**log_scale
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        X = X.astype(dtype) if dtype != "int64" else np.round(X.clip(-1e15, 1e15)).astype(dtype)
    estimator = ESTIMATORS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator.fit(X)
        except ValueError as error:
            # Our validation's words, never torch's (whose errors are RuntimeErrors).
            assert type(error).__module__.split(".")[0] in {"builtins", "sklearn", "robustgan"}
            return
        output = (estimator.transform(X) if name == "scaler" else estimator.predict(X))
    assert output.shape[0] == n
    if name != "scaler":
        assert np.all(np.isfinite(estimator.location_))


@pytest.mark.parametrize("spread", [1e-200, 1e200])
@pytest.mark.parametrize("make", [lambda: RobustGANMean(n_steps=20, random_state=0),
                                  lambda: RobustGANScatter(n_steps=20, random_state=0)])
def test_data_whose_scatter_float64_cannot_hold_are_refused_by_name(make, spread):
    # A spread of 1e-200 has variance 1e-400 (0 in float64); 1e200, 1e400 (inf). Both used to
    # reach the user as numpy.linalg.LinAlgError from a Cholesky factorisation.
    X = np.random.default_rng(0).standard_normal((500, 3)) * spread + 3 * spread
    with pytest.raises(ValueError, match="feature 0 spans .* its variance (under|over)flows"):
        make().fit(X)


def test_a_known_scale_mean_fits_data_of_any_spread():
    X = np.random.default_rng(0).standard_normal((500, 3)) * 1e-200
    est = RobustGANMean(scale=1e-200, n_steps=50, random_state=0).fit(X)
    assert np.linalg.norm(est.location_ / 1e-200) < 0.3


@pytest.mark.parametrize("outlier", [1e20, 1e39, 1e100])
@pytest.mark.parametrize("make", [lambda: RobustGANMean(n_steps=50, random_state=0),
                                  lambda: RobustGANMean(scale=1.0, n_steps=50, random_state=0),
                                  lambda: RobustGANScatter(n_steps=50, random_state=0)])
def test_one_gross_outlier_is_an_outlier_not_a_crash(make, outlier):
    # One row at 1e20 among 499 unit rows made the float32 second moment behind the first
    # layer's seeding overflow, and torch's eigh failed to converge: the training rows are
    # pulled in to 1e10 robust units first (game_setup.TRAINING_RADIUS).
    X = np.random.default_rng(0).standard_normal((500, 3))
    X[0] = outlier
    est = make().fit(X)
    assert np.linalg.norm(est.location_) < 0.3
    assert est.predict(X[:1])[0] == -1


def test_far_rows_are_pulled_in_along_their_own_direction():
    Z = np.array([[1.0, -2.0], [3e30, -4e30], [0.0, 1e300]])
    pulled = pull_in_far_rows(Z, radius=10.0)
    np.testing.assert_array_equal(pulled[0], Z[0])
    np.testing.assert_allclose(pulled[1:], [[6.0, -8.0], [0.0, 10.0]])
    near = Z[:1]
    assert pull_in_far_rows(near, radius=10.0) is near  # no copy where no row is far


@pytest.mark.parametrize("make", [CoordinatewiseMedian, lambda: RobustGANMean(n_steps=5),
                                  lambda: RobustGANScatter(n_steps=5)])
def test_non_numeric_dataframe_columns_are_named(make):
    # NumPy's conversion error names a value ("could not convert string to float: 'x'"), a
    # categorical column gave a TypeError: the columns are named instead, at fit and predict.
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.standard_normal(60), "b": rng.standard_normal(60)})
    text = frame.assign(town=["x", "y"] * 30, kind=pd.Categorical(["u", "v"] * 30))
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) town, kind"):
        make().fit(text)
    fitted = make().fit(frame.assign(c=rng.standard_normal(60)))
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) c"):
        fitted.predict(frame.assign(c=["x"] * 60))
    # Numbers held as a categorical convert, as they always did.
    make().fit(frame.assign(c=pd.Categorical(rng.standard_normal(60))))


def test_other_errors_of_a_frame_with_an_object_column_keep_their_own_words():
    # The rename applies to the columns that do not convert: a NaN in a numeric object
    # column, or a feature-name mismatch at predict, are what they are.
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    numbers = pd.Series(list(rng.standard_normal(59)) + [np.nan], dtype=object)
    with pytest.raises(ValueError, match="NaN"):
        CoordinatewiseMedian().fit(pd.DataFrame({"a": rng.standard_normal(60), "c": numbers}))
    fitted = CoordinatewiseMedian().fit(pd.DataFrame({"a": rng.standard_normal(60)}))
    extra = pd.DataFrame({"a": rng.standard_normal(5), "c": pd.Series(["1"] * 5, dtype=object)})
    with pytest.raises(ValueError, match="feature names should match"):
        fitted.predict(extra)


@pytest.mark.parametrize("make, role", [
    (lambda: RobustGANMean(lr_d=1e300, n_steps=20, random_state=0), "discriminator"),
    (lambda: RobustGANMean(lr_g=1e39, n_steps=20, random_state=0), "generator"),
    (lambda: RobustGANScatter(lr_scatter=1e300, n_steps=20, random_state=0), "generator"),
])
def test_a_learning_rate_float32_cannot_hold_is_refused_by_name(make, role):
    # torch turns the step size into the parameters' dtype inside the optimiser's step, and
    # one beyond float32's range (3.4e38) raised a RuntimeError from its internals there.
    X = np.random.default_rng(0).standard_normal((100, 2))
    with pytest.raises(ValueError, match=f"the {role}'s learning rate .* beyond the largest"):
        make().fit(X)
