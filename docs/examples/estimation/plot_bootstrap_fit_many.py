"""
Bootstrap confidence intervals with fit_many, and their coverage
================================================================

A bootstrap interval needs many fits of the same estimator: one per resample. With
:func:`~robustgan.fit_many` all of them are played as batched games (one training step advances
64 fits), each member an ordinary fitted :class:`~robustgan.RobustGANMean` with its own seed.

We build 90% intervals for the first coordinate θ₁ of the location from B bootstrap resamples
(η̂₁ ± 1.645·sd of the resampled estimates) and check their coverage by simulation: R data sets
from Huber's model with ε = 0.1 and outliers at N(θ + 5·1, I), one interval each, and the
fraction that contains θ₁ = 0. The textbook interval for the mean, x̄₁ ± 1.645·s/√n, is the
reference.

Size here: n = 200, p = 2, R = 20 data sets, B = 16 resamples each: 320 fits. Coverage measured on
20 intervals has a standard error of about 0.07; a study worth quoting uses R ≥ 1,000 (standard
error 0.01) and B ≥ 200, i.e. 200,000 fits, which ``fit_many`` makes a matter of hours, not days,
on a CPU. About 30 s on one thread per library.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from robustgan import RobustGANMean, fit_many, make_huber_contamination

N, P, EPS = 200, 2, 0.1
R, B = 20, 16
Z90 = 1.6449  # the 0.95 quantile of N(0, 1)

datasets = [make_huber_contamination(N, P, EPS, outliers="gaussian_shift", shift=5.0,
                                     random_state=r) for r in range(R)]
rng = np.random.default_rng(0)
resamples = [d.X[rng.integers(0, N, size=N)] for d in datasets for _ in range(B)]

# %%
# All the fits at once
# --------------------
# The originals and the resamples: R + R·B data sets, one ``fit_many`` call. The template's
# ``random_state`` seeds every member differently (the r-th member gets the r-th draw).
start = time.perf_counter()
fits = fit_many(RobustGANMean(random_state=0), [d.X for d in datasets] + resamples)
seconds = time.perf_counter() - start
print(f"{len(fits)} fits in {seconds:.1f} s ({1000 * seconds / len(fits):.0f} ms per fit)")

estimates = np.array([f.location_[0] for f in fits[:R]])
boot = np.array([f.location_[0] for f in fits[R:]]).reshape(R, B)
half_width = Z90 * boot.std(axis=1, ddof=1)
gan_lo, gan_hi = estimates - half_width, estimates + half_width

means = np.array([d.X[:, 0].mean() for d in datasets])
se = np.array([d.X[:, 0].std(ddof=1) / np.sqrt(N) for d in datasets])
mean_lo, mean_hi = means - Z90 * se, means + Z90 * se

theta = 0.0
gan_covered = (gan_lo <= theta) & (theta <= gan_hi)
mean_covered = (mean_lo <= theta) & (theta <= mean_hi)
print(f"coverage of the 90% intervals over {R} data sets:")
print(f"  JS-GAN, bootstrap: {gan_covered.mean():.2f}  (mean half-width {half_width.mean():.3f})")
print(f"  sample mean, t   : {mean_covered.mean():.2f}  (mean half-width {(Z90 * se).mean():.3f})")

# %%
# The intervals
# -------------
fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharey=True)
for ax, (name, lo, hi, covered) in zip(axes, [
        ("JS-GAN, bootstrap (B = 16)", gan_lo, gan_hi, gan_covered),
        ("sample mean, x̄ ± 1.645·s/√n", mean_lo, mean_hi, mean_covered)]):
    for r in range(R):
        ax.plot([lo[r], hi[r]], [r, r], lw=2.5,
                c="tab:blue" if covered[r] else "tab:red")
    ax.axvline(theta, c="black", lw=1)
    ax.set_title(f"{name}\ncovers θ₁ in {covered.sum()}/{R}", fontsize=10)
    ax.set_xlabel("90% interval for θ₁")
axes[0].set_ylabel("data set")
fig.suptitle(f"n = {N}, p = {P}, ε = {EPS}, outliers at N(5·1, I)")
fig.tight_layout()

# %%
# The mean's interval is centred near ε·5 = 0.5 and, the outliers inflating s as well, wider
# than the robust one: it misses θ₁ every time. The robust estimate's bias is small next to its
# sampling spread at this n, and its bootstrap interval covers θ₁ at a rate within the
# simulation's error (about 0.07 at R = 20) of the nominal 90% (the build checks it is at least
# 0.6). Under contamination no interval is exact: the estimator's bias of order ε (Gao et al.
# 2019) does not shrink with n, so at large n the interval narrows around a slightly biased
# centre and its coverage falls; a coverage study at the n of interest tells whether it matters.
assert gan_covered.mean() >= 0.6 and mean_covered.mean() <= 0.2
