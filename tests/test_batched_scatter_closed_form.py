"""robustgan.batched: the scatter game's Gaussian model in closed form, as the location game's."""

import numpy as np
import pytest
import torch

from robustgan import RobustGANScatter, batched, fit_many
from robustgan.batched import (
    MemberIndexSampler,
    MemberNormalPool,
    StackedGaussianGenerator,
    stack_modules,
)
from robustgan.divergences import get_divergence
from robustgan.engine import AdversarialLoop, torch_generator
from robustgan.nets import GaussianGenerator, MLPDiscriminator

pytestmark = pytest.mark.usefixtures("one_thread")


FAST = {"n_steps": 40, "device": "cpu"}


def _gaussian_loop(divergence, hidden, b, **options):
    torch.manual_seed(4)
    R, p = 3, 4
    generator = stack_modules([GaussianGenerator(torch.randn(p), torch.randn(p, p))
                               for _ in range(R)])
    with torch.no_grad():  # the factor's strict upper triangle is not the model's
        generator.module.factor.add_(torch.randn(R, p, p).triu(1))
    activation = ("leaky_relu", "sigmoid")[:len(hidden)]
    discriminator = stack_modules([MLPDiscriminator(p, hidden_sizes=hidden, activation=activation)
                                   for _ in range(R)])
    real = MemberIndexSampler([torch.randn(40, p) for _ in range(R)], b, seeds=range(R))
    pool = MemberNormalPool([50] * R, p, range(R), "cpu")
    loop = batched._StackedLoop(generator, discriminator, get_divergence(divergence),
                                latent_dim=p, generator_rng=torch_generator(0, "cpu"),
                                latent_sampler=pool, members=R, **options)
    return loop, real, pool


def _gradients(params):
    grads = [q.grad for q in params]
    for q in params:
        q.grad = None
    return grads


@pytest.mark.parametrize("divergence", ["js", "tv"])
@pytest.mark.parametrize("hidden", [(6,), (5, 4)])
@pytest.mark.parametrize("b", [6, 7])
def test_closed_form_steps_are_the_autograd_steps(divergence, hidden, b):
    # Both steps on the same minibatch and latent draws, the closed form's against autograd's
    # through the formed rows η + tril(L)z: same losses and gradients (η's, L's masked as
    # torch.tril masks them, and the discriminator's weights) to float32 rounding.
    loop, real, pool = _gaussian_loop(divergence, hidden, b)
    assert loop._closed_form
    d_params, g_params = loop.discriminator._params(), loop.g_params
    drawn = real.state_dict(), pool.state_dict()
    closed = loop._discriminator_gradients(real)[0], _gradients(d_params)
    real.load_state_dict(drawn[0])
    pool.load_state_dict(drawn[1])
    graph = AdversarialLoop._discriminator_gradients(loop, real)[0], _gradients(d_params)
    drawn = pool.state_dict()
    closed_g = loop._generator_gradients(b, "cpu"), _gradients(g_params)
    pool.load_state_dict(drawn)
    graph_g = AdversarialLoop._generator_gradients(loop, b, "cpu"), _gradients(g_params)
    for (loss, grads), (expected_loss, expected) in ((closed, graph), (closed_g, graph_g)):
        torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-5, atol=1e-6)
        assert len(grads) == len(expected)
        for g, e in zip(grads, expected):
            torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-6)
    assert not closed_g[1][1].triu(1).any()


def test_the_batched_scatter_game_never_forms_the_generated_rows(datasets, monkeypatch):
    def formed(*args, **kwargs):
        raise AssertionError("the generated rows were formed")

    monkeypatch.setattr(StackedGaussianGenerator, "forward", formed)
    monkeypatch.setattr(MemberNormalPool, "__call__", formed)
    fits = fit_many(RobustGANScatter(**FAST), [d.X for d in datasets[:2]], random_states=[0, 1])
    for fit, d in zip(fits, datasets):
        assert np.linalg.norm(fit.covariance_ - d.scatter, 2) < 1.0


