"""Classic robust estimators, with the same face as the GAN estimators."""

from .location import CoordinatewiseMedian

__all__ = ["CoordinatewiseMedian"]
