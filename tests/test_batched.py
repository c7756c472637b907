"""robustgan.batched: many adversarial fits as one batched game."""

from functools import partial

import numpy as np
import pytest
import torch

from robustgan import RobustGANMean, batched, fit_many
from robustgan.batched import (
    MemberIndexSampler,
    MemberLatentSampler,
    MemberNormalPool,
    MemberPenalty,
    MemberStack,
    StackedGaussianGenerator,
    StackedLocationGenerator,
    StackedMLPDiscriminator,
    solve_many,
    stack_modules,
)
from robustgan.closed_form import bound_and_gradient, generator_loss_and_gradient
from robustgan.divergences import get_divergence
from robustgan.engine import (
    AdversarialLoop,
    AdversarialProblem,
    antithetic_normal,
    clip_grad_norm_per_member_,
    standard_normal,
    torch_generator,
)
from robustgan.nets import GaussianGenerator, LocationGenerator, MLPDiscriminator

pytestmark = pytest.mark.usefixtures("one_thread")


FAST = {"n_steps": 40, "device": "cpu"}


# ---------------------------------------------------------------------------------------------
# Stacked modules: each member computes what its own module computes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", [
    "leaky_relu", "sigmoid", "tanh", "relu", "softplus", ("leaky_relu", "sigmoid"),
])
def test_stacked_mlp_matches_its_members_values_and_gradients(activation):
    hidden = (7, 5) if isinstance(activation, tuple) else (6,)
    torch.manual_seed(0)
    nets = [MLPDiscriminator(3, hidden_sizes=hidden, activation=activation) for _ in range(4)]
    stack = stack_modules(nets)
    assert isinstance(stack, StackedMLPDiscriminator)
    x = torch.randn(4, 9, 3, requires_grad=True)
    v = stack(x)
    (v * torch.arange(1.0, 5.0).unsqueeze(1)).sum().backward()
    for r, net in enumerate(nets):
        xr = x[r].detach().clone().requires_grad_(True)
        vr = net(xr)
        assert torch.allclose(v[r], vr, atol=1e-6)
        ((r + 1) * vr.sum()).backward()
        assert torch.allclose(x.grad[r], xr.grad, atol=1e-5)
        for (name, p), q in zip(stack.module.named_parameters(), net.parameters()):
            assert torch.allclose(p.grad[r], q.grad, atol=1e-5), name


