"""GANTrainer names bad input: array-likes, data loaders, checkpoints and parameters."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator


def _data(n=200, seed=0):
    return np.random.default_rng(seed).normal([2.0, -1.0], 0.5, size=(n, 2)).astype(np.float32)


def _trainer(**kwargs):
    torch.manual_seed(0)
    kwargs = {"batch_size": 32, "device": "cpu", "random_state": 0, **kwargs}
    return GANTrainer(MLPGenerator(4, 2, hidden_sizes=(8,)),
                      MLPDiscriminator(2, hidden_sizes=(8,)), **kwargs)


def _loader(X, batch_size=50):
    return DataLoader(TensorDataset(torch.as_tensor(X)), batch_size=batch_size)


def test_array_likes_are_rows_and_checked_like_arrays():
    X = _data()
    reference = _trainer().fit(X, n_steps=5).history_.d_loss
    for rows in (X.tolist(), tuple(map(tuple, X.tolist())), pd.DataFrame(X)):
        assert np.array_equal(_trainer().fit(rows, n_steps=5).history_.d_loss, reference)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        _trainer().fit(X.tolist(), n_steps=1)
    with pytest.raises(ValueError, match=r"X's rows have shape \(3,\) but the generator"):
        _trainer().fit(pd.DataFrame(np.zeros((10, 3))), n_steps=1)
    with pytest.raises(ValueError, match="X must be real numbers, got dtype object"):
        _trainer().fit(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]}), n_steps=1)


def test_a_bad_data_loader_is_named_before_any_step():
    X = _data()
    X[0, 0] = np.inf
    trainer = _trainer()
    with pytest.raises(ValueError, match="first batch contains NaN or infinity"):
        trainer.fit(_loader(X), n_steps=3)
    assert trainer.step_ == 0
    with pytest.raises(ValueError, match=r"a data loader batch's rows have shape \(3,\)"):
        _trainer().fit(_loader(np.zeros((100, 3), np.float32)), n_steps=3)
    with pytest.raises(ValueError, match="the data loader yields no batches"):
        _trainer().fit(_loader(np.zeros((0, 2), np.float32)), n_steps=3)


def test_load_resumes_on_the_saved_device_type(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    _trainer().fit(_data(), n_steps=5).save(path)
    assert torch.load(path, weights_only=True)["device"] == "cpu"
    # On a machine with a GPU, "auto" would pick CUDA, whose random streams cannot take the
    # saved CPU ones.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert GANTrainer.load(path).fit(_data(), n_steps=10).device_ == torch.device("cpu")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="saved on a 'cpu' device and resumes only on one"):
        GANTrainer.load(path, device="meta")
    state = torch.load(path, weights_only=True)
    state["device"] = "cuda"
    torch.save(state, path)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="saved on a 'cuda' device .* CUDA is not available"):
            GANTrainer.load(path)


def test_unreadable_checkpoints_are_value_errors_naming_the_file(tmp_path):
    path = tmp_path / "run.pt"
    _trainer().fit(_data(), n_steps=5).save(path)
    content = path.read_bytes()
    for name, damaged in (("truncated", content[: len(content) // 2]), ("text", b"hello\n"),
                          ("empty", b"")):
        (tmp_path / name).write_bytes(damaged)
        with pytest.raises(ValueError, match=f"{name}' is not a GANTrainer checkpoint"):
            GANTrainer.load(tmp_path / name)
    with pytest.raises(ValueError, match="(?s)does not fit the trainer .*size mismatch"):
        GANTrainer.load(path, generator=MLPGenerator(4, 2, hidden_sizes=(16,)))


@pytest.mark.parametrize("kwargs, match", [
    ({"n_critic": 2.5}, "'n_critic' parameter"),
    ({"batch_size": 1.7}, "'batch_size' parameter"),
    ({"clip_value": -0.01}, r"'clip_value' parameter .* range \(0.0, inf\)"),
    ({"penalty_weight": -1.0, "penalty": "gp"}, "'penalty_weight' parameter"),
    ({"betas": (0.5,)}, r"betas must be None or a pair"),
    ({"lr_d": "x"}, "'lr_d' parameter"),
    ({"device": "gpu"}, "device must be 'auto', 'cpu', 'cuda' or .* got 'gpu'"),
])
def test_bad_parameters_are_named_before_training(kwargs, match):
    trainer = _trainer(**kwargs)
    with pytest.raises(ValueError, match=match):
        trainer.fit(_data(), n_steps=3)
    assert not trainer.initialized_


def test_bad_step_and_sample_counts_are_named():
    trainer = _trainer()
    with pytest.raises(ValueError, match="'n_steps' parameter of GANTrainer.fit"):
        trainer.fit(_data(), n_steps=-5)
    with pytest.raises(ValueError, match="'n' parameter of GANTrainer.sample"):
        trainer.sample(-1)


def test_a_fractional_ensemble_size_is_named():
    # int(2.5) made it 2 silently.
    def make_generator():
        return MLPGenerator(4, 2, hidden_sizes=(8,))

    def make_discriminator():
        return MLPDiscriminator(2, hidden_sizes=(8,))

    with pytest.raises(ValueError, match="'n_members' parameter of GANTrainer.ensemble"):
        GANTrainer.ensemble(make_generator, make_discriminator, 2.5, device="cpu")


def test_resuming_on_an_empty_loader_is_named(tmp_path):
    # Skipping the batches already consumed divided by the empty loader's length.
    trainer = _trainer()
    trainer.fit(_loader(_data()), n_steps=3)
    path = tmp_path / "run.pt"
    trainer.save(path)
    resumed = GANTrainer.load(path)
    with pytest.raises(ValueError, match="the data loader yields no batches"):
        resumed.fit(_loader(np.zeros((0, 2), np.float32)), n_steps=5)
