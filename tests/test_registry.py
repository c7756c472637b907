"""What holds for robustgan.registry: one rule resolves every divergence and loss name."""

import pytest

from robustgan.divergences import (
    DIVERGENCE_REGISTRY,
    AlphaDivergence,
    BetaScore,
    get_divergence,
)
from robustgan.gan.losses import LOSS_REGISTRY, LOSSES, get_loss
from robustgan.registry import Registry, normalise_name


class _Entry:
    def __init__(self, name, aliases=()):
        self.name, self.aliases = name, aliases


def _registry(fallback=None):
    return Registry("thing", lambda x: isinstance(x, _Entry), "an _Entry", fallback=fallback)


@pytest.mark.parametrize("name, key", [
    (" Jensen_Shannon ", "jensen-shannon"), ("ns gan", "ns-gan"),
    ("Beta( 1, 0.5 )", "beta(1,0.5)"), ("alpha (2)", "alpha(2)"),
    ("lsgan-(-1,1,0)", "lsgan-(-1,1,0)"),
])
def test_names_are_normalised_one_way(name, key):
    assert normalise_name(name) == key


def test_entries_aliases_families_then_the_fallback_in_that_order():
    below, above = _registry(), None
    shared = below.register(_Entry("shared"))
    only_below = below.register(_Entry("deep", aliases=("Deep_Alias",)))
    below.register_family(r"f\(([0-9]+)\)", lambda k: _Entry(f"f{k}"), "f(k)")
    above = _registry(fallback=below)
    mine = above.register(_Entry("shared"))  # shadows the fallback's entry
    assert above.get("SHARED") is mine and below.get("shared") is shared
    assert above.get("deep alias") is only_below
    assert above.get("f( 12 )").name == "f12"
    assert above.all_names() == ["shared", "shared", "deep", "f(k)"]
    with pytest.raises(ValueError, match=r"unknown thing 'nope'; valid names: shared, shared, "
                                         r"deep, f\(k\) \(aliases: deep-alias\)"):
        above.get("nope")


def test_entries_pass_through_and_other_objects_are_type_errors():
    registry = _registry()
    entry = _Entry("x")
    assert registry.get(entry) is entry
    with pytest.raises(TypeError, match="expected a thing name or an _Entry, got int"):
        registry.get(3)
    with pytest.raises(TypeError, match="a thing must be an _Entry, got str"):
        registry.register("x")
    registry.register(entry)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(_Entry("X"))


def test_alpha_divergences_are_divergences_and_losses():
    assert get_divergence("alpha-2") is not get_divergence("alpha-2")  # a family builds anew
    alpha = get_divergence("Alpha_2")
    assert isinstance(alpha, AlphaDivergence) and alpha.alpha == 2.0
    assert get_divergence("alpha--1").alpha == -1.0 and get_loss("alpha(0.5)").alpha == 0.5
    assert isinstance(get_loss("beta(1, 1)"), BetaScore)  # blanks inside the parentheses


def test_the_losses_fall_back_on_the_divergences():
    assert LOSS_REGISTRY.fallback is DIVERGENCE_REGISTRY
    assert get_loss("kl") is get_divergence("kl")
    assert set(LOSSES).isdisjoint(DIVERGENCE_REGISTRY.all_names())
