"""Opening a GANTrainer checkpoint runs none of its author's code unless trust_pickle=True."""

import pickle
import warnings

import numpy as np
import pytest
import torch

from robustgan.divergences import AlphaDivergence
from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator


class Payload:
    """What an attacker pickles: unpickling it calls exec, which here creates a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def _saved(path, **kwargs):
    torch.manual_seed(0)
    trainer = GANTrainer(MLPGenerator(2, 2, hidden_sizes=(8,)),
                         MLPDiscriminator(2, hidden_sizes=(8,)), device="cpu", random_state=0,
                         **kwargs)
    X = np.random.default_rng(0).normal(size=(64, 2))
    trainer.fit(X, n_steps=3).save(path)
    return trainer


def test_a_checkpoint_is_plain_data_for_torchs_weights_only_loader(tmp_path):
    _saved(tmp_path / "run.pt")
    state = torch.load(tmp_path / "run.pt", weights_only=True)
    assert state["architecture"]["generator"]["spec"]["class"] == "robustgan.nets.MLPGenerator"
    assert state["architecture"]["generator"]["pickle"] is None


def test_the_payload_really_runs_code_when_unpickled(tmp_path):
    # The control for the tests below: the crafted file is dangerous.
    path, marker = tmp_path / "evil.pt", tmp_path / "pwned"
    torch.save({"format": 2, "config": Payload(marker)}, path)
    torch.load(path, weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_a_crafted_checkpoint_is_refused_and_its_code_never_runs(tmp_path, writer):
    path, marker = tmp_path / "evil.pt", tmp_path / "pwned"
    state = {"format": 2, "config": Payload(marker), "architecture": {}}
    if writer == "torch.save":
        torch.save(state, path)
    else:
        path.write_bytes(pickle.dumps(state, protocol=2))  # a plain pickle, torch's protocol
    with pytest.raises(pickle.UnpicklingError, match=r"Unsupported global: GLOBAL exec.*"
                                                     r"trust_pickle=True only if you trust"):
        GANTrainer.load(path)
    assert not marker.exists()


def _tamper(path, edit):
    state = torch.load(path, weights_only=True)
    edit(state)
    torch.save(state, path)


def test_pickled_bytes_inside_a_checkpoint_stay_unread(tmp_path):
    path, marker = tmp_path / "run.pt", tmp_path / "pwned"
    _saved(path)

    def swap_the_generator(state):
        state["architecture"]["generator"] = {"spec": None, "members": None,
                                              "pickle": pickle.dumps(Payload(marker))}

    _tamper(path, swap_the_generator)
    with pytest.raises(pickle.UnpicklingError, match="pass generator="):
        GANTrainer.load(path)

    def swap_the_sampler(state):
        state["architecture"]["generator"]["pickle"] = None
        state["config"]["latent_sampler"] = {"__robustgan__": "pickle", "type": "x.Sampler",
                                             "bytes": pickle.dumps(Payload(marker))}

    _tamper(path, swap_the_sampler)
    with pytest.raises(pickle.UnpicklingError, match="'latent_sampler' is a pickled x.Sampler"):
        GANTrainer.load(path, generator=MLPGenerator(2, 2, hidden_sizes=(8,)))
    assert not marker.exists()


@pytest.mark.parametrize("name", ["builtins.exec", "os.system",
                                  "robustgan.gan.trainer.atomic_save"])
def test_only_robustgans_losses_and_samplers_can_be_named(tmp_path, name):
    path = tmp_path / "run.pt"
    _saved(path)
    _tamper(path, lambda state: state["config"].update(
        latent_sampler={"__robustgan__": "global", "name": name}))
    with pytest.raises(pickle.UnpicklingError, match="not a function or class of"):
        GANTrainer.load(path)


def test_an_unknown_architecture_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    _saved(path)
    _tamper(path, lambda state: state["architecture"]["generator"]["spec"].update(
        {"class": "torch.nn.Module"}))
    with pytest.raises(pickle.UnpicklingError, match="unknown architecture"):
        GANTrainer.load(path)


def test_trust_pickle_opts_in_to_pickled_modules(tmp_path):
    torch.manual_seed(0)
    make = lambda: torch.nn.Sequential(torch.nn.Linear(2, 2))  # noqa: E731 - picklable module
    trainer = GANTrainer(make(), MLPDiscriminator(2, hidden_sizes=(8,)), latent_dim=2,
                         device="cpu", random_state=0)
    trainer.fit(np.zeros((16, 2)), n_steps=2).save(tmp_path / "run.pt")
    with pytest.raises(pickle.UnpicklingError, match="pass generator="):
        GANTrainer.load(tmp_path / "run.pt")
    for restored in (GANTrainer.load(tmp_path / "run.pt", trust_pickle=True),
                     GANTrainer.load(tmp_path / "run.pt", generator=make())):
        assert restored.step_ == 2
        assert torch.equal(restored.generator_[0].weight, trainer.generator_[0].weight)


def test_checkpoints_written_before_0_2_still_load_without_warnings(tmp_path):
    path = tmp_path / "run.pt"
    trainer = _saved(path, loss=AlphaDivergence(0.5))

    def as_before(state):  # robustgan.gan.nets' discriminator argument and AlphaDivergence's home
        state["architecture"]["discriminator"]["spec"].update(
            {"class": "robustgan.gan.nets.MLPDiscriminator"})
        kwargs = state["architecture"]["discriminator"]["spec"]["kwargs"]
        kwargs["in_dim"] = kwargs.pop("in_features")
        assert state["config"]["loss"]["class"] == "robustgan.divergences.AlphaDivergence"
        state["config"]["loss"]["class"] = "robustgan.gan.losses.AlphaDivergence"

    _tamper(path, as_before)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = GANTrainer.load(path)
    assert restored.loss_.alpha == 0.5 and restored.step_ == 3
    assert torch.equal(restored.discriminator_.net[0].weight, trainer.discriminator_.net[0].weight)
