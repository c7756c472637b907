r"""f-divergences for adversarial training, one small object per divergence.

Every entry is a row of Table 2 of Nowozin, Cseke & Tomioka (2016): the convex
generator :math:`f` (:math:`f(1) = 0` except for ``gan``, whose
:math:`f(1) = -\log 4` is its value at P = Q), the output activation :math:`g_f`
that maps the raw discriminator output :math:`v \in \mathbb{R}` into the domain
of the Fenchel conjugate :math:`f^*`, and :math:`f^*` itself.  With
:math:`T = g_f(V)` the variational lower bound is

.. math::

    D_f(P \| Q) = \int q\, f(p/q) \;\ge\;
    \mathbb{E}_P[g_f(V)] - \mathbb{E}_Q[f^*(g_f(V))],

with equality at :math:`T^* = f'(p/q)`.  ``real_score`` is the first integrand,
``fake_score`` the second; both are written in a closed form that stays finite
where the composite is (softplus, expm1, ...), rather than as the composition.

========================  ======================  ====================  =============================  ========
name                      f(u)                    g_f(v)                f*(t)                          f'(1)
========================  ======================  ====================  =============================  ========
kl                        u log u                 v                     exp(t - 1)                     1
reverse-kl                -log u                  -exp(-v)              -1 - log(-t)                   -1
pearson                   (u - 1)^2               v                     t^2/4 + t                      0
neyman                    (1 - u)^2 / u           1 - exp(-v)           2 - 2 sqrt(1 - t)              0
hellinger                 (sqrt(u) - 1)^2         1 - exp(-v)           t / (1 - t)                    0
jeffrey                   (u - 1) log u           v                     W(e^(1-t)) + 1/W(e^(1-t))      0
                                                                        + t - 2
jensen-shannon (js)       u log u                 log 2 - log(1+e^-v)   -log(2 - exp(t))               0
                          - (u+1) log((u+1)/2)
gan                       u log u                 -log(1 + e^-v)        -log(1 - exp(t))               -log 2
                          - (u+1) log(u+1)
tv                        |u - 1| / 2             tanh(v/2) / 2         t   (|t| <= 1/2)               0
========================  ======================  ====================  =============================  ========

Below the table, two rows from proper scoring rules (Gao, Yao & Zhu 2020): ``brier``
(the quadratic score) and ``boosting`` (the exponential score), members of the Beta
family :class:`BetaScore`, whose every member is reachable as ``"beta(a,b)"``; the log
score of that family is the ``jensen-shannon`` row (alias ``log-score``). Amari's
α-divergences (Nowozin et al.'s Table 1, :class:`AlphaDivergence`) are reachable as
``"alpha-<α>"``. Names resolve by the one rule of ``robustgan.registry``, which the losses of
``robustgan.gan.losses`` share.

Two rows differ on purpose from a literal reading of the paper:

* ``tv`` uses Gao et al.'s (2019) TV-GAN parametrisation
  :math:`T = \mathrm{sigmoid}(v) - 1/2 = \tanh(v/2)/2`, i.e. Nowozin et al.'s
  :math:`\tanh(v)/2` with the logit halved.  The objective is then
  :math:`\mathbb{E}_P\,\mathrm{sigmoid}(V) - \mathbb{E}_Q\,\mathrm{sigmoid}(V)`,
  exactly the TV-GAN objective.
* ``jensen-shannon``: the generator :math:`f` of this row integrates to
  **twice** the usual Jensen–Shannon divergence,
  :math:`D_f = \mathrm{KL}(P\|M) + \mathrm{KL}(Q\|M) \in [0, \log 4]`,
  :math:`M = (P + Q)/2`.  Its objective is
  :math:`\mathbb{E}_P \log\sigma(V) + \mathbb{E}_Q \log(1 - \sigma(V)) + \log 4`,
  the JS-GAN objective of Gao et al. (2019).  The ``gan`` row is the same game
  without the :math:`\log 4`.

Robust estimation
-----------------
``RobustGANMean`` and ``RobustGANScatter`` accept the rows whose real score is bounded above,
:math:`f'(\infty) = \sup \operatorname{dom} f^* < \infty` (``real_score_bound``): far
outliers then add at most :math:`\varepsilon f'(\infty)` to the divergence. ``kl``,
``pearson`` and ``jeffrey`` have :math:`f'(\infty) = \infty` and are refused with that reason
(:func:`check_robust_divergence`); they stay available to ``robustgan.gan``. The accepted rows'
SGD learning rates are the JS-GAN's times ``learning_rate_scale`` (discriminator, generator):
(1/4, 1) for ``neyman``, (1, 1/10) for ``tv`` (RobustGANScatter; RobustGANMean's TV game has
its own schedule), :math:`2^{\alpha+\beta}` for the bounded Beta members (4 for ``brier``),
(1, 1) otherwise. Error over the JS-GAN's with the defaults (far design ε = 0.2,
Q = N(5·1, I), n = 10,000, median of 3 seeds; ‖η̂ − η‖ for the mean, ‖Σ̂ − Σ‖_op for the
scatter; "x" = refused; before = with the JS-GAN's rates, where they differ):

==========  ===========  ============  ==============  ===============
row         mean p = 20  mean p = 100  scatter p = 20  scatter p = 100
==========  ===========  ============  ==============  ===============
kl          x (NaN)      x (NaN)       x (2.7)         x
reverse-kl  1.0          1.1           1.1             1.1
pearson     x (6,900)    x (ran away)  x (2.0)         x
neyman      1.0 (1.1)    1.2 (NaN)     1.3 (1.3)       1.0 (2.5)
hellinger   1.0          1.05          1.0             1.0
jeffrey     x (NaN)      x (NaN)       x (1.8)         x
js, gan     1            1             1               1
tv          1.0          0.94          1.0             1.0
brier       1.0 (4.4)    1.1 (15)      0.94 (1.1)      1.0 (1.0)
boosting    0.97         0.99          1.3             1.1
==========  ===========  ============  ==============  ===============

RobustGANScatter's TV location was 5x the JS-GAN's before its rate (0.29 against 0.06 at
p = 20); its KL game ran away at n = 5,000, p = 10 (location 7e8). On this design the scatter
game moves little from its start (the start's ‖Σ̂ − Σ‖_op: 0.109 at p = 20, 0.226 at
p = 100, seed 0), so that column mostly says that no accepted row spoils it. Optimisers:
``robustgan.engine.ROBUST_LEARNING_RATES``.

References
----------
.. [1] S. Nowozin, B. Cseke, R. Tomioka. "f-GAN: Training Generative Neural
   Samplers using Variational Divergence Minimization." NeurIPS 2016,
   arXiv:1606.00709, Tables 1 and 2, eq. (6).
.. [2] C. Gao, J. Liu, Y. Yao, W. Zhu. "Robust Estimation and Generative
   Adversarial Nets." ICLR 2019, arXiv:1810.02030 (JS-GAN and TV-GAN).
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .registry import Registry

__all__ = [
    "Divergence",
    "KullbackLeibler",
    "ReverseKullbackLeibler",
    "PearsonChiSquared",
    "NeymanChiSquared",
    "SquaredHellinger",
    "Jeffrey",
    "JensenShannon",
    "GAN",
    "TotalVariation",
    "BetaScore",
    "BrierScore",
    "BoostingScore",
    "AlphaDivergence",
    "DIVERGENCES",
    "DIVERGENCE_REGISTRY",
    "available_divergences",
    "check_robust_divergence",
    "get_divergence",
    "has_closed_form_derivatives",
    "register_divergence",
    "lambertw",
]

_LOG2 = math.log(2.0)
_INF = math.inf


# ---------------------------------------------------------------------------
# Lambert W (principal branch) for the Jeffrey row
# ---------------------------------------------------------------------------

def _log_lambertw_exp(x: Tensor, n_iter: int = 4) -> Tensor:
    r"""Return :math:`y = \log W_0(e^x)`, the root of :math:`e^y + y = x`.

    Working in log space keeps :math:`W(e^{1-t})` finite where :math:`e^{1-t}`
    itself would overflow.  The start is the Iacono–Boyd approximation
    :math:`W(z) \approx L(1 - \log(1+L)/(2+L))`, :math:`L = \log(1+z)`
    (about 1e-2 relative error), refined by Halley steps on the convex,
    increasing :math:`e^y + y - x` (cubic convergence: 1e-2, 1e-6, 1e-18).
    The iterations stay in the autograd graph; at the fixed point the Halley
    map has zero derivative in ``y``, so derivatives of every order converge
    to those of the exact root.
    """
    log1p_z = F.softplus(x)
    w0 = log1p_z * (1.0 - torch.log1p(log1p_z) / (2.0 + log1p_z))
    # For x << 0, W(e^x) ~ e^x, so y ~ x; softplus(x) would underflow there.
    tiny = x < -20.0
    y = torch.where(tiny, x, torch.log(torch.where(tiny, torch.ones_like(w0), w0)))
    for _ in range(n_iter):
        e = torch.exp(y)
        g = e + y - x          # residual
        dg = e + 1.0           # g'
        y = y - 2.0 * g * dg / (2.0 * dg * dg - g * e)  # Halley: g'' = e
    return y


def lambertw(z: Tensor) -> Tensor:
    r"""Principal branch :math:`W_0(z)` of the Lambert W function, for :math:`z \ge 0`.

    :math:`W(z)` solves :math:`W e^W = z`.  Elementwise, differentiable
    (:math:`W'(z) = W / (z (1 + W))`), accurate to a few ulps in the input's
    dtype; negative arguments (other branches) are not supported and give NaN.

    Parameters
    ----------
    z : Tensor
        Non-negative real input of any shape, dtype and device.

    Returns
    -------
    Tensor
        :math:`W_0(z)`, same shape, dtype and device as ``z``.

    Examples
    --------
    >>> import torch
    >>> w = lambertw(torch.tensor([1.0, math.e], dtype=torch.float64))
    >>> [round(x, 6) for x in w.tolist()]
    [0.567143, 1.0]
    """
    positive = z > 0
    safe_z = torch.where(positive, z, torch.ones_like(z))
    big_w = torch.exp(_log_lambertw_exp(torch.log(safe_z)))
    # exp(log W) loses |log W| ulps when W is tiny; W = z e^{-W} does not.
    w = torch.where(safe_z > 1.0, big_w, safe_z * torch.exp(-big_w))
    w = torch.where(positive, w, torch.zeros_like(z))
    return torch.where(z < 0, torch.full_like(z, math.nan), w)


# ---------------------------------------------------------------------------
# The base class
# ---------------------------------------------------------------------------

def _on_domain(conjugate: Callable[[Tensor], Tensor], t: Tensor, domain: tuple[float, float],
               closed: bool, interior_point: float) -> Tensor:
    """Evaluate ``conjugate`` on its domain and return ``+inf`` outside it.

    Off the domain the formula sees ``interior_point`` instead of ``t``, so the
    discarded branch of ``torch.where`` carries no NaN into the backward pass.
    """
    low, high = domain
    inside = (t >= low) & (t <= high) if closed else (t > low) & (t < high)
    safe_t = torch.where(inside, t, torch.full_like(t, interior_point))
    return torch.where(inside, conjugate(safe_t), torch.full_like(t, _INF))


class Divergence:
    r"""An f-divergence: its generator ``f``, output activation ``g_f`` and conjugate ``f*``.

    Subclasses implement :meth:`f`, :meth:`activation` and :meth:`_conjugate`
    as written in the paper's table, and override :meth:`fake_score` (and
    :meth:`real_score` where needed) with a closed form of
    :math:`f^*(g_f(v))` that is stable for large :math:`|v|`.  Everything the
    training engine needs is derived here from those pieces.

    Attributes
    ----------
    name : str
        Registry key (lower case, words joined by ``-``).
    aliases : tuple of str
        Further registry keys for the same entry.
    conjugate_domain : tuple of float
        ``(low, high)``, the domain of :math:`f^*`; :meth:`activation` maps
        :math:`\mathbb{R}` into it and :meth:`conjugate` is ``+inf`` outside.
    conjugate_domain_closed : bool
        Whether the endpoints belong to the domain (only ``tv``).
    critical_value : float
        :math:`f'(1)`, the value of the optimal :math:`T` wherever
        :math:`p = q` (Nowozin et al.'s "critical variational function level").
    real_score_bound : float
        :math:`f'(\infty) = \lim_{u\to\infty} f(u)/u = \sup \operatorname{dom} f^*`, the
        supremum of the real score; finite for the divergences the robust estimators accept.
    learning_rate_scale : tuple of float
        Factors (discriminator, generator) on the robust estimators' automatic SGD learning
        rates (``robustgan.engine.robust_learning_rates``): (1, 1) unless the divergence's
        scores are much flatter or steeper than the log score's.
    robust_refusal : str
        Why the robust estimators refuse this divergence; ``""`` when they accept it
        (:func:`check_robust_divergence`).

    Examples
    --------
    >>> import torch
    >>> js = get_divergence("js")
    >>> v = torch.zeros(4)                     # a discriminator that cannot tell
    >>> float(js.objective(v, v))              # the bound is 0 = D_f(P || P)
    0.0
    """

    name: str = ""
    aliases: tuple[str, ...] = ()
    conjugate_domain: tuple[float, float] = (-_INF, _INF)
    conjugate_domain_closed: bool = False
    critical_value: float = 0.0
    learning_rate_scale: tuple[float, float] = (1.0, 1.0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- robustness -----------------------------------------------------------
    @property
    def real_score_bound(self) -> float:
        r""":math:`f'(\infty) = \sup_v g_f(v)`: what a unit of data mass where the model has
        none adds to :math:`D_f(P \| Q)`.

        Outliers far from the model contribute :math:`\int_{\text{far}} q f(p/q) \approx
        f'(\infty)\,P(\text{far})` to the divergence: at most :math:`\varepsilon f'(\infty)`
        when it is finite, without bound (growing with their distance) when it is not, in which
        case the minimising model follows the farthest outliers (for KL the minimiser over
        N(η, I) is the mean).
        """
        return float(self.conjugate_domain[1])

    @property
    def robust_refusal(self) -> str:
        """Why the robust estimators refuse this divergence; ``""`` when they accept it."""
        if math.isinf(self.real_score_bound):
            return ("its real-data score g_f is unbounded above (f'(inf) = lim f(u)/u = inf), "
                    "so outliers far from the model add to the divergence without bound and "
                    "the game follows the farthest of them (its estimate runs away)")
        return ""

    # -- the three functions of the table ---------------------------------
    def f(self, u: Tensor) -> Tensor:
        r"""Convex generator :math:`f(u)`, :math:`u = p/q > 0`; :math:`f(1) = D_f(P \| P)`."""
        raise NotImplementedError

    def activation(self, v: Tensor) -> Tensor:
        """Output activation :math:`T = g_f(v)`, mapping raw outputs into dom :math:`f^*`."""
        raise NotImplementedError

    def _conjugate(self, t: Tensor) -> Tensor:
        """:math:`f^*(t)` for ``t`` inside its domain (the table's formula)."""
        raise NotImplementedError

    def conjugate(self, t: Tensor) -> Tensor:
        r"""Fenchel conjugate :math:`f^*(t) = \sup_u \{tu - f(u)\}`; ``+inf`` off its domain."""
        return _on_domain(self._conjugate, t, self.conjugate_domain,
                          self.conjugate_domain_closed, self.critical_value)

    # -- the two integrands of the variational bound ------------------------
    def real_score(self, v: Tensor) -> Tensor:
        """Per-sample term on data from P (real data): :math:`g_f(v)`."""
        return self.activation(v)

    def fake_score(self, v: Tensor) -> Tensor:
        """Per-sample term on data from Q (the model): :math:`f^*(g_f(v))`."""
        return self.conjugate(self.activation(v))

    def real_score_derivative(self, v: Tensor) -> Tensor:
        """:math:`\frac{d}{dv} g_f(v)` in closed form, where a divergence states one.

        With both derivatives a batched game computes the discriminator's gradient without
        autograd (``robustgan.batched``); see :func:`has_closed_form_derivatives`.
        """
        raise NotImplementedError

    def fake_score_derivative(self, v: Tensor) -> Tensor:
        """:math:`\frac{d}{dv} f^*(g_f(v))` in closed form, where a divergence states one."""
        raise NotImplementedError

    # -- what the training engine calls -------------------------------------
    def objective(self, v_real: Tensor, v_fake: Tensor) -> Tensor:
        r"""Variational lower bound :math:`\hat E_P[g_f(v)] - \hat E_Q[f^*(g_f(v))]` (a scalar).

        Parameters
        ----------
        v_real, v_fake : Tensor
            Raw discriminator outputs on real data (from P) and on generated
            data (from Q), any shapes; each is averaged over all its elements.

        Returns
        -------
        Tensor
            Scalar tensor; at the optimal discriminator its expectation is
            :math:`D_f(P \| Q)`.
        """
        return self.real_score(v_real).mean() - self.fake_score(v_fake).mean()

    def discriminator_loss(self, v_real: Tensor, v_fake: Tensor) -> Tensor:
        """Loss the discriminator minimises: minus :meth:`objective`."""
        return -self.objective(v_real, v_fake)

    def generator_loss(self, v_fake: Tensor) -> Tensor:
        r"""Loss the generator minimises: the generator's part of :meth:`objective`.

        This is the minimax (saturating) loss :math:`-\hat E_Q[f^*(g_f(v))]`.
        """
        return -self.fake_score(v_fake).mean()

    # -- closed form on discrete distributions ------------------------------
    def divergence(self, p: Tensor, q: Tensor, dim: int = -1) -> Tensor:
        r""":math:`D_f(P \| Q) = \sum q\, f(p/q)` for probability vectors along ``dim``.

        Also a quadrature rule when ``p`` and ``q`` are densities times cell
        widths.  Requires ``q > 0``.

        Examples
        --------
        >>> import torch
        >>> p = torch.tensor([0.5, 0.5], dtype=torch.float64)
        >>> q = torch.tensor([0.25, 0.75], dtype=torch.float64)
        >>> round(float(get_divergence("pearson").divergence(p, q)), 6)   # sum (p-q)^2/q
        0.333333
        """
        return torch.sum(q * self.f(p / q), dim=dim)


# ---------------------------------------------------------------------------
# The table, one row per class (Nowozin et al. 2016, Tables 1-2)
# ---------------------------------------------------------------------------

class KullbackLeibler(Divergence):
    r"""Kullback–Leibler divergence :math:`\mathrm{KL}(P\|Q) = \int p \log(p/q)`.

    :math:`f(u) = u\log u`, :math:`g_f(v) = v`, :math:`f^*(t) = e^{t-1}`.

    Examples
    --------
    >>> import torch
    >>> float(KullbackLeibler().fake_score(torch.tensor(1.0)))   # exp(1 - 1)
    1.0
    """

    name = "kl"
    aliases = ("kullback-leibler",)
    critical_value = 1.0

    def f(self, u):
        return torch.xlogy(u, u)

    def activation(self, v):
        return v

    def _conjugate(self, t):
        return torch.exp(t - 1.0)


class ReverseKullbackLeibler(Divergence):
    r"""Reverse Kullback–Leibler divergence :math:`\mathrm{KL}(Q\|P) = \int q \log(q/p)`.

    :math:`f(u) = -\log u`, :math:`g_f(v) = -e^{-v}`,
    :math:`f^*(t) = -1 - \log(-t)` on :math:`t < 0`, so
    :math:`f^*(g_f(v)) = v - 1`.

    Examples
    --------
    >>> import torch
    >>> float(ReverseKullbackLeibler().fake_score(torch.tensor(3.0)))
    2.0
    """

    name = "reverse-kl"
    aliases = ("reverse-kullback-leibler",)
    conjugate_domain = (-_INF, 0.0)
    critical_value = -1.0

    def f(self, u):
        return -torch.log(u)

    def activation(self, v):
        return -torch.exp(-v)

    def _conjugate(self, t):
        return -1.0 - torch.log(-t)

    def fake_score(self, v):
        return v - 1.0


class PearsonChiSquared(Divergence):
    r"""Pearson :math:`\chi^2` divergence :math:`\int (p - q)^2 / q`.

    :math:`f(u) = (u-1)^2`, :math:`g_f(v) = v`, :math:`f^*(t) = t^2/4 + t`.

    Examples
    --------
    >>> import torch
    >>> float(PearsonChiSquared().fake_score(torch.tensor(2.0)))   # 4/4 + 2
    3.0
    """

    name = "pearson"
    aliases = ("pearson-chi2", "chi2")

    def f(self, u):
        return (u - 1.0) ** 2

    def activation(self, v):
        return v

    def _conjugate(self, t):
        return 0.25 * t * t + t


class NeymanChiSquared(Divergence):
    r"""Neyman :math:`\chi^2` divergence :math:`\int (p - q)^2 / p`.

    :math:`f(u) = (1-u)^2/u`, :math:`g_f(v) = 1 - e^{-v}`,
    :math:`f^*(t) = 2 - 2\sqrt{1-t}` on :math:`t < 1`, so
    :math:`f^*(g_f(v)) = 2 - 2e^{-v/2}`.

    Examples
    --------
    >>> import torch
    >>> float(NeymanChiSquared().fake_score(torch.tensor(0.0)))
    0.0
    """

    name = "neyman"
    aliases = ("neyman-chi2",)
    conjugate_domain = (-_INF, 1.0)
    # f(0) = ∞: the fake score -2·expm1(-v/2) pays the discriminator exponentially for pushing
    # its output down where the model has mass and the data little; at the JS-GAN's lr_d the
    # discriminator got there and overflowed (p = 100, every seed). A quarter of it did not.
    learning_rate_scale = (0.25, 1.0)

    def f(self, u):
        return (1.0 - u) ** 2 / u

    def activation(self, v):
        return -torch.expm1(-v)

    def _conjugate(self, t):
        return 2.0 - 2.0 * torch.sqrt(1.0 - t)

    def fake_score(self, v):
        return -2.0 * torch.expm1(-0.5 * v)


class SquaredHellinger(Divergence):
    r"""Squared Hellinger distance :math:`\int (\sqrt p - \sqrt q)^2` (no factor 1/2).

    :math:`f(u) = (\sqrt u - 1)^2`, :math:`g_f(v) = 1 - e^{-v}`,
    :math:`f^*(t) = t/(1-t)` on :math:`t < 1`, so :math:`f^*(g_f(v)) = e^v - 1`.

    Examples
    --------
    >>> import torch
    >>> float(SquaredHellinger().fake_score(torch.tensor(0.0)))
    0.0
    """

    name = "hellinger"
    aliases = ("squared-hellinger",)
    conjugate_domain = (-_INF, 1.0)

    def f(self, u):
        return (torch.sqrt(u) - 1.0) ** 2

    def activation(self, v):
        return -torch.expm1(-v)

    def _conjugate(self, t):
        return t / (1.0 - t)

    def fake_score(self, v):
        return torch.expm1(v)


class Jeffrey(Divergence):
    r"""Jeffrey divergence :math:`\mathrm{KL}(P\|Q) + \mathrm{KL}(Q\|P) = \int (p - q)\log(p/q)`.

    :math:`f(u) = (u-1)\log u`, :math:`g_f(v) = v`,
    :math:`f^*(t) = W(e^{1-t}) + 1/W(e^{1-t}) + t - 2` with :math:`W` the
    principal Lambert W.  Using :math:`W + \log W = 1 - t`, this is evaluated as
    :math:`f^*(t) = \operatorname{expm1}(-y) - y`, :math:`y = \log W(e^{1-t})`,
    free of overflow and cancellation.

    Examples
    --------
    >>> import torch
    >>> t = torch.tensor(0.0, dtype=torch.float64)
    >>> abs(float(Jeffrey().conjugate(t))) < 1e-12        # W(e) = 1, so f*(0) = 0
    True
    """

    name = "jeffrey"
    aliases = ("jeffreys",)

    def f(self, u):
        return (u - 1.0) * torch.log(u)

    def activation(self, v):
        return v

    def _conjugate(self, t):
        y = _log_lambertw_exp(1.0 - t)
        return torch.expm1(-y) - y


class JensenShannon(Divergence):
    r"""Jensen–Shannon row of f-GAN; its objective is the JS-GAN of Gao et al. (2019).

    :math:`f(u) = u\log u - (u+1)\log\frac{u+1}{2}`,
    :math:`g_f(v) = \log 2 - \log(1 + e^{-v}) = \log 2\sigma(v)`,
    :math:`f^*(t) = -\log(2 - e^t)` on :math:`t < \log 2`, so
    :math:`f^*(g_f(v)) = \mathrm{softplus}(v) - \log 2`.

    The objective :math:`\mathbb{E}_P\log\sigma(V) + \mathbb{E}_Q\log(1 - \sigma(V)) + \log 4`
    is exactly the JS-GAN objective of Gao, Liu, Yao & Zhu (2019), so ``"js"``
    is the paper's JS-GAN.  Its maximum is
    :math:`\mathrm{KL}(P\|M) + \mathrm{KL}(Q\|M) = 2\,\mathrm{JS}(P, Q)`,
    :math:`M = (P+Q)/2`: twice the usual Jensen–Shannon divergence, in
    :math:`[0, \log 4]`.

    Examples
    --------
    >>> import torch
    >>> v = torch.tensor([0.0])
    >>> float(JensenShannon().objective(v, v))
    0.0
    """

    name = "jensen-shannon"
    aliases = ("js", "log-score")
    conjugate_domain = (-_INF, _LOG2)

    def f(self, u):
        return torch.xlogy(u, u) - (u + 1.0) * torch.log(0.5 * (u + 1.0))

    def activation(self, v):
        return _LOG2 - F.softplus(-v)

    def _conjugate(self, t):
        return -torch.log(2.0 - torch.exp(t))

    def fake_score(self, v):
        return F.softplus(v) - _LOG2

    def real_score_derivative(self, v):
        return torch.sigmoid(-v)

    def fake_score_derivative(self, v):
        return torch.sigmoid(v)


class GAN(Divergence):
    r"""The original GAN game (Goodfellow et al. 2014) as an f-divergence.

    :math:`f(u) = u\log u - (u+1)\log(u+1)`, :math:`g_f(v) = -\log(1 + e^{-v}) = \log\sigma(v)`,
    :math:`f^*(t) = -\log(1 - e^t)` on :math:`t < 0`, so
    :math:`f^*(g_f(v)) = \mathrm{softplus}(v) = -\log(1 - \sigma(v))`.
    The divergence is :math:`2\,\mathrm{JS}(P, Q) - \log 4 \in [-\log 4, 0]`; this
    :math:`f` is not normalised, :math:`f(1) = -\log 4`.

    Examples
    --------
    >>> import torch
    >>> round(float(GAN().objective(torch.zeros(1), torch.zeros(1))), 6)   # -log 4
    -1.386294
    """

    name = "gan"
    conjugate_domain = (-_INF, 0.0)
    critical_value = -_LOG2

    def f(self, u):
        return torch.xlogy(u, u) - torch.xlogy(u + 1.0, u + 1.0)

    def activation(self, v):
        return -F.softplus(-v)

    def _conjugate(self, t):
        return -torch.log(-torch.expm1(t))

    def fake_score(self, v):
        return F.softplus(v)

    def real_score_derivative(self, v):
        return torch.sigmoid(-v)

    def fake_score_derivative(self, v):
        return torch.sigmoid(v)


class TotalVariation(Divergence):
    r"""Total variation :math:`\frac12\int|p - q|`, in the TV-GAN parametrisation.

    :math:`f(u) = \frac12|u - 1|`, :math:`f^*(t) = t` on :math:`|t| \le \frac12`.
    The activation is Gao et al.'s (2019) :math:`g(v) = \sigma(v) - \frac12 =
    \frac12\tanh(v/2)` (Nowozin et al. use :math:`\frac12\tanh(v)`; same range),
    so the objective is :math:`\mathbb{E}_P\sigma(V) - \mathbb{E}_Q\sigma(V)`, the
    TV-GAN objective.  The optimum :math:`T^* = \pm\frac12` needs
    :math:`v = \pm\infty`; a finite discriminator reaches the bound only in the
    limit.

    Examples
    --------
    >>> import torch
    >>> round(float(TotalVariation().objective(torch.tensor([40.0]), torch.tensor([-40.0]))), 6)
    1.0
    """

    name = "tv"
    aliases = ("total-variation",)
    conjugate_domain = (-0.5, 0.5)
    conjugate_domain_closed = True
    # The TV objective is flat around θ and its game drifts towards the outliers at a rate
    # proportional to the generator's step (benchmarks/results/tv_study.md): RobustGANScatter's
    # location ended 0.29 from θ at the JS-GAN's rates (p = 20, 3 seeds), 0.06 at a tenth.
    # (RobustGANMean's TV game has its own schedule, from the JS-GAN estimate.)
    learning_rate_scale = (1.0, 0.1)

    def f(self, u):
        return 0.5 * torch.abs(u - 1.0)

    def activation(self, v):
        return 0.5 * torch.tanh(0.5 * v)

    def _conjugate(self, t):
        return t

    def fake_score(self, v):
        return self.activation(v)

    def real_score_derivative(self, v):
        # d/dv ½tanh(v/2) = σ(v)σ(−v), finite (and tending to 0) for any v.
        return torch.sigmoid(v) * torch.sigmoid(-v)

    def fake_score_derivative(self, v):
        return self.real_score_derivative(v)


# ---------------------------------------------------------------------------
# Proper scoring rules: the Beta family (Buja, Stuetzle & Shen 2005; Gao, Yao & Zhu 2020)
# ---------------------------------------------------------------------------

_GL_NODES, _GL_WEIGHTS = (torch.from_numpy(a) for a in np.polynomial.legendre.leggauss(64))


def _beta_density_on_logit(v: Tensor, a: float, b: float) -> Tensor:
    """sigmoid(v)^a · sigmoid(-v)^b, through log-sigmoids so that it stays finite for large |v|."""
    return torch.exp(a * F.logsigmoid(v) + b * F.logsigmoid(-v))


class _LogitIntegral(torch.autograd.Function):
    r""":math:`\int_0^v \sigma(u)^a \sigma(-u)^b du` by 64-point Gauss–Legendre; exact gradient."""

    @staticmethod
    def forward(v, a, b):
        nodes = _GL_NODES.to(device=v.device, dtype=v.dtype)
        weights = _GL_WEIGHTS.to(device=v.device, dtype=v.dtype)
        u = v.unsqueeze(-1) * (nodes + 1.0) / 2.0
        return (v / 2.0) * (weights * _beta_density_on_logit(u, a, b)).sum(-1)

    @staticmethod
    def setup_context(ctx, inputs, output):
        v, ctx.a, ctx.b = inputs
        ctx.save_for_backward(v)

    @staticmethod
    def backward(ctx, grad):
        (v,) = ctx.saved_tensors
        return grad * _beta_density_on_logit(v, ctx.a, ctx.b), None, None


class BetaScore(Divergence):
    r"""The divergence of a proper scoring rule of the Beta family, as an f-divergence row.

    A scoring rule :math:`S(t, y)` rewards the probability :math:`t = \sigma(v)` that a point
    is real (:math:`y = 1`) rather than generated (:math:`y = 0`). The Beta family is

    .. math::

        S(t, 1) = -\int_t^1 c^{\alpha-1}(1-c)^{\beta}\,dc, \qquad
        S(t, 0) = -\int_0^t c^{\alpha}(1-c)^{\beta-1}\,dc,

    proper for :math:`\alpha, \beta > -1` (Buja et al. 2005; Gao, Yao & Zhu 2020, Section 3,
    eq. (3.4)–(3.6) of the arXiv version). The game
    :math:`\max_D \hat E_P S(\sigma(D), 1) + E_Q S(\sigma(D), 0)` is the variational form of an
    f-divergence whose pieces, on the logit scale, are

    .. math::

        g_f(v) = S(\sigma(v), 1) - S(\tfrac12, 1) = \int_0^v \sigma(u)^{\alpha}\sigma(-u)^{\beta+1}du,
        \quad f^*(g_f(v)) = \int_0^v \sigma(u)^{\alpha+1}\sigma(-u)^{\beta}du,

    and :math:`f(u) = u\,g_f(\log u) - f^*(g_f(\log u))`; the optimal logit is
    :math:`\log(p/q)` for every member, which is what "proper" means. α = β = 0 is the log
    score (the JS-GAN, registered as ``"js"``), α = β = 1 the Brier score, α = β = −½ the
    boosting score (twice the squared Hellinger distance). Bounded scores (α, β > 0) are the
    robust ones: an outlier changes the discriminator's objective by a bounded amount.

    Parameters
    ----------
    alpha, beta : float > -1

    Examples
    --------
    >>> import torch
    >>> brier = BetaScore(1.0, 1.0)
    >>> v = torch.tensor([0.0, 2.0], dtype=torch.float64)
    >>> torch.allclose(brier.real_score(v), get_divergence("brier").real_score(v))
    True
    """

    def __init__(self, alpha: float, beta: float):
        alpha, beta = float(alpha), float(beta)
        if not (math.isfinite(alpha) and math.isfinite(beta)):
            raise ValueError(f"the Beta family needs finite alpha and beta, got ({alpha}, {beta})")
        if not (alpha > -1.0 and beta > -1.0):
            raise ValueError("the Beta family is proper for alpha, beta > -1, "
                             f"got ({alpha}, {beta})")
        self.alpha, self.beta = alpha, beta
        if not self.name:
            self.name = f"beta({alpha:g},{beta:g})"
        # Both scores' slopes at v = 0 are 2^-(α+β+1), 2^-(α+β) times the log score's: the
        # bounded members' games start that much slower, so their SGD rates are scaled up by
        # it (Brier: 4; without it the mean's error was 4-15 times the JS-GAN's). Steeper
        # members (α + β < 0, boosting) keep the log score's rates, which work for them.
        scale = 2.0 ** max(0.0, alpha + beta)
        self.learning_rate_scale = (scale, scale)
        from scipy import integrate, special

        # ∫ c^(α-1)(1-c)^β dc below and above 1/2: incomplete Beta functions where they exist,
        # otherwise quadrature with the (1-c)^β endpoint singularity as its weight.
        if alpha > 0:
            whole = special.beta(alpha, beta + 1.0)
            below = whole * special.betainc(alpha, beta + 1.0, 0.5)
            low, high = -below, whole - below
        else:
            low = -_INF
            high = integrate.quad(lambda c: c ** (alpha - 1.0), 0.5, 1.0,
                                  weight="alg", wvar=(0.0, beta))[0]
        self.conjugate_domain = (float(low), float(high))
        # Bounded scores reach their ends in floating point (sigmoid saturates), where f* is
        # still finite: their domain is closed.
        self.conjugate_domain_closed = alpha > 0 and beta > 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha:g}, beta={self.beta:g})"

    def f(self, u):
        v = torch.log(u)
        return u * self.real_score(v) - self.fake_score(v)

    def activation(self, v):
        return _LogitIntegral.apply(v, self.alpha, self.beta + 1.0)

    def fake_score(self, v):
        return _LogitIntegral.apply(v, self.alpha + 1.0, self.beta)

    def _conjugate(self, t):
        # g_f is increasing: invert it by bisection on the logit, then evaluate f*(g_f(v)).
        low = torch.full_like(t, -60.0)
        high = torch.full_like(t, 60.0)
        for _ in range(80):
            mid = (low + high) / 2.0
            below = self.activation(mid) < t
            low, high = torch.where(below, mid, low), torch.where(below, high, mid)
        return self.fake_score((low + high) / 2.0)


