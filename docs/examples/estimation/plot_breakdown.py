"""
The breakdown picture: error against the contamination level
============================================================

Huber's model X ~ (1 − ε)·N(θ, I) + ε·Q with the papers' far design Q = N(θ + 5·1, I): the
outliers form one tight cluster, 5·√p away. For ε from 0 to 0.4 we measure ‖θ̂ − θ‖₂ of

* the sample mean (breakdown point 0: its error grows like 5·√p·ε),
* the coordinatewise median (breakdown point 1/2, but a bias of order √p·ε below it),
* scikit-learn's :class:`~sklearn.covariance.MinCovDet`,
* the iterative filter (:class:`~robustgan.IterativeFilter`, given the true ε and Σ = I),
* the JS-GAN and TV-GAN (:class:`~robustgan.RobustGANMean` with its defaults, the five data
  sets of each fitted as one batched game by :func:`~robustgan.fit_many`).

Size here: n = 2,000, p = 10, one data set per ε. Full size: n = 50,000, p = 100
(``python benchmarks/bench_peers.py --all --designs far --n-samples 50000 --n-features 100
--seeds 5``, ``benchmarks/RESULTS.md``, "Every estimator on the papers' setting"), where at
ε = 0.2 the JS-GAN errs by 0.056, the filter 0.135, the coordinatewise median 3.18, MinCovDet
9.84 and the mean 10.0. About 20 s on one thread per library.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.covariance import MinCovDet

from robustgan import (
    CoordinatewiseMedian,
    IterativeFilter,
    RobustGANMean,
    fit_many,
    make_huber_contamination,
)

N, P = 2_000, 10
EPSILONS = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4]
data = [make_huber_contamination(N, P, eps, outliers="gaussian_shift", shift=5.0,
                                 random_state=i) for i, eps in enumerate(EPSILONS)]


def error(location, d):
    return float(np.linalg.norm(np.asarray(location) - d.location))


errors = {
    "mean": [error(d.X.mean(axis=0), d) for d in data],
    "median": [error(CoordinatewiseMedian().fit(d.X).location_, d) for d in data],
    "MinCovDet": [error(MinCovDet(random_state=0).fit(d.X).location_, d) for d in data],
    # The filter is told ε (and Σ = I), as in the papers' comparisons; it needs ε > 0.
    "filter": [
        error(IterativeFilter(contamination_level=max(eps, 0.01)).fit(d.X).location_, d)
        for eps, d in zip(EPSILONS, data)],
}
for name, divergence in (("JS-GAN", "js"), ("TV-GAN", "tv")):
    fits = fit_many(RobustGANMean(divergence, random_state=0), [d.X for d in data])
    errors[name] = [error(f.location_, d) for f, d in zip(fits, data)]

table = pd.DataFrame(errors, index=pd.Index(EPSILONS, name="ε"))
print(f"‖θ̂ − θ‖₂ at n = {N}, p = {P}, Q = N(5·1, I)")
print("(median: the coordinatewise median; filter: the iterative filter, given ε)")
print(table.round(3).to_string())

# %%
# The picture
# -----------
# The dotted line is the sampling error of the mean of the inliers alone, about √(p/n): no
# estimator can do much better than that.
styles = {
    "mean": dict(label="sample mean", c="black", marker="o"),
    "median": dict(label="coordinatewise median", c="tab:orange", marker="s"),
    "MinCovDet": dict(label="MinCovDet", c="tab:purple", marker="D"),
    "filter": dict(label="iterative filter (ε given)", c="tab:green", marker="^"),
    "JS-GAN": dict(label="JS-GAN", c="tab:red", marker="o", lw=2),
    "TV-GAN": dict(label="TV-GAN", c="tab:blue", marker="v", lw=2, ls="--"),
}
fig, ax = plt.subplots(figsize=(8.5, 4.5))
for name, values in table.items():
    ax.plot(table.index, values, **styles[name])
ax.axhline(np.sqrt(P / N), c="grey", ls=":", lw=1, label="√(p/n)")
ax.set_yscale("log")
ax.set_xlabel("contamination ε")
ax.set_ylabel("‖θ̂ − θ‖₂ (log scale)")
ax.set_title(f"Error against ε: n = {N}, p = {P}, outliers at N(5·1, I)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.tight_layout()

# %%
# Reading it
# ----------
# The mean's error grows linearly from the first outlier on. The coordinatewise median does not
# break down before ε = 1/2 but its error grows like √p·ε (at p = 100, ε = 0.2 it is 3.18). The
# filter, given ε, stays within a small multiple of the sampling error, growing with ε.
# MinCovDet holds until the cluster is large enough to be its most concentrated half, then
# jumps to the outliers. The adversarial estimators stay within a small multiple of the
# sampling error while ε is moderate and grow as ε approaches 1/2, still an order of magnitude
# below the median: the minimax error rate of Gao et al. (2019) is √(p/n) + ε, so the ε term
# takes over at large ε. On the close design Q = N(0.5·1, I) the GAN errors at full size are
# 0.082 (JS) and 0.116 (TV) at ε = 0.2 (``benchmarks/RESULTS.md``, "Bars").
