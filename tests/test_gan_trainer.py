"""What holds for GANTrainer (robustgan.gan.trainer): training, determinism, checkpoints."""

import copy
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize
from torch.utils.data import DataLoader, TensorDataset

from robustgan.gan import (
    Checkpoint,
    EarlyStopping,
    GANTrainer,
    LossLogger,
    MLPDiscriminator,
    MLPGenerator,
)
from robustgan.gan.losses import R1Penalty, get_loss
from robustgan.gan.metrics import mode_statistics, ring_centers, sample_mixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _data(n=512, seed=0):
    return np.random.default_rng(seed).normal([2.0, -1.0], 0.5, size=(n, 2)).astype(np.float32)


def _trainer(loss="non-saturating", seed=0, **kwargs):
    torch.manual_seed(seed)
    gen = MLPGenerator(latent_dim=4, out_dim=2, hidden_sizes=(16,))
    disc = MLPDiscriminator(in_features=2, hidden_sizes=(16,))
    kwargs = {"lr_d": 1e-3, "lr_g": 1e-3, "batch_size": 64, "check_every": 10, "device": "cpu",
              **kwargs}
    return GANTrainer(gen, disc, loss=loss, random_state=seed, **kwargs)


def _same_history(a, b):
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("d_loss", "g_loss", "d_penalty"))


# --- training --------------------------------------------------------------------------------

def test_issue_example_runs_and_learns_the_location():
    X = _data(2000)
    torch.manual_seed(0)
    trainer = GANTrainer(MLPGenerator(latent_dim=8, out_dim=2), MLPDiscriminator(in_features=2),
                         loss="wgan-gp", n_critic=5, lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.9),
                         device="cpu", random_state=0)
    target = torch.tensor([2.0, -1.0])
    before = torch.linalg.norm(trainer.sample(2000).mean(0) - target)
    trainer.fit(X, n_steps=100)
    samples = trainer.sample(2000)
    assert samples.shape == (2000, 2)
    assert torch.linalg.norm(samples.mean(0) - target) < 0.5 * before
    assert trainer.step_ == 100 and len(trainer.history_) == 100
    assert len(trainer.history_.d_penalty) == 100  # WGAN-GP records its penalty


def test_non_saturating_gan_covers_the_eight_modes_of_a_wide_ring():
    # σ = 0.2 (the benchmark's ring is σ = 0.02): every mode is found within seconds.
    centres = ring_centers(8, 2.0)
    X = sample_mixture(centres, 0.2, 20_000, random_state=0)
    torch.manual_seed(0)
    trainer = GANTrainer(MLPGenerator(8, 2, hidden_sizes=(64, 64)),
                         MLPDiscriminator(2, hidden_sizes=(64, 64)), loss="non-saturating",
                         penalty=R1Penalty(0.1), lr_d=1e-3, lr_g=1e-3, batch_size=128,
                         ema_decay=0.99, device="cpu", random_state=0)
    trainer.fit(X, n_steps=1500)
    stats = mode_statistics(trainer.sample(2500, random_state=0), centres, 0.2)
    assert stats["modes_covered"] == 8 and stats["high_quality"] > 0.5, stats


@pytest.mark.parametrize("loss", ["minimax", "non-saturating", "wgan", "wgan-gp", "wgan-lp",
                                  "sn-gan", "hinge", "lsgan", "lsgan-pearson", "kl", "alpha-0.5"])
def test_every_loss_trains_with_finite_losses(loss):
    trainer = _trainer(loss).fit(_data(), n_steps=20)
    history = trainer.history_
    assert np.all(np.isfinite(history.d_loss)) and np.all(np.isfinite(history.g_loss))