class BrierScore(BetaScore):
    r"""The Brier (quadratic) score, α = β = 1: :math:`S(t,1) = -(1-t)^2/2`, :math:`S(t,0) = -t^2/2`.

    Bounded, so robust without a penalty on the discriminator; its divergence is the
    triangular discrimination between P and Q, up to a factor (Gao, Yao & Zhu 2020).
    """

    name = "brier"
    aliases = ("quadratic",)

    def __init__(self):
        super().__init__(1.0, 1.0)

    def activation(self, v):
        return 0.125 - 0.5 * torch.sigmoid(-v).square()

    def fake_score(self, v):
        return 0.5 * torch.sigmoid(v).square() - 0.125

    def _conjugate(self, t):
        s = 1.0 - torch.sqrt(0.25 - 2.0 * t)
        return 0.5 * s * s - 0.125


class BoostingScore(BetaScore):
    r"""The boosting (exponential) score, α = β = −½: :math:`g_f(v) = 2 - 2e^{-v/2}`.

    Its divergence is twice the squared Hellinger distance, and its game is the exponential
    loss of AdaBoost (Buja et al. 2005).
    """

    name = "boosting"
    aliases = ("exponential",)

    def __init__(self):
        super().__init__(-0.5, -0.5)

    def activation(self, v):
        return -2.0 * torch.expm1(-v / 2.0)

    def fake_score(self, v):
        return 2.0 * torch.expm1(v / 2.0)

    def _conjugate(self, t):
        return 2.0 / (1.0 - t / 2.0) - 2.0


