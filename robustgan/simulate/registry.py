"""The estimators a grid can name: one table, ``name -> factory``.

A factory is called as ``factory(contamination=ε, random_state=seed, **params)`` and returns an
unfitted scikit-learn style estimator with ``location_`` (and, for scatter estimators,
``covariance_``) after ``fit``. The runner passes the task's ε because some baselines need it
(the iterative filter and dimension halving are given the true contamination level, as in the
papers' comparisons); factories that do not need it ignore it.

Adding an estimator is adding one line to ``ESTIMATORS``; a grid can also name any importable
class as ``"package.module:Class"`` (its keyword parameters come from the grid), which is how a
user's own estimator reaches worker processes and Dask workers without registration.
"""

import importlib
import inspect

from sklearn.covariance import EmpiricalCovariance, MinCovDet

from ..baselines import (
    CoordinatewiseMedian,
    DimensionHalving,
    GeometricMedian,
    IterativeFilter,
    KendallTauScatter,
    SpatialSignCovariance,
    SpearmanScatter,
    TrimmedMean,
    TukeyMedian,
    TylerScatter,
)
from ..baselines.scatter import OGK
from ..divergences import check_robust_divergence, get_divergence
from ..estimators import RobustGANMean, RobustGANScatter

__all__ = ["ESTIMATORS", "GIVEN_SCATTER", "OGK", "available_estimators", "make_estimator"]



def _gan(divergence):
    def factory(contamination, random_state, **params):
        return RobustGANMean(params.pop("divergence", divergence), random_state=random_state,
                             **params)

    return factory


def _given_level(cls):
    # The filter and dimension halving take ε as an input; the papers run them at the true ε.
    def factory(contamination, random_state, **params):
        params.setdefault("contamination_level", contamination if contamination > 0 else 0.01)
        return cls(**params)

    return factory


def _plain(cls, seeded=False):
    def factory(contamination, random_state, **params):
        if seeded:
            params.setdefault("random_state", random_state)
        return cls(**params)

    return factory


ESTIMATORS = {
    "sample-mean": _plain(EmpiricalCovariance),
    "coordinatewise-median": _plain(CoordinatewiseMedian),
    "trimmed-mean": _plain(TrimmedMean),
    "geometric-median": _plain(GeometricMedian),
    "tukey-median": _plain(TukeyMedian, seeded=True),
    "iterative-filter": _given_level(IterativeFilter),
    "dimension-halving": _given_level(DimensionHalving),
    "js-gan": _gan("js"),
    "tv-gan": _gan("tv"),
    "mcd": _plain(MinCovDet, seeded=True),
    "ogk": _plain(OGK),
    "kendall-tau": _plain(KendallTauScatter),
    "spearman": _plain(SpearmanScatter),
    "tyler": _plain(TylerScatter),
    "spatial-sign": _plain(SpatialSignCovariance),
    "js-gan-scatter": _plain(RobustGANScatter, seeded=True),
}


# Estimators whose ``covariance_`` is the scatter they were given (the filter assumes Σ known),
# not an estimate: the runner reports no scatter error for them.
GIVEN_SCATTER = frozenset({"iterative-filter"})

# Parameters renamed since studies were first stored, per class: {old name: new name}. A grid
# may still give the old name (it is translated), and a task's id and seeds are computed under
# the old name, so a study stored before the rename resumes with its rows and its numbers.
RENAMED_PARAMS = {RobustGANScatter: {"generator": "model"}}


def renamed_params(estimator):
    """``{old name: new name}`` of the renamed parameters of ``estimator``'s class.

    Examples
    --------
    >>> renamed_params(make_estimator("js-gan-scatter"))
    {'generator': 'model'}
    >>> renamed_params(make_estimator("js-gan"))
    {}
    """
    for cls, renamed in RENAMED_PARAMS.items():
        if isinstance(estimator, cls):
            return dict(renamed)
    return {}


def available_estimators():
    """The registered estimator names, sorted.

    Examples
    --------
    >>> "js-gan" in available_estimators()
    True
    """
    return sorted(ESTIMATORS)


def _import_class(path):
    module_name, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import estimator {path!r}: {exc}") from None


def _class_factory(cls):
    accepted = inspect.signature(cls).parameters

    def factory(contamination, random_state, **params):
        if "random_state" in accepted:
            params.setdefault("random_state", random_state)
        return cls(**params)

    return factory


def make_estimator(name, *, contamination=0.0, random_state=None, **params):
    """An unfitted estimator from a registry name or a ``"module:Class"`` path.

    Parameters
    ----------
    name : str
        A key of ``ESTIMATORS`` or an importable ``"package.module:Class"``.
    contamination : float, default=0.0
        The task's ε, given to the estimators that take the contamination level as an input.
    random_state : int or None, default=None
        Seed of the estimator's own randomness (set only where the estimator takes one).
    **params
        The estimator's keyword parameters.

    Returns
    -------
    estimator : object with ``fit(X)``

    Raises
    ------
    ValueError
        For an unknown name, an import failure, or parameters the estimator does not take.

    Examples
    --------
    >>> make_estimator("js-gan", random_state=0, n_steps=50)
    RobustGANMean(n_steps=50, random_state=0)
    >>> make_estimator("sklearn.covariance:MinCovDet", random_state=1)
    MinCovDet(random_state=1)
    """
    if ":" in name:
        factory = _class_factory(_import_class(name))
    elif name in ESTIMATORS:
        factory = ESTIMATORS[name]
    else:
        raise ValueError(
            f"unknown estimator {name!r}; use one of {available_estimators()} or a "
            "'package.module:Class' path"
        )
    try:
        estimator = factory(contamination=contamination, random_state=random_state, **params)
    except TypeError as exc:
        raise ValueError(f"estimator {name!r} does not take these parameters: {exc}") from None
    return estimator


def check_estimator_params(estimator):
    """Validate an estimator's parameters now (scikit-learn checks them only in ``fit``), so a
    bad grid fails before the run instead of filling the store with failed rows."""
    # Only estimators that declare constraints can be checked without fitting.
    if hasattr(estimator, "_parameter_constraints") and hasattr(estimator, "_validate_params"):
        estimator._validate_params()
    # The adversarial estimators check their divergence only in fit (a name, or an object).
    if isinstance(estimator, (RobustGANMean, RobustGANScatter)):
        check_robust_divergence(get_divergence(estimator.divergence))
