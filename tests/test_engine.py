import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import robustgan._threads as threads
from robustgan.batched import MemberNormalPool
from robustgan.engine import (
    RUNAWAY_FACTOR,
    History,
    NormalPool,
    TrainingDivergedError,
    antithetic_normal,
    clip_grad_norm_,
    latent_pool_size,
    make_optimizer,
    resolve_device,
    runaway_bound,
    standard_normal,
    torch_generator,
    train_adversarial,
    uses_latent_pool,
)
from robustgan.nets import LocationGenerator, MLPDiscriminator


def _problem(seed=0, n=2000, p=3, shift=2.0):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, p, generator=g) + shift
    torch.manual_seed(seed)
    return real, LocationGenerator(torch.zeros(p)), MLPDiscriminator(p, activation="leaky_relu")


def test_location_game_converges_to_the_data_mean():
    real, gen, disc = _problem()
    fit = train_adversarial(real, gen, disc, "js", n_steps=300, random_state=0)
    # Clean N(2·1, I) data: the JS-GAN estimate is consistent; 0.15 is ~3 standard errors
    # of the sample mean (√(3/2000) ≈ 0.04) plus optimisation noise.
    assert torch.linalg.norm(fit.averaged_parameters["location"] - 2.0) < 0.15
    assert fit.n_iter == 300 and len(fit.history) == 300


@pytest.mark.parametrize("divergence", ["js", "tv", "kl", "pearson", "hellinger", "gan"])
def test_every_divergence_moves_eta_towards_the_data(divergence):
    real, gen, disc = _problem(shift=1.5)
    fit = train_adversarial(real, gen, disc, divergence, n_steps=150, lr_d=0.05, lr_g=0.05,
                            random_state=0)
    error = torch.linalg.norm(fit.averaged_parameters["location"] - 1.5)
    assert error < 0.5 * torch.linalg.norm(torch.full((3,), 1.5))


def test_same_seed_same_result_and_different_seed_different_result():
    def run(seed):
        real, gen, disc = _problem()
        return train_adversarial(real, gen, disc, n_steps=40, random_state=seed)

    a, b, c = run(1), run(1), run(2)
    assert torch.equal(a.averaged_parameters["location"], b.averaged_parameters["location"])
    np.testing.assert_array_equal(a.history.d_loss, b.history.d_loss)
    assert not torch.equal(a.averaged_parameters["location"], c.averaged_parameters["location"])


def test_average_is_the_mean_of_the_last_iterates():
    real, gen, disc = _problem()
    seen = []

    def record(step, generator, discriminator):
        seen.append(generator.location.detach().clone())

    fit = train_adversarial(real, gen, disc, n_steps=20, average=0.5, check_every=1,
                            callbacks=[record], random_state=0)
    expected = torch.stack(seen[10:]).mean(0)
    assert torch.allclose(fit.averaged_parameters["location"], expected, atol=1e-6)


def test_callback_returning_true_stops_training():
    real, gen, disc = _problem()
    fit = train_adversarial(real, gen, disc, n_steps=100, check_every=10,
                            callbacks=[lambda step, g, d: step >= 30], random_state=0)
    assert fit.n_iter == 30 and len(fit.history.d_loss) == 30


def test_progress_receives_every_step_once():
    real, gen, disc = _problem()
    counts = []
    train_adversarial(real, gen, disc, n_steps=23, check_every=5, progress=counts.append,
                      random_state=0)
    assert sum(counts) == 23


def test_divergence_is_detected_and_named():
    real, gen, disc = _problem()
    with pytest.raises(FloatingPointError, match="no longer finite"):
        train_adversarial(real * np.inf, gen, disc, n_steps=10, check_every=5, random_state=0)


# --- runaway games: finite, but far beyond the data ----------------------------------------------


def test_a_runaway_generator_is_an_error_that_names_the_settings():
    real, gen, disc = _problem()
    with pytest.raises(TrainingDivergedError, match="ran away") as caught:
        train_adversarial(real, gen, disc, n_steps=100, lr_d=1e6, max_grad_norm=1.0, check_every=10,
                          random_state=0)
    message = str(caught.value)
    assert "before generator step 10" in message
    assert "lr_d=1e+06" in message and "optimizer='sgd'" in message
    assert "divergence='jensen-shannon'" in message
    # The engine's failure type, and what a scikit-learn fit that cannot finish raises.
    assert isinstance(caught.value, FloatingPointError) and isinstance(caught.value, RuntimeError)


