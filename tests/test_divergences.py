"""What holds for the f-divergence registry (robustgan.divergences).

Monte Carlo checks use P = N(mu, 1), Q = N(0, 1), float64 and fixed seeds, and
accept a deviation of 5 standard errors estimated from the same sample.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from robustgan.divergences import (
    DIVERGENCES,
    Divergence,
    TotalVariation,
    BetaScore,
    available_divergences,
    check_robust_divergence,
    get_divergence,
    has_closed_form_derivatives,
    lambertw,
    register_divergence,
)

LOG2 = math.log(2.0)
NAMES = ["kl", "reverse-kl", "pearson", "neyman", "hellinger", "jeffrey",
         "jensen-shannon", "gan", "tv", "brier", "boosting"]
N_MC = 100_000
Z_TOL = 5.0            # accepted deviation, in Monte Carlo standard errors
TV_LOGIT = 60.0        # tanh(30) == 1 in float64: the TV optimum +-1/2 is attained exactly

# Property tests draw from a fixed seed too, so a run is reproducible.
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)

# chi^2 integrands have lognormal tails whose 4th moment is exp(6 mu^2): keep mu small.
MU = {"pearson": 0.5, "neyman": 0.5}


def mu_for(name):
    return MU.get(name, 1.0)


# --- closed forms and optimal logits, derived independently of the library ---

def js_gaussian(mu):
    """Usual Jensen-Shannon divergence (in [0, log 2]) of N(mu, 1) and N(0, 1), by quadrature."""
    def integrand(x):
        log_ratio = mu * x - 0.5 * mu * mu
        p, q = stats.norm.pdf(x, loc=mu), stats.norm.pdf(x)
        # log(2p/(p+q)) and log(2q/(p+q)) written through the log ratio, without 0/0 in the tails
        return 0.5 * (p * (LOG2 - np.logaddexp(0.0, -log_ratio))
                      + q * (LOG2 - np.logaddexp(0.0, log_ratio)))
    value, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)
    return value


def brier_gaussian(mu):
    """Brier-score divergence of N(mu, 1) and N(0, 1) from S(t,1) = -(1-t)^2/2, S(t,0) = -t^2/2."""
    def integrand(x):
        p, q = stats.norm.pdf(x, loc=mu), stats.norm.pdf(x)
        t = p / (p + q) if p + q > 0 else 0.5
        return p * (0.125 - 0.5 * (1 - t) ** 2) + q * (0.125 - 0.5 * t * t)
    value, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)
    return value


def closed_form_gaussian(name, mu1, mu2=0.0, sigma=1.0):
    """D_f(N(mu1, sigma^2) || N(mu2, sigma^2)) for the generator f of each row."""
    d2 = ((mu1 - mu2) / sigma) ** 2
    d = math.sqrt(d2)
    forms = {
        "kl": lambda: d2 / 2,
        "reverse-kl": lambda: d2 / 2,
        "pearson": lambda: math.expm1(d2),
        "neyman": lambda: math.expm1(d2),
        "hellinger": lambda: 2 * (1 - math.exp(-d2 / 8)),
        "jeffrey": lambda: d2,
        "tv": lambda: 2 * stats.norm.cdf(d / 2) - 1,
        "jensen-shannon": lambda: 2 * js_gaussian(d),        # the row's f gives 2 JS
        "gan": lambda: 2 * js_gaussian(d) - math.log(4.0),
        "brier": lambda: brier_gaussian(d),
        "boosting": lambda: 4 * (1 - math.exp(-d2 / 8)),   # twice the squared Hellinger
    }
    return forms[name]()


def optimal_logit(name, log_ratio):
    """v* with g_f(v*) = f'(p/q), as a function of log(p/q)."""
    lr = log_ratio
    forms = {
        "kl": lambda: 1 + lr,                       # f' = 1 + log u, g = id
        "reverse-kl": lambda: lr,                   # f' = -1/u = -exp(-v)
        "pearson": lambda: 2 * torch.expm1(lr),     # f' = 2(u - 1)
        "neyman": lambda: 2 * lr,                   # f' = 1 - u^-2 = 1 - exp(-v)
        "hellinger": lambda: lr / 2,                # f' = 1 - u^-1/2 = 1 - exp(-v)
        "jeffrey": lambda: lr + 1 - torch.exp(-lr),  # f' = log u + 1 - 1/u
        "jensen-shannon": lambda: lr,               # f' = log(2u/(1+u)) = log 2 sigma(log u)
        "gan": lambda: lr,                          # f' = log(u/(1+u)) = log sigma(log u)
        "tv": lambda: TV_LOGIT * torch.sign(lr),    # f' = sign(u - 1)/2, needs v = +-inf
        "brier": lambda: lr,                        # proper scoring rules: v* = log(p/q)
        "boosting": lambda: lr,
    }
    return forms[name]()


