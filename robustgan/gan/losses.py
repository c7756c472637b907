r"""Adversarial losses beyond the f-divergences, penalties and constraints on discriminators.

Every entry of the registry has the interface of ``robustgan.divergences.Divergence`` that the
training engine calls: ``discriminator_loss(v_real, v_fake)`` and ``generator_loss(v_fake)`` on
the discriminator's raw outputs v. An entry may also carry what its recipe adds to the
discriminator: a penalty (WGAN-GP, WGAN-LP), weight clipping (WGAN) or spectral normalisation
(SN-GAN), and its usual number of critic steps. Names resolve by the one rule of
``robustgan.registry``: this module's losses first, then every divergence of
``robustgan.divergences`` (the f-GAN rows, ``"alpha-<α>"``, ``"beta(a,b)"``).

=================  ===============================================  =============================
name               discriminator minimises                          generator minimises
=================  ===============================================  =============================
minimax            −E_P log σ(v) − E_Q log(1 − σ(v))                E_Q log(1 − σ(v))
non-saturating     same                                             −E_Q log σ(v)
wgan               E_Q v − E_P v, weights clipped to ±0.01          −E_Q v
wgan-gp            same + λ E(‖∇v(x̂)‖ − 1)², λ = 10                −E_Q v
wgan-lp            same + λ E max(0, ‖∇v(x̂)‖ − 1)², λ = 10          −E_Q v
sn-gan             non-saturating, spectrally normalised layers     −E_Q log σ(v)
hinge              E_P max(0, 1 − v) + E_Q max(0, 1 + v)            −E_Q v
lsgan              ½E_P(v − b)² + ½E_Q(v − a)², (a, b, c) = (0, 1, 1)  ½E_Q(v − c)²
lsgan-pearson      same with (a, b, c) = (−1, 1, 0)                 same
alpha-<α>          f-GAN with Amari's α-divergence (α ∉ {0, 1})     minimax f-GAN side
=================  ===============================================  =============================

x̂ = αx + (1 − α)x̃ with α ~ U(0, 1) per row, x real and x̃ generated.

References
----------
.. [1] I. Goodfellow et al. "Generative Adversarial Nets." NeurIPS 2014 (minimax and the
   non-saturating generator loss, section 3).
.. [2] M. Arjovsky, S. Chintala, L. Bottou. "Wasserstein GAN." ICML 2017 (clipping, c = 0.01).
.. [3] I. Gulrajani et al. "Improved Training of Wasserstein GANs." NeurIPS 2017 (eq. 3, λ = 10).
.. [4] H. Petzka, A. Fischer, D. Lukovnikov. "On the regularization of Wasserstein GANs."
   ICLR 2018 (the one-sided penalty, WGAN-LP).
.. [5] T. Miyato et al. "Spectral Normalization for Generative Adversarial Networks." ICLR 2018.
.. [6] J. H. Lim, J. C. Ye. "Geometric GAN." 2017; D. Tran et al. 2017 (hinge loss).
.. [7] X. Mao et al. "Least Squares Generative Adversarial Networks." ICCV 2017 (eq. 2; the
   (−1, 1, 0) coding gives their χ²_Pearson(P + Q ‖ 2Q), Theorem 1).
.. [8] L. Mescheder, A. Geiger, S. Nowozin. "Which Training Methods for GANs do actually
   Converge?" ICML 2018 (R1 and R2, eq. 9 and 10).
.. [9] S. Nowozin, B. Cseke, R. Tomioka. "f-GAN." NeurIPS 2016 (Table 1, α-divergence).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from ..divergences import DIVERGENCE_REGISTRY, AlphaDivergence, get_divergence
from ..registry import Registry

__all__ = [
    "LOSSES",
    "LOSS_REGISTRY",
    "AdversarialLoss",
    "AlphaDivergence",
    "GradientPenalty",
    "Hinge",
    "LeastSquares",
    "Minimax",
    "NonSaturating",
    "R1Penalty",
    "R2Penalty",
    "Wasserstein",
    "WeightClipping",
    "apply_spectral_norm",
    "available_losses",
    "get_loss",
    "get_penalty",
    "register_loss",
]


# ---------------------------------------------------------------------------------------------
# Penalties and constraints: they act on any torch.nn.Module discriminator
# ---------------------------------------------------------------------------------------------

def _input_gradient_norms(discriminator, x):
    """‖∇ₓ v(x)‖ per row, with the graph kept so that the penalty can be differentiated."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
    return grad.flatten(1).norm(dim=1)