def test_numpy_tensor_and_dataloader_inputs():
    X = _data()
    a = _trainer().fit(X, n_steps=15)
    b = _trainer().fit(torch.from_numpy(X), n_steps=15)
    assert _same_history(a.history_, b.history_)  # the same rows, the same draws
    loader = DataLoader(TensorDataset(torch.from_numpy(X)), batch_size=50, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    c = _trainer().fit(loader, n_steps=15)
    assert c.step_ == 15 and np.all(np.isfinite(c.history_.d_loss))


def test_same_seed_same_run_and_different_seed_different_run():
    a, b, c = (_trainer(seed=s).fit(_data(), n_steps=15) for s in (0, 0, 1))
    assert _same_history(a.history_, b.history_)
    assert not np.array_equal(a.history_.d_loss, c.history_.d_loss)
    assert torch.equal(a.sample(5, random_state=3), b.sample(5, random_state=3))


def test_n_critic_discriminator_steps_per_generator_step():
    calls = []
    trainer = _trainer(n_critic=4).initialize()
    trainer.discriminator_.register_forward_hook(lambda *args: calls.append(1))
    trainer.fit(_data(), n_steps=3)
    assert len(calls) == 3 * (4 + 1)  # one joint pass per critic step, one per generator step
    assert _trainer("wgan-gp").initialize()._loop.n_critic == 5
    assert _trainer("hinge").initialize()._loop.n_critic == 1


def test_ttur_gives_each_player_its_learning_rate_and_optimizer():
    trainer = _trainer(lr_d=4e-4, lr_g=1e-4, g_optimizer="rmsprop", betas=(0.0, 0.9)).initialize()
    d_opt, g_opt = trainer._loop.d_opt, trainer._loop.g_opt
    assert d_opt.param_groups[0]["lr"] == 4e-4 and d_opt.param_groups[0]["betas"] == (0.0, 0.9)
    assert isinstance(g_opt, torch.optim.RMSprop) and g_opt.param_groups[0]["lr"] == 1e-4


def test_generator_ema_follows_the_generator():
    trainer = _trainer(ema_decay=0.0).fit(_data(), n_steps=5)
    for p, q in zip(trainer.generator_.parameters(), trainer.ema_generator.parameters()):
        assert torch.equal(p, q)
    trainer = _trainer(ema_decay=0.9).fit(_data(), n_steps=5)
    assert not torch.equal(trainer.sample(4, random_state=0), trainer.sample(4, ema=False, random_state=0))


def test_gradient_clipping_bounds_the_discriminator_step():
    trainer = _trainer(d_optimizer="sgd", lr_d=1.0, max_grad_norm=1e-3, n_critic=1).initialize()
    before = [p.detach().clone() for p in trainer.discriminator_.parameters()]
    trainer.fit(_data(), n_steps=1)
    moved = torch.sqrt(sum(((p - q) ** 2).sum()
                           for p, q in zip(trainer.discriminator_.parameters(), before)))
    assert moved.item() <= 1e-3 * (1 + 1e-5)


def test_wgan_clips_and_sn_gan_normalises_the_discriminator():
    trainer = _trainer("wgan").fit(_data(), n_steps=3)
    assert all(p.abs().max() <= 0.01 for p in trainer.discriminator_.parameters())
    trainer = _trainer("sn-gan").fit(_data(), n_steps=30)
    for layer in (m for m in trainer.discriminator_.modules() if isinstance(m, torch.nn.Linear)):
        assert hasattr(layer, "parametrizations")
        assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_any_module_pair_trains_as_the_librarys_networks_with_the_same_weights():
    torch.manual_seed(0)
    gen = MLPGenerator(3, 2, hidden_sizes=(16,))
    disc = MLPDiscriminator(2, hidden_sizes=(16,), activation="relu")
    plain_gen = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    plain_disc = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(),
                                     torch.nn.Linear(16, 1))  # (b, 1) outputs
    plain_gen.load_state_dict(gen.net.state_dict())
    plain_disc.load_state_dict(disc.net.state_dict())
    runs = []
    for g, d in ((gen, disc), (plain_gen, plain_disc)):
        torch.manual_seed(1)  # spectral normalisation's power-iteration start
        runs.append(GANTrainer(g, d, loss="sn-gan", latent_dim=3, penalty="r1", device="cpu",
                               random_state=0).fit(_data(), n_steps=5))
    ours, theirs = runs
    assert _same_history(ours.history_, theirs.history_)
    assert (theirs.history_.d_penalty > 0).all()
    assert torch.equal(ours.sample(7, random_state=0), theirs.sample(7, random_state=0))


# --- building: the arguments as given, initialize() builds on copies of them ------------------

def test_the_modules_passed_in_are_never_changed():
    torch.manual_seed(0)
    gen, disc = MLPGenerator(4, 2, hidden_sizes=(16,)), MLPDiscriminator(2, hidden_sizes=(16,))
    before = [copy.deepcopy(m.state_dict()) for m in (gen, disc)]
    trainer = GANTrainer(gen, disc, loss="sn-gan", device="cpu", random_state=0)
    assert trainer.generator is gen and trainer.discriminator is disc
    assert trainer.loss == "sn-gan" and not trainer.initialized_
    trainer.fit(_data(), n_steps=5)
    assert not any(parametrize.is_parametrized(m) for m in disc.modules())
    assert all(parametrize.is_parametrized(m) for m in trainer.discriminator_.modules()
               if isinstance(m, torch.nn.Linear))
    for module, state in zip((gen, disc), before):
        assert module.state_dict().keys() == state.keys()
        assert all(torch.equal(module.state_dict()[k], v) for k, v in state.items())
    moved = trainer.generator_.state_dict()
    assert not all(torch.equal(moved[k], v) for k, v in before[0].items())  # the copy trained