def gaussian_samples(mu, n=N_MC, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x_p = mu + torch.randn(n, generator=gen, dtype=torch.float64)
    x_q = torch.randn(n, generator=gen, dtype=torch.float64)
    return x_p, x_q


def log_ratio(x, mu):
    return mu * x - 0.5 * mu * mu


def mc_bound(div, v_real, v_fake):
    """Monte Carlo objective and its standard error."""
    real, fake = div.real_score(v_real), div.fake_score(v_fake)
    se = math.sqrt(real.var().item() / real.numel() + fake.var().item() / fake.numel())
    return div.objective(v_real, v_fake).item(), se


def f_prime(div, u):
    u = u.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(div.f(u).sum(), u)
    return grad


# --- the variational bound is tight at v* and a bound elsewhere ---

@pytest.mark.parametrize("name", NAMES)
def test_objective_at_optimal_logit_equals_closed_form(name):
    div, mu = get_divergence(name), mu_for(name)
    x_p, x_q = gaussian_samples(mu)
    estimate, se = mc_bound(div, optimal_logit(name, log_ratio(x_p, mu)),
                           optimal_logit(name, log_ratio(x_q, mu)))
    assert abs(estimate - closed_form_gaussian(name, mu)) <= Z_TOL * se + 1e-12


PERTURBATIONS = {
    "wiggled": lambda v, x: v + 0.5 * torch.sin(2 * x),
    "tilted": lambda v, x: 0.5 * v + 0.3,
    "constant": lambda v, x: torch.zeros_like(v),
    # Ignores v*, so it stays off the optimum even where v* saturates (tv).
    "affine": lambda v, x: 2 * x - 1,
}


@pytest.mark.parametrize("perturbation", sorted(PERTURBATIONS))
@pytest.mark.parametrize("name", NAMES)
def test_other_discriminators_stay_below_the_divergence(name, perturbation):
    div, mu, perturb = get_divergence(name), mu_for(name), PERTURBATIONS[perturbation]
    x_p, x_q = gaussian_samples(mu, seed=1)
    best_p, best_q = (optimal_logit(name, log_ratio(x, mu)) for x in (x_p, x_q))
    other_p, other_q = perturb(best_p, x_p), perturb(best_q, x_q)

    estimate, se = mc_bound(div, other_p, other_q)
    assert estimate <= closed_form_gaussian(name, mu) + Z_TOL * se + 1e-12

    # Paired on the same sample, v* does at least as well as the perturbed logit.
    gain_p = div.real_score(best_p) - div.real_score(other_p)
    gain_q = div.fake_score(best_q) - div.fake_score(other_q)
    gain = gain_p.mean().item() - gain_q.mean().item()
    se_gain = math.sqrt(gain_p.var().item() / N_MC + gain_q.var().item() / N_MC)
    assert gain >= -Z_TOL * se_gain - 1e-12


probabilities = st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3).map(
    lambda w: torch.tensor(w, dtype=torch.float64) / sum(w))


@settings(PROPERTY, max_examples=30)
@given(p=probabilities, q=probabilities)
@pytest.mark.parametrize("name", NAMES)
def test_bound_is_exact_at_optimum_on_discrete_distributions(name, p, q):
    div = get_divergence(name)
    v = optimal_logit(name, torch.log(p / q))
    bound = (p * div.real_score(v)).sum() - (q * div.fake_score(v)).sum()
    torch.testing.assert_close(bound, div.divergence(p, q), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "tv"])
def test_optimal_logit_maps_to_f_prime(name):
    div = get_divergence(name)
    u = torch.logspace(-2, 2, 41, dtype=torch.float64)
    torch.testing.assert_close(div.activation(optimal_logit(name, torch.log(u))), f_prime(div, u))


# --- the pieces of each row agree with one another ---