class GradientPenalty:
    r"""λ·E[(‖∇v(x̂)‖ − 1)²] at interpolates x̂ = αx + (1 − α)x̃, α ~ U(0, 1) per row.

    Parameters
    ----------
    weight : float, default=10.0
        λ (Gulrajani et al., 2017).
    one_sided : bool, default=False
        Penalise only gradients longer than 1, λ·E[max(0, ‖∇v(x̂)‖ − 1)²]: the Lipschitz
        penalty of WGAN-LP (Petzka et al., 2018).
    target : float, default=1.0
        The gradient norm aimed at.

    Examples
    --------
    >>> disc = torch.nn.Linear(2, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = disc.weight.copy_(torch.tensor([[3.0, 4.0]]))  # ‖∇v‖ = 5 everywhere
    >>> x = torch.randn(8, 2)
    >>> float(GradientPenalty(weight=1.0)(disc, x, -x, torch.Generator().manual_seed(0)).detach())
    16.0
    """

    def __init__(self, weight=10.0, one_sided=False, target=1.0):
        self.weight = weight
        self.one_sided = one_sided
        self.target = target

    def __call__(self, discriminator, x_real, x_fake, generator):
        b = min(x_real.shape[0], x_fake.shape[0])
        x_real, x_fake = x_real[:b], x_fake[:b]
        shape = (b,) + (1,) * (x_real.dim() - 1)
        alpha = torch.rand(shape, generator=generator, device=x_real.device, dtype=x_real.dtype)
        x_hat = torch.lerp(x_fake.detach(), x_real.detach(), alpha)
        excess = _input_gradient_norms(discriminator, x_hat) - self.target
        if self.one_sided:
            excess = excess.clamp(min=0.0)
        return self.weight * excess.square().mean()

    def __repr__(self):
        return f"GradientPenalty(weight={self.weight}, one_sided={self.one_sided})"


class R1Penalty:
    r"""γ/2·E_P‖∇v(x)‖²: the zero-centred gradient penalty on real data (Mescheder et al., 2018).

    Examples
    --------
    >>> disc = torch.nn.Linear(2, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = disc.weight.copy_(torch.tensor([[3.0, 4.0]]))
    >>> float(R1Penalty(gamma=2.0)(disc, torch.randn(4, 2), torch.randn(4, 2), None).detach())
    25.0
    """

    on_real = True

    def __init__(self, gamma=10.0):
        self.gamma = gamma

    def __call__(self, discriminator, x_real, x_fake, generator):
        x = x_real if self.on_real else x_fake
        return 0.5 * self.gamma * _input_gradient_norms(discriminator, x).square().mean()

    def __repr__(self):
        return f"{type(self).__name__}(gamma={self.gamma})"


class R2Penalty(R1Penalty):
    r"""γ/2·E_Q‖∇v(x̃)‖²: the zero-centred gradient penalty on generated data.

    Examples
    --------
    >>> disc = torch.nn.Linear(2, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = disc.weight.copy_(torch.tensor([[3.0, 4.0]]))
    >>> float(R2Penalty(gamma=2.0)(disc, torch.randn(4, 2), torch.randn(4, 2), None).detach())
    25.0
    """

    on_real = False


