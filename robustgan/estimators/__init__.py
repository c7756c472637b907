"""The scikit-learn face of robustgan: robust location and scatter estimators."""

from ..multivariate import trimmed_scatter
from ..outliers import RobustLocationMixin
from ._base import is_adversarial
from .many import fit_many
from .mean import RobustGANMean
from .scatter import RobustGANScaler, RobustGANScatter

__all__ = [
    "RobustGANMean",
    "RobustGANScaler",
    "RobustGANScatter",
    "RobustLocationMixin",
    "fit_many",
    "is_adversarial",
    "trimmed_scatter",
]
