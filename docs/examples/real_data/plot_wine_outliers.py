"""
Planted outliers in the wine data: who finds them?
==================================================

scikit-learn's wine data holds 13 chemical measurements of 178 wines from three cultivars. We
take the wines of one cultivar as the inliers and plant 12 wines of another among them
(ε = 12/71 ≈ 0.17 to 12/83 ≈ 0.14), so that we know which rows are the outliers. The planted
wines are not gross errors: they are real wines, a few standard deviations away in some of the
13 directions, the kind of contamination that masks itself in the classical covariance.

For each fit we rank the rows by their Mahalanobis distance and count the planted wines among
the 12 most distant rows (a recall at the true count: 12/12 is perfect, about 12·ε by chance).
The distance–distance plot shows the first pair; the table, all six ordered pairs of cultivars,
one draw of the planted rows each.

Size: the whole data set, six fits of each estimator on 59–83 rows × 13 features; with
n ≈ 5·p these are small samples for any robust scatter. About 5 s on one thread per library.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.covariance import EmpiricalCovariance, MinCovDet
from sklearn.datasets import load_wine

from robustgan import RobustGANScatter

wine = load_wine()
X_all, cultivar = wine.data, wine.target
print(f"{X_all.shape[0]} wines, {X_all.shape[1]} features, cultivars {np.bincount(cultivar)}")

N_PLANTED = 12
rng = np.random.default_rng(0)


def planted(inlier_class, outlier_class):
    """The wines of one cultivar with N_PLANTED wines of another; True marks a planted row."""
    inliers = X_all[cultivar == inlier_class]
    pool = X_all[cultivar == outlier_class]
    outliers = pool[rng.choice(len(pool), N_PLANTED, replace=False)]
    X = np.vstack([inliers, outliers])
    return X, np.r_[np.zeros(len(inliers), bool), np.ones(N_PLANTED, bool)]


def distances(X):
    """Squared Mahalanobis distances of the rows under three fits."""
    fits = {
        "classical": EmpiricalCovariance(),
        "MinCovDet": MinCovDet(random_state=0),
        "RobustGANScatter": RobustGANScatter(contamination="auto", random_state=0),
    }
    return {name: est.fit(X).mahalanobis(X) for name, est in fits.items()}


def found(d2, is_planted):
    """Planted rows among the N_PLANTED most distant rows."""
    return int(is_planted[np.argsort(-d2)[:N_PLANTED]].sum())


# %%
# One pair: cultivar 0 with 12 wines of cultivar 1
# -------------------------------------------------
X, is_planted = planted(0, 1)
d2 = distances(X)
cutoff = np.sqrt(stats.chi2.ppf(0.975, df=X.shape[1]))

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
d_classical = np.sqrt(d2["classical"])
for ax, name in zip(axes, ["RobustGANScatter", "MinCovDet"]):
    robust = np.sqrt(d2[name])
    ax.scatter(d_classical[~is_planted], robust[~is_planted], s=18, c="tab:blue",
               label="cultivar 0")
    ax.scatter(d_classical[is_planted], robust[is_planted], s=30, c="tab:red", marker="^",
               label="planted (cultivar 1)")
    ax.axhline(cutoff, c="tab:red", lw=0.8, ls="--", label="χ² cut-off (0.975)")
    ax.axvline(cutoff, c="grey", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_title(f"{name}: {found(d2[name], is_planted)}/{N_PLANTED} planted in the top "
                 f"{N_PLANTED}", fontsize=10)
    ax.set_xlabel("classical Mahalanobis distance")
axes[0].set_ylabel("robust distance (log scale)")
axes[0].legend(fontsize=8, loc="upper left")
fig.suptitle(f"Wine: cultivar 0 ({(~is_planted).sum()} wines) + {N_PLANTED} planted")
fig.tight_layout()

print(f"classical fit: {found(d2['classical'], is_planted)}/{N_PLANTED} planted in its top "
      f"{N_PLANTED}")
for name in ("classical", "MinCovDet", "RobustGANScatter"):
    flagged = np.sqrt(d2[name]) > cutoff
    print(f"{name:>17}: beyond the cut-off {flagged.sum():2d} rows, "
          f"{(flagged & is_planted).sum():2d} of them planted")

# %%
# All six pairs
# -------------
# The χ² cut-off flags many genuine wines too (above): with 13 features and 59–71 inliers,
# a robust scatter estimated from about half of the rows is too small in its weakest directions,
# and a cultivar's chemistry is not Gaussian. Ranking by distance avoids choosing a cut-off.
rows = []
for inlier_class in range(3):
    for outlier_class in range(3):
        if inlier_class == outlier_class:
            continue
        X, is_planted = planted(inlier_class, outlier_class)
        d2 = distances(X)
        rows.append({"inliers": inlier_class, "planted from": outlier_class,
                     **{name: found(v, is_planted) for name, v in d2.items()}})
table = pd.DataFrame(rows)
print(f"planted wines among the {N_PLANTED} most distant rows (of {N_PLANTED}):")
print(table.to_string(index=False))
print("\ntotal over the six pairs (of 72):")
print(table[["classical", "MinCovDet", "RobustGANScatter"]].sum().to_string())

# %%
# Reading the table: a robust fit is worth it when the planted wines mask themselves, i.e. when
# the classical column is low and a robust column is high. Neither robust fit wins every pair;
# where the two cultivars differ in few directions (cultivar 1 holding wines of cultivar 0)
# every fit misses most of them. One draw per pair: the counts move by a few wines with the
# draw. At this size the game adds little to the trimmed start that both robust fits share in
# spirit (MinCovDet's C-steps, ``RobustGANScatter``'s ``raw_covariance_``); its accuracy
# advantage is measured at n = 50,000, p = 100 in ``benchmarks/RESULTS.md``.