@pytest.mark.parametrize("name", NAMES)
def test_generator_at_one_is_divergence_of_equal_laws_and_critical_value_is_f_prime_at_one(name):
    # f(1) = D_f(P || P): 0 for every row but gan, whose f is not normalised (-log 4).
    div = get_divergence(name)
    one = torch.ones(1, dtype=torch.float64)
    assert div.f(one).item() == pytest.approx(closed_form_gaussian(name, 0.0), abs=1e-12)
    assert f_prime(div, one).item() == pytest.approx(div.critical_value, abs=1e-12)


@PROPERTY
@given(name=st.sampled_from(NAMES), v=st.floats(-10, 10), u=st.floats(1e-3, 1e3))
def test_fenchel_young_inequality(name, v, u):
    div = get_divergence(name)
    t = div.activation(torch.tensor(v, dtype=torch.float64))
    u = torch.tensor(u, dtype=torch.float64)
    rhs = t * u - div.f(u)
    assert div.conjugate(t) >= rhs - 1e-9 * (1 + rhs.abs() + div.f(u).abs())


@PROPERTY
@given(name=st.sampled_from(NAMES), u=st.floats(1e-3, 1e3).filter(lambda u: u != 1.0))
def test_fenchel_young_equality_at_t_equal_f_prime(name, u):
    div = get_divergence(name)
    u = torch.tensor([u], dtype=torch.float64)
    t = f_prime(div, u)
    torch.testing.assert_close(div.conjugate(t), t * u - div.f(u), rtol=1e-8, atol=1e-10)


@PROPERTY
@given(name=st.sampled_from(NAMES), v=st.lists(st.floats(-10, 10), min_size=1, max_size=20))
def test_fake_score_is_conjugate_of_activation(name, v):
    div = get_divergence(name)
    v = torch.tensor(v, dtype=torch.float64)
    torch.testing.assert_close(div.fake_score(v), div.conjugate(div.activation(v)),
                               rtol=1e-9, atol=1e-12)


@PROPERTY
@given(name=st.sampled_from(NAMES),
       v=st.lists(st.floats(-50, 50, width=32), min_size=1, max_size=20))
def test_scores_and_gradients_are_finite_in_float32(name, v):
    div = get_divergence(name)
    v = torch.tensor(v, dtype=torch.float32, requires_grad=True)
    real, fake = div.real_score(v), div.fake_score(v)
    assert real.dtype == fake.dtype == torch.float32
    assert torch.isfinite(real).all() and torch.isfinite(fake).all()
    (grad,) = torch.autograd.grad((real + fake).sum(), v)
    assert torch.isfinite(grad).all()


CLOSED_FORM = ["jensen-shannon", "gan", "tv"]


@PROPERTY
@given(name=st.sampled_from(CLOSED_FORM),
       v=st.lists(st.floats(-60, 60), min_size=1, max_size=20))
def test_closed_form_score_derivatives_are_autograd_s(name, v):
    div = get_divergence(name)
    v = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    (real,) = torch.autograd.grad(div.real_score(v).sum(), v)
    (fake,) = torch.autograd.grad(div.fake_score(v).sum(), v)
    # softplus is linear past v = 20, where autograd's derivative is 1 and σ(v) is 1 − e^{−v}:
    # they differ by at most e^{−20} ≈ 2e-9.
    torch.testing.assert_close(div.real_score_derivative(v.detach()), real, rtol=3e-9,
                               atol=1e-15)
    torch.testing.assert_close(div.fake_score_derivative(v.detach()), fake, rtol=3e-9,
                               atol=1e-15)


def test_which_divergences_state_their_derivatives():
    assert [n for n in NAMES if has_closed_form_derivatives(get_divergence(n))] == CLOSED_FORM
    assert not has_closed_form_derivatives(object())

    class SteeperTV(TotalVariation):  # a new score under the parent's derivatives
        def activation(self, v):
            return 0.5 * torch.tanh(v)

    class RestatedTV(SteeperTV):
        def real_score_derivative(self, v):
            return 0.5 * (1.0 - torch.tanh(v) ** 2)

        fake_score_derivative = real_score_derivative

    assert not has_closed_form_derivatives(SteeperTV())
    assert has_closed_form_derivatives(RestatedTV())
    with pytest.raises(NotImplementedError):
        get_divergence("kl").real_score_derivative(torch.zeros(1))