_PENALTIES = {
    "gp": lambda weight=10.0: GradientPenalty(weight),
    "lp": lambda weight=10.0: GradientPenalty(weight, one_sided=True),
    "r1": lambda weight=10.0: R1Penalty(weight),
    "r2": lambda weight=10.0: R2Penalty(weight),
}


def get_penalty(spec, weight=10.0):
    """A discriminator penalty from a name (``"gp"``, ``"lp"``, ``"r1"``, ``"r2"``) or a callable.

    Examples
    --------
    >>> get_penalty("lp", 5.0)
    GradientPenalty(weight=5.0, one_sided=True)
    """
    if callable(spec):
        return spec
    try:
        return _PENALTIES[str(spec).lower()](weight)
    except KeyError:
        raise ValueError(f"unknown penalty {spec!r}; valid penalties are {sorted(_PENALTIES)}") from None


class WeightClipping:
    """Clamp every parameter of the discriminator to [−c, c] after each of its steps (WGAN).

    Examples
    --------
    >>> disc = torch.nn.Linear(3, 1)
    >>> WeightClipping(0.01)(disc)
    >>> bool(disc.weight.abs().max() <= 0.01)
    True
    """

    def __init__(self, clip_value=0.01):
        self.clip_value = clip_value

    @torch.no_grad()
    def __call__(self, discriminator):
        c = self.clip_value
        for p in discriminator.parameters():
            p.clamp_(-c, c)

    def __repr__(self):
        return f"WeightClipping({self.clip_value})"


_SPECTRAL_LAYERS = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd)


def apply_spectral_norm(module, n_power_iterations=1):
    """Spectrally normalise every Linear, Bilinear and convolution layer of ``module`` in place.

    Uses ``torch.nn.utils.parametrizations.spectral_norm``; layers already parametrised on
    their weight are left as they are, so applying it twice is harmless.

    Parameters
    ----------
    module : torch.nn.Module
    n_power_iterations : int, default=1

    Returns
    -------
    int
        The number of layers newly normalised.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    >>> apply_spectral_norm(net), apply_spectral_norm(net)
    (2, 0)
    """
    layers = [m for m in module.modules()
              if isinstance(m, _SPECTRAL_LAYERS) and not parametrize.is_parametrized(m, "weight")]
    for layer in layers:
        nn.utils.parametrizations.spectral_norm(layer, n_power_iterations=n_power_iterations)
    return len(layers)


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------

class AdversarialLoss:
    """A loss of the adversarial game: a discriminator side and a generator side.

    Attributes
    ----------
    name : str
    aliases : tuple of str
    n_critic : int
        The recipe's discriminator steps per generator step.
    penalty : callable or None
        ``(discriminator, x_real, x_fake, generator) -> scalar`` the recipe adds.
    clip_value : float or None
        Weight clipping after each discriminator step.
    spectral_norm : bool
        Whether the recipe normalises the discriminator's layers.

    Examples
    --------
    >>> loss = get_loss("hinge")
    >>> float(loss.discriminator_loss(torch.tensor([2.0]), torch.tensor([-2.0])))
    0.0
    """

    name = ""
    aliases = ()
    n_critic = 1
    penalty = None
    clip_value = None
    spectral_norm = False

    def discriminator_loss(self, v_real, v_fake):
        raise NotImplementedError

    def generator_loss(self, v_fake):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Minimax(AdversarialLoss):
    """The original GAN game: the discriminator's cross-entropy, which the generator maximises.

    Examples
    --------
    >>> round(float(Minimax().generator_loss(torch.zeros(3))), 4)   # log(1 − ½)
    -0.6931
    """

    name = "minimax"
    aliases = ("mm-gan", "saturating")

    def discriminator_loss(self, v_real, v_fake):
        # −log σ(v) = softplus(−v), −log(1 − σ(v)) = softplus(v): finite for every logit.
        return F.softplus(-v_real).mean() + F.softplus(v_fake).mean()

    def generator_loss(self, v_fake):
        return -F.softplus(v_fake).mean()


