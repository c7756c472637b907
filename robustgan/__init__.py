"""robustgan: robust location and scatter estimation with adversarial (GAN) estimators.

Layers, each importing only the ones above it: ``datasets`` (simulation), ``divergences`` and
``nets`` (the pieces of a game), ``engine`` (the one training loop) and ``batched`` (many games
as one), ``estimators`` (the scikit-learn face, and ``fit_many``: many fits as batched games)
and ``baselines``, then benchmarks, reproductions and the command line.
"""

from ._validation import DegenerateDataWarning
from .baselines import (
    CoordinatewiseMedian,
    DimensionHalving,
    GeometricMedian,
    IterativeFilter,
    KendallTauScatter,
    SpatialSignCovariance,
    SpearmanScatter,
    TrimmedMean,
    TukeyMedian,
    TylerScatter,
)
from .datasets import make_huber_contamination
from .divergences import available_divergences, get_divergence
from .estimators import RobustGANMean, RobustGANScaler, RobustGANScatter, fit_many

__version__ = "0.1.0"

__all__ = [
    "CoordinatewiseMedian",
    "DegenerateDataWarning",
    "DimensionHalving",
    "GeometricMedian",
    "IterativeFilter",
    "KendallTauScatter",
    "RobustGANMean",
    "RobustGANScaler",
    "RobustGANScatter",
    "SpatialSignCovariance",
    "SpearmanScatter",
    "TrimmedMean",
    "TukeyMedian",
    "TylerScatter",
    "available_divergences",
    "fit_many",
    "get_divergence",
    "make_huber_contamination",
]
