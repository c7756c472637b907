"""General generative adversarial networks on robustgan's one training loop.

``GANTrainer`` trains any generator/discriminator pair of ``torch.nn.Module`` with the standard
adversarial losses of ``robustgan.gan.losses`` (minimax, non-saturating, every f-GAN divergence
and α-divergences, WGAN with clipping, WGAN-GP, WGAN-LP, SN-GAN, LSGAN, hinge; R1/R2 penalties);
``robustgan.gan.metrics`` scores samples of low-dimensional data (MMD, sliced Wasserstein,
modes covered and high-quality samples of a mixture).

Examples
--------
>>> import numpy as np
>>> from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator
>>> X = np.random.default_rng(0).normal(size=(200, 2))
>>> trainer = GANTrainer(MLPGenerator(latent_dim=8, out_dim=2), MLPDiscriminator(in_features=2),
...                      loss="wgan-gp", n_critic=5, device="cpu", random_state=0)
>>> trainer.fit(X, n_steps=5).sample(10).shape
torch.Size([10, 2])
"""

from . import losses, metrics
from .losses import available_losses, get_loss
from .nets import MLPDiscriminator, MLPGenerator
from .trainer import Checkpoint, EarlyStopping, GANTrainer, LossLogger

__all__ = [
    "Checkpoint",
    "EarlyStopping",
    "GANTrainer",
    "LossLogger",
    "MLPDiscriminator",
    "MLPGenerator",
    "available_losses",
    "get_loss",
    "losses",
    "metrics",
]