class NonSaturating(Minimax):
    """The −log D(G(z)) generator loss; with a ``divergence``, its f-GAN analogue −E_Q g_f(v).

    Goodfellow et al.'s trick: same fixed points as minimax, but strong gradients while the
    discriminator rejects the samples. Nowozin et al. (2016, section 3.2) use the same trick for
    every f-divergence: the generator maximises E_Q g_f(v) instead of minimising −E_Q f*(g_f(v)).

    Parameters
    ----------
    divergence : str or Divergence, optional
        An f-divergence whose discriminator side is kept; the GAN cross-entropy by default.

    Examples
    --------
    >>> round(float(NonSaturating().generator_loss(torch.zeros(3))), 4)   # −log ½
    0.6931
    >>> NonSaturating("kl").name
    'non-saturating-kl'
    """

    name = "non-saturating"
    aliases = ("ns-gan", "nsgan", "ns", "dcgan")

    def __init__(self, divergence=None):
        self.divergence = None if divergence is None else get_divergence(divergence)
        if self.divergence is not None:
            self.name = f"non-saturating-{self.divergence.name}"
            self.aliases = ()

    def discriminator_loss(self, v_real, v_fake):
        if self.divergence is not None:
            return self.divergence.discriminator_loss(v_real, v_fake)
        return super().discriminator_loss(v_real, v_fake)

    def generator_loss(self, v_fake):
        if self.divergence is not None:
            return -self.divergence.real_score(v_fake).mean()
        return F.softplus(-v_fake).mean()


class SpectralNonSaturating(NonSaturating):
    """SN-GAN: the non-saturating loss on a discriminator with spectrally normalised layers."""

    name = "sn-gan"
    aliases = ("sngan", "spectral-norm")
    spectral_norm = True

    def __init__(self):
        super().__init__()


class Wasserstein(AdversarialLoss):
    r"""The Wasserstein-1 critic game: E_Q v − E_P v for the critic, −E_Q v for the generator.

    The critic must be kept (close to) 1-Lipschitz: by weight clipping (``clip_value``), a
    gradient penalty (``penalty``) or spectral normalisation.

    Parameters
    ----------
    clip_value : float or None, default=None
    penalty : callable or None, default=None
    name : str, default="wgan"
    aliases : tuple of str, default=()

    Examples
    --------
    >>> float(Wasserstein().discriminator_loss(torch.tensor([1.0]), torch.tensor([-1.0])))
    -2.0
    """

    n_critic = 5

    def __init__(self, clip_value=None, penalty=None, name="wgan", aliases=()):
        self.clip_value = clip_value
        self.penalty = penalty
        self.name = name
        self.aliases = tuple(aliases)

    def discriminator_loss(self, v_real, v_fake):
        return v_fake.mean() - v_real.mean()

    def generator_loss(self, v_fake):
        return -v_fake.mean()


class Hinge(AdversarialLoss):
    """Hinge loss: E_P max(0, 1 − v) + E_Q max(0, 1 + v) for D, −E_Q v for G.

    Examples
    --------
    >>> float(Hinge().discriminator_loss(torch.tensor([0.0]), torch.tensor([0.0])))
    2.0
    """

    name = "hinge"
    aliases = ("hinge-gan",)

    def discriminator_loss(self, v_real, v_fake):
        return F.relu(1.0 - v_real).mean() + F.relu(1.0 + v_fake).mean()

    def generator_loss(self, v_fake):
        return -v_fake.mean()


