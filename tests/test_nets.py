import pytest
import torch

from robustgan.nets import ACTIVATIONS, LocationGenerator, MLPDiscriminator, seed_first_layer


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_discriminator_maps_rows_to_one_logit_each(activation):
    disc = MLPDiscriminator(4, hidden_sizes=(6, 3), activation=activation)
    assert disc(torch.randn(7, 4)).shape == (7,)


def test_discriminator_has_the_requested_layers():
    disc = MLPDiscriminator(4, hidden_sizes=(6, 3), activation=("sigmoid", "tanh"))
    linear = [m for m in disc.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(4, 6), (6, 3), (3, 1)]
    assert isinstance(disc.net[1], torch.nn.Sigmoid) and isinstance(disc.net[3], torch.nn.Tanh)


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLPDiscriminator(2, activation="swish")


def test_one_activation_per_hidden_layer():
    with pytest.raises(ValueError, match="2 activations for 1 hidden layers"):
        MLPDiscriminator(2, hidden_sizes=(3,), activation=("relu", "relu"))


def test_spectral_norm_bounds_every_layer_by_one():
    torch.manual_seed(0)
    disc = MLPDiscriminator(5, hidden_sizes=(8,), spectral_norm=True)
    for _ in range(30):  # power iteration converges during forward passes in training mode
        disc(torch.randn(4, 5))
    for layer in (disc.net[0], disc.net[2]):
        assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1.0, abs=1e-3)


def test_location_generator_shifts_noise_and_passes_gradients_to_eta():
    gen = LocationGenerator(torch.tensor([1.0, -2.0]))
    z = torch.randn(10, 2)
    out = gen(z)
    assert torch.allclose(out, z + torch.tensor([1.0, -2.0]))
    out.sum().backward()
    assert torch.equal(gen.location.grad, torch.full((2,), 10.0))
    assert gen.latent_dim == 2


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_seed_first_layer_points_units_along_plus_and_minus_directions(spectral_norm):
    disc = MLPDiscriminator(3, hidden_sizes=(5,), spectral_norm=spectral_norm)
    directions = torch.eye(3)[:2]
    assert seed_first_layer(disc, directions, scale=2.0) == 4
    layer = disc.first_layer
    weight = layer.parametrizations.weight.original if spectral_norm else layer.weight
    assert torch.equal(weight[:4], 2.0 * torch.cat([directions, -directions]))
    assert torch.equal(layer.bias[:4], torch.zeros(4))


def test_seed_first_layer_stops_at_the_layer_width():
    disc = MLPDiscriminator(4, hidden_sizes=(3,))
    assert seed_first_layer(disc, torch.eye(4)) == 3
