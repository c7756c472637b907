"""Discriminators and generators of the adversarial engine.

The generators here are the tiny statistical models of the robust estimators (a location family
N(η, I) for now); the discriminators are small MLPs. Both are plain ``torch.nn.Module`` objects, so
the engine trains any module pair a user passes in the same way.
"""

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = [
    "ACTIVATIONS",
    "LocationGenerator",
    "MLPDiscriminator",
    "seed_first_layer",
]

ACTIVATIONS = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    # 0.2 is the slope of the papers' code (Gao et al. 2019) and of most GAN discriminators.
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "softplus": nn.Softplus,
}


def _activation(name):
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; valid activations are {sorted(ACTIVATIONS)}"
        ) from None


class MLPDiscriminator(nn.Module):
    """A fully connected discriminator x ↦ v(x) ∈ ℝ (an unconstrained logit).

    Parameters
    ----------
    in_features : int
        Dimension p of the data.
    hidden_sizes : sequence of int, default=(20,)
        Widths of the hidden layers. Gao et al. (2019) prove that at least one hidden layer is
        needed for robustness: without it the estimator reduces to moment matching.
    activation : str or sequence of str, default="sigmoid"
        Hidden activation, one name per hidden layer or one name for all: ``"sigmoid"`` (the
        papers' theory), ``"tanh"``, ``"relu"``, ``"leaky_relu"`` (slope 0.2) or ``"softplus"``.
    spectral_norm : bool, default=False
        Normalise every linear layer by its spectral norm (Miyato et al., 2018) through
        ``torch.nn.utils.parametrizations.spectral_norm``.

    Examples
    --------
    >>> import torch
    >>> disc = MLPDiscriminator(3, hidden_sizes=(8,), activation="leaky_relu")
    >>> disc(torch.zeros(5, 3)).shape
    torch.Size([5])
    """

    def __init__(self, in_features, hidden_sizes=(20,), activation="sigmoid", spectral_norm=False):
        super().__init__()
        hidden_sizes = tuple(int(h) for h in hidden_sizes)
        if isinstance(activation, str):
            activation = (activation,) * len(hidden_sizes)
        if len(activation) != len(hidden_sizes):
            raise ValueError(
                f"got {len(activation)} activations for {len(hidden_sizes)} hidden layers"
            )
        layers = []
        width = int(in_features)
        for size, act in zip(hidden_sizes, activation):
            layers += [self._linear(width, size, spectral_norm), _activation(act)]
            width = size
        layers.append(self._linear(width, 1, spectral_norm))
        self.net = nn.Sequential(*layers)

    @staticmethod
    def _linear(n_in, n_out, spectral_norm):
        layer = nn.Linear(n_in, n_out)
        # Xavier keeps the logit's scale independent of p, as in the papers' code.
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        if spectral_norm:
            layer = nn.utils.parametrizations.spectral_norm(layer)
        return layer

    @property
    def first_layer(self):
        return self.net[0]

    def forward(self, x):
        return self.net(x).squeeze(-1)


class LocationGenerator(nn.Module):
    """The location model N(η, I): x = η + z with z ~ N(0, I), reparametrised so η gets gradients.

    Parameters
    ----------
    location : torch.Tensor of shape (p,)
        Starting value of η.

    Examples
    --------
    >>> import torch
    >>> gen = LocationGenerator(torch.ones(2))
    >>> gen(torch.zeros(3, 2))
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.]], grad_fn=<AddBackward0>)
    """

    def __init__(self, location):
        super().__init__()
        self.location = nn.Parameter(torch.as_tensor(location).detach().clone())

    @property
    def latent_dim(self):
        return self.location.shape[-1]

    def forward(self, z):
        return self.location + z


@torch.no_grad()
def seed_first_layer(discriminator, directions, scale=1.0):
    """Point the first hidden units of ``discriminator`` along ±``directions``.

    A small random first layer sees a contamination that sits along one direction of ℝᵖ only
    through a projection of order 1/√p, and SGD may never find it (DESIGN.md: the textbook recipe
    returns the sample mean on close contaminations). Starting units along the directions of excess
    variance of the data gives them that projection at full strength; training then keeps or
    discards them like any other unit.

    Parameters
    ----------
    discriminator : MLPDiscriminator or torch.nn.Module with a ``first_layer`` Linear
        The network to modify in place.
    directions : torch.Tensor of shape (k, p)
        Unit vectors; each gives two hidden units, along +v and −v, with zero bias.
    scale : float, default=1.0
        Norm of the seeded weight rows.

    Returns
    -------
    int
        The number of hidden units seeded (at most the layer's width).
    """
    layer = discriminator.first_layer
    # Under spectral normalisation the stored weight is the unnormalised one.
    if parametrize.is_parametrized(layer, "weight"):
        weight = layer.parametrizations.weight.original
    else:
        weight = layer.weight
    rows = torch.cat([directions, -directions]).to(weight)[: weight.shape[0]]
    weight[: rows.shape[0]] = scale * rows
    layer.bias[: rows.shape[0]] = 0.0
    return rows.shape[0]