# ---------------------------------------------------------------------------
# Amari's α-divergences (Nowozin et al. 2016, Table 1)
# ---------------------------------------------------------------------------

class AlphaDivergence(Divergence):
    r"""Amari's α-divergence as an f-GAN row: f(u) = (u^α − 1 − α(u − 1)) / (α(α − 1)).

    f'(u) = (u^{α−1} − 1)/(α − 1), so with the output activation
    :math:`g(v) = \operatorname{expm1}((α − 1)v)/(α − 1)` the raw output at the optimum is
    v* = log(p/q), for every α. The conjugate is
    :math:`f^*(t) = ((1 + (α − 1)t)^{α/(α−1)} − 1)/α` on 1 + (α − 1)t > 0, so
    :math:`f^*(g(v)) = \operatorname{expm1}(αv)/α`. Between N(μ₁, σ²) and N(μ₂, σ²),
    D_α = (exp(α(α − 1)δ²/2) − 1)/(α(α − 1)), δ = (μ₁ − μ₂)/σ. α = 2 is half of Pearson χ²,
    α = ½ twice the squared Hellinger distance, α → 1 KL and α → 0 reverse KL. Every member
    is reachable as ``"alpha-<α>"`` (``get_divergence("alpha-2")``); its real score is bounded
    above for α < 1 only, so the robust estimators accept exactly those.

    Parameters
    ----------
    alpha : float, not 0 or 1

    Examples
    --------
    >>> d = AlphaDivergence(2.0)
    >>> p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    >>> q = torch.tensor([0.25, 0.75], dtype=torch.float64)
    >>> round(float(d.divergence(p, q)), 6)   # ½ Σ (p − q)²/q
    0.166667
    """

    def __init__(self, alpha):
        alpha = float(alpha)
        if alpha in (0.0, 1.0) or not math.isfinite(alpha):
            raise ValueError("alpha must be finite and not 0 or 1 (use 'kl' or 'reverse-kl'), "
                             f"got {alpha}")
        self.alpha = alpha
        self.name = f"alpha-{alpha:g}"
        self.aliases = ()
        bound = 1.0 / (1.0 - alpha)
        self.conjugate_domain = (bound, math.inf) if alpha > 1 else (-math.inf, bound)

    def __repr__(self):
        return f"AlphaDivergence({self.alpha:g})"

    def f(self, u):
        a = self.alpha
        return (u**a - 1.0 - a * (u - 1.0)) / (a * (a - 1.0))

    def activation(self, v):
        a = self.alpha
        return torch.expm1((a - 1.0) * v) / (a - 1.0)

    def _conjugate(self, t):
        a = self.alpha
        return ((1.0 + (a - 1.0) * t) ** (a / (a - 1.0)) - 1.0) / a

    def fake_score(self, v):
        return torch.expm1(self.alpha * v) / self.alpha

    @staticmethod
    def gaussian_closed_form(alpha, delta):
        """D_α between two Gaussians with a common covariance, δ their Mahalanobis distance."""
        return math.expm1(alpha * (alpha - 1.0) * delta**2 / 2.0) / (alpha * (alpha - 1.0))