def test_initialize_validates_and_builds_and_again_starts_over():
    trainer = _trainer(n_critic=0)  # stored, not checked
    with pytest.raises(ValueError, match="n_critic must be >= 1"):
        trainer.initialize()
    X = _data()
    trainer = _trainer()
    first = trainer.fit(X, n_steps=10).history_  # fit initialises
    assert trainer.initialized_ and trainer.loss_ is get_loss("non-saturating")
    assert trainer.latent_dim_ == 4 and trainer.device_ == torch.device("cpu")
    assert trainer.initialize().step_ == 0
    assert _same_history(trainer.fit(X, n_steps=10).history_, first)


def test_n_members_and_penalties_are_deprecated_aliases():
    trainer = _trainer("wgan-gp")
    with pytest.warns(DeprecationWarning, match="n_members is deprecated .* use n_members_"):
        assert trainer.n_members is None
    with pytest.warns(DeprecationWarning, match="use penalties_"):
        assert trainer.penalties == trainer.penalties_ == [get_loss("wgan-gp").penalty]


# --- callbacks -------------------------------------------------------------------------------

def test_early_stopping_stops_at_a_check(capsys):
    stopper = EarlyStopping(monitor=lambda trainer: 1.0, patience=2)  # never improves after the first
    trainer = _trainer(callbacks=[LossLogger(every=10, stream=sys.stdout), stopper])
    trainer.fit(_data(), n_steps=200)
    assert trainer.step_ == 30  # checks at 10 (best), 20 and 30 (patience 2)
    assert "step 10: d_loss" in capsys.readouterr().out


def test_progress_bar_and_device_choice(capsys):
    _trainer(progress=True).fit(_data(), n_steps=10)
    assert "GANTrainer" in capsys.readouterr().err
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            _trainer(device="cuda").initialize()


# --- bad input -------------------------------------------------------------------------------

def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown loss 'wgan-gpp'; valid names: .*wgan-gp"):
        _trainer("wgan-gpp").initialize()
    X = _data()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        _trainer().fit(X, n_steps=1)
    with pytest.raises(ValueError, match=r"rows have shape \(3,\) but the generator makes rows of shape \(2,\)"):
        _trainer().fit(np.zeros((10, 3)), n_steps=1)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        _trainer().fit(np.zeros(10), n_steps=1)
    with pytest.raises(ValueError, match="no latent_dim"):
        GANTrainer(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1), device="cpu").initialize()
    with pytest.raises(ValueError, match="one value per row"):
        GANTrainer(MLPGenerator(2, 2), torch.nn.Linear(2, 3), device="cpu").fit(X, n_steps=1)
    with pytest.raises(ValueError, match="do not compose"):
        GANTrainer(MLPGenerator(2, 3), MLPDiscriminator(2), device="cpu").sample(1)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        GANTrainer(MLPGenerator(2, 2), "a discriminator").initialize()
    with pytest.raises(ValueError, match="n_critic must be >= 1"):
        _trainer(n_critic=0).initialize()


def test_divergence_during_training_is_reported():
    with pytest.raises(FloatingPointError, match="no longer finite"):
        _trainer(lr_d=1e6, lr_g=1e6, d_optimizer="sgd", g_optimizer="sgd", loss="kl").fit(
            _data() * 1e3, n_steps=50)


# --- checkpoint, kill, resume ----------------------------------------------------------------

