"""CUDA graphs of a game's steps (robustgan._step_graphs): a replay computes what the steps
would compute, and a game that cannot be captured runs step by step. The replays need a CUDA
device; which windows may be replayed is decided on the host, and is tested everywhere."""

import contextlib
import warnings

import numpy as np
import pytest
import torch

from robustgan import RobustGANMean, RobustGANScatter, _step_graphs
from robustgan._step_graphs import StepGraphs, averaging_phase
from robustgan.datasets import make_huber_contamination
from robustgan.divergences import get_divergence
from robustgan.engine import (
    AdversarialLoop,
    ExponentialAverage,
    IndexSampler,
    IterateAverage,
    NormalPool,
    WeightPenalty,
    antithetic_normal,
    torch_generator,
    train_adversarial,
)
from robustgan.nets import GaussianGenerator, LocationGenerator, MLPDiscriminator

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_a_window_in_which_the_averaging_starts_is_not_replayed():
    module = torch.nn.Linear(1, 1)
    average = IterateAverage(module, start=10)
    ema = ExponentialAverage(module, decay=0.5)  # no start: on at every step
    assert averaging_phase([average, ema], 0, 10) == (False,)
    assert averaging_phase([average, ema], 10, 4) == (True,)
    assert averaging_phase([average], 9, 2) is None
    assert averaging_phase([ema], 3, 7) == ()


def _loop(**options):
    generator = LocationGenerator(torch.zeros(2))
    rng = torch_generator(0, "cpu")
    settings = {"latent_sampler": NormalPool(1_000, 2, rng, "cpu"), "d_optimizer": "sgd",
                "g_optimizer": "sgd", "g_hooks": [IterateAverage(generator, start=500)],
                **options}
    return AdversarialLoop(generator, MLPDiscriminator(2), get_divergence("js"), latent_dim=2,
                           generator_rng=rng, **settings)


class _OwnSampler(IndexSampler):
    pass


def test_a_game_on_the_cpu_runs_step_by_step():
    loop = _loop(cuda_graphs=True)
    sampler = IndexSampler(torch.randn(100, 2), 50)
    assert loop._steps_capturable(sampler, 1_000, 2)
    assert loop._step_graphs(sampler, torch.device("cpu"), 1_000, 2) is None


def test_only_games_that_decide_nothing_on_the_host_between_checks_are_captured():
    sampler = IndexSampler(torch.randn(100, 2), 50)
    assert _loop()._steps_capturable(sampler, 1_000, 2)
    assert _loop(latent_sampler=antithetic_normal, g_hooks=[])._steps_capturable(sampler, 8, 2)
    assert _loop(d_penalties=[WeightPenalty(l2=1e-3)])._steps_capturable(sampler, 1_000, 50)
    not_captured = [
        ({}, 6, 2),                                          # three windows do not pay
        ({"d_optimizer": "adam"}, 1_000, 2),                 # its step count lives on the host
        ({"lr_schedule": "cosine"}, 1_000, 2),               # a rate set at every step
        ({"d_constraints": [lambda d: None]}, 1_000, 2),     # callables unknown
        ({"g_hooks": [lambda step: None]}, 1_000, 2),
        ({"d_penalties": [lambda *args: 0.0]}, 1_000, 2),
        ({"latent_sampler": lambda n, dim, g, d: torch.randn(n, dim, generator=g)}, 1_000, 2),
    ]
    for options, n_steps, check_every in not_captured:
        assert not _loop(**options)._steps_capturable(sampler, n_steps, check_every), options
    assert not _loop()._steps_capturable(_OwnSampler(torch.randn(100, 2), 50), 1_000, 2)


class _Replayed(AdversarialLoop):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, cuda_graphs=True, **kwargs)


class _StepByStep(AdversarialLoop):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, cuda_graphs=False, **kwargs)


@pytest.fixture
def captures(monkeypatch):
    """The number of windows captured and replayed in the test so far."""
    counts = {"captured": 0, "replayed": 0}
    capture, advance = StepGraphs._capture, StepGraphs.advance

    def counted_capture(self, *args):
        entry = capture(self, *args)
        counts["captured"] += entry is not None
        return entry

    def counted_advance(self, *args):
        replayed = advance(self, *args)
        counts["replayed"] += replayed and bool(self.graphs)
        return replayed

    monkeypatch.setattr(StepGraphs, "_capture", counted_capture)
    monkeypatch.setattr(StepGraphs, "advance", counted_advance)
    return counts