# ---------------------------------------------------------------------------
# Registry (the resolution rule: robustgan.registry)
# ---------------------------------------------------------------------------

DIVERGENCE_REGISTRY = Registry("divergence", lambda entry: isinstance(entry, Divergence),
                               "a Divergence instance")
"""The divergences' ``robustgan.registry.Registry``: the table's rows and two families."""

DIVERGENCES: Mapping[str, Divergence] = DIVERGENCE_REGISTRY.entries
"""Read-only view of the registered divergences, keyed by canonical name."""


def register_divergence(divergence: Divergence) -> Divergence:
    """Add ``divergence`` to the registry under its ``name`` and ``aliases``.

    Parameters
    ----------
    divergence : Divergence
        The entry; its keys must not already be taken.

    Returns
    -------
    Divergence
        ``divergence``, unchanged.

    Examples
    --------
    >>> "kl" in available_divergences()
    True
    """
    return DIVERGENCE_REGISTRY.register(divergence)


for _entry in (KullbackLeibler(), ReverseKullbackLeibler(), PearsonChiSquared(),
               NeymanChiSquared(), SquaredHellinger(), Jeffrey(), JensenShannon(),
               GAN(), TotalVariation(), BrierScore(), BoostingScore()):
    register_divergence(_entry)
del _entry


