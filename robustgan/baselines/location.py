"""Classic robust location estimators."""

import numpy as np
from sklearn.base import BaseEstimator, _fit_context

from .._validation import check_training_data
from ..estimators._base import CONTAMINATION_CONSTRAINT, RobustLocationMixin

__all__ = ["CoordinatewiseMedian"]


class CoordinatewiseMedian(RobustLocationMixin, BaseEstimator):
    """The median of each feature: breakdown point 1/2, but error of order √p·ε in p dimensions.

    Under Huber's contamination the bias of each coordinate is of order ε, so the Euclidean error
    grows like √p·ε (about 3.2 at p=100, ε=0.2 with outliers at N(5·1_p, I_p)), against ε for the
    minimax-optimal estimators such as ``RobustGANMean``.

    Parameters
    ----------
    contamination : "auto" or float in [0, 0.5), default="auto"
        Rule for ``predict``, with identity scatter: see ``RobustLocationMixin``.

    Attributes
    ----------
    location_ : ndarray of shape (n_features,)
    offset_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    RobustGANMean : minimax-optimal robust location.

    References
    ----------
    .. [1] M. Chen, C. Gao, Z. Ren. "Robust covariance and scatter matrix estimation under
       Huber's contamination model." Annals of Statistics 46(5), 2018 (the √p·ε lower bound of
       the coordinatewise median, Section 1).

    Examples
    --------
    >>> CoordinatewiseMedian().fit([[0.0, 1.0], [1.0, 3.0], [5.0, 2.0]]).location_
    array([1., 2.])
    """

    _parameter_constraints = {"contamination": CONTAMINATION_CONSTRAINT}

    def __init__(self, *, contamination="auto"):
        self.contamination = contamination

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the coordinatewise median of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : CoordinatewiseMedian
        """
        X = check_training_data(self, X)
        self.location_ = np.median(X, axis=0)
        self._set_offset(X)
        return self

    def _squared_distances(self, X):
        return np.sum(np.square(X - self.location_), axis=1)

    def _log_det_scatter(self):
        return 0.0