def test_the_runaway_bound_is_ten_times_the_data_radius_and_can_be_disabled():
    real, gen, disc = _problem()
    radius = real.norm(dim=1).max()
    assert torch.allclose(runaway_bound(IndexSampler(real, 10)), RUNAWAY_FACTOR * radius)
    assert float(runaway_bound(IndexSampler(torch.zeros(3, 2), 2))) == RUNAWAY_FACTOR  # ≥ 1
    with torch.no_grad():
        gen.location.fill_(float(RUNAWAY_FACTOR * radius) * 2)  # start out of bounds
    with pytest.raises(TrainingDivergedError, match="ran away"):
        train_adversarial(real, gen, disc, n_steps=5, lr_d=1e-9, lr_g=0.0, check_every=5,
                          random_state=0)
    fit = train_adversarial(real, gen, disc, n_steps=5, lr_d=1e-9, lr_g=0.0, check_every=5,
                            generator_bound=None, random_state=0)
    assert fit.n_iter == 5
    with pytest.raises(ValueError, match="generator_bound"):
        train_adversarial(real, gen, disc, n_steps=1, generator_bound="big")


def test_the_runaway_check_adds_no_host_sync_between_checks(monkeypatch):
    real, loop = _loop(generator_bound=torch.tensor(1e3))
    sampler = IndexSampler(real, 64)
    loop.run(sampler, 2)
    calls = []
    original = torch.Tensor.tolist

    def counted(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(torch.Tensor, "tolist", counted)
    loop.run(sampler, 15, check_every=5)
    assert len(calls) == 3  # 13 steps: one read per check (steps 5, 10, 15), none per step


def test_a_runaway_member_is_recorded_and_named_and_the_others_go_on():
    from robustgan.batched import MemberIndexSampler, MemberLatentSampler, stack_modules

    R, p = 3, 2
    data = [torch.randn(200, p) + r for r in range(R)]
    sampler = MemberIndexSampler(data, 50, seeds=range(R))
    loop = AdversarialLoop(
        stack_modules([LocationGenerator(torch.zeros(p)) for _ in range(R)]),
        stack_modules([MLPDiscriminator(p, hidden_sizes=(6,)) for _ in range(R)]),
        get_divergence("js"), latent_dim=p, generator_rng=torch_generator(0, "cpu"),
        latent_sampler=MemberLatentSampler(antithetic_normal, range(R), "cpu"),
        d_optimizer="sgd", g_optimizer="sgd", lr_d=0.1, lr_g=0.1, members=R,
        generator_bound=runaway_bound(sampler))
    assert runaway_bound(sampler).shape == (R,)
    with torch.no_grad():
        loop.generator.module.location[1] = 1e6  # finite, far beyond member 1's data
    loop.run(sampler, 10, check_every=5)
    assert loop.step == 10 and loop.failed_at.tolist() == [-1, 5, -1]
    failures = loop.member_failures()
    assert failures[0] is None and failures[2] is None
    assert isinstance(failures[1], TrainingDivergedError) and "ran away" in str(failures[1])
    state = loop.state_dict()
    loop.failure_kind.zero_()
    loop.load_state_dict(state)
    assert "ran away" in str(loop.member_failures()[1])


# --- thread use: one intra-op thread for small steps, the caller's setting restored ------------


def _threads_seen(**kwargs):
    seen = []
    real, gen, disc = _problem()
    train_adversarial(real, gen, disc, n_steps=4, check_every=2, random_state=0,
                      callbacks=[lambda step, g, d: seen.append(torch.get_num_threads())],
                      **kwargs)
    return seen


def test_small_steps_run_on_one_thread_and_the_callers_setting_is_restored(monkeypatch):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert _threads_seen() == [1, 1]
        assert torch.get_num_threads() == 2
        monkeypatch.setattr(threads, "SMALL_STEP_WORK", 0)  # every step "large"
        assert _threads_seen() == [2, 2]
    finally:
        torch.set_num_threads(before)


def test_the_callers_setting_is_restored_after_an_error_and_when_nested():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        real, gen, disc = _problem()
        with pytest.raises(TrainingDivergedError):
            train_adversarial(real, gen, disc, n_steps=20, lr_d=1e6, check_every=10,
                              random_state=0)
        assert torch.get_num_threads() == 2
        with threads.threads_for(10) as outer:
            with threads.threads_for(10) as inner:
                assert (outer, inner, torch.get_num_threads()) == (1, 1, 1)
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with threads.threads_for(None) as unknown, threads.threads_for(10, "cuda") as gpu:
            assert unknown == gpu == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("spare", [0.0, 1.0])
def test_mid_sized_steps_take_the_callers_threads_only_where_a_cpu_is_spare(monkeypatch, spare):
    # Between SPARE_CPU_STEP_WORK and SMALL_STEP_WORK: the caller's threads on an idle CPU,
    # one thread on a busy machine, where a second thread waits for a core.
    monkeypatch.setattr(threads, "_spare_cpus", lambda: spare)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        mid = (threads.SPARE_CPU_STEP_WORK + threads.SMALL_STEP_WORK) // 2
        with threads.threads_for(mid) as used:
            assert used == torch.get_num_threads() == (2 if spare else 1)
        with threads.threads_for(threads.SPARE_CPU_STEP_WORK - 1) as used:
            assert used == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_scatter_game_gives_the_same_bits_on_one_thread_and_on_two(monkeypatch):
    # The thread count of a mid-sized step follows the machine's load; the answer must not.
    # A p = 100 game of RobustGANScatter's default network (work 6.3e6, in the mid range).
    from robustgan import RobustGANScatter
    from robustgan.datasets import make_huber_contamination

    X = make_huber_contamination(2000, 100, 0.2, random_state=0).X
    before = torch.get_num_threads()
    fits = []
    try:
        for spare in (0.0, 1.0):
            monkeypatch.setattr(threads, "_spare_cpus", lambda spare=spare: spare)
            torch.set_num_threads(2)
            fits.append(RobustGANScatter(n_steps=30, random_state=0).fit(X))
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(fits[0].covariance_, fits[1].covariance_)
    np.testing.assert_array_equal(fits[0].location_, fits[1].location_)


def test_step_work_is_rows_times_discriminator_parameters():
    disc = MLPDiscriminator(10, hidden_sizes=(20,))
    assert threads.step_work(500, disc) == 500 * (10 * 20 + 20 + 20 + 1)
    assert threads.step_work(None, disc) is None


def test_weight_penalties_shrink_the_discriminator():
    norms = {}
    for penalty in (0.0, 0.1):
        real, gen, disc = _problem()
        train_adversarial(real, gen, disc, n_steps=50, l1_penalty=penalty, l2_penalty=penalty,
                          random_state=0)
        norms[penalty] = sum(p.abs().sum() for n, p in disc.named_parameters() if p.ndim > 1)
    assert norms[0.1] < 0.8 * norms[0.0]


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_optimizers_and_schedules_run(optimizer, schedule):
    real, gen, disc = _problem()
    lr = 0.2 if optimizer == "sgd" else 0.05
    fit = train_adversarial(real, gen, disc, n_steps=100, d_optimizer=optimizer,
                            g_optimizer=optimizer, lr_d=lr, lr_g=lr, lr_schedule=schedule,
                            random_state=0)
    assert torch.linalg.norm(fit.averaged_parameters["location"] - 2.0) < 2.0


def test_unknown_optimizer_and_schedule_are_named():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", [torch.zeros(1, requires_grad=True)], 0.1)
    real, gen, disc = _problem()
    with pytest.raises(ValueError, match="unknown lr_schedule 'exp'"):
        train_adversarial(real, gen, disc, n_steps=1, lr_schedule="exp")


def test_unknown_divergence_is_named():
    real, gen, disc = _problem()
    with pytest.raises(ValueError, match="wasserstein"):
        train_adversarial(real, gen, disc, "wasserstein", n_steps=1)


def test_antithetic_noise_has_exactly_zero_mean():
    z = antithetic_normal(1000, 4, torch_generator(0, "cpu"), "cpu")
    assert z.shape == (1000, 4)
    assert torch.equal(z[:500], -z[500:])
    assert torch.allclose(z.mean(0), torch.zeros(4), atol=1e-6)  # zero but for float32 rounding
    assert abs(z.std().item() - 1.0) < 0.05  # 4000 draws: s.e. of the s.d. ≈ 0.011


def test_a_latent_sampler_is_a_callable_or_a_pool_of_at_least_ten_thousand_draws():
    assert uses_latent_pool("pool") and not uses_latent_pool(standard_normal)
    with pytest.raises(ValueError, match="latent_sampler must be a callable or 'pool', got 'x'"):
        uses_latent_pool("x")
    assert (latent_pool_size(500), latent_pool_size(20_000)) == (10_000, 20_000)
    real, gen, disc = _problem(n=100)
    with pytest.raises(ValueError, match="'pool' is for single games"):
        train_adversarial(real, gen, disc, "js", n_steps=1, latent_sampler="pool", members=1)


@pytest.mark.parametrize("pool", [
    NormalPool(10, 3, torch_generator(0, "cpu"), "cpu"),
    MemberNormalPool([10, 20], 3, seeds=[0, 1], device="cpu"),
])
def test_a_pool_refuses_noise_of_another_dimension(pool):
    with pytest.raises(ValueError, match="this pool holds 3-dimensional noise, not 2"):
        pool(4, 2, None, "cpu")


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in {"cpu", "cuda"}
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    # torch's own error for an unknown name is a long RuntimeError listing every device type.
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu', 'cuda'.*got 'gpu'"):
        resolve_device("gpu")


def test_history_objective_is_minus_the_discriminator_loss():
    h = History(d_loss=np.array([1.0, -2.0]), g_loss=np.array([0.5, 0.5]))
    np.testing.assert_array_equal(h.objective, [-1.0, 2.0])
    assert h.to_dict() == {"d_loss": [1.0, -2.0], "g_loss": [0.5, 0.5]}


def test_gradient_clipping_bounds_each_discriminator_step():
    real, gen, disc = _problem()
    before = [p.detach().clone() for p in disc.parameters()]
    train_adversarial(real, gen, disc, n_steps=1, n_critic=1, lr_d=1.0, max_grad_norm=1e-3,
                      random_state=0)
    moved = torch.sqrt(sum(((p - q) ** 2).sum() for p, q in zip(disc.parameters(), before)))
    assert moved.item() <= 1e-3 * (1 + 1e-5)  # one SGD step of lr 1 moves by the gradient norm


# --- the loop as a stateful core: samplers, hooks, checkpoints ----------------------------------

from robustgan.divergences import get_divergence
from robustgan.engine import (
    AdversarialLoop,
    ExponentialAverage,
    IndexSampler,
    IterateAverage,
    LoaderSampler,
    WeightPenalty,
    standard_normal,
)


def _loop(seed=0, **kwargs):
    real, gen, disc = _problem(seed)
    loop = AdversarialLoop(gen, disc, get_divergence("js"), latent_dim=3,
                           generator_rng=torch_generator(seed, "cpu"),
                           latent_sampler=antithetic_normal, d_optimizer="sgd",
                           g_optimizer="sgd", lr_d=0.2, lr_g=0.1, **kwargs)
    return real, loop


def test_train_adversarial_is_a_configuration_of_the_loop():
    real, gen, disc = _problem()
    fit = train_adversarial(real, gen, disc, n_steps=30, n_critic=2, batch_size=100,
                            average=1.0, random_state=7)
    real, gen2, disc2 = _problem()
    average = IterateAverage(gen2, start=0)
    loop = AdversarialLoop(gen2, disc2, get_divergence("js"), latent_dim=3, n_critic=2,
                           generator_rng=torch_generator(7, "cpu"),
                           latent_sampler=antithetic_normal, d_optimizer="sgd",
                           g_optimizer="sgd", lr_d=0.2, lr_g=0.1, g_hooks=[average])
    loop.run(IndexSampler(real, 100), 30)
    np.testing.assert_array_equal(loop.history().d_loss, fit.history.d_loss)
    assert torch.equal(average.result(30)["location"], fit.averaged_parameters["location"])


def test_loop_state_round_trip_continues_bit_for_bit():
    real, full = _loop()
    full.run(IndexSampler(real, 64), 40)

    real, first = _loop()
    first.run(IndexSampler(real, 64), 15)
    state = first.state_dict()
    _, second = _loop(seed=99)  # another RNG and initialisation: the state overrides both
    second.load_state_dict(state)
    second.run(IndexSampler(real, 64), 40)
    np.testing.assert_array_equal(second.history().d_loss, full.history().d_loss)
    np.testing.assert_array_equal(second.history().g_loss, full.history().g_loss)
    assert torch.equal(second.generator.location, full.generator.location)


def test_run_is_resumable_in_pieces():
    real, whole = _loop()
    whole.run(IndexSampler(real, 64), 30)
    real, pieces = _loop()
    for stop in (7, 20, 30):
        pieces.run(IndexSampler(real, 64), stop)
    np.testing.assert_array_equal(pieces.history().d_loss, whole.history().d_loss)


def test_penalties_constraints_and_hooks_are_called_and_recorded():
    seen = {"constraint": 0, "hook": []}
    real, loop = _loop(d_penalties=[WeightPenalty(l2=0.5)],
                       d_constraints=[lambda d: seen.__setitem__("constraint", seen["constraint"] + 1)],
                       g_hooks=[seen["hook"].append], n_critic=3)
    loop.run(IndexSampler(real, 64), 4)
    assert seen["constraint"] == 12 and seen["hook"] == [0, 1, 2, 3]
    history = loop.history()
    assert len(history.d_penalty) == 4 and np.all(history.d_penalty > 0)


def test_train_adversarial_accepts_any_loss_object():
    class Hinge:
        def discriminator_loss(self, v_real, v_fake):
            return torch.relu(1 - v_real).mean() + torch.relu(1 + v_fake).mean()

        def generator_loss(self, v_fake):
            return -v_fake.mean()

    real, gen, disc = _problem(shift=1.5)
    fit = train_adversarial(real, gen, disc, Hinge(), n_steps=150, lr_d=0.05, lr_g=0.05,
                            random_state=0)
    assert torch.linalg.norm(fit.averaged_parameters["location"] - 1.5) < 1.0


def test_index_and_loader_samplers():
    data = torch.arange(20.0).reshape(10, 2)
    batch = IndexSampler(data, 4)(torch_generator(0, "cpu"))
    assert batch.shape == (4, 2) and all(row.tolist() in data.tolist() for row in batch)
    assert IndexSampler(data, 50).batch_size == 10
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(data), batch_size=4)
    sampler = LoaderSampler(loader, "cpu", torch.float64)
    batches = [sampler(None) for _ in range(5)]
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4] and batches[0].dtype == torch.float64
    restored = LoaderSampler(loader, "cpu", torch.float64)
    restored.load_state_dict(sampler.state_dict())
    assert torch.equal(restored(None), sampler(None))  # both at the 3rd batch of an epoch


