"""
Reading a fit: training history, the predict rule and failure messages
======================================================================

What a fitted :class:`~robustgan.RobustGANMean` tells you beyond ``location_``: where the game
started, how its losses evolved (``history_``), how ``predict`` turns distances into outlier
labels, and what happens when a game fails. The same attributes exist on
:class:`~robustgan.RobustGANScatter`; the user guide's :ref:`diagnostics` page is the reference.

Size: simulated data with n = 5,000, p = 10, ε = 0.1, outliers at N(5·1, I); about 10 s
on one thread per library.
The same reading applies at the papers' n = 50,000, p = 100.
"""

# %%
# A fit and its starting points
# -----------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from robustgan import RobustGANMean, fit_many, make_huber_contamination

data = make_huber_contamination(5_000, 10, 0.1, outliers="gaussian_shift", shift=5.0,
                                random_state=0)
est = RobustGANMean(random_state=0).fit(data.X)


def error(location):
    return np.linalg.norm(location - data.location)


print(f"coordinatewise median (initial_location_): {error(est.initial_location_):.3f}")
print(f"where the game started (start_location_):   {error(est.start_location_):.3f}")
print(f"the estimate (location_):                   {error(est.location_):.3f}")
print(f"sample mean:                                {error(data.X.mean(axis=0)):.3f}")
print(f"which estimate location_ is (selected_): {est.selected_!r}")
print(f"generator steps run (n_iter_): {est.n_iter_}, history rows: {len(est.history_)}")

# %%
# Here the robust start is the estimate (``selected_ == "trimmed"``): the game only refereed
# it, and a referee's game stops after its first 100 steps (the rest is played only where the
# game is taken). ``scale="diagonal"`` always answers with the game, played to its full
# length: its history is the one read below.
game = RobustGANMean(scale="diagonal", random_state=0).fit(data.X)
print(f"the game's estimate (scale='diagonal'):     {error(game.location_):.3f} "
      f"after {game.n_iter_} steps")

# %%
# The training history
# --------------------
# ``history_`` has one row per generator step: ``d_loss``, the discriminator's loss on its last
# minibatch, and ``g_loss``, the generator's. ``history_.objective`` is −``d_loss``, the
# variational estimate of the divergence between the data and the current model N(η, I).
# Under contamination it cannot reach the value of a perfect fit, since the outliers are never
# matched; what matters is that it levels off. The game's estimate is the average of the
# iterates in the last ``average`` fraction of the steps (0.5 by default), shaded below: if the
# curves are still trending there, the estimate is still moving, and more steps (``n_steps``)
# are needed.
history = game.history_
steps = np.arange(1, len(history) + 1)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(steps, history.objective, lw=0.8, label="objective = −d_loss")
ax.plot(steps, history.g_loss, lw=0.8, label="g_loss")
ax.axvspan(len(history) * (1 - game.average), len(history), color="grey", alpha=0.15,
           label="iterates averaged into location_")
ax.set_xlabel("generator step")
ax.legend(fontsize=8)
ax.set_title("RobustGANMean: history_")
fig.tight_layout()

# %%
# The predict rule
# ----------------
# ``mahalanobis(X)`` gives squared distances to ``location_`` (under the known ``scale``; for
# ``RobustGANScatter``, under ``covariance_``); ``predict`` labels a row −1 (outlier) when its
# distance passes a threshold fixed at fit time (``offset_``, in ``decision_function``):
#
# * ``contamination="auto"``: the 0.975 quantile of χ²ₚ, the law of the squared distance of a
#   Gaussian inlier, so about 2.5% of the inliers are flagged whatever the contamination;
# * ``contamination=c``, a number: the (1 − c) quantile of the training rows' distances, so a
#   fraction c of the training rows is flagged (scikit-learn's ``EllipticEnvelope`` rule).
#
# The estimate does not depend on this parameter, only the labels do.
d2 = est.mahalanobis(data.X)
truth_out = ~data.inlier_mask
for rule in ("auto", 0.1):
    labelled = RobustGANMean(contamination=rule, random_state=0).fit(data.X)
    flagged = labelled.predict(data.X) == -1
    print(f"contamination={rule!r}: threshold on d² = {-labelled.offset_:.1f}, "
          f"flagged {flagged.sum()} rows: {np.sum(flagged & truth_out)} of the "
          f"{truth_out.sum()} outliers and {np.sum(flagged & ~truth_out)} inliers")

fig, ax = plt.subplots(figsize=(7, 3.5))
bins = np.linspace(0, np.percentile(d2, 99.5), 80)
ax.hist(d2[data.inlier_mask], bins=bins, alpha=0.6, label="inliers", density=True)
ax.hist(d2[truth_out], bins=bins, alpha=0.6, label="outliers", density=True)
grid = np.linspace(0.01, bins[-1], 300)
ax.plot(grid, stats.chi2.pdf(grid, df=10), c="black", lw=1, label="χ²₁₀ density")
ax.axvline(stats.chi2.ppf(0.975, df=10), c="tab:red", ls="--", label='"auto" threshold')
ax.set_xlabel("squared Mahalanobis distance to location_")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Failure messages
# ----------------
# Parameters are checked at the start of ``fit`` and a wrong one raises scikit-learn's
# ``InvalidParameterError`` (a ``ValueError``) naming it; data with NaN or infinite values raise
# ``ValueError``. A game whose losses stop being finite, or whose generator runs away from the
# data, raises a ``FloatingPointError`` that names the step, what was seen and the settings to
# change. Learning rates far too large trigger it:
for params in ({"contamination": 0.7}, {"lr_g": 1e4}):
    try:
        RobustGANMean(random_state=0, **params).fit(data.X)
    except (ValueError, FloatingPointError) as failure:
        print(f"{params}: {type(failure).__name__}: {failure}\n")

# %%
# :func:`~robustgan.fit_many` with ``errors="return"`` keeps the other members when one fails
# and puts the exception in the failed member's place (here the second of two configurations,
# one estimator per data set):
members = [RobustGANMean(random_state=0), RobustGANMean(lr_g=1e4, random_state=0)]
results = fit_many(members, [data.X, data.X], errors="return")
print([type(r).__name__ for r in results])