def _family_number(name, symbol, text):
    """The parameter ``symbol`` that the family member ``name`` writes as ``text``, as a float.

    Checked here, on the text: ``float`` reads "1e400" as inf and "nan" as nan, and the
    classes' own messages would then show a value the user never wrote.

    Examples
    --------
    >>> _family_number("beta(1e400,1)", "alpha", "1e400")
    Traceback (most recent call last):
        ...
    ValueError: divergence 'beta(1e400,1)': alpha must be a finite number, got '1e400'
    (beyond the float range, it reads as inf)
    """
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"divergence {name!r}: {symbol} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        spelled = text.lower().lstrip("+-") in ("inf", "infinity", "nan")
        why = "" if spelled else f" (beyond the float range, it reads as {value})"
        raise ValueError(f"divergence {name!r}: {symbol} must be a finite number, "
                         f"got {text!r}{why}")
    return value


# The patterns take any parameter text (nan, inf, a malformed number) so that the factories,
# not "unknown divergence", say what is wrong with it; their outer group is the whole name.
_NUMBER = r"[-+0-9.e]+|[-+]?(?:nan|inf|infinity)"
DIVERGENCE_REGISTRY.register_family(
    rf"(alpha-?\(?({_NUMBER})\)?)",
    lambda name, alpha: AlphaDivergence(_family_number(name, "alpha", alpha)),
    "alpha-<α>")
