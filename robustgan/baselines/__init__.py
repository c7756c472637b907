"""Classic robust estimators, with the same face as the GAN estimators."""

from .depth import halfspace_depth, tukey_median
from .location import (
    CoordinatewiseMedian,
    DimensionHalving,
    GeometricMedian,
    IterativeFilter,
    TrimmedMean,
    TukeyMedian,
)
from .scatter import KendallTauScatter, SpatialSignCovariance, SpearmanScatter, TylerScatter

__all__ = [
    "CoordinatewiseMedian",
    "DimensionHalving",
    "GeometricMedian",
    "IterativeFilter",
    "KendallTauScatter",
    "SpatialSignCovariance",
    "SpearmanScatter",
    "TrimmedMean",
    "TukeyMedian",
    "TylerScatter",
    "halfspace_depth",
    "tukey_median",
]
