"""The networks of ``robustgan.gan``: GAN-sized defaults on the MLPs of ``robustgan.nets``."""

from .. import nets
from ..nets import MLPGenerator

__all__ = ["MLPDiscriminator", "MLPGenerator"]


class MLPDiscriminator(nets.MLPDiscriminator):
    """A fully connected discriminator x ↦ v(x) ∈ ℝ with the usual GAN defaults.

    The robust estimators' ``robustgan.nets.MLPDiscriminator`` with wider layers and leaky ReLU
    units (Radford et al., 2016) by default, and the dimension named ``in_dim``.

    Parameters
    ----------
    in_dim : int
        Dimension of the samples.
    hidden_sizes : sequence of int, default=(128, 128)
    activation : str or sequence of str, default="leaky_relu"
    spectral_norm : bool, default=False
        Normalise every layer (``GANTrainer(loss="sn-gan")`` does it for any module).

    Examples
    --------
    >>> import torch
    >>> MLPDiscriminator(in_dim=2)(torch.zeros(4, 2)).shape
    torch.Size([4])
    """

    def __init__(self, in_dim, hidden_sizes=(128, 128), activation="leaky_relu",
                 spectral_norm=False):
        super().__init__(in_dim, hidden_sizes=hidden_sizes, activation=activation,
                         spectral_norm=spectral_norm)
