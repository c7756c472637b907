"""robustgan.estimators._base: the fitting protocol, which ``fit`` and ``fit_many`` both drive."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from robustgan import RobustGANMean, RobustGANScatter, TrimmedMean, fit_many
from robustgan.datasets import make_huber_contamination
from robustgan.divergences import get_divergence
from robustgan.engine import AdversarialProblem
from robustgan.estimators import is_adversarial
from robustgan.estimators._base import fit_adversarial
from robustgan.estimators.game_setup import as_training_tensor, seeded_discriminator
from robustgan.nets import LocationGenerator

pytestmark = pytest.mark.usefixtures("one_thread")


class StagedLocation(BaseEstimator):
    """A toy estimator in the protocol: ``stages`` location games, each started at the last
    one's estimate with its trained discriminator; ``fail_after`` raises after that stage."""

    def __init__(self, stages=2, n_steps=20, fail_after=None, random_state=None):
        self.stages = stages
        self.n_steps = n_steps
        self.fail_after = fail_after
        self.random_state = random_state

    def fit(self, X, y=None):
        return fit_adversarial(self, X)

    def _adversarial_games(self, X, out=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got {X.ndim}-D")
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        real = as_training_tensor(X, "cpu", out)
        generator = LocationGenerator(torch.as_tensor(np.median(X, axis=0), dtype=torch.float32))
        discriminator = seeded_discriminator(X.shape[1], seed, "cpu", hidden_sizes=(8,),
                                             activation="leaky_relu")
        self.problems_, self.starts_, self.stage_locations_ = [], [], []
        for stage in range(self.stages):
            problem = AdversarialProblem(real, generator, discriminator, get_divergence("js"),
                                         {"n_steps": self.n_steps, "batch_size": 200}, seed + stage)
            self.problems_.append(problem)
            self.starts_.append(generator.location.detach().double().numpy().copy())
            fit = yield problem
            if stage == self.fail_after:
                raise RuntimeError(f"failed after stage {stage}")
            generator = LocationGenerator(fit.averaged_parameters["location"].detach().clone())
            self.stage_locations_.append(generator.location.detach().double().numpy())
        self.location_ = self.stage_locations_[-1]


@pytest.fixture(scope="module")
def data():
    return [make_huber_contamination(400, 3, 0.1, random_state=r) for r in range(3)]


def test_the_adversarial_estimators_follow_the_protocol_and_the_others_do_not():
    assert is_adversarial(RobustGANMean()) and is_adversarial(RobustGANScatter())
    assert is_adversarial(StagedLocation())
    assert not is_adversarial(TrimmedMean())


def test_fit_solves_each_game_alone_from_the_last_one_s_answer(data):
    est = StagedLocation(stages=2, random_state=0)
    assert est.fit(data[0].X) is est
    first, second = est.problems_
    # The second game: at the first's estimate, with the discriminator the first trained.
    assert second.discriminator is first.discriminator
    np.testing.assert_array_equal(est.starts_[1], est.stage_locations_[0])
    assert len(est.stage_locations_) == 2
    assert np.linalg.norm(est.location_ - data[0].location) < 0.5


def test_fit_many_plays_each_round_of_games_batched(data, game_sizes):
    X = [d.X for d in data]
    fits = fit_many(StagedLocation(stages=2), X, random_states=range(3))
    assert game_sizes == [3, 3]
    for fit, d in zip(fits, data):
        assert len(fit.stage_locations_) == 2
        assert np.linalg.norm(fit.location_ - d.location) < 0.5
        np.testing.assert_array_equal(fit.starts_[1], fit.stage_locations_[0])
        assert fit.problems_[1].discriminator is fit.problems_[0].discriminator


def test_members_with_fewer_games_finish_first(data, game_sizes):
    estimators = [StagedLocation(stages=2), StagedLocation(stages=2), StagedLocation(stages=1)]
    fits = fit_many(estimators, [d.X for d in data], random_states=range(3))
    assert game_sizes == [2, 1, 2]  # round 1: two configurations; round 2: the two-stage members
    assert [len(f.stage_locations_) for f in fits] == [2, 2, 1]


def test_a_member_failing_between_its_games_is_an_error_in_its_place(data):
    estimators = [StagedLocation(), StagedLocation(fail_after=0), StagedLocation()]
    X = [d.X for d in data]
    fits = fit_many(estimators, X, random_states=range(3), errors="return")
    assert isinstance(fits[1], RuntimeError) and "failed after stage 0" in str(fits[1])
    assert len(fits[0].stage_locations_) == 2 and len(fits[2].stage_locations_) == 2
    with pytest.raises(RuntimeError, match="dataset 1: failed after stage 0"):
        fit_many(estimators, X, random_states=range(3))


def test_bad_input_raised_by_a_game_is_named(data):
    with pytest.raises(ValueError, match="dataset 1: X must be 2-D"):
        fit_many(StagedLocation(), [data[0].X, data[1].X[None]])
