"""The scikit-learn face of robustgan: robust location (and, later, scatter) estimators."""

from ._base import RobustLocationMixin
from .mean import RobustGANMean

__all__ = ["RobustGANMean", "RobustLocationMixin"]
