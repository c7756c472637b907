"""Built-in grids: the papers' tables, the authors' published demo runs and the README's study,
each with a ``quick`` variant; and ``PUBLISHED``, the published figures a report sets beside ours.

The papers' tables could not be read (``paper_repro/published.md``). What is published and
verifiable is the authors' own demo notebook (``Demo.ipynb`` of zhuwzh/Robust-GAN-Center), whose
saved outputs are runs of the paper's code: those figures are ``PUBLISHED``, each with its source,
setting and metric, and the ``gao2019-demo-*`` presets rerun their cells. Adding a verified
figure is adding one ``PublishedFigure`` under ``(preset, design, p, ε, estimator)``.
"""

from dataclasses import dataclass
from functools import partial

from .registry import ESTIMATORS

__all__ = ["PRESETS", "PUBLISHED", "PublishedFigure", "available_presets", "preset",
           "published_figures"]


@dataclass(frozen=True)
class PublishedFigure:
    """A published figure: its value, what it measures, the setting it was run in, its source.

    A report compares it with our cell of the same preset, design, p, ε and estimator label,
    and only when our n and metric are also its own (a quick variant's smaller n reads n/a).

    Attributes
    ----------
    value : float
    metric : {"location", "scatter"}
        ``"location"``: ‖θ̂ − θ‖₂; ``"scatter"``: ‖Σ̂ − Σ‖_op.
    n_samples, n_features : int
    contamination : float
        ε, as drawn in their code (a Bernoulli(ε) mask, not an exact count).
    inliers, outliers : str
        The inlier law P_θ and the contamination Q.
    estimator : str
        Their estimator, as run (architecture and optimiser).
    repo, path, cell, commit : str
        Where the figure is printed: the GitHub repository, the file, the notebook cell's
        title and the commit read.
    quote : str
        The printed line the value is read from.
    note : str
        Anything a reader needs to weigh it (single run, what else the cell prints).

    Examples
    --------
    >>> figure = PUBLISHED["gao2019-demo-gaussian", "N(5·1, I)", 100, 0.2, "JS-GAN"]
    >>> figure.value, figure.n_samples, figure.source
    (0.0478, 50000, "zhuwzh/Robust-GAN-Center, Demo.ipynb, cell 'Gaussian Example' (1cbf104)")
    """

    value: float
    metric: str
    n_samples: int
    n_features: int
    contamination: float
    inliers: str
    outliers: str
    estimator: str
    repo: str
    path: str
    cell: str
    commit: str
    quote: str
    note: str = ""

    @property
    def source(self):
        """Repository, file, cell and short commit, one line."""
        return f"{self.repo}, {self.path}, cell {self.cell!r} ({self.commit[:7]})"

    def __float__(self):
        return float(self.value)


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
        "description": ("README main job: RobustGANMean's default and the papers' JS-GAN and "
                        "TV-GAN games (known unit scale) against the median and the mean"),
        "metric": "location",
        "seeds": seeds,
        "n_samples": 2_000 if quick else n_samples,
        "n_features": 10 if quick else n_features,
        "contamination": list(contamination),
        "designs": {k: _LOCATION_DESIGNS[k] for k in ("N(5·1, I)", "N(0.5·1, I)")},
        # RobustGANMean() answers with its robust start wherever the game finds no cluster
        # inside it, whatever its divergence: JS and TV defaults printed the same column. The
        # papers' estimators are the games themselves, with the inliers' scale known (1).
        "estimators": {"sample mean": "sample-mean",
                       "coordinatewise median": "coordinatewise-median",
                       "RobustGANMean()": "js-gan",
                       "JS-GAN (scale=1)": {"estimator": "js-gan", "scale": 1.0},
                       "TV-GAN (scale=1)": {"estimator": "tv-gan", "scale": 1.0}},
    }


# The authors' demo runs (Demo.ipynb of zhuwzh/Robust-GAN-Center, ../shared/DESIGN.md §6): one
# cell each, drawn as their code draws (a Bernoulli(ε) mask: exact=False). Their η starts at the
# coordinatewise median, whose error each cell prints first: it is published too, and checks
# that our draw is theirs.
_DEMO_SOURCE = {"repo": "zhuwzh/Robust-GAN-Center", "path": "Demo.ipynb",
                "commit": "1cbf104cf9932a0323e98dea09484985e8915527", "metric": "location",
                "n_samples": 50_000, "contamination": 0.2}

