"""The networks of ``robustgan.gan``: GAN-sized defaults on the MLPs of ``robustgan.nets``."""

import warnings

from .. import nets
from ..nets import MLPGenerator

__all__ = ["MLPDiscriminator", "MLPGenerator"]


class MLPDiscriminator(nets.MLPDiscriminator):
    """A fully connected discriminator x ↦ v(x) ∈ ℝ with the usual GAN defaults.

    The robust estimators' ``robustgan.nets.MLPDiscriminator`` with wider layers and leaky ReLU
    units (Radford et al., 2016) by default.

    Parameters
    ----------
    in_features : int
        Dimension of the samples.
    hidden_sizes : sequence of int, default=(128, 128)
    activation : str or sequence of str, default="leaky_relu"
    spectral_norm : bool, default=False
        Normalise every layer (``GANTrainer(loss="sn-gan")`` does it for any module).
    in_dim : int, optional
        Deprecated alias of ``in_features`` (the name ``robustgan.nets.MLPDiscriminator``
        uses), since 0.2; it will be removed in 0.3.

    Examples
    --------
    >>> import torch
    >>> MLPDiscriminator(in_features=2)(torch.zeros(4, 2)).shape
    torch.Size([4])
    """

    def __init__(self, in_features=None, hidden_sizes=(128, 128), activation="leaky_relu",
                 spectral_norm=False, *, in_dim=None):
        if in_dim is not None:
            warnings.warn("MLPDiscriminator(in_dim=...) is deprecated since robustgan 0.2 and "
                          "will be removed in 0.3: use in_features=", DeprecationWarning,
                          stacklevel=2)
            if in_features is not None:
                raise TypeError("pass in_features or its deprecated alias in_dim, not both")
            in_features = in_dim
        if in_features is None:
            raise TypeError("MLPDiscriminator() missing required argument: 'in_features'")
        super().__init__(in_features, hidden_sizes=hidden_sizes, activation=activation,
                         spectral_norm=spectral_norm)