@PROPERTY
@given(name=st.sampled_from(NAMES), v=st.floats(-20, 20))
def test_activation_lands_in_conjugate_domain(name, v):
    div = get_divergence(name)
    t = div.activation(torch.tensor(v, dtype=torch.float64)).item()
    low, high = div.conjugate_domain
    if div.conjugate_domain_closed:
        assert low <= t <= high
    else:
        assert low < t < high
    assert math.isfinite(div.conjugate(torch.tensor(t, dtype=torch.float64)).item())


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_is_infinite_off_its_domain(name):
    div = get_divergence(name)
    low, high = div.conjugate_domain
    outside = [x for x in (low - 1.0, high + 1.0) if math.isfinite(x)]
    if outside:
        assert torch.isinf(div.conjugate(torch.tensor(outside, dtype=torch.float64))).all()


# --- the rows the robust estimators use: JS-GAN and TV-GAN ---

def test_js_objective_is_the_js_gan_objective_and_gan_is_it_minus_log4():
    gen = torch.Generator().manual_seed(2)
    v_real, v_fake = torch.randn(2, 50, generator=gen, dtype=torch.float64) * 5
    js = get_divergence("js").objective(v_real, v_fake)
    js_gan = (torch.nn.functional.logsigmoid(v_real).mean()
              + torch.log1p(-torch.sigmoid(v_fake)).mean() + math.log(4.0))
    torch.testing.assert_close(js, js_gan)
    torch.testing.assert_close(get_divergence("gan").objective(v_real, v_fake), js - math.log(4.0))


def test_tv_objective_is_the_tv_gan_objective():
    gen = torch.Generator().manual_seed(3)
    v_real, v_fake = torch.randn(2, 50, generator=gen, dtype=torch.float64) * 5
    tv_gan = torch.sigmoid(v_real).mean() - torch.sigmoid(v_fake).mean()
    torch.testing.assert_close(get_divergence("tv").objective(v_real, v_fake), tv_gan)


@pytest.mark.parametrize("name", NAMES)
def test_losses_are_the_two_players_views_of_the_objective(name):
    div = get_divergence(name)
    gen = torch.Generator().manual_seed(4)
    v_real = torch.randn(3, 7, generator=gen, dtype=torch.float64)
    v_fake = torch.randn(3, 7, generator=gen, dtype=torch.float64).requires_grad_(True)
    objective = div.objective(v_real, v_fake)
    assert objective.shape == ()
    torch.testing.assert_close(div.discriminator_loss(v_real, v_fake), -objective)
    # The generator moves only v_fake: its loss has the objective's gradient in v_fake.
    (g_objective,) = torch.autograd.grad(objective, v_fake)
    (g_loss,) = torch.autograd.grad(div.generator_loss(v_fake), v_fake)
    torch.testing.assert_close(g_loss, g_objective)


# --- a discriminator trained on samples reaches the divergence ---

@pytest.mark.parametrize("name", ["js", "kl"])
def test_trained_linear_discriminator_reaches_closed_form(name):
    # For N(1, 1) vs N(0, 1) both optimal logits are affine in x, so Linear(1, 1) can reach them.
    torch.manual_seed(0)
    div, mu = get_divergence(name), 1.0
    x_p, x_q = (x.unsqueeze(1) for x in gaussian_samples(mu, n=4096, seed=5))
    net = torch.nn.Linear(1, 1).double()
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        div.discriminator_loss(net(x_p), net(x_q)).backward()
        opt.step()
    fresh_p, fresh_q = (x.unsqueeze(1) for x in gaussian_samples(mu, seed=6))
    with torch.no_grad():
        reached = div.objective(net(fresh_p), net(fresh_q)).item()
    target = closed_form_gaussian("jensen-shannon" if name == "js" else name, mu)
    assert abs(reached - target) <= 0.1 * target


# --- dtype, shape and device come from the input ---

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", NAMES)
def test_outputs_keep_shape_and_dtype(name, dtype):
    div = get_divergence(name)
    v = torch.linspace(-3, 3, 24, dtype=dtype).reshape(2, 3, 4)
    for out in (div.activation(v), div.real_score(v), div.fake_score(v),
                div.conjugate(div.activation(v)), div.f(torch.exp(v))):
        assert out.shape == v.shape and out.dtype == dtype
    assert div.objective(v, v).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_no_tensor_is_created_on_a_fixed_device(name):
    # The meta device has no data: anything built on CPU and mixed in would raise.
    div = get_divergence(name)
    v = torch.empty(5, device="meta")
    for out in (div.real_score(v), div.fake_score(v), div.conjugate(v), div.f(v),
                div.objective(v, v)):
        assert out.device.type == "meta"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", NAMES)