_DEMOS = {
    "gao2019-demo-gaussian": {
        "description": ("Gao et al.'s Demo.ipynb, 'Gaussian Example': ‖θ̂ − θ‖₂, inliers "
                        "N(0, I_p), Q = N(5·1_p, I_p), p = 100, ε = 0.2 (Bernoulli mask), "
                        "n = 50,000"),
        "design": "N(5·1, I)",
        "kwargs": {"outliers": "gaussian_shift", "shift": 5.0, "exact": False},
        "n_features": 100,
        "estimators": {"JS-GAN": "js-gan", "coordinatewise median": "coordinatewise-median"},
        "cell": "Gaussian Example",
        "inliers": "N(0, I_p)",
        "outliers": "N(5·1_p, I_p)",
        "figures": {
            "JS-GAN": (0.0478, "Avg error: 0.0478, Last error: 0.0478",
                       "JS-GAN, G(z) = z + b, D p–20–1 (LeakyReLU(0.2)), SGD lr_d 0.2 / lr_g 0.02, "
                       "5 D steps per G step, batch 500, 150 epochs, b averaged over the last 25",
                       "one run (one seed)"),
            "coordinatewise median": (3.2383, "Initialize Mean Error: 3.2383",
                                      "coordinatewise median (torch.median, their start)",
                                      "the start of the run above"),
        },
    },
    "gao2019-demo-cauchy": {
        "description": ("Gao et al.'s Demo.ipynb, 'Cauchy Example': ‖θ̂ − θ‖₂, inliers "
                        "Cauchy(0, I_p), Q = Cauchy(5·1_p, I_p), p = 50, ε = 0.2 (Bernoulli "
                        "mask), n = 50,000"),
        "design": "Cauchy(5·1, I), Cauchy inliers",
        "kwargs": {"inliers": "cauchy", "outliers": "cauchy", "shift": 5.0, "exact": False},
        "n_features": 50,
        "estimators": {"JS-GAN": "js-gan",
                       "JS-GAN elliptical": {"estimator": "js-gan-scatter",
                                             "model": "elliptical"},
                       "coordinatewise median": "coordinatewise-median"},
        "cell": "Cauchy Example",
        "inliers": "Cauchy(0, I_p)",
        "outliers": "Cauchy(5·1_p, I_p)",
        "figures": {
            # Their run uses the elliptical generator; our Gaussian-model JS-GAN is set beside
            # the same figure (the bar is on "ours", whichever estimator that is).
            **dict.fromkeys(["JS-GAN elliptical", "JS-GAN"], (
                0.0639, "Avg error: 0.0639, Last error: 0.0739",
                "JS-GAN with the elliptical generator G(u, z) = g(z)·u + b, ξ-net 24–24–12–12, "
                "D p–50–25–1 (sigmoid first), SGD lr_d 0.1 / lr_g 0.025, 1 D step and 2 G "
                "steps, batch 500, 150 epochs, b averaged over the last 25",
                "one run (one seed); last iterate 0.0739. The cell's markdown says p = 100, "
                "its code runs p = 50")),
            "coordinatewise median": (2.5277, "Initialize Mean Error: 2.5277",
                                      "coordinatewise median (torch.median, their start)",
                                      "the start of the run above"),
        },
    },
}


def _demo(name, quick, seeds=5):
    spec = _DEMOS[name]
    estimators = dict(spec["estimators"])
    if "js-gan-scatter" not in ESTIMATORS:  # pragma: no cover - RobustGANScatter missing
        estimators.pop("JS-GAN elliptical")
    return {
        "name": name + ("-quick" if quick else ""),
        "description": spec["description"] + (" (quick: n = 5,000, p = 10)" if quick else ""),
        "metric": "location",
        "seeds": 2 if quick else seeds,
        "n_samples": 5_000 if quick else _DEMO_SOURCE["n_samples"],
        "n_features": 10 if quick else spec["n_features"],
        "contamination": [_DEMO_SOURCE["contamination"]],
        "designs": {spec["design"]: dict(spec["kwargs"])},
        "estimators": estimators,
    }


def _demo_figures():
    figures = {}
    for name, spec in _DEMOS.items():
        for label, (value, quote, theirs, note) in spec["figures"].items():
            key = (name, spec["design"], spec["n_features"], _DEMO_SOURCE["contamination"], label)
            figures[key] = PublishedFigure(
                value=value, metric=_DEMO_SOURCE["metric"],
                n_samples=_DEMO_SOURCE["n_samples"], n_features=spec["n_features"],
                contamination=_DEMO_SOURCE["contamination"], inliers=spec["inliers"],
                outliers=spec["outliers"], estimator=theirs, repo=_DEMO_SOURCE["repo"],
                path=_DEMO_SOURCE["path"], cell=spec["cell"], commit=_DEMO_SOURCE["commit"],
                quote=quote, note=note)
    return figures


# (preset, design, p, ε, estimator label) -> PublishedFigure.
PUBLISHED = _demo_figures()


def published_figures(name):
    """The published figures of a preset (its ``-quick`` variant's too), keyed as
    ``comparison_table`` reads them: ``(design, p, ε, estimator) -> PublishedFigure``.

    Examples
    --------
    >>> sorted(published_figures("gao2019-demo-cauchy-quick"))[0]
    ('Cauchy(5·1, I), Cauchy inliers', 50, 0.2, 'JS-GAN')
    >>> published_figures("study")
    {}
    """
    base = name.removesuffix("-quick")
    return {key[1:]: figure for key, figure in PUBLISHED.items() if key[0] == base}


PRESETS = {
    "gao2019-table1": _gao2019_table1,
    "gao2019-demo-cauchy": partial(_demo, "gao2019-demo-cauchy"),
    "gao2019-demo-gaussian": partial(_demo, "gao2019-demo-gaussian"),
    "gao2020-scatter": _gao2020_scatter,
    "study": _study,
}


def available_presets():
    """The preset names.

    Examples
    --------
    >>> available_presets()
    ['gao2019-demo-cauchy', 'gao2019-demo-gaussian', 'gao2019-table1', 'gao2020-scatter', 'study']
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
        Preset keywords: ``study`` takes n_samples, n_features, contamination and seeds; the
        ``gao2019-demo-*`` presets take seeds (5 by default).

    Examples
    --------
    >>> grid = preset("gao2019-table1", quick=True)
    >>> grid["n_samples"], grid["n_features"], grid["seeds"]
    (5000, 20, 2)
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; use one of {available_presets()}")
    return PRESETS[name](quick, **overrides)