DIVERGENCE_REGISTRY.register_family(
    r"(beta\(([^,()]+),([^,()]+)\))",
    lambda name, a, b: BetaScore(_family_number(name, "alpha", a),
                                 _family_number(name, "beta", b)),
    "beta(a,b)")


def _owner(cls, name):
    return next(c for c in cls.__mro__ if name in c.__dict__)


def has_closed_form_derivatives(divergence) -> bool:
    """Whether ``divergence`` states both score derivatives, for the scores it computes.

    A derivative counts only where its class is at least as derived as every class that
    defines a piece of the score it differentiates: a subclass that changes ``activation``
    but keeps its parent's derivative does not have one.

    Examples
    --------
    >>> has_closed_form_derivatives(get_divergence("js")), has_closed_form_derivatives(
    ...     get_divergence("kl"))
    (True, False)
    """
    if not isinstance(divergence, Divergence):
        return False
    cls = type(divergence)
    pieces = {"real_score_derivative": ("real_score", "activation"),
              "fake_score_derivative": ("fake_score", "activation", "conjugate", "_conjugate")}
    for derivative, scored_by in pieces.items():
        owner = _owner(cls, derivative)
        if owner is Divergence or not all(issubclass(owner, _owner(cls, name))
                                          for name in scored_by):
            return False
    return True