class LeastSquares(AdversarialLoss):
    r"""LSGAN: D minimises ½E_P(v − b)² + ½E_Q(v − a)², G minimises ½E_Q(v − c)².

    Parameters
    ----------
    a, b, c : float, default=(0, 1, 1)
        Fake label, real label, and the value G wants D to believe. (0, 1, 1) is the coding
        used in practice; with (−1, 1, 0) (b − c = 1, b − a = 2) the generator's objective at
        the optimal D is ½∫(2q − (p + q))²/(p + q), half of what Mao et al. (2017,
        Theorem 1) write χ²_Pearson(P + Q ‖ 2Q).

    Examples
    --------
    >>> loss = LeastSquares(-1.0, 1.0, 0.0)
    >>> float(loss.discriminator_loss(torch.tensor([1.0]), torch.tensor([-1.0])))
    0.0
    >>> float(loss.generator_loss(torch.tensor([2.0])))
    2.0
    """

    def __init__(self, a=0.0, b=1.0, c=1.0, name=None, aliases=()):
        self.a, self.b, self.c = float(a), float(b), float(c)
        self.name = name or f"lsgan({self.a:g},{self.b:g},{self.c:g})"
        self.aliases = tuple(aliases)

    def discriminator_loss(self, v_real, v_fake):
        return 0.5 * (v_real - self.b).square().mean() + 0.5 * (v_fake - self.a).square().mean()

    def generator_loss(self, v_fake):
        return 0.5 * (v_fake - self.c).square().mean()


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

LOSS_REGISTRY = Registry(
    "loss",
    lambda entry: hasattr(entry, "discriminator_loss") and hasattr(entry, "generator_loss"),
    "an object with discriminator_loss(v_real, v_fake) and generator_loss(v_fake)",
    fallback=DIVERGENCE_REGISTRY,
)
"""The losses' ``robustgan.registry.Registry``; names it lacks resolve as divergences."""

LOSSES = LOSS_REGISTRY.entries
"""Read-only view of the registered (non-f-divergence) losses, keyed by canonical name."""


def register_loss(loss):
    """Add ``loss`` to the registry under its ``name`` and ``aliases``; returns it.

    Examples
    --------
    >>> "hinge" in available_losses()
    True
    """
    return LOSS_REGISTRY.register(loss)


for _entry in (
    Minimax(),
    NonSaturating(),
    SpectralNonSaturating(),
    Wasserstein(clip_value=0.01, name="wgan", aliases=("wgan-clip", "wasserstein")),
    Wasserstein(penalty=GradientPenalty(10.0), name="wgan-gp"),
    Wasserstein(penalty=GradientPenalty(10.0, one_sided=True), name="wgan-lp"),
    Hinge(),
    LeastSquares(0.0, 1.0, 1.0, name="lsgan", aliases=("least-squares",)),
    LeastSquares(-1.0, 1.0, 0.0, name="lsgan-pearson", aliases=("lsgan-(-1,1,0)",)),
):
    register_loss(_entry)
del _entry


def available_losses():
    """Every name ``get_loss`` accepts: this module's losses, then the f-divergences and their
    families (``"alpha-<α>"`` for any real α other than 0 and 1, ``"beta(a,b)"``).

    Examples
    --------
    >>> names = available_losses()
    >>> "wgan-gp" in names and "kl" in names and "alpha-<α>" in names
    True
    """
    return LOSS_REGISTRY.all_names()


def get_loss(name_or_object):
    """Look a loss up by name, or pass an object with the two loss methods through.

    Names are those of ``available_losses()``, resolved by the rule of ``robustgan.registry``
    (case-insensitive, with ``-``, ``_`` and spaces interchangeable): this module's losses
    first, then every name of ``robustgan.divergences.get_divergence``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    TypeError
        For anything that is neither a string nor a loss object.

    Examples
    --------
    >>> get_loss("WGAN_GP").penalty
    GradientPenalty(weight=10.0, one_sided=False)
    >>> get_loss("kl") is get_divergence("kl")
    True
    >>> get_loss("alpha-0.5")
    AlphaDivergence(0.5)
    """
    return LOSS_REGISTRY.get(name_or_object)
