"""Discriminators and generators of the adversarial engine.

The generators here are the tiny statistical models of the robust estimators (a location family
N(η, I) for now) and a general MLP generator for ``robustgan.gan``; the discriminators are small
MLPs. Both are plain ``torch.nn.Module`` objects, so
the engine trains any module pair a user passes in the same way.
"""

import threading
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = [
    "ACTIVATIONS",
    "EllipticalGenerator",
    "GaussianGenerator",
    "LocationGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "seed_first_layer",
    "seeded_torch",
]

# torch's CPU generator is one per process: modules initialised from it under a seed hold it
# for that while, so that modules built in parallel threads (robustgan.fit_many's members)
# draw their own seeds.
_TORCH_RNG_LOCK = threading.RLock()


@contextmanager
def seeded_torch(seed):
    """Run the body with torch's global CPU generator seeded at ``seed``, then restore it.

    The generator's state is forked (``torch.random.fork_rng``), so the caller's draws are
    untouched, and held under a lock, so that threads seeding it at once do not interleave.

    Examples
    --------
    >>> with seeded_torch(0):
    ...     a = torch.rand(2)
    >>> with seeded_torch(0):
    ...     b = torch.rand(2)
    >>> torch.equal(a, b)
    True
    """
    with _TORCH_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


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


class MLPGenerator(nn.Module):
    """A fully connected generator z ↦ x from latent noise of dimension ``latent_dim``.

    Parameters
    ----------
    latent_dim : int
        Dimension of the latent noise z.
    out_dim : int
        Dimension of the samples.
    hidden_sizes : sequence of int, default=(128, 128)
    activation : str, default="relu"
        Hidden activation, a name of ``ACTIVATIONS``.
    output_activation : str or None, default=None
        ``None`` for unbounded samples, or a name of ``ACTIVATIONS`` (``"tanh"`` for data
        scaled to [−1, 1]).

    Examples
    --------
    >>> import torch
    >>> gen = MLPGenerator(latent_dim=8, out_dim=2, hidden_sizes=(16,))
    >>> gen(torch.zeros(5, 8)).shape, gen.latent_dim
    (torch.Size([5, 2]), 8)
    """

    def __init__(self, latent_dim, out_dim, hidden_sizes=(128, 128), activation="relu",
                 output_activation=None):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.out_dim = int(out_dim)
        layers = []
        width = self.latent_dim
        for size in hidden_sizes:
            layers += [nn.Linear(width, int(size)), _activation(activation)]
            width = int(size)
        layers.append(nn.Linear(width, self.out_dim))
        if output_activation is not None:
            layers.append(_activation(output_activation))
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


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


class GaussianGenerator(nn.Module):
    """The Gaussian model N(η, Γ), Γ = LLᵀ: x = η + Lz with z ~ N(0, I) and L lower-triangular.

    L is a Cholesky factor: Γ determines it uniquely (with a positive diagonal), so averaging the
    iterates of L averages estimates of one quantity, which a full square root, free to rotate,
    would not allow.

    Parameters
    ----------
    location : torch.Tensor of shape (p,)
        Starting value of η.
    factor : torch.Tensor of shape (p, p)
        Starting value of L; only its lower triangle is used.

    Examples
    --------
    >>> import torch
    >>> gen = GaussianGenerator(torch.zeros(2), torch.tensor([[2.0, 0.0], [1.0, 1.0]]))
    >>> gen(torch.tensor([[1.0, 1.0]]))
    tensor([[2., 2.]], grad_fn=<AddBackward0>)
    >>> gen.scatter()
    tensor([[4., 2.],
            [2., 2.]])
    """

    def __init__(self, location, factor):
        super().__init__()
        self.location = nn.Parameter(torch.as_tensor(location).detach().clone())
        self.factor = nn.Parameter(torch.tril(torch.as_tensor(factor).detach().clone()))

    @property
    def latent_dim(self):
        return self.location.shape[-1]

    def forward(self, z):
        return self.location + z @ torch.tril(self.factor).T

    @torch.no_grad()
    def scatter(self, factor=None):
        """Γ = LLᵀ, from the current L or from ``factor`` (e.g. an averaged one)."""
        factor = torch.tril(self.factor if factor is None else factor)
        return factor @ factor.T