def available_divergences() -> list[str]:
    """Canonical names of the registered divergences, in table order.

    Examples
    --------
    >>> available_divergences()[:3]
    ['kl', 'reverse-kl', 'pearson']
    """
    return DIVERGENCE_REGISTRY.names()


def get_divergence(name_or_object: str | Divergence) -> Divergence:
    """Look up a divergence by name, or pass an instance through unchanged.

    Parameters
    ----------
    name_or_object : str or Divergence
        A registered name or alias, or a member of a family, ``"beta(a,b)"``
        (:class:`BetaScore`) or ``"alpha-<α>"`` (:class:`AlphaDivergence`), resolved by the
        rule of ``robustgan.registry`` (case-insensitive; ``-``, ``_`` and spaces are
        interchangeable); or a :class:`Divergence` instance.

    Returns
    -------
    Divergence

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    TypeError
        For anything that is neither a string nor a Divergence.

    Examples
    --------
    >>> get_divergence("Jensen_Shannon") is get_divergence("js")
    True
    >>> get_divergence("alpha-2"), get_divergence("Beta(1, 0.5)")
    (AlphaDivergence(2), BetaScore(alpha=1, beta=0.5))
    """
    return DIVERGENCE_REGISTRY.get(name_or_object)


def check_robust_divergence(divergence):
    """``divergence`` when the robust estimators accept it; a ValueError saying why not otherwise.

    The robust estimators (``RobustGANMean``, ``RobustGANScatter``) need a divergence that an
    outlier can change by a bounded amount (:attr:`Divergence.robust_refusal`). The refused ones
    stay in the registry for ``robustgan.gan.GANTrainer``, where no outliers are expected.

    Parameters
    ----------
    divergence : str or Divergence
        Anything :func:`get_divergence` takes; a loss object that is not a ``Divergence``
        passes unchecked.

    Returns
    -------
    Divergence or loss object

    Raises
    ------
    ValueError
        Naming the divergence, the reason and the divergences to use instead.

    Examples
    --------
    >>> check_robust_divergence("js").name
    'jensen-shannon'
    >>> check_robust_divergence("kl")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: divergence 'kl' is refused by the robust estimators: its real-data score ...
    """
    if isinstance(divergence, str):
        divergence = get_divergence(divergence)
    reason = getattr(divergence, "robust_refusal", "")
    if reason:
        accepted = [name for name, d in DIVERGENCES.items()
                    if not d.robust_refusal and name != "jensen-shannon"]
        raise ValueError(
            f"divergence {divergence.name!r} is refused by the robust estimators: {reason}. Use "
            f"'js' (the default) or another of {', '.join(map(repr, accepted))} or "
            f"'beta(a,b)'; {divergence.name!r} stays available to robustgan.gan.GANTrainer."
        )
    return divergence
