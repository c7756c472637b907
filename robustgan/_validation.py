"""The one input-validation path shared by every estimator of robustgan.

scikit-learn's ``validate_data`` already names NaN, infinity, complex and non-numeric input, a
wrong number of dimensions, too few rows and a feature count that differs from ``fit``; this
module fixes the options every estimator uses so that none of them re-states them.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["check_fitted_data", "check_training_data"]


def check_training_data(estimator, X, *, min_samples=2):
    """Validated float64 training data; records ``n_features_in_`` and ``feature_names_in_``.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator being fitted.
    X : array-like of shape (n_samples, n_features)
        Training data.
    min_samples : int, default=2
        Fewer rows than this is an error: a location needs two points to differ from a point.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float64

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> check_training_data(BaseEstimator(), [[0.0, 1.0], [1.0, 2.0]]).dtype
    dtype('float64')
    """
    return validate_data(
        estimator, X, reset=True, dtype=np.float64, ensure_min_samples=min_samples
    )


def check_fitted_data(estimator, X):
    """Validated float64 data for a fitted estimator's ``predict``, ``score`` and friends."""
    check_is_fitted(estimator)
    return validate_data(estimator, X, reset=False, dtype=np.float64)
