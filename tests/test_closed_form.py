"""The single game's closed form (robustgan.closed_form through AdversarialLoop) and the plain SGD
optimiser: the same draws, gradients and updates as autograd's game and torch's SGD."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from robustgan import RobustGANMean, RobustGANScatter
from robustgan.divergences import get_divergence
from robustgan.engine import (
    SGD,
    AdversarialLoop,
    IndexSampler,
    NormalPool,
    standard_normal,
    torch_generator,
    train_adversarial,
)
from robustgan.nets import GaussianGenerator, LocationGenerator, MLPDiscriminator

pytestmark = pytest.mark.usefixtures("one_thread")


def _modules(model, hidden, p=4, seed=4):
    torch.manual_seed(seed)
    if model == "location":
        generator = LocationGenerator(torch.randn(p))
    else:
        factor = torch.randn(p, p).tril() + 2 * torch.eye(p)
        generator = GaussianGenerator(torch.randn(p), factor)
        with torch.no_grad():  # the strict upper triangle is not the model's
            generator.factor.add_(torch.randn(p, p).triu(1))
    activation = ("leaky_relu", "sigmoid")[:len(hidden)]
    return generator, MLPDiscriminator(p, hidden_sizes=hidden, activation=activation)


def _loop(model, hidden, divergence="js", n=60, **options):
    generator, discriminator = _modules(model, hidden)
    rng = torch_generator(0, "cpu")
    p = generator.latent_dim
    pool = options.pop("latent_sampler", None) or NormalPool(50, p, rng, "cpu")
    loop = AdversarialLoop(generator, discriminator, get_divergence(divergence), latent_dim=p,
                           generator_rng=rng, latent_sampler=pool, d_optimizer="sgd",
                           g_optimizer="sgd", lr_d=0.2, lr_g=0.1, **options)
    real = IndexSampler(torch.randn(n, p) + 1.0, 7)
    return loop, real


def _take_grads(params):
    grads = [q.grad.clone() for q in params]
    for q in params:
        q.grad = None
    return grads


@pytest.mark.parametrize("model", ["location", "gaussian"])
@pytest.mark.parametrize("divergence", ["js", "tv", "gan"])
@pytest.mark.parametrize("hidden", [(6,), (5, 4)])
def test_closed_form_steps_are_autograd_steps(model, divergence, hidden):
    # One discriminator step and one generator step from the same generator state (odd batch:
    # the model's rows are [h; -h] cut to 7): same draws, losses and gradients as autograd's.
    loop, real = _loop(model, hidden, divergence)
    assert loop._activations is not None
    state = loop.rng.get_state()
    closed_d = loop._discriminator_gradients(real)[0], _take_grads(loop.d_params)
    closed_g = loop._generator_gradients(7, "cpu"), _take_grads(loop.g_params)
    after_closed = loop.rng.get_state()

    loop._activations = None
    loop.rng.set_state(state)
    auto_d = loop._discriminator_gradients(real)[0], _take_grads(loop.d_params)
    auto_g = loop._generator_gradients(7, "cpu"), _take_grads(loop.g_params)
    assert torch.equal(loop.rng.get_state(), after_closed)  # the same draws
    for (closed_loss, closed_grads), (auto_loss, auto_grads) in ((closed_d, auto_d),
                                                                 (closed_g, auto_g)):
        assert closed_loss.shape == auto_loss.shape == ()
        assert torch.allclose(closed_loss, auto_loss, atol=1e-6)
        for closed, auto in zip(closed_grads, auto_grads, strict=True):
            assert closed.shape == auto.shape
            assert torch.allclose(closed, auto, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("model", ["location", "gaussian"])
def test_closed_form_game_is_the_autograd_game_to_rounding(model, monkeypatch):
    def game():
        generator, discriminator = _modules(model, (6,))
        real = torch.randn(300, 4, generator=torch.Generator().manual_seed(1)) + 1.0
        return train_adversarial(real, generator, discriminator, "js", n_steps=60, n_critic=3,
                                 batch_size=50, latent_sampler="pool", max_grad_norm=1.0,
                                 random_state=0)

    def no_autograd(*args, **kwargs):
        raise AssertionError("the closed-form game went through autograd")

    with monkeypatch.context() as patch:
        patch.setattr(torch.autograd, "backward", no_autograd)
        patch.setattr(torch.autograd, "grad", no_autograd)
        closed = game()
    monkeypatch.setattr(AdversarialLoop, "_closed_form_activations", lambda self: None)
    auto = game()
    for name, value in auto.averaged_parameters.items():
        assert torch.allclose(closed.averaged_parameters[name], value, atol=1e-5), name
    assert np.allclose(closed.history.d_loss, auto.history.d_loss, atol=1e-5)
    assert np.allclose(closed.history.g_loss, auto.history.g_loss, atol=1e-5)


def _hooked(loop):
    loop.discriminator.register_forward_hook(lambda module, args, out: out)


def _frozen(loop):
    loop.discriminator.net[0].bias.requires_grad_(False)


class _OwnScoring(AdversarialLoop):
    def _score_minibatches(self, sample_real):
        return super()._score_minibatches(sample_real)


@pytest.mark.parametrize("change", [
    "penalty", "spectral_norm", "fresh_noise", "divergence", "two_passes", "hook", "frozen",
    "subclass", "generator", "activation",
])
def test_closed_form_is_left_where_it_does_not_hold(change):
    # Each departure from the estimators' game keeps autograd's step (whose result is right
    # whatever the network, noise or loss).
    options = {}
    generator, discriminator = _modules("location", (6,))
    divergence, kind = "js", AdversarialLoop
    if change == "penalty":
        options["d_penalties"] = [lambda d, x_real, x_fake, rng: d.net[0].weight.abs().sum()]
    elif change == "spectral_norm":
        discriminator = MLPDiscriminator(4, hidden_sizes=(6,), spectral_norm=True)
    elif change == "fresh_noise":
        options["latent_sampler"] = standard_normal
    elif change == "divergence":
        divergence = "kl"
    elif change == "two_passes":
        options["joint_forward"] = False
    elif change == "subclass":
        kind = _OwnScoring
    elif change == "generator":
        generator = torch.nn.Sequential(torch.nn.Linear(4, 4))
        generator.latent_dim = 4
    elif change == "activation":
        # softplus's kernels are those of the default β = 1 only
        discriminator = MLPDiscriminator(4, hidden_sizes=(6,), activation="softplus")
        discriminator.net[1] = torch.nn.Softplus(beta=2.0)
    rng = torch_generator(0, "cpu")
    latent = options.pop("latent_sampler", None) or NormalPool(50, 4, rng, "cpu")
    loop = kind(generator, discriminator, get_divergence(divergence), latent_dim=4,
                generator_rng=rng, latent_sampler=latent, **options)
    if change in ("hook", "frozen"):
        assert loop._activations is not None
        (_hooked if change == "hook" else _frozen)(loop)
        loop._activations = loop._closed_form_activations()
    assert loop._activations is None


@pytest.mark.parametrize("estimator", [RobustGANMean, RobustGANScatter])
def test_the_estimators_games_take_the_closed_form(estimator, monkeypatch):
    X = np.random.default_rng(0).standard_normal((300, 3))
    taken = []
    original = AdversarialLoop._closed_form_activations

    def record(self):
        taken.append(original(self) is not None)
        return original(self)

    monkeypatch.setattr(AdversarialLoop, "_closed_form_activations", record)
    estimator(n_steps=20, random_state=0).fit(X)
    assert taken and all(taken)


def test_pool_half_rows_are_the_draw_of_a_call():
    pool = NormalPool(40, 3, torch_generator(0, "cpu"), "cpu")
    for n in (6, 7):
        rng = torch_generator(5, "cpu")
        rows = pool(n, 3, rng, "cpu")
        after = rng.get_state()
        rng = torch_generator(5, "cpu")
        half = pool.half_rows(n, rng, "cpu")
        assert torch.equal(rng.get_state(), after)
        assert torch.equal(torch.cat([half, -half])[:n], rows)


@settings(max_examples=25, deadline=None)
@given(lrs=st.lists(st.floats(1e-4, 2.0), min_size=1, max_size=3),
       seed=st.integers(0, 2**16))
def test_sgd_is_torchs_sgd_to_the_bit(lrs, seed):
    torch.manual_seed(seed)
    shapes = [(3, 2), (5,), ()]
    ours = [torch.randn(shapes[i % 3], requires_grad=True) for i in range(len(lrs))]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    groups = lambda params: [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]  # noqa: E731
    sgd, torch_sgd = SGD(groups(ours), lr=0.1), torch.optim.SGD(groups(theirs), lr=0.1)
    for _ in range(4):
        grads = [torch.randn_like(p) for p in ours]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.clone(), g.clone()
        sgd.step()
        torch_sgd.step()
        for p, q in zip(ours, theirs):
            assert torch.equal(p, q)


def test_sgd_state_dicts_are_torchs():
    w, v = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    groups = [{"params": [w], "lr": 0.5}, {"params": [v]}]
    ours, theirs = SGD(groups, lr=0.1), torch.optim.SGD(groups, lr=0.1)
    assert ours.state_dict()["param_groups"] == [
        {"lr": g["lr"], "params": g["params"]} for g in theirs.state_dict()["param_groups"]]
    theirs.param_groups[1]["lr"] = 0.03  # a schedule's change, saved by torch
    ours.load_state_dict(theirs.state_dict())
    assert [g["lr"] for g in ours.param_groups] == [0.5, 0.03]
    fresh = torch.optim.SGD([w, v], lr=0.2)
    with pytest.raises(ValueError, match="other parameter groups"):
        ours.load_state_dict(fresh.state_dict())
    ours.zero_grad()
    assert w.grad is None


def test_a_fit_does_not_load_the_compiler():
    # torch.optim's first optimiser imports torch._dynamo and sympy: 1.5 s a process, before
    # the SGD above, for fits that never compile.
    code = ("import sys, numpy as np; from robustgan import RobustGANMean, RobustGANScatter; "
            "X = np.random.default_rng(0).standard_normal((200, 3)); "
            "RobustGANMean(n_steps=20, random_state=0).fit(X); "
            "RobustGANScatter(n_steps=20, random_state=0).fit(X); "
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
