"""scikit-learn's estimator checks pass on the default constructor of every exported estimator.

A user runs ``check_estimator(Estimator())``; the per-module contract tests construct theirs with
few steps or a fixed contamination, which says nothing of the defaults. Here every estimator of
``robustgan.__all__`` is built with no argument and every check runs, none skipped or expected
to fail. The adversarial estimators train for their default number of steps on each of the
checks' data sets (several minutes each on two cores): marked ``slow``.
"""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import robustgan

ADVERSARIAL = {"RobustGANMean", "RobustGANScatter", "RobustGANScaler"}


def _exported_estimators():
    return sorted(
        name
        for name in robustgan.__all__
        if inspect.isclass(getattr(robustgan, name))
        and issubclass(getattr(robustgan, name), BaseEstimator)
    )


def test_every_exported_estimator_is_checked_here():
    exported = set(_exported_estimators())
    assert ADVERSARIAL <= exported
    # Every other exported estimator is a classic one, checked on the fast path below.
    assert len(exported - ADVERSARIAL) >= 10


@parametrize_with_checks(
    [getattr(robustgan, name)() for name in _exported_estimators() if name not in ADVERSARIAL]
)
def test_default_constructor_passes_the_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    [getattr(robustgan, name)() for name in _exported_estimators() if name in ADVERSARIAL]
)
def test_default_adversarial_constructor_passes_the_checks(estimator, check):
    check(estimator)