def _game(graphs, model="location", n_steps=250, check_every=8, callbacks=(), device="cuda",
          **options):
    rows = torch.randn(4_000, 10, generator=torch.Generator().manual_seed(0))
    rows[:800] += 5.0
    rows = rows.to(device)
    torch.manual_seed(0)
    discriminator = MLPDiscriminator(10).to(device)
    location = torch.zeros(10, device=device)
    generator = (LocationGenerator(location) if model == "location"
                 else GaussianGenerator(location, torch.eye(10, device=device)))
    fit = train_adversarial(rows, generator, discriminator, n_steps=n_steps, n_critic=3,
                            lr_g=0.1 if model == "location" else 0.005, latent_sampler="pool",
                            check_every=check_every, callbacks=callbacks, random_state=0,
                            loop_class=_Replayed if graphs else _StepByStep, **options)
    return fit


def _assert_same_game(replayed, stepped):
    assert replayed.n_iter == stepped.n_iter
    for name, value in stepped.averaged_parameters.items():
        torch.testing.assert_close(replayed.averaged_parameters[name], value, rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(replayed.history.d_loss, stepped.history.d_loss, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(replayed.history.g_loss, stepped.history.g_loss, rtol=1e-5,
                               atol=1e-6)


class _FakeStream:
    device = torch.device("cpu")

    def __init__(self, device=None):
        pass

    def wait_stream(self, other):
        pass


class _FakeGraph:
    """A CUDA graph's semantics on the CPU: what is recorded does not run then (the loop's
    state is put back after it), and each replay runs what was recorded."""

    recording = None

    def register_generator_state(self, generator):
        pass

    def capture_begin(self, capture_error_mode="global"):
        _FakeGraph.recording = self

    def capture_end(self):
        _FakeGraph.recording = None

    def replay(self):
        self.steps()


@pytest.fixture
def fake_cuda(monkeypatch, captures):
    """StepGraphs on the CPU, with ``_FakeGraph`` for CUDA's graphs and streams: the windows'
    bookkeeping (warm-up, averaging phases, settings, history, fallback) tested anywhere."""
    monkeypatch.setattr(torch.cuda, "Stream", _FakeStream)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: _FakeStream())
    monkeypatch.setattr(torch.cuda, "stream", lambda stream: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "CUDAGraph", _FakeGraph)
    monkeypatch.setattr(AdversarialLoop, "_step_graphs", lambda self, sampler, device, n_steps,
                        check_every: (StepGraphs(self, device, check_every) if self.cuda_graphs
                                      and self._steps_capturable(sampler, n_steps, check_every)
                                      else None))
    steps = StepGraphs._steps

    def recorded(self, *args):
        graph = _FakeGraph.recording
        if graph is None:
            return steps(self, *args)
        loop = self.loop
        parameters = [p.detach().clone() for p in loop.d_params + loop.g_params]
        sums = [{k: v.clone() for k, v in hook.sums.items()} for hook in loop.g_hooks]
        rng = loop.rng.get_state()
        steps(self, *args)  # a capture runs nothing: its effects are undone
        with torch.no_grad():
            for p, saved in zip(loop.d_params + loop.g_params, parameters):
                p.copy_(saved)
        for hook, saved in zip(loop.g_hooks, sums):
            for key, value in saved.items():
                hook.sums[key].copy_(value)
        loop.rng.set_state(rng)
        graph.steps = lambda: steps(self, *args)

    monkeypatch.setattr(StepGraphs, "_steps", recorded)
    return captures


def test_windows_replayed_on_the_cpu_are_the_game_step_by_step(fake_cuda):
    replayed = _game(True, device="cpu")
    # Two graphs of 8 steps: before the averaging starts (step 125) and after it.
    assert fake_cuda["captured"] == 2
    # 31 windows of 8 steps: the first warms up and the one that holds step 125 runs step by
    # step; so do the last 2 steps, which no other window repeats.
    assert fake_cuda["replayed"] == 29
    stepped = _game(False, device="cpu")
    for name, value in stepped.averaged_parameters.items():
        assert torch.equal(replayed.averaged_parameters[name], value)
    np.testing.assert_array_equal(replayed.history.d_loss, stepped.history.d_loss)
    np.testing.assert_array_equal(replayed.history.g_loss, stepped.history.g_loss)


def test_a_settings_change_is_captured_anew_and_a_failed_capture_runs_step_by_step(
        fake_cuda, monkeypatch):
    def move_storage(step, generator, discriminator):
        if step == 64:
            generator.location.data = generator.location.data.clone()

    replayed = _game(True, device="cpu", callbacks=(move_storage,))
    assert fake_cuda["captured"] == 3
    stepped = _game(False, device="cpu", callbacks=(move_storage,))
    assert torch.equal(replayed.averaged_parameters["location"],
                       stepped.averaged_parameters["location"])

    def failing(self, *args):
        raise RuntimeError("operation not permitted when stream is capturing")

    monkeypatch.setattr(_FakeGraph, "capture_end", failing)
    with pytest.warns(UserWarning, match="could not be captured in a CUDA graph"):
        fallen_back = _game(True, device="cpu")
    assert torch.equal(fallen_back.averaged_parameters["location"],
                       _game(False, device="cpu").averaged_parameters["location"])


@needs_cuda
@pytest.mark.parametrize("model, options", [
    ("location", {}),                                    # the closed-form step
    ("gaussian", {}),
    ("location", {"divergence": "kl"}),                  # autograd's step
    ("location", {"l2_penalty": 1e-3, "max_grad_norm": 1.0}),
])
def test_a_replayed_game_is_the_game_played_step_by_step(captures, model, options):
    replayed = _game(True, model, **options)
    assert captures["captured"] == 2  # before and after the averaging starts (step 125)
    # 31 windows of 8 steps: one warms up, one holds the start of the averaging.
    assert captures["replayed"] == 29
    _assert_same_game(replayed, _game(False, model, **options))


@needs_cuda
def test_replays_are_reproducible(captures):
    first, second = _game(True), _game(True)
    assert captures["replayed"] > 0
    for name, value in first.averaged_parameters.items():
        assert torch.equal(second.averaged_parameters[name], value)


@needs_cuda
def test_a_parameter_stored_anew_is_captured_anew(captures):
    def move_storage(step, generator, discriminator):
        if step == 64:
            generator.location.data = generator.location.data.clone()

    replayed = _game(True, callbacks=(move_storage,))
    assert captures["captured"] >= 3
    _assert_same_game(replayed, _game(False, callbacks=(move_storage,)))


@needs_cuda
def test_steps_that_read_the_device_run_step_by_step_with_a_warning(monkeypatch):
    advance = AdversarialLoop._advance

    def reading(self, *args):
        advance(self, *args)
        float(self.generator.location.sum())  # a host read: no graph can hold it

    monkeypatch.setattr(AdversarialLoop, "_advance", reading)
    with pytest.warns(UserWarning, match="could not be captured in a CUDA graph"):
        replayed = _game(True)
    _assert_same_game(replayed, _game(False))


@needs_cuda
@pytest.mark.parametrize("estimator", [RobustGANMean, RobustGANScatter])
def test_the_estimators_fit_the_same_with_graphs(monkeypatch, captures, estimator):
    X = make_huber_contamination(5_000, 10, 0.2, shift=5.0, random_state=0).X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        monkeypatch.setattr(_step_graphs, "BY_DEFAULT", True)
        replayed = estimator(random_state=0, device="cuda").fit(X)
        monkeypatch.setattr(_step_graphs, "BY_DEFAULT", False)
        stepped = estimator(random_state=0, device="cuda").fit(X)
    if estimator is RobustGANScatter:
        # Its game is played here (300 steps, checks every 50; on the CPU: selected "game").
        # RobustGANMean's start is taken after its 100-step referee, too short to capture.
        assert captures["captured"] >= 1
    assert replayed.selected_ == stepped.selected_
    np.testing.assert_allclose(replayed.location_, stepped.location_, rtol=1e-4, atol=1e-5)
    if hasattr(stepped, "covariance_"):
        np.testing.assert_allclose(replayed.covariance_, stepped.covariance_, rtol=1e-4,
                                   atol=1e-5)
