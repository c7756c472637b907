"""A small contamination study: estimators × outlier designs × ε, printed as a table.

The full resumable simulation runner belongs to a later layer; this module is the main job of
README.md: it shows, on simulated data, where each estimator stands.
"""

import time
from dataclasses import asdict, dataclass

import numpy as np

from .baselines import CoordinatewiseMedian
from .datasets import make_huber_contamination
from .estimators import RobustGANMean

__all__ = ["DESIGNS", "StudyRow", "contamination_study", "default_estimators", "format_table"]

# name → keyword arguments of make_huber_contamination (Gao et al. 2019's far and close designs).
DESIGNS = {
    "N(5·1, I)": {"outliers": "gaussian_shift", "shift": 5.0},
    "N(0.5·1, I)": {"outliers": "gaussian_shift", "shift": 0.5},
}


@dataclass(frozen=True)
class StudyRow:
    """One fit: the design, the estimator, its error ‖θ̂ − θ‖₂ and its wall time."""

    design: str
    contamination: float
    n_samples: int
    n_features: int
    seed: int
    estimator: str
    error: float
    seconds: float


def _sample_mean(X):
    return X.mean(axis=0)


def default_estimators(random_state=0):
    """The study's estimators: ``name -> callable(X) -> location``.

    Examples
    --------
    >>> sorted(default_estimators())
    ['JS-GAN', 'TV-GAN', 'coordinatewise median', 'sample mean']
    """
    return {
        "sample mean": _sample_mean,
        "coordinatewise median": lambda X: CoordinatewiseMedian().fit(X).location_,
        "JS-GAN": lambda X: RobustGANMean("js", random_state=random_state).fit(X).location_,
        "TV-GAN": lambda X: RobustGANMean("tv", random_state=random_state).fit(X).location_,
    }


def contamination_study(
    estimators=None,
    designs=None,
    *,
    n_samples=10_000,
    n_features=50,
    contaminations=(0.1, 0.2),
    seeds=(0,),
):
    """Fit every estimator on every (design, ε, seed) and measure ‖θ̂ − θ‖₂.

    Parameters
    ----------
    estimators : dict of name -> callable(X) -> location, default=None
        ``default_estimators()`` when None.
    designs : dict of name -> make_huber_contamination keywords, default=None
        ``DESIGNS`` when None.
    n_samples, n_features : int
    contaminations : sequence of float
    seeds : sequence of int
        Each seed draws a data set; every estimator sees the same one.

    Returns
    -------
    list of StudyRow

    Examples
    --------
    >>> rows = contamination_study({"sample mean": lambda X: X.mean(0)}, n_samples=100,
    ...                            n_features=2, contaminations=(0.2,))
    >>> [(r.design, r.estimator) for r in rows]
    [('N(5·1, I)', 'sample mean'), ('N(0.5·1, I)', 'sample mean')]
    """
    estimators = default_estimators() if estimators is None else estimators
    designs = DESIGNS if designs is None else designs
    rows = []
    for design, design_kwargs in designs.items():
        for eps in contaminations:
            for seed in seeds:
                data = make_huber_contamination(
                    n_samples, n_features, eps, random_state=seed, **design_kwargs
                )
                for name, estimate in estimators.items():
                    start = time.perf_counter()
                    location = estimate(data.X)
                    seconds = time.perf_counter() - start
                    error = float(np.linalg.norm(location - data.location))
                    rows.append(
                        StudyRow(design, eps, n_samples, n_features, seed, name, error, seconds)
                    )
    return rows


def format_table(rows):
    """A markdown table: one line per (design, ε), one column per estimator (median over seeds).

    Examples
    --------
    >>> print(format_table([StudyRow("d", 0.1, 10, 2, 0, "mean", 0.5, 0.01)]))
    | design | ε | mean |
    |---|---|---|
    | d | 0.1 | 0.500 |
    """
    names = list(dict.fromkeys(r.estimator for r in rows))
    cells = list(dict.fromkeys((r.design, r.contamination) for r in rows))
    lines = ["| design | ε | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    for design, eps in cells:
        errors = [
            np.median([r.error for r in rows if (r.design, r.contamination, r.estimator) == (design, eps, name)])
            for name in names
        ]
        lines.append(f"| {design} | {eps:g} | " + " | ".join(f"{e:.3f}" for e in errors) + " |")
    return "\n".join(lines)


def rows_as_dicts(rows):
    return [asdict(r) for r in rows]
