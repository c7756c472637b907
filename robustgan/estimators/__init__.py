"""The scikit-learn face of robustgan: robust location and scatter estimators."""

from ._base import RobustLocationMixin
from .mean import RobustGANMean
from .scatter import RobustGANScaler, RobustGANScatter, trimmed_scatter

__all__ = [
    "RobustGANMean",
    "RobustGANScaler",
    "RobustGANScatter",
    "RobustLocationMixin",
    "trimmed_scatter",
]
