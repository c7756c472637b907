"""What holds for the networks of robustgan.gan (and the MLPGenerator of robustgan.nets)."""

import pytest
import torch

from robustgan import nets
from robustgan.gan import MLPDiscriminator, MLPGenerator


def test_generator_maps_latent_rows_to_samples():
    gen = MLPGenerator(latent_dim=8, out_dim=3, hidden_sizes=(16, 16))
    assert gen(torch.randn(5, 8)).shape == (5, 3) and gen.latent_dim == 8
    linear = [m for m in gen.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(8, 16), (16, 16), (16, 3)]
    assert MLPGenerator is nets.MLPGenerator


def test_tanh_output_bounds_the_samples():
    gen = MLPGenerator(4, 2, hidden_sizes=(8,), output_activation="tanh")
    assert gen(100 * torch.randn(50, 4)).abs().max() <= 1.0
    with pytest.raises(ValueError, match="unknown activation"):
        MLPGenerator(4, 2, output_activation="swish")


def test_gan_discriminator_takes_in_features_and_gan_defaults():
    disc = MLPDiscriminator(in_features=2)
    assert isinstance(disc, nets.MLPDiscriminator)
    assert disc(torch.zeros(7, 2)).shape == (7,)
    linear = [m for m in disc.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(2, 128), (128, 128), (128, 1)]
    assert isinstance(disc.net[1], torch.nn.LeakyReLU)
    assert hasattr(MLPDiscriminator(2, spectral_norm=True).net[0], "parametrizations")


def test_in_dim_is_a_deprecated_alias_of_in_features():
    torch.manual_seed(0)
    new = MLPDiscriminator(in_features=3, hidden_sizes=(4,))
    torch.manual_seed(0)
    with pytest.warns(DeprecationWarning, match="in_dim=.* deprecated .* use in_features="):
        old = MLPDiscriminator(in_dim=3, hidden_sizes=(4,))
    assert repr(old) == repr(new)
    for a, b in zip(old.state_dict().values(), new.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(TypeError, match="not both"), pytest.warns(DeprecationWarning):
        MLPDiscriminator(3, in_dim=3)
    with pytest.raises(TypeError, match="missing required argument: 'in_features'"):
        MLPDiscriminator()
