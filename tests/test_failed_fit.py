"""A fit that raises leaves the estimator as it was: fitted to its last good data, or unfitted."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import robustgan.estimators.mean as mean_module
from robustgan import (
    CoordinatewiseMedian,
    DimensionHalving,
    GeometricMedian,
    IterativeFilter,
    KendallTauScatter,
    RobustGANMean,
    RobustGANScaler,
    RobustGANScatter,
    SpatialSignCovariance,
    SpearmanScatter,
    TrimmedMean,
    TukeyMedian,
    TylerScatter,
)

ESTIMATORS = [
    CoordinatewiseMedian, TrimmedMean, GeometricMedian, IterativeFilter, DimensionHalving,
    lambda: TukeyMedian(random_state=0), KendallTauScatter, SpearmanScatter, TylerScatter,
    SpatialSignCovariance, lambda: RobustGANMean(n_steps=20, random_state=0),
    lambda: RobustGANScatter(n_steps=20, random_state=0), lambda: RobustGANScaler(random_state=0),
]
OLD = pd.DataFrame(np.random.default_rng(0).standard_normal((60, 3)), columns=list("abc"))


def _answer(estimator, X):
    return (estimator.transform(X) if isinstance(estimator, RobustGANScaler)
            else estimator.predict(X))


@pytest.mark.parametrize("make", ESTIMATORS)
def test_a_failed_refit_keeps_the_last_good_fit(make):
    # The audit's case: a refit on other columns failed in validation after the new names were
    # recorded, and predict on the new columns answered from the old model.
    estimator = make().fit(OLD)
    before = _answer(estimator, OLD)
    new = pd.DataFrame(np.random.default_rng(1).standard_normal((60, 3)), columns=list("xyz"))
    new.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(new)
    assert list(estimator.feature_names_in_) == list("abc")
    np.testing.assert_array_equal(_answer(estimator, OLD), before)
    with pytest.raises(ValueError, match="feature names"):
        _answer(estimator, new.fillna(0.0))


@pytest.mark.parametrize("make", ESTIMATORS)
def test_a_failed_first_fit_leaves_it_unfitted(make):
    # scikit-learn's validation records a frame's feature names before it finds the NaN.
    estimator, bad = make(), OLD.copy()
    bad.iloc[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(bad)
    assert not hasattr(estimator, "feature_names_in_")
    with pytest.raises(NotFittedError):
        _answer(estimator, OLD)


def test_an_interrupted_fit_keeps_the_last_good_fit(monkeypatch):
    estimator = RobustGANMean(n_steps=20, random_state=0).fit(OLD)
    location = estimator.location_.copy()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # After validation, where the new data's attributes are recorded.
    monkeypatch.setattr(mean_module, "reweighted_location_scale", interrupted)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(OLD.to_numpy()[:, :2] * 10)
    assert estimator.n_features_in_ == 3
    np.testing.assert_array_equal(estimator.location_, location)