def test_cuda_matches_cpu(name):
    div = get_divergence(name)
    v = torch.linspace(-30, 30, 101, dtype=torch.float64)
    torch.testing.assert_close(div.fake_score(v.cuda()).cpu(), div.fake_score(v))
    torch.testing.assert_close(div.conjugate(div.activation(v.cuda())).cpu(),
                               div.conjugate(div.activation(v)))


# --- Lambert W (the Jeffrey conjugate) ---

@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-13), (torch.float32, 1e-6)])
def test_lambertw_matches_scipy(dtype, rtol):
    from scipy.special import lambertw as scipy_lambertw
    z = np.logspace(-35, 35, 2001)
    expected = scipy_lambertw(z).real
    got = lambertw(torch.tensor(z, dtype=dtype)).double().numpy()
    np.testing.assert_allclose(got, expected, rtol=rtol)


def test_lambertw_edge_values_and_derivative():
    assert lambertw(torch.tensor([0.0])).item() == 0.0
    assert math.isnan(lambertw(torch.tensor([-0.1])).item())
    z = torch.logspace(-4, 4, 9, dtype=torch.float64, requires_grad=True)
    w = lambertw(z)
    (grad,) = torch.autograd.grad(w.sum(), z)
    torch.testing.assert_close(grad, (w / (z * (1 + w))).detach())
    assert torch.autograd.gradgradcheck(lambertw, (z,))


def test_jeffrey_conjugate_curvature_matches_closed_form():
    # f*'(t) = 1/W and f*''(t) = 1/(W (1 + W)), W = W(e^(1-t)): what gradient penalties see.
    t = torch.linspace(-20, 20, 41, dtype=torch.float64, requires_grad=True)
    (d1,) = torch.autograd.grad(get_divergence("jeffrey").conjugate(t).sum(), t, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), t)
    w = lambertw(torch.exp(1 - t.detach()))
    torch.testing.assert_close(d1.detach(), 1 / w)
    torch.testing.assert_close(d2, 1 / (w * (1 + w)))


# --- the registry ---

def test_every_row_is_registered():
    assert available_divergences() == NAMES
    assert set(DIVERGENCES) == set(NAMES)
    assert all(isinstance(get_divergence(n), Divergence) for n in NAMES)


@pytest.mark.parametrize("alias, name", [
    ("js", "jensen-shannon"), ("JS", "jensen-shannon"), ("Jensen_Shannon", "jensen-shannon"),
    ("REVERSE_KL", "reverse-kl"), ("Total-Variation", "tv"), ("KL", "kl"),
    ("squared_hellinger", "hellinger"),
])
def test_lookup_is_case_and_separator_insensitive(alias, name):
    assert get_divergence(alias) is DIVERGENCES[name]


def test_instances_pass_through_unchanged():
    tv = TotalVariation()
    assert get_divergence(tv) is tv


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as info:
        get_divergence("wasserstein-ish")
    message = str(info.value)
    assert "wasserstein-ish" in message
    assert all(name in message for name in NAMES)


@pytest.mark.parametrize("bad", [3, None, ["js"]])
def test_non_string_non_divergence_is_a_type_error(bad):
    with pytest.raises(TypeError):
        get_divergence(bad)


def test_registering_a_taken_name_is_refused():
    with pytest.raises(ValueError):
        register_divergence(TotalVariation())
    assert available_divergences() == NAMES


# --- proper scoring rules: the Beta family ---

@pytest.mark.parametrize("name, alpha, beta", [("js", 0.0, 0.0), ("brier", 1.0, 1.0),
                                               ("boosting", -0.5, -0.5)])
def test_beta_family_members_match_their_closed_forms(name, alpha, beta):
    v = torch.linspace(-20, 20, 81, dtype=torch.float64, requires_grad=True)
    closed, generic = get_divergence(name), BetaScore(alpha, beta)
    for score in ("real_score", "fake_score"):
        a, b = getattr(closed, score)(v), getattr(generic, score)(v)
        torch.testing.assert_close(b, a, rtol=1e-7, atol=1e-9)
        (ga,) = torch.autograd.grad(a.sum(), v)
        (gb,) = torch.autograd.grad(b.sum(), v)
        torch.testing.assert_close(gb, ga, rtol=1e-9, atol=1e-12)