def test_the_closed_form_scatter_game_is_the_autograd_game_to_rounding(datasets, monkeypatch):
    X = [d.X for d in datasets[:3]]
    closed = fit_many(RobustGANScatter(**FAST), X, random_states=range(3))
    monkeypatch.setattr(batched, "takes_closed_form", lambda divergence: False)
    graph = fit_many(RobustGANScatter(**FAST), X, random_states=range(3))
    for a, b in zip(closed, graph):
        np.testing.assert_allclose(a.history_.d_loss, b.history_.d_loss, atol=1e-5)
        np.testing.assert_allclose(a.history_.g_loss, b.history_.g_loss, atol=1e-5)
        np.testing.assert_allclose(a.covariance_, b.covariance_, atol=1e-4)


def test_a_scatter_member_s_result_does_not_depend_on_its_batch(datasets):
    # With the default clipping: clip_grad_norm_per_member_ adds the six parameters' squared
    # norms elementwise, one parameter after another, whatever the batch's size (a reduction
    # across the stacked members rounded with it, and this test failed).
    est = RobustGANScatter(**FAST)
    # Data set 1 with seed 1 among all six, among strangers, alone, and in reversed order:
    # (data sets, seeds, its place).
    batches = [(range(6), range(6), 1), ([0, 1, 5, 4], [0, 1, 50, 51], 1), ([1], [1], 0),
               ([2, 1, 0], [2, 1, 0], 1)]
    fits = [fit_many(est, [datasets[i].X for i in rows], random_states=seeds)[place]
            for rows, seeds, place in batches]
    for fit in fits[1:]:
        np.testing.assert_array_equal(fit.covariance_, fits[0].covariance_)
        np.testing.assert_array_equal(fit.history_.d_loss, fits[0].history_.d_loss)
        np.testing.assert_array_equal(fit.history_.g_loss, fits[0].history_.g_loss)


def test_batched_scatter_fits_agree_with_single_fits(datasets):
    X = [d.X for d in datasets[:4]]
    est = RobustGANScatter(n_steps=100, device="cpu")
    together = fit_many(est, X, random_states=range(4))
    alone = [RobustGANScatter(n_steps=100, device="cpu", random_state=r).fit(x)
             for r, x in enumerate(X)]
    err_together = [np.linalg.norm(f.covariance_ - d.scatter, 2)
                    for f, d in zip(together, datasets)]
    err_alone = [np.linalg.norm(f.covariance_ - d.scatter, 2) for f, d in zip(alone, datasets)]
    assert abs(np.median(err_together) / np.median(err_alone) - 1.0) < 0.3
    # Paired: each member lands near its own single fit (same data, start, algorithm).
    gaps = [np.linalg.norm(a.covariance_ - b.covariance_, 2) for a, b in zip(together, alone)]
    assert np.median(gaps) < np.median(err_alone)


def test_games_the_closed_form_does_not_cover_take_the_autograd_path(datasets, monkeypatch):
    # Hellinger states no score derivatives; a penalty needs the generated rows; batches in
    # member chunks are scored chunk by chunk.
    assert not _gaussian_loop("hellinger", (6,), 6)[0]._closed_form
    assert not _gaussian_loop("js", (6,), 6, d_penalties=[lambda *args: 0.0])[0]._closed_form
    calls = []
    forward = StackedGaussianGenerator.forward
    monkeypatch.setattr(StackedGaussianGenerator, "forward",
                        lambda *args: calls.append(1) or forward(*args))
    fits = fit_many(RobustGANScatter(divergence="hellinger", **FAST), [datasets[0].X],
                    random_states=[0])
    assert calls and np.isfinite(fits[0].covariance_).all()
    X = [d.X for d in datasets[:3]]
    whole = fit_many(RobustGANScatter(**FAST), X, random_states=range(3))
    calls.clear()
    monkeypatch.setattr(batched, "_HIDDEN_CHUNK_ELEMENTS", 1)  # one member a chunk
    chunked = fit_many(RobustGANScatter(**FAST), X, random_states=range(3))
    assert calls
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a.history_.d_loss, b.history_.d_loss, atol=1e-5)
        np.testing.assert_allclose(a.covariance_, b.covariance_, atol=1e-4)
