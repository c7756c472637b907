"""GANs on scikit-learn's digits (8 × 8 images): an Inception-style score and a picture grid.

A multinomial logistic regression trained on the real digits (the first 1,400 images; accuracy
reported on the other 397) plays the Inception network's part. For 2,000 samples of each
trained generator (EMA weights) it gives p(y | x), and we report

* the Inception-style score IS = exp(E_x KL(p(y | x) ‖ p(y))), p(y) the mean of p(y | x) over
  the samples: at most 10, high when samples are confidently classified (low E_x H(y | x)) and
  spread over classes (high H(y));
* the class entropy H(y) (log 10 ≈ 2.303 for balanced classes) and the mean conditional
  entropy E_x H(y | x);
* the same numbers for 397 held-out real digits, the reference.

Pixels are scaled from [0, 16] to [−1, 1]; the generator ends in tanh. Two losses: the
non-saturating GAN (with a small R1 penalty) and WGAN-GP. A 10 × 10 grid of samples of each is
saved as ``results/gan_digits_<recipe>.png`` ("+" written "_"; needs matplotlib).

Run: ``OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_gan_digits.py [--steps N]``;
writes ``results/gan_digits.json``.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, markdown_table, write_json

from robustgan.gan import GANTrainer, MLPDiscriminator, MLPGenerator

RECIPES = {
    "non-saturating+R1": {"loss": "non-saturating", "lr_d": 2e-4, "lr_g": 2e-4,
                          "penalty": "r1", "penalty_weight": 1.0},
    "wgan-gp": {"loss": "wgan-gp", "lr_d": 2e-4, "lr_g": 2e-4, "betas": (0.5, 0.9),
                "n_critic": 5},
}
N_SAMPLES = 2000


def load(split=1400):
    digits = load_digits()
    X = (digits.data / 8.0 - 1.0).astype(np.float32)  # [0, 16] -> [-1, 1]
    return X[:split], digits.target[:split], X[split:], digits.target[split:]


def scores(classifier, X):
    """Inception-style score, class entropy H(y) and mean conditional entropy E H(y|x)."""
    p_yx = np.clip(classifier.predict_proba(X), 1e-12, 1.0)
    p_y = p_yx.mean(axis=0)
    kl = np.sum(p_yx * (np.log(p_yx) - np.log(p_y)), axis=1)
    return {
        "inception_score": float(np.exp(kl.mean())),
        "class_entropy": float(-np.sum(p_y * np.log(p_y))),
        "conditional_entropy": float(np.mean(-np.sum(p_yx * np.log(p_yx), axis=1))),
        "class_histogram": np.bincount(p_yx.argmax(1), minlength=10).tolist(),
    }


def picture_grid(images, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = images[:100].reshape(10, 10, 8, 8).transpose(0, 2, 1, 3).reshape(80, 80)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.imshow(images, cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--losses", nargs="+", default=list(RECIPES))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X_train, y_train, X_test, y_test = load()
    classifier = LogisticRegression(max_iter=5000, C=1.0).fit(X_train, y_train)
    accuracy = float(classifier.score(X_test, y_test))
    reference = scores(classifier, X_test)
    results = {"classifier_accuracy": accuracy, "real_held_out": reference, "runs": {}}
    rows = [["real (held out)", "-", reference["inception_score"], reference["class_entropy"],
             reference["conditional_entropy"], "-"]]
    RESULTS.mkdir(exist_ok=True)
    picture_grid(X_test, RESULTS / "gan_digits_real.png", "real digits (held out)")
    for name in args.losses:
        recipe = dict(RECIPES[name])
        torch.manual_seed(args.seed)
        trainer = GANTrainer(
            MLPGenerator(latent_dim=32, out_dim=64, hidden_sizes=(256, 256),
                         output_activation="tanh"),
            MLPDiscriminator(in_features=64, hidden_sizes=(256, 256)),
            batch_size=128, ema_decay=0.999, device="cpu", random_state=args.seed,
            check_every=250, **recipe)
        start = time.perf_counter()
        trainer.fit(X_train, n_steps=args.steps)
        seconds = time.perf_counter() - start
        samples = trainer.sample(N_SAMPLES, random_state=args.seed + 1).numpy()
        result = {**scores(classifier, samples), "seconds": seconds, "steps": args.steps,
                  "recipe": recipe}
        results["runs"][name] = result
        picture_grid(samples, RESULTS / f"gan_digits_{name.replace('+', '_')}.png", f"{name}, {args.steps} steps")
        rows.append([name, args.steps, result["inception_score"], result["class_entropy"],
                     result["conditional_entropy"], f"{seconds:.0f}"])
        print(f"{name}: IS {result['inception_score']:.3f}  H(y) {result['class_entropy']:.3f}  "
              f"E H(y|x) {result['conditional_entropy']:.3f}  {seconds:.0f}s", flush=True)
        write_json("gan_digits", {"config": vars(args), **results})
    print(f"classifier accuracy on held-out digits: {accuracy:.3f}")
    print(markdown_table(["samples", "steps", "IS", "H(y)", "E H(y|x)", "s"], rows))


if __name__ == "__main__":
    main()