@pytest.mark.parametrize("loss,extra", [
    ("wgan-gp", {"ema_decay": 0.9}),                 # the penalty draws from the RNG
    ("sn-gan", {"lr_schedule": "cosine"}),           # power-iteration buffers, a schedule
    ("hinge", {"penalty": "r1", "d_optimizer": "rmsprop", "max_grad_norm": 1.0}),
])
def test_resumed_run_continues_the_uninterrupted_one_exactly(tmp_path, loss, extra):
    X = _data()
    full = _trainer(loss, **extra).fit(X, n_steps=40)

    first = _trainer(loss, callbacks=[Checkpoint(tmp_path / "run.pt", every=20)], **extra)
    with pytest.raises(KeyboardInterrupt):
        first.callbacks.append(lambda trainer: (_ for _ in ()).throw(KeyboardInterrupt)
                               if trainer.step_ == 30 else False)
        first.fit(X, n_steps=40)  # "killed" at step 30; the checkpoint holds step 20
    resumed = GANTrainer.load(tmp_path / "run.pt")
    assert resumed.step_ == 20
    resumed.fit(X, n_steps=40)
    assert _same_history(resumed.history_, full.history_)
    for a, b in zip(resumed.generator_.state_dict().values(),
                    full.generator_.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(resumed.sample(5, random_state=0), full.sample(5, random_state=0))
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # atomic writes


CHILD = textwrap.dedent("""
    import os, sys, numpy as np, torch
    sys.path.insert(0, {root!r})
    from robustgan.gan import Checkpoint, GANTrainer, MLPDiscriminator, MLPGenerator
    torch.set_num_threads(1)
    X = np.random.default_rng(0).normal([2.0, -1.0], 0.5, size=(512, 2)).astype(np.float32)
    torch.manual_seed(0)
    def die(trainer):
        if trainer.step_ == 30:
            os._exit(3)  # a kill: no cleanup, no return
    trainer = GANTrainer(MLPGenerator(4, 2, hidden_sizes=(16,)), MLPDiscriminator(2, hidden_sizes=(16,)),
                         loss="wgan-gp", ema_decay=0.9, lr_d=1e-3, lr_g=1e-3, batch_size=64,
                         check_every=10, device="cpu", random_state=0,
                         callbacks=[Checkpoint({path!r}, every=20), die])
    trainer.fit(X, n_steps=40)
""")


def test_checkpoint_survives_a_killed_process(tmp_path):
    path = str(tmp_path / "run.pt")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT, path=path)], env=env,
                           check=False,
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == 3, child.stderr
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        resumed = GANTrainer.load(path)
        assert resumed.step_ == 20
        resumed.fit(_data(), n_steps=40)
        full = _trainer("wgan-gp", ema_decay=0.9).fit(_data(), n_steps=40)
    finally:
        torch.set_num_threads(threads)
    assert _same_history(resumed.history_, full.history_)
    for a, b in zip(resumed.ema_generator.state_dict().values(), full.ema_generator.state_dict().values()):
        assert torch.equal(a, b)


def test_load_needs_the_modules_when_they_could_not_be_pickled(tmp_path):
    class Local(torch.nn.Module):  # a local class cannot be pickled
        latent_dim = 2

        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(2, 2)

        def forward(self, z):
            return self.net(z)

    torch.manual_seed(0)
    trainer = GANTrainer(Local(), MLPDiscriminator(2, hidden_sizes=(8,)), device="cpu", random_state=0)
    trainer.fit(_data(), n_steps=3).save(tmp_path / "run.pt")
    with pytest.raises(ValueError, match="pass generator="):
        GANTrainer.load(tmp_path / "run.pt")
    restored = GANTrainer.load(tmp_path / "run.pt", generator=Local())
    assert restored.step_ == 3
    assert torch.equal(restored.generator_.net.weight, trainer.generator_.net.weight)


def _small_r1(discriminator, x_real, x_fake, generator):
    """A user's own penalty: a module-level function, so only pickle can store it."""
    return 1e-3 * discriminator(x_real).square().mean()


def test_robustgans_own_losses_and_penalties_are_saved_as_data(tmp_path):
    from robustgan.gan.losses import NonSaturating

    X = _data()
    kwargs = {"penalty": R1Penalty(0.1), "ema_decay": 0.9}
    first = _trainer(NonSaturating("kl"), **kwargs).fit(X, n_steps=10)
    first.save(tmp_path / "run.pt")
    assert torch.load(tmp_path / "run.pt", weights_only=True)["config"]["penalty"]["class"] == \
        "robustgan.gan.losses.R1Penalty"
    resumed = GANTrainer.load(tmp_path / "run.pt").fit(X, n_steps=20)
    full = _trainer(NonSaturating("kl"), **kwargs).fit(X, n_steps=20)
    assert resumed.loss_.name == "non-saturating-kl"
    assert _same_history(resumed.history_, full.history_)


def test_a_users_own_callable_is_passed_back_to_load(tmp_path):
    import pickle

    X = _data()
    _trainer(penalty=_small_r1).fit(X, n_steps=10).save(tmp_path / "run.pt")
    with pytest.raises(pickle.UnpicklingError, match="'penalty' is a pickled .* pass penalty="):
        GANTrainer.load(tmp_path / "run.pt")
    resumed = GANTrainer.load(tmp_path / "run.pt", penalty=_small_r1).fit(X, n_steps=20)
    assert _same_history(resumed.history_, _trainer(penalty=_small_r1).fit(X, n_steps=20).history_)