def test_exponential_average_and_standard_normal():
    module = torch.nn.Linear(2, 1)
    ema = ExponentialAverage(module, decay=0.75)
    start = module.weight.detach().clone()
    with torch.no_grad():
        module.weight.add_(4.0)
    ema(0)
    assert torch.allclose(ema.average.weight, start + 1.0)
    with pytest.raises(ValueError, match="decay"):
        ExponentialAverage(module, decay=1.0)
    z = standard_normal(4000, 2, torch_generator(0, "cpu"), "cpu")
    assert z.shape == (4000, 2) and abs(z.mean().item()) < 0.05


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), max_norm=st.floats(1e-3, 1e3),
       magnitude=st.floats(1e-4, 1e4), missing=st.booleans())
def test_clip_grad_norm_is_torchs_to_the_bit(seed, max_norm, magnitude, missing):
    g = torch.Generator().manual_seed(seed)
    shapes = [(20, 7), (20,), (1, 20), (1,)]
    ours = [torch.zeros(shape, requires_grad=True) for shape in shapes]
    theirs = [torch.zeros(shape, requires_grad=True) for shape in shapes]
    for a, b in zip(ours, theirs):
        a.grad = magnitude * torch.randn(a.shape, generator=g)
        b.grad = a.grad.clone()
    if missing:  # a parameter without a gradient is left out of the norm, as torch does
        ours[1].grad = theirs[1].grad = None
    norm = clip_grad_norm_(iter(ours), max_norm)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, foreach=True)
    assert torch.equal(norm, expected)
    for a, b in zip(ours, theirs):
        assert (a.grad is None and b.grad is None) or torch.equal(a.grad, b.grad)


def test_clip_grad_norm_mixed_dtypes_and_no_gradients():
    a = torch.zeros(3, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    a.grad, b.grad = torch.tensor([3.0, 0.0, 0.0]), torch.tensor([4.0, 0.0], dtype=torch.float64)
    norm = clip_grad_norm_([a, b], 1.0)  # torch's own path: one norm over both dtypes
    assert float(norm) == pytest.approx(5.0)
    assert float(a.grad[0]) == pytest.approx(0.6, rel=1e-5)
    assert float(b.grad[0]) == pytest.approx(0.8, rel=1e-5)
    assert clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0) is None
