"""Built-in grids: the papers' tables and the README's study, each with a ``quick`` variant.

Published figures: none could be retrieved and verified (see ``paper_repro/published.md``), so
``PUBLISHED`` is empty and every report prints "n/a" in the published column. Adding a verified
figure is adding one entry ``(preset, design, p, ε, estimator) -> value``.
"""

from .registry import ESTIMATORS

__all__ = ["PRESETS", "PUBLISHED", "available_presets", "preset"]

PUBLISHED = {}

# Gao, Liu, Yao & Zhu (2019), the robust-mean comparison: Q designs at distance 5 and 0.5, a
# Cauchy and a close, narrower Gaussian (DESIGN.md §4).
_LOCATION_DESIGNS = {
    "N(5·1, I)": {"outliers": "gaussian_shift", "shift": 5.0},
    "N(0.5·1, I)": {"outliers": "gaussian_shift", "shift": 0.5},
    "Cauchy(0.5·1)": {"outliers": "cauchy", "shift": 0.5},
    "N(0.3·1, I/3)": {"outliers": "scaled_gaussian", "shift": 0.3, "outlier_scale": 3 ** -0.5},
}

_LOCATION_ESTIMATORS = {
    "TV-GAN": "tv-gan",
    "JS-GAN": "js-gan",
    "dimension halving": "dimension-halving",
    "iterative filter": "iterative-filter",
    "coordinatewise median": "coordinatewise-median",
    "sample mean": "sample-mean",
}


def _gao2019_table1(quick):
    designs = _LOCATION_DESIGNS
    if quick:
        designs = {k: designs[k] for k in ("N(5·1, I)", "N(0.5·1, I)")}
    return {
        "name": "gao2019-table1" + ("-quick" if quick else ""),
        "description": "Gao, Liu, Yao & Zhu (ICLR 2019): robust mean, ‖θ̂ − θ‖₂, inliers N(0, I_p)",
        "metric": "location",
        "seeds": 2 if quick else 10,
        "n_samples": 5_000 if quick else 50_000,
        "n_features": 20 if quick else 100,
        "contamination": [0.1, 0.2] if quick else [0.05, 0.1, 0.2],
        "designs": designs,
        "estimators": _LOCATION_ESTIMATORS,
    }


def _gao2020_scatter(quick):
    estimators = {"MCD": "mcd", "OGK": "ogk", "Kendall τ": "kendall-tau", "Tyler M": "tyler",
                  "spatial sign": "spatial-sign", "sample covariance": "sample-mean"}
    if "js-gan-scatter" in ESTIMATORS:
        estimators = {"JS-GAN": "js-gan-scatter", **estimators}
    return {
        "name": "gao2020-scatter" + ("-quick" if quick else ""),
        "description": ("Gao, Yao & Zhu (2020): robust scatter, ‖Σ̂ − Σ‖_op, inliers "
                        "N(0, Σ), Σ identity or AR(0.5)"),
        "metric": "scatter",
        "seeds": 2 if quick else 10,
        "n_samples": 2_000 if quick else 50_000,
        "n_features": 10 if quick else 100,
        "contamination": [0.1, 0.2] if quick else [0.05, 0.1, 0.2],
        "designs": {
            "Σ=I, Q=N(5·1, I)": {"shift": 5.0},
            "Σ=AR(0.5), Q=N(2·1, I)": {"shift": 2.0, "scatter": "ar(0.5)"},
        },
        "estimators": estimators,
    }


def _study(quick, n_samples=10_000, n_features=50, contamination=(0.1, 0.2), seeds=1):
    return {
        "name": "study",
        "description": "README main job: JS-GAN and TV-GAN against the medians and the mean",
        "metric": "location",
        "seeds": seeds,
        "n_samples": 2_000 if quick else n_samples,
        "n_features": 10 if quick else n_features,
        "contamination": list(contamination),
        "designs": {k: _LOCATION_DESIGNS[k] for k in ("N(5·1, I)", "N(0.5·1, I)")},
        "estimators": {"sample mean": "sample-mean",
                       "coordinatewise median": "coordinatewise-median",
                       "JS-GAN": "js-gan", "TV-GAN": "tv-gan"},
    }


PRESETS = {
    "gao2019-table1": _gao2019_table1,
    "gao2020-scatter": _gao2020_scatter,
    "study": _study,
}


def available_presets():
    """The preset names.

    Examples
    --------
    >>> available_presets()
    ['gao2019-table1', 'gao2020-scatter', 'study']
    """
    return sorted(PRESETS)


def preset(name, quick=False, **overrides):
    """The grid dict of a built-in preset.

    Parameters
    ----------
    name : str
        One of ``available_presets()``.
    quick : bool, default=False
        The small variant (fewer seeds, smaller n and p) that CI runs.
    **overrides
        Preset keywords (only ``study`` takes any: n_samples, n_features, contamination, seeds).

    Examples
    --------
    >>> grid = preset("gao2019-table1", quick=True)
    >>> grid["n_samples"], grid["n_features"], grid["seeds"]
    (5000, 20, 2)
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; use one of {available_presets()}")
    return PRESETS[name](quick, **overrides)
