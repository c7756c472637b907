"""What holds for the adversarial losses, penalties and constraints (robustgan.gan.losses)."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from robustgan.divergences import available_divergences, get_divergence
from robustgan.gan import GANTrainer
from robustgan.gan.losses import (
    LOSSES,
    AlphaDivergence,
    GradientPenalty,
    LeastSquares,
    NonSaturating,
    R1Penalty,
    R2Penalty,
    WeightClipping,
    apply_spectral_norm,
    available_losses,
    get_loss,
    get_penalty,
)
from robustgan.nets import LocationGenerator, MLPDiscriminator

LOG2 = math.log(2.0)


# --- the registry ------------------------------------------------------------------------------

def test_every_f_divergence_is_reachable_by_name():
    for name in available_divergences():
        assert get_loss(name) is get_divergence(name)
        assert name in available_losses()


@pytest.mark.parametrize("name", ["minimax", "non-saturating", "sn-gan", "wgan", "wgan-gp",
                                  "wgan-lp", "hinge", "lsgan", "lsgan-pearson"])
def test_every_loss_has_both_sides_and_finite_values(name):
    loss = get_loss(name)
    v = torch.linspace(-30, 30, 61)
    assert torch.isfinite(loss.discriminator_loss(v, v.flip(0)))
    assert torch.isfinite(loss.generator_loss(v))


def test_names_are_case_and_separator_insensitive_and_aliases_resolve():
    assert get_loss("WGAN_GP") is LOSSES["wgan-gp"]
    assert get_loss("ns gan") is LOSSES["non-saturating"]
    assert get_loss("Least-Squares") is LOSSES["lsgan"]


def test_unknown_loss_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown loss 'wgan-xyz'.*wgan-gp.*hinge.*kl"):
        get_loss("wgan-xyz")
    with pytest.raises(TypeError):
        get_loss(3)


def test_a_loss_object_passes_through():
    loss = LeastSquares(0.0, 1.0, 0.5)
    assert get_loss(loss) is loss


def test_recipes_carry_their_constraints():
    assert get_loss("wgan").clip_value == 0.01 and get_loss("wgan").n_critic == 5
    assert get_loss("wgan-gp").penalty.weight == 10.0 and not get_loss("wgan-gp").penalty.one_sided
    assert get_loss("wgan-lp").penalty.one_sided
    assert get_loss("sn-gan").spectral_norm
    assert get_loss("hinge").penalty is None and get_loss("hinge").n_critic == 1


# --- the losses as written in their papers ---------------------------------------------------

def test_minimax_and_non_saturating_share_the_discriminator_and_differ_for_the_generator():
    v_real, v_fake = torch.randn(50), torch.randn(50)
    mm, ns = get_loss("minimax"), get_loss("non-saturating")
    assert torch.equal(mm.discriminator_loss(v_real, v_fake), ns.discriminator_loss(v_real, v_fake))
    d = torch.sigmoid(v_fake)
    assert torch.allclose(mm.generator_loss(v_fake), torch.log1p(-d).mean(), atol=1e-6)
    assert torch.allclose(ns.generator_loss(v_fake), -torch.log(d).mean(), atol=1e-6)
    # The minimax game is the "gan" f-divergence row.
    gan = get_divergence("gan")
    assert torch.allclose(mm.discriminator_loss(v_real, v_fake), gan.discriminator_loss(v_real, v_fake))
    assert torch.allclose(mm.generator_loss(v_fake), gan.generator_loss(v_fake))


def test_non_saturating_f_gan_maximises_the_real_side_on_fakes():
    v = torch.randn(20)
    kl = get_divergence("kl")
    assert torch.allclose(NonSaturating("kl").generator_loss(v), -kl.activation(v).mean())


def test_hinge_and_wasserstein_values():
    v_real, v_fake = torch.tensor([2.0, 0.5]), torch.tensor([-3.0, 0.0])
    assert float(get_loss("hinge").discriminator_loss(v_real, v_fake)) == pytest.approx(0.25 + 0.5)
    assert float(get_loss("hinge").generator_loss(v_fake)) == pytest.approx(1.5)
    assert float(get_loss("wgan").discriminator_loss(v_real, v_fake)) == pytest.approx(-1.5 - 1.25)


def test_lsgan_pearson_coding_gives_half_pearson_chi2_of_p_plus_q_and_2q():
    # Mao et al. (2017), Theorem 1: at D* = (bp + aq)/(p + q), with b - c = 1 and b - a = 2, the
    # generator's objective ½E_P(D* - c)² + ½E_Q(D* - c)² is half of what they write
    # χ²_Pearson(P + Q ‖ 2Q) = ∫ (2q - (p + q))² / (p + q).
    p = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    q = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    loss = get_loss("lsgan-pearson")
    d_star = (loss.b * p + loss.a * q) / (p + q)
    value = 0.5 * torch.sum(p * (d_star - loss.c) ** 2) + 0.5 * torch.sum(q * (d_star - loss.c) ** 2)
    chi2 = torch.sum((2 * q - (p + q)) ** 2 / (p + q))
    assert float(value) == pytest.approx(0.5 * float(chi2))
    assert (loss.a, loss.b, loss.c) == (-1.0, 1.0, 0.0)
    assert (get_loss("lsgan").a, get_loss("lsgan").b, get_loss("lsgan").c) == (0.0, 1.0, 1.0)


def test_alpha_divergence_matches_pearson_and_hellinger_on_discrete_laws():
    p = torch.tensor([0.1, 0.2, 0.7], dtype=torch.float64)
    q = torch.tensor([0.3, 0.3, 0.4], dtype=torch.float64)
    pearson = get_divergence("pearson").divergence(p, q)
    hellinger = get_divergence("hellinger").divergence(p, q)
    assert torch.allclose(AlphaDivergence(2.0).divergence(p, q), pearson / 2)
    assert torch.allclose(AlphaDivergence(0.5).divergence(p, q), 2 * hellinger)
    with pytest.raises(ValueError, match="not 0 or 1"):
        AlphaDivergence(1.0)


@pytest.mark.parametrize("alpha", [-1.0, 0.5, 2.0, 3.0])
def test_alpha_divergence_bound_is_tight_at_the_log_ratio(alpha):
    # v* = log(p/q) attains the bound: E_P g(v*) − E_Q f*(g(v*)) = D_α (Monte Carlo, 5 s.e.).
    mu = 0.5
    gen = torch.Generator().manual_seed(0)
    xp = torch.randn(200_000, generator=gen, dtype=torch.float64) + mu
    xq = torch.randn(200_000, generator=gen, dtype=torch.float64)
    d = AlphaDivergence(alpha)
    log_ratio = lambda x: mu * x - mu * mu / 2
    terms_p, terms_q = d.real_score(log_ratio(xp)), d.fake_score(log_ratio(xq))
    estimate = float(terms_p.mean() - terms_q.mean())
    se = math.sqrt(float(terms_p.var() + terms_q.var()) / len(xp))
    assert abs(estimate - AlphaDivergence.gaussian_closed_form(alpha, mu)) < 5 * se


# --- penalties and constraints on any module ----------------------------------------------------

def _linear_critic(weights):
    critic = torch.nn.Linear(len(weights), 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weights]))
    return critic


def test_gradient_penalty_is_zero_for_a_1_lipschitz_linear_critic_and_one_sided_spares_slopes_below_1():
    x, g = torch.randn(16, 2), torch.Generator().manual_seed(0)
    assert float(GradientPenalty()(_linear_critic([0.6, 0.8]), x, -x, g).detach()) == pytest.approx(0.0, abs=1e-10)
    slow = _linear_critic([0.3, 0.4])  # ‖∇‖ = 0.5
    assert float(GradientPenalty(10.0)(slow, x, -x, g).detach()) == pytest.approx(2.5)
    assert float(GradientPenalty(10.0, one_sided=True)(slow, x, -x, g).detach()) == 0.0


def test_gradient_penalty_gives_the_critic_a_gradient_towards_slope_1():
    critic = _linear_critic([3.0, 4.0])
    x = torch.randn(16, 2)
    GradientPenalty(1.0)(critic, x, -x, torch.Generator().manual_seed(0)).backward()
    # d/dw (‖w‖ − 1)² = 2(‖w‖ − 1) w/‖w‖ = 8 (0.6, 0.8)
    assert torch.allclose(critic.weight.grad, torch.tensor([[4.8, 6.4]]))


def test_r1_and_r2_penalise_the_input_gradient_on_real_and_on_fake_rows():
    critic = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    x_real, x_fake = torch.randn(10, 2), torch.randn(10, 2) + 3
    grads = {}
    for name, x in (("real", x_real), ("fake", x_fake)):
        x = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)
        grads[name] = float(0.5 * 4.0 * g.square().sum(1).mean())
    assert float(R1Penalty(4.0)(critic, x_real, x_fake, None).detach()) == pytest.approx(grads["real"], rel=1e-5)
    assert float(R2Penalty(4.0)(critic, x_real, x_fake, None).detach()) == pytest.approx(grads["fake"], rel=1e-5)
    with pytest.raises(ValueError, match="unknown penalty 'r3'.*gp.*r1"):
        get_penalty("r3")


def test_weight_clipping_and_spectral_norm_act_on_any_module():
    net = torch.nn.Sequential(
        torch.nn.Conv1d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(12, 1))
    WeightClipping(0.05)(net)
    assert all(p.abs().max() <= 0.05 for p in net.parameters())
    assert apply_spectral_norm(net) == 2
    torch.manual_seed(0)
    for _ in range(50):  # power iteration runs in training-mode forward passes
        net(torch.randn(4, 1, 6))
    assert torch.linalg.matrix_norm(net[3].weight, ord=2).item() == pytest.approx(1.0, abs=1e-3)


# --- the bar: each f-GAN discriminator estimates its divergence within 5% ------------------------

def _js(mu):
    def integrand(x):
        log_ratio = mu * x - 0.5 * mu * mu
        p, q = stats.norm.pdf(x, loc=mu), stats.norm.pdf(x)
        return 0.5 * (p * (LOG2 - np.logaddexp(0.0, -log_ratio))
                      + q * (LOG2 - np.logaddexp(0.0, log_ratio)))
    return integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]


# name: (μ, closed form of D_f(N(μ, 1) ‖ N(0, 1)) for the row's f)
CLOSED_FORMS = {
    "kl": (1.0, lambda m: m * m / 2),
    "reverse-kl": (1.0, lambda m: m * m / 2),
    "pearson": (0.5, lambda m: math.expm1(m * m)),
    "neyman": (0.5, lambda m: math.expm1(m * m)),
    "hellinger": (1.0, lambda m: 2 * (1 - math.exp(-m * m / 8))),
    "jeffrey": (1.0, lambda m: m * m),
    "jensen-shannon": (1.0, lambda m: 2 * _js(m)),
    "gan": (1.0, lambda m: 2 * _js(m) - math.log(4.0)),
    "tv": (1.0, lambda m: 2 * stats.norm.cdf(m / 2) - 1),
    "alpha-0.5": (1.0, lambda m: AlphaDivergence.gaussian_closed_form(0.5, m)),
    "alpha-2": (0.5, lambda m: AlphaDivergence.gaussian_closed_form(2.0, m)),
    "alpha--1": (0.5, lambda m: AlphaDivergence.gaussian_closed_form(-1.0, m)),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_trained_f_gan_discriminator_estimates_the_closed_form_divergence(name):
    # P = N(μ, 1) is the data; the generator N(0, 1) is frozen (lr_g = 0), so the trainer
    # runs discriminator steps only. The bound is then evaluated on 4·10⁵ fresh draws.
    mu, closed_form = CLOSED_FORMS[name]
    loss = get_loss(name)
    gen = torch.Generator().manual_seed(1)
    data = torch.randn(200_000, 1, generator=gen) + mu
    torch.manual_seed(0)
    disc = MLPDiscriminator(1, hidden_sizes=(16, 16), activation="tanh")
    trainer = GANTrainer(LocationGenerator(torch.zeros(1)), disc, loss=loss, n_critic=4,
                         batch_size=2048, lr_d=1e-2, g_optimizer="sgd", lr_g=0.0,
                         lr_schedule="linear", device="cpu", random_state=0)
    trainer.fit(data, n_steps=125)
    with torch.no_grad():
        xp = torch.randn(400_000, 1, generator=gen) + mu
        xq = torch.randn(400_000, 1, generator=gen)
        trained = trainer.discriminator_
        estimate = float(loss.objective(trained(xp).double(), trained(xq).double()))
    truth = closed_form(mu)
    assert abs(estimate - truth) < 0.05 * abs(truth), (estimate, truth)