@PROPERTY
@given(alpha=st.floats(-0.9, 3.0), beta=st.floats(-0.9, 3.0), v=st.floats(-15, 15))
def test_beta_score_is_the_papers_integral(alpha, beta, v):
    # S(t,1) - S(1/2,1) = int_{1/2}^t c^(a-1)(1-c)^b dc (and c^a(1-c)^(b-1) for the fake side),
    # computed by scipy on the logit scale, c = sigmoid(u), dc = c(1-c) du: the integrands are
    # then smooth on [0, v], where on the probability scale (1-c)^(b-1) has an integrable
    # singularity at t -> 1 that quad misses (b = -0.5, v = 15 gave -4.17 for 3611.8).
    def logit_scale_integral(a, b):
        return integrate.quad(lambda u: special.expit(u) ** a * special.expit(-u) ** b, 0.0, v,
                              epsabs=1e-12, epsrel=1e-10, limit=200)[0]

    expected_real = logit_scale_integral(alpha, beta + 1)
    expected_fake = logit_scale_integral(alpha + 1, beta)
    div = BetaScore(alpha, beta)
    x = torch.tensor([v], dtype=torch.float64)
    assert div.real_score(x).item() == pytest.approx(expected_real, rel=1e-6, abs=1e-9)
    assert div.fake_score(x).item() == pytest.approx(expected_fake, rel=1e-6, abs=1e-9)


def test_beta_family_is_reachable_by_name_and_checks_its_parameters():
    div = get_divergence("beta(2,0.5)")
    assert (div.alpha, div.beta) == (2.0, 0.5)
    assert get_divergence("log-score") is get_divergence("js")
    with pytest.raises(ValueError, match="alpha, beta > -1"):
        BetaScore(-1.0, 0.0)
    with pytest.raises(ValueError, match="beta\\(a,b\\)"):
        get_divergence("beta(1)")


def test_bounded_scores_have_a_bounded_objective():
    # Robustness of Brier-type games: one outlier moves the objective by a bounded amount.
    brier = get_divergence("brier")
    extreme = torch.tensor([-1e4, 1e4], dtype=torch.float64)
    assert torch.isfinite(brier.real_score(extreme)).all()
    assert brier.real_score(extreme).abs().max() <= 0.375


# --- robustness: which rows the robust estimators accept, and their learning rates ----------------


@pytest.mark.parametrize("name", NAMES)
def test_real_score_bound_is_the_supremum_of_the_real_score(name):
    divergence = get_divergence(name)
    bound = divergence.real_score_bound
    v = torch.linspace(-30.0, 60.0, 901, dtype=torch.float64)
    scores = divergence.real_score(v)
    if math.isfinite(bound):
        assert float(scores.max()) <= bound + 1e-12
        assert float(scores[-1]) == pytest.approx(bound, abs=1e-6)  # approached as v → ∞
    else:
        assert float(divergence.real_score(torch.tensor(1e6, dtype=torch.float64))) > 1e5


def test_the_robust_estimators_refuse_exactly_the_rows_with_an_unbounded_real_score():
    refused = {name for name in NAMES if get_divergence(name).robust_refusal}
    assert refused == {"kl", "pearson", "jeffrey"}
    assert not BetaScore(3.0, 0.5).robust_refusal  # every Beta member is bounded above


def test_the_robust_estimators_accept_the_alpha_divergences_with_a_bounded_real_score():
    assert check_robust_divergence("alpha-0.5").real_score_bound == 2.0  # 1 / (1 − α)
    with pytest.raises(ValueError, match="'alpha-2' is refused .* unbounded above"):
        check_robust_divergence("alpha-2")


def test_check_robust_divergence_names_the_row_the_reason_and_the_alternatives():
    assert check_robust_divergence("js") is get_divergence("js")
    with pytest.raises(ValueError, match=r"'pearson' is refused.*unbounded above.*'js'.*'tv'.*"
                                         r"GANTrainer"):
        check_robust_divergence("pearson")
    other = object()  # a loss object that is not a Divergence passes unchecked
    assert check_robust_divergence(other) is other


@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (0.5, 0.5), (2.0, 2.0), (-0.5, -0.5)])
def test_beta_learning_rates_are_scaled_by_the_log_scores_slope_over_theirs(alpha, beta):
    member = BetaScore(alpha, beta)
    v = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    slope = torch.autograd.grad(member.real_score(v) + member.fake_score(v), v)[0].item()
    js_slope = 1.0  # sigmoid(0) + sigmoid(0)
    expected = max(1.0, js_slope / slope)  # steeper members keep the log score's rates
    assert member.learning_rate_scale == pytest.approx((expected, expected))
    assert get_divergence("brier").learning_rate_scale == (4.0, 4.0)