class EllipticalGenerator(nn.Module):
    """An elliptical model x = η + ξ·Lu: u uniform on the sphere, ξ ≥ 0 drawn by a small network.

    ξ = |h(w)| where h is an MLP of latent noise w whose first half is standard normal and second
    half 1/|N(0, 1)|. A Lipschitz map of Gaussian noise has Gaussian tails; the heavy-tailed half
    lets ξ reach the polynomial tails of t and Cauchy laws (the input design of Gao, Yao & Zhu's
    elliptical generator). The model identifies Γ = LLᵀ only up to a factor that ξ absorbs;
    ``radial_scale`` fixes it.

    Parameters
    ----------
    location : torch.Tensor of shape (p,)
    factor : torch.Tensor of shape (p, p)
        Starting Cholesky factor L (lower triangle used).
    radial_hidden : sequence of int, default=(32, 16)
        Hidden widths of h (leaky ReLU).
    radial_inputs : int, default=4
        Dimension of w (even: half Gaussian, half inverse half-normal).
    initial_radius : float, default=1.0
        ξ starts near this value (bias of h's last layer), e.g. the median norm of the data.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0) is not None
    True
    >>> gen = EllipticalGenerator(torch.zeros(3), torch.eye(3), initial_radius=2.0)
    >>> gen.latent_dim
    7
    >>> gen(torch.randn(5, gen.latent_dim)).shape
    torch.Size([5, 3])
    """

    def __init__(self, location, factor, radial_hidden=(32, 16), radial_inputs=4,
                 initial_radius=1.0):
        super().__init__()
        self.location = nn.Parameter(torch.as_tensor(location).detach().clone())
        self.factor = nn.Parameter(torch.tril(torch.as_tensor(factor).detach().clone()))
        self.radial_inputs = int(radial_inputs)
        layers, width = [], self.radial_inputs
        for size in radial_hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        last = nn.Linear(width, 1)
        layers.append(last)
        self.radial = nn.Sequential(*layers).to(self.location)
        with torch.no_grad():
            # Small last-layer weights: ξ starts as a narrow law around the initial radius.
            last.weight.mul_(0.1)
            last.bias.fill_(float(initial_radius))

    @property
    def latent_dim(self):
        return self.location.shape[-1] + self.radial_inputs

    def radius(self, w):
        """ξ = |h(w)| for latent radial noise w of shape (b, radial_inputs)."""
        half = self.radial_inputs // 2
        # 1/|N| has tail P(> t) ~ √(2/π)/t, that of a Cauchy radius; the floor keeps it finite.
        heavy = 1.0 / w[:, half:].abs().clamp_min(1e-4)
        return self.radial(torch.cat([w[:, :half], heavy], dim=1)).squeeze(-1).abs()

    def forward(self, z):
        p = self.location.shape[-1]
        direction = z[:, :p]
        u = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
        xi = self.radius(z[:, p:])
        return self.location + (xi.unsqueeze(1) * u) @ torch.tril(self.factor).T

    @torch.no_grad()
    def radial_scale(self, n_draws=100_000, generator=None):
        """c with median((ξ/c)²) = median(χ²_p): Γ·c² is the Gaussian-consistent scatter.

        For Gaussian data ξ² ~ χ²_p and c = 1, so the scatter is the covariance; for other
        radial laws it is the scatter whose Mahalanobis radii have the Gaussian median.
        """
        from scipy import stats

        w = torch.randn(n_draws, self.radial_inputs, generator=generator,
                        device=self.location.device, dtype=self.location.dtype)
        xi2 = self.radius(w).square()
        target = stats.chi2.median(self.location.shape[-1])
        return torch.sqrt(xi2.median() / target)