@pytest.mark.parametrize("activation", [
    "leaky_relu", "sigmoid", "tanh", "relu", "softplus", ("leaky_relu", "sigmoid"),
])
@pytest.mark.parametrize("n_model", [6, 5])
@pytest.mark.parametrize("with_real", [True, False])
def test_location_model_rows_are_scored_as_if_formed(activation, n_model, with_real):
    # The model's rows η + z, z the first n_model rows of [h; −h], are never formed: the
    # logits and every gradient (η's included) must be those of scoring the formed rows.
    hidden = (7, 5) if isinstance(activation, tuple) else (6,)
    torch.manual_seed(1)
    R, b, p = 3, 4, 5
    stack = stack_modules([MLPDiscriminator(p, hidden_sizes=hidden, activation=activation)
                           for _ in range(R)])
    x_real = torch.randn(R, b, p) if with_real else None
    half = torch.randn(R, (n_model + 1) // 2, p)
    location = torch.randn(R, p, requires_grad=True)
    v = stack.score_location_model(x_real, half, location, n_model)
    formed_location = location.detach().clone().requires_grad_(True)
    rows = formed_location.unsqueeze(1) + torch.cat([half, -half], dim=1)[:, :n_model]
    v_formed = stack(rows if x_real is None else torch.cat([x_real, rows], dim=1))
    assert v.shape == v_formed.shape == (R, n_model + (b if with_real else 0))
    assert torch.allclose(v, v_formed, atol=1e-5)
    weights = torch.randn_like(v)
    params = list(stack.parameters())
    grads = torch.autograd.grad(v, [location, *params], weights)
    formed = torch.autograd.grad(v_formed, [formed_location, *params], weights)
    for g, f in zip(grads, formed):
        assert torch.allclose(g, f, atol=1e-5)


def test_location_model_scoring_in_member_chunks_and_without_weight_gradients(monkeypatch):
    torch.manual_seed(2)
    R, b, p = 5, 6, 3
    stack = stack_modules([MLPDiscriminator(p, hidden_sizes=(4,)) for _ in range(R)])
    x_real, half = torch.randn(R, b, p), torch.randn(R, 3, p)
    location = torch.randn(R, p, requires_grad=True)
    whole = stack.score_location_model(x_real, half, location, 6)
    (grad_whole,) = torch.autograd.grad(whole.sum(), location)
    monkeypatch.setattr(batched, "_HIDDEN_CHUNK_ELEMENTS", 2 * (b + 6) * 4)  # 2 members a chunk
    chunked = stack.score_location_model(x_real, half, location, 6)
    (grad_chunked,) = torch.autograd.grad(chunked.sum(), location)
    assert torch.allclose(whole, chunked, atol=1e-6)
    assert torch.allclose(grad_whole, grad_chunked, atol=1e-6)
    # The generator's step: η's gradient only; the network's weights get none.
    v = stack.score_location_model(None, half, location, 6, weights_grad=False)
    v.sum().backward()
    assert location.grad is not None
    assert all(q.grad is None for q in stack.parameters())
    x = torch.randn(R, b, p, requires_grad=True)
    stack.score_inputs(x).sum().backward()
    assert x.grad is not None and all(q.grad is None for q in stack.parameters())
    assert torch.allclose(stack.score_inputs(x), stack(x))


def test_the_batched_location_game_never_forms_the_generated_rows(datasets, monkeypatch):
    # RobustGANMean's batched game takes the fast path: the latent pool is read as its half
    # rows and the generator's forward is never called.
    def formed(*args, **kwargs):
        raise AssertionError("the generated rows were formed")

    monkeypatch.setattr(StackedLocationGenerator, "forward", formed)
    monkeypatch.setattr(MemberNormalPool, "__call__", formed)
    fits = fit_many(RobustGANMean(**FAST), [d.X for d in datasets[:2]], random_states=[0, 1])
    for fit, d in zip(fits, datasets):
        assert np.linalg.norm(fit.location_ - d.location) < 0.5


@pytest.mark.parametrize("divergence", ["js", "tv"])
@pytest.mark.parametrize("hidden", [(6,), (5, 4)])
def test_closed_form_gradients_are_autograd_s(divergence, hidden):
    # The location game's steps without autograd: the same losses and gradients as scoring
    # through autograd and differentiating the members' losses.
    torch.manual_seed(3)
    R, b, p = 3, 6, 4
    stack = stack_modules([MLPDiscriminator(p, hidden_sizes=hidden, activation="leaky_relu")
                           for _ in range(R)])
    loop = batched._StackedLoop(stack_modules([LocationGenerator(torch.zeros(p))] * R), stack,
                                get_divergence(divergence), latent_dim=p,
                                generator_rng=torch_generator(0, "cpu"),
                                latent_sampler=MemberNormalPool([50] * R, p, range(R), "cpu"),
                                members=R)
    assert loop._closed_form
    x_real, half = torch.randn(R, b, p), torch.randn(R, b // 2, p)
    location = torch.randn(R, p, requires_grad=True)
    losses, grads = stack.location_model_gradients(x_real, half, location.detach(), b,
                                                   partial(bound_and_gradient, loop.loss))
    v = stack.score_location_model(x_real, half, location.detach(), b)
    expected = loop._loss(loop.loss.discriminator_loss, v[:, :b], v[:, b:])
    assert torch.allclose(losses, expected, atol=1e-6)
    for g, e in zip(grads, torch.autograd.grad(expected.sum(), list(stack.parameters()))):
        assert torch.allclose(g, e, atol=1e-6)
    losses, grad_location = stack.location_model_gradients(
        None, half, location.detach(), b, partial(generator_loss_and_gradient, loop.loss), wrt="location")
    v = stack.score_location_model(None, half, location, b, weights_grad=False)
    expected = loop._loss(loop.loss.generator_loss, v)
    assert torch.allclose(losses, expected, atol=1e-6)
    (expected_grad,) = torch.autograd.grad(expected.sum(), location)
    assert torch.allclose(grad_location, expected_grad, atol=1e-6)


def test_the_closed_form_game_is_the_autograd_game_to_rounding(datasets, monkeypatch):
    X = [d.X for d in datasets[:3]]

    def autograd_used(*args):
        raise AssertionError("the closed-form game went through autograd")

    with monkeypatch.context() as patch:
        patch.setattr(batched._LocationModelMLP, "apply", autograd_used)
        closed = fit_many(RobustGANMean(**FAST), X, random_states=range(3))
    monkeypatch.setattr(batched, "takes_closed_form", lambda divergence: False)
    graph = fit_many(RobustGANMean(**FAST), X, random_states=range(3))
    for a, b in zip(closed, graph):
        np.testing.assert_allclose(a.game_location_, b.game_location_, atol=1e-5)
        np.testing.assert_allclose(a.history_.d_loss, b.history_.d_loss, atol=1e-5)



def test_a_game_without_stated_derivatives_takes_the_autograd_path(datasets, monkeypatch):
    # Hellinger states no score derivatives: its batched game goes through the autograd
    # Function, which the closed-form games (JS, above) never call.
    calls = []
    apply = batched._LocationModelMLP.apply
    monkeypatch.setattr(batched._LocationModelMLP, "apply",
                        lambda *args: calls.append(1) or apply(*args))
    fits = fit_many(RobustGANMean(divergence="hellinger", **FAST), [datasets[0].X],
                    random_states=[0])
    assert calls and np.isfinite(fits[0].location_).all()


def test_the_closed_form_steps_fall_back_to_autograd_in_member_chunks(datasets, monkeypatch):
    X = [d.X for d in datasets[:3]]
    whole = fit_many(RobustGANMean(**FAST), X, random_states=range(3))
    monkeypatch.setattr(batched, "_HIDDEN_CHUNK_ELEMENTS", 1)  # one member a chunk
    chunked = fit_many(RobustGANMean(**FAST), X, random_states=range(3))
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a.game_location_, b.game_location_, atol=1e-5)


def test_the_unfused_mlp_is_differentiable_twice_and_agrees():
    torch.manual_seed(0)
    nets = [MLPDiscriminator(2, hidden_sizes=(5,), activation="tanh") for _ in range(3)]
    fused, plain = stack_modules(nets), stack_modules(nets, fused=False)
    x = torch.randn(3, 4, 2, requires_grad=True)
    assert torch.allclose(fused(x), plain(x), atol=1e-6)
    (grad,) = torch.autograd.grad(plain(x).sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert plain.module.net[0].weight.grad is not None
    (grad,) = torch.autograd.grad(fused(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        grad.square().sum().backward()


def test_stacked_generators_and_the_generic_stack_match_their_members():
    locations = [LocationGenerator(torch.full((3,), float(r))) for r in range(3)]
    gaussians = [GaussianGenerator(torch.randn(3), torch.randn(3, 3)) for _ in range(3)]
    linears = [torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh()) for _ in range(3)]
    z = torch.randn(3, 5, 3)
    for modules, kind in [(locations, StackedLocationGenerator),
                          (gaussians, StackedGaussianGenerator), (linears, MemberStack)]:
        stack = stack_modules(modules)
        assert type(stack) is kind
        out = stack(z)
        for r, module in enumerate(modules):
            assert torch.allclose(out[r], module(z[r]), atol=1e-6)
            single = stack.member(r).state_dict()
            assert all(torch.equal(single[k], v) for k, v in module.state_dict().items())


def test_stacking_refuses_different_architectures_and_parametrized_modules():
    with pytest.raises(ValueError, match="member 1"):
        MemberStack([torch.nn.Linear(2, 3), torch.nn.Linear(2, 4)])
    with pytest.raises(ValueError, match="share a class"):
        MemberStack([torch.nn.Linear(2, 3), torch.nn.Conv1d(2, 3, 1)])
    with pytest.raises(NotImplementedError, match="spectral"):
        stack_modules([MLPDiscriminator(2, spectral_norm=True) for _ in range(2)])


# ---------------------------------------------------------------------------------------------
# Samplers: one stream per member
# ---------------------------------------------------------------------------------------------


def test_member_index_sampler_draws_each_member_from_its_own_rows():
    data = [torch.full((n, 2), float(r)) for r, n in enumerate([5, 9, 7])]
    sampler = MemberIndexSampler(data, 4, seeds=[0, 1, 2], chunk=3)
    for _ in range(7):  # across refills
        batch = sampler(None)
        assert batch.shape == (3, 4, 2)
        assert all(bool((batch[r] == r).all()) for r in range(3))


def test_member_streams_depend_on_their_own_seed_only():
    data = [torch.arange(50.0).reshape(25, 2) for _ in range(3)]
    a = MemberIndexSampler(data, 6, seeds=[7, 8, 9])
    b = MemberIndexSampler(data[:2], 6, seeds=[7, 5])
    assert torch.equal(a(None)[0], b(None)[0])
    pool_a = MemberNormalPool([100, 300], 3, seeds=[1, 2], device="cpu")
    pool_b = MemberNormalPool([100], 3, seeds=[1], device="cpu")
    assert torch.equal(pool_a(6, 3, None, "cpu")[0], pool_b(6, 3, None, "cpu")[0])
    latent_a = MemberLatentSampler(standard_normal, [4, 5], "cpu")
    latent_b = MemberLatentSampler(standard_normal, [4], "cpu")
    assert torch.equal(latent_a(8, 2, None, "cpu")[0], latent_b(8, 2, None, "cpu")[0])


def test_samplers_shapes_and_antithetic_pairs():
    z = MemberNormalPool([50, 80], 2, seeds=[0, 1], device="cpu")(5, 2, None, "cpu")
    assert z.shape == (2, 5, 2) and torch.equal(z[:, :2], -z[:, 3:5])
    z = MemberLatentSampler(antithetic_normal, [0, 1], "cpu")(6, 3, None, "cpu")
    assert z.shape == (2, 6, 3) and torch.equal(z[:, :3], -z[:, 3:])
    custom = MemberLatentSampler(lambda n, d, g, dev: torch.rand(n, d, generator=g), [0, 1], "cpu")
    assert custom(4, 2, None, "cpu").shape == (2, 4, 2)


def test_member_sampler_refuses_unequal_minibatches():
    with pytest.raises(ValueError, match="minibatch sizes"):
        MemberIndexSampler([torch.zeros(3, 2), torch.zeros(10, 2)], 5, seeds=[0, 1])


def test_row_ranges_of_one_buffer_are_used_without_a_copy():
    buffer = torch.zeros(30, 2)
    storage, offsets = batched._row_storage([buffer[0:10], buffer[10:25], buffer[25:30]])
    assert storage is buffer and offsets == [0, 10, 25]
    shared, offsets = batched._row_storage([buffer, buffer])
    assert shared is buffer and offsets == [0, 0]
    apart = [torch.zeros(3, 2), torch.ones(4, 2)]
    storage, offsets = batched._row_storage(apart)
    assert storage.shape == (7, 2) and offsets == [0, 3]


# ---------------------------------------------------------------------------------------------
# The engine's batched step
# ---------------------------------------------------------------------------------------------


def test_per_member_clipping_is_each_member_clipped_alone():
    torch.manual_seed(0)
    grads = [torch.randn(4, 3, 2) * s for s in (0.1, 5.0)] + [torch.randn(4, 3)]
    stacked = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(stacked, grads):
        p.grad = g.clone()
    clip_grad_norm_per_member_(stacked, 1.0)
    for r in range(4):
        alone = [torch.zeros_like(g[r], requires_grad=True) for g in grads]
        for p, g in zip(alone, grads):
            p.grad = g[r].clone()
        torch.nn.utils.clip_grad_norm_(alone, 1.0)
        for p, q in zip(stacked, alone):
            assert torch.allclose(p.grad[r], q.grad, atol=1e-6)


def _member_loop(R=3, n=200, p=2):
    nets = [MLPDiscriminator(p, hidden_sizes=(6,), activation="leaky_relu") for _ in range(R)]
    gens = [LocationGenerator(torch.zeros(p)) for _ in range(R)]
    data = [torch.randn(n, p) + r for r in range(R)]
    loop = AdversarialLoop(stack_modules(gens), stack_modules(nets), get_divergence("js"),
                           latent_dim=p, generator_rng=torch_generator(0, "cpu"),
                           latent_sampler=MemberLatentSampler(antithetic_normal, range(R), "cpu"),
                           n_critic=2, d_optimizer="sgd", g_optimizer="sgd", lr_d=0.1, lr_g=0.1,
                           max_grad_norm=1.0, g_max_grad_norm=1.0, members=R)
    return loop, MemberIndexSampler(data, 50, seeds=range(R))


def test_the_training_step_never_reads_a_tensor_back_to_the_host(monkeypatch):
    loop, sampler = _member_loop()
    loop.run(sampler, 2)  # first calls (optimiser state, loss mapping) before the watch

    def sync(*args, **kwargs):
        raise AssertionError("host synchronisation inside the training step")

    for name in ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, name, sync)
    for _ in range(5):
        d_loss, _, b, device = loop._discriminator_step(sampler)
        loop._generator_step(b, device)
    assert d_loss.shape == (3,)


def test_non_finite_members_are_recorded_and_the_others_go_on():
    loop, sampler = _member_loop()
    with torch.no_grad():
        loop.generator.module.location[1] = float("nan")
    loop.run(sampler, 20, check_every=5)
    assert loop.step == 20
    assert loop.failed_at.tolist() == [-1, 5, -1]
    history = loop.history()
    assert history.d_loss.shape == (20, 3)
    assert np.isfinite(history.d_loss[:, [0, 2]]).all()


def test_all_members_failing_stops_the_loop_at_a_check():
    loop, sampler = _member_loop()
    with torch.no_grad():
        loop.generator.module.location.fill_(float("nan"))
    assert loop.run(sampler, 40, check_every=10) == 10


def test_a_loss_vmap_cannot_map_falls_back_to_the_mean_with_a_warning():
    class ItemLoss:
        def discriminator_loss(self, v_real, v_fake):
            scale = float(v_real.detach().abs().max().item() > -1.0)  # not mappable
            return scale * (torch.nn.functional.softplus(-v_real).mean()
                            + torch.nn.functional.softplus(v_fake).mean())

        def generator_loss(self, v_fake):
            return -torch.nn.functional.softplus(v_fake).mean()

    loop, sampler = _member_loop()
    loop.loss = ItemLoss()
    with pytest.warns(UserWarning, match="cannot be mapped over members"):
        loop.run(sampler, 3)
    assert np.isfinite(loop.history().d_loss).all()


# ---------------------------------------------------------------------------------------------
# Penalties and solve_many
# ---------------------------------------------------------------------------------------------


def test_member_penalty_is_the_sum_of_the_members_penalties():
    from robustgan.gan.losses import R1Penalty

    torch.manual_seed(0)
    nets = [MLPDiscriminator(2, hidden_sizes=(5,), activation="tanh") for _ in range(3)]
    stack = stack_modules(nets, fused=False)
    x_real, x_fake = torch.randn(3, 8, 2), torch.randn(3, 8, 2)
    total = MemberPenalty(R1Penalty(2.0), 3)(stack, x_real, x_fake, None)
    alone = sum(R1Penalty(2.0)(net, x_real[r], x_fake[r], None) for r, net in enumerate(nets))
    assert torch.allclose(total, alone, atol=1e-5)


def _location_problem(X, seed, n_steps=40):
    """A location game as an estimator states it: data, N(η, I) from 0, a seeded network."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        discriminator = MLPDiscriminator(X.shape[1], hidden_sizes=(8,), activation="leaky_relu")
    return AdversarialProblem(torch.as_tensor(X, dtype=torch.float32),
                              LocationGenerator(torch.zeros(X.shape[1])), discriminator,
                              get_divergence("js"),
                              {"n_steps": n_steps, "batch_size": 200, "latent_sampler": "pool"},
                              seed)


def test_solve_many_gives_each_problem_its_own_history(datasets):
    problems = [_location_problem(d.X, r) for r, d in enumerate(datasets[:2])]
    fits = solve_many(problems)
    assert [f.history.d_loss.shape for f in fits] == [(40,), (40,)]
    assert not np.array_equal(fits[0].history.d_loss, fits[1].history.d_loss)
    assert set(fits[0].averaged_parameters) == {"location"}


def test_solve_many_trains_each_problem_s_modules_in_place(datasets, monkeypatch):
    # As AdversarialProblem.solve does, so that a second game can continue from them.
    stacks = []
    original = batched.stack_modules

    def spy(modules, *args, **kwargs):
        stacks.append(original(modules, *args, **kwargs))
        return stacks[-1]

    monkeypatch.setattr(batched, "stack_modules", spy)
    problems = [_location_problem(d.X, r) for r, d in enumerate(datasets[:2])]
    modules = [(p.generator, p.discriminator) for p in problems]
    initial = [{k: v.clone() for k, v in p.discriminator.state_dict().items()} for p in problems]
    solve_many(problems)
    generators, discriminators = stacks
    for r, problem in enumerate(problems):
        assert (problem.generator, problem.discriminator) == modules[r]  # the same objects
        trained = discriminators.member_state_dict(r)
        for name, value in problem.discriminator.state_dict().items():
            assert torch.equal(value, trained[name]) and not torch.equal(value, initial[r][name])
        assert torch.equal(problem.generator.location, generators.member_state_dict(r)["location"])


# ---------------------------------------------------------------------------------------------
# GANTrainer ensembles
# ---------------------------------------------------------------------------------------------


def _ring(n=400):
    angles = np.random.default_rng(0).uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(angles), np.sin(angles)], 1) * 2.0 + 3.0


def test_gan_ensemble_trains_every_member_and_samples_per_member():
    from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator

    trainer = GANTrainer.ensemble(lambda: MLPGenerator(4, 2, hidden_sizes=(16,)),
                                  lambda: MLPDiscriminator(2, hidden_sizes=(16,)), 3,
                                  loss="wgan-gp", lr_d=2e-3, lr_g=2e-3, device="cpu",
                                  random_state=0, ema_decay=0.9)
    trainer.fit(_ring(), n_steps=60)
    assert trainer.n_members_ == 3 and trainer.step_ == 60
    assert trainer.history_.d_loss.shape == (60, 3) and np.isfinite(trainer.history_.d_loss).all()
    assert trainer.history_.d_penalty.shape == (60, 3)
    samples = trainer.sample(50)
    assert samples.shape == (3, 50, 2)
    single = trainer.member(1)
    assert isinstance(single, MLPGenerator)
    z = torch.randn(5, 4)
    assert torch.allclose(single(z), trainer.ema_generator(z.expand(3, 5, 4))[1], atol=1e-6)
    # Members start apart and train apart.
    first = [p.detach() for p in trainer.member(0).parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(first, trainer.member(2).parameters()))


def test_gan_ensemble_from_lists_resumes_from_a_checkpoint(tmp_path):
    from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator

    torch.manual_seed(0)
    gens = [MLPGenerator(3, 2, hidden_sizes=(8,)) for _ in range(2)]
    discs = [MLPDiscriminator(2, hidden_sizes=(8,)) for _ in range(2)]
    X = _ring(200)
    trainer = GANTrainer(gens, discs, loss="hinge", device="cpu", random_state=1)
    trainer.fit(X, n_steps=10)
    trainer.save(tmp_path / "ensemble.pt")
    trainer.fit(X, n_steps=20)
    resumed = GANTrainer.load(tmp_path / "ensemble.pt").fit(X, n_steps=20)
    np.testing.assert_array_equal(trainer.history_.d_loss, resumed.history_.d_loss)
    assert torch.equal(trainer.sample(4, random_state=0), resumed.sample(4, random_state=0))


def test_gan_ensemble_bad_input_is_named():
    from torch.utils.data import DataLoader, TensorDataset

    from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator

    gens = [MLPGenerator(3, 2, hidden_sizes=(8,)) for _ in range(2)]
    discs = [MLPDiscriminator(2, hidden_sizes=(8,)) for _ in range(2)]
    with pytest.raises(ValueError, match="same length"):
        GANTrainer(gens, discs[:1], device="cpu").initialize()
    with pytest.raises(ValueError, match="same length"):
        GANTrainer(gens, discs[0], device="cpu").initialize()
    with pytest.raises(ValueError, match="spectral normalisation"):
        GANTrainer(gens, discs, loss="sn-gan", device="cpu").initialize()
    with pytest.raises(ValueError, match="n_members"):
        GANTrainer.ensemble(lambda: gens[0], lambda: discs[0], 0)
    trainer = GANTrainer(gens, discs, device="cpu")
    loader = DataLoader(TensorDataset(torch.zeros(10, 2)), batch_size=5)
    with pytest.raises(ValueError, match="DataLoader"):
        trainer.fit(loader, n_steps=1)
    with pytest.raises(ValueError, match="rows have shape"):
        trainer.fit(np.zeros((10, 3)), n_steps=1)
