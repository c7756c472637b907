"""What holds for the sample scores of robustgan.gan.metrics."""

import math

import numpy as np
import pytest
import torch

from robustgan.gan.metrics import (
    grid_centers,
    mmd,
    mode_statistics,
    ring_centers,
    sample_mixture,
    sliced_wasserstein,
)


def test_mixture_geometry():
    ring = ring_centers(8, 2.0)
    assert ring.shape == (8, 2) and np.allclose(np.linalg.norm(ring, axis=1), 2.0)
    grid = grid_centers(5, 2.0)
    assert grid.shape == (25, 2) and set(np.unique(grid)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    x = sample_mixture(ring, 0.02, 8000, random_state=0)
    assert np.allclose(sample_mixture(ring, 0.02, 5, random_state=1),
                       sample_mixture(ring, 0.02, 5, random_state=1))
    distance = np.min(np.linalg.norm(x[:, None] - ring[None], axis=2), axis=1)
    assert abs(np.mean(distance**2) / 2 - 0.02**2) < 0.1 * 0.02**2  # σ² per coordinate


def test_mmd_is_near_zero_for_one_law_and_grows_with_the_shift():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    values = [mmd(x, y + shift) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert abs(values[0]) < 0.01
    assert values[1] < values[2] < values[3]
    assert mmd(torch.from_numpy(x), torch.from_numpy(y + 1.0)) == pytest.approx(values[2])
    assert mmd(x, y + 1.0, bandwidth=[0.5, 1.0, 2.0]) > 0
    with pytest.raises(ValueError, match="at least 2"):
        mmd(x[:1], y)


def test_sliced_wasserstein_of_a_translation():
    # Projections of a shift s have E(θ·s)² = ‖s‖²/d: the sliced W₂ of a translate is ‖s‖/√d.
    x = np.random.default_rng(0).normal(size=(2000, 2))
    value = sliced_wasserstein(x, x + np.array([3.0, 0.0]), n_projections=2000, random_state=0)
    assert value == pytest.approx(3.0 / math.sqrt(2.0), rel=0.03)
    assert sliced_wasserstein(x, x, random_state=0) == 0.0
    assert sliced_wasserstein(x, x[:500], random_state=0) < 0.1  # unequal sizes


def test_mode_statistics_on_perfect_collapsed_and_lost_samples():
    centres = ring_centers()
    perfect = sample_mixture(centres, 0.02, 2500, random_state=0)
    stats = mode_statistics(perfect, centres, 0.02)
    assert stats["modes_covered"] == 8 and stats["high_quality"] > 0.98 and stats["mode_kl"] < 0.01

    collapsed = sample_mixture(centres[:1], 0.02, 2500, random_state=0)
    stats = mode_statistics(collapsed, centres, 0.02)
    assert stats["modes_covered"] == 1 and stats["counts"][0] > 2400
    assert stats["mode_kl"] == pytest.approx(math.log(8))

    lost = np.zeros((100, 2))  # the ring's centre: far from every mode
    stats = mode_statistics(lost, centres, 0.02)
    assert stats["modes_covered"] == 0 and stats["high_quality"] == 0.0
    assert stats["mode_kl"] == math.inf


def test_a_mode_needs_min_count_high_quality_samples():
    centres = ring_centers()
    x = np.concatenate([np.repeat(centres[:1], 100, 0), np.repeat(centres[1:2], 19, 0)])
    assert mode_statistics(x, centres, 0.02)["modes_covered"] == 1
    assert mode_statistics(x, centres, 0.02, min_count=19)["modes_covered"] == 2
