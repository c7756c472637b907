"""
Odd digits out: masking on handwritten digits
=============================================

scikit-learn's digits are 8 × 8 grey-level images. We take every image of a zero (178) as the
inliers and plant 20 images of *one* other digit among them (ε = 20/198 ≈ 0.10), then project
onto the first 10 principal components of the contaminated set (64 pixels, several of them
constant, are too many coordinates for 198 rows). A cluster of outliers is the hard case for
the classical covariance: it stretches towards the cluster and the cluster hides in the
stretch (*masking*).

For each fit we rank the images by Mahalanobis distance and count the planted ones among the
20 most distant (20/20 is perfect). The table covers the nine digits; the pictures show the
digit for which the classical fit does worst, chosen by that rule when the example runs.

Size: the whole set of zeros, nine designs, three fits each; about 5 s
on one thread per library.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.covariance import EmpiricalCovariance, MinCovDet
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from robustgan import RobustGANScatter

digits = load_digits()
rng = np.random.default_rng(0)
zeros = np.flatnonzero(digits.target == 0)
N_PLANTED = 20


def design(digit):
    """Rows of the zeros plus N_PLANTED images of ``digit``, their 10 PCA scores, the mask."""
    planted = rng.choice(np.flatnonzero(digits.target == digit), N_PLANTED, replace=False)
    rows = np.r_[zeros, planted]
    X = PCA(n_components=10, random_state=0).fit_transform(digits.data[rows])
    return rows, X, np.r_[np.zeros(len(zeros), bool), np.ones(N_PLANTED, bool)]


def distances(X):
    fits = {
        "classical": EmpiricalCovariance(),
        "MinCovDet": MinCovDet(random_state=0),
        "RobustGANScatter": RobustGANScatter(contamination="auto", random_state=0),
    }
    return {name: est.fit(X).mahalanobis(X) for name, est in fits.items()}


def found(d2, is_planted):
    return int(is_planted[np.argsort(-d2)[:N_PLANTED]].sum())


# %%
# Nine designs
# ------------
results, cases = [], {}
for digit in range(1, 10):
    rows, X, is_planted = design(digit)
    d2 = distances(X)
    cases[digit] = rows, X, is_planted, d2
    results.append({"planted digit": digit, **{k: found(v, is_planted) for k, v in d2.items()}})
table = pd.DataFrame(results)
print(f"planted images among the {N_PLANTED} most distant (of {N_PLANTED}):")
print(table.to_string(index=False))

# %%
# The worst case for the classical fit
# ------------------------------------
digit = int(table.loc[table["classical"].idxmin(), "planted digit"])
rows, X, is_planted, d2 = cases[digit]
cutoff = stats.chi2.ppf(0.975, df=X.shape[1])
print(f"pictures for planted {digit}s")
for name, d in d2.items():
    flagged = d > cutoff
    print(f"{name:>17}: {flagged.sum():3d} images beyond the χ² cut-off, "
          f"{(flagged & is_planted).sum():2d} of them planted")

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
d_classical = np.sqrt(d2["classical"])
for ax, name in zip(axes, ["RobustGANScatter", "MinCovDet"]):
    robust = np.sqrt(d2[name])
    ax.scatter(d_classical[~is_planted], robust[~is_planted], s=14, c="tab:blue", label="zero")
    ax.scatter(d_classical[is_planted], robust[is_planted], s=30, c="tab:red", marker="^",
               label=f"planted {digit}")
    ax.axhline(np.sqrt(cutoff), c="tab:red", lw=0.8, ls="--", label="χ² cut-off (0.975)")
    ax.axvline(np.sqrt(cutoff), c="grey", lw=0.8, ls="--")
    ax.set_title(f"{name}: {found(d2[name], is_planted)}/{N_PLANTED} in the top {N_PLANTED}",
                 fontsize=10)
    ax.set_xlabel("classical Mahalanobis distance")
axes[0].set_ylabel("robust distance")
axes[0].legend(fontsize=8, loc="upper left")
fig.suptitle(f"Digits: 178 zeros + {N_PLANTED} planted {digit}s, 10 principal components "
             f"(classical: {found(d2['classical'], is_planted)}/{N_PLANTED})")
fig.tight_layout()

# %%
# The most distant images of each fit, most distant first; a red frame marks a planted image.
images = digits.images[rows]
fig, axes = plt.subplots(3, N_PLANTED, figsize=(N_PLANTED * 0.55, 3 * 0.85))
for r, name in enumerate(["classical", "MinCovDet", "RobustGANScatter"]):
    for c, i in enumerate(np.argsort(-d2[name])[:N_PLANTED]):
        ax = axes[r, c]
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_edgecolor("tab:red" if is_planted[i] else "lightgrey")
            spine.set_linewidth(2.0 if is_planted[i] else 0.5)
    axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
fig.suptitle(f"The {N_PLANTED} most distant images of each fit", fontsize=9)
fig.subplots_adjust(left=0.13, right=0.99, top=0.85, bottom=0.02, wspace=0.08, hspace=0.12)

# %%
# What this shows
# ---------------
# When the planted images are one tight group, the classical fit ranks zeros above some of
# them (left of the plots, the planted triangles sit at small classical distances), while both
# robust fits put all or nearly all of them far out. Both also push many zeros beyond the χ²
# cut-off: 178 images of one digit are not a Gaussian cloud in 10 dimensions, so on real data
# rank by ``mahalanobis`` (or set ``contamination`` to the fraction to flag) rather than trust
# the χ² rule. At this size the adversarial fit and MinCovDet agree; the adversarial
# estimators' accuracy advantage is measured at n = 50,000, p = 100 (``benchmarks/RESULTS.md``,
# "Every estimator on the papers' setting": MinCovDet 9.84 against 0.056 for the JS-GAN).
#
# The first two sentences are checked when the example runs:
assert found(d2["classical"], is_planted) < N_PLANTED
assert min(found(d2[name], is_planted) for name in ("MinCovDet", "RobustGANScatter")) >= 18
