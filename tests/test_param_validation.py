"""Parameters the estimators cannot use are refused before any work, naming the parameter; long
runs hold memory for the steps they run; the scaler keeps a float32 input's dtype."""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.covariance import MinCovDet
from sklearn.utils._param_validation import Interval, Options, validate_parameter_constraints

from robustgan import RobustGANMean, RobustGANScaler, RobustGANScatter, baselines, fit_many, nets
from robustgan.batched import MemberIndexSampler, MemberNormalPool, stack_modules
from robustgan.divergences import get_divergence
from robustgan.engine import (
    AdversarialLoop,
    IndexSampler,
    resolve_device,
    torch_generator,
    train_adversarial,
)
from robustgan._validation import refusing_bools
from robustgan.estimators import _base
from robustgan.gan import GANTrainer
from robustgan.estimators.game_setup import MAX_STEPS
from robustgan.estimators.mean import MAX_PENALTY
from robustgan.nets import LocationGenerator, MLPDiscriminator, seeded_torch
from robustgan.outliers import CONTAMINATION_CONSTRAINT

pytestmark = pytest.mark.usefixtures("one_thread")

# Where validation lets a value through, these make the fit that follows take milliseconds.
FAST = {"n_steps": 5, "device": "cpu", "random_state": 0}
ESTIMATORS = [RobustGANMean, RobustGANScatter]
by_name = pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: e.__name__)


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).randn(60, 3)


def _number_parameters(estimator, kind):
    """The parameters of ``estimator`` that take a number of ``kind`` (Integral or Real)."""
    return sorted(name for name, constraints in estimator._parameter_constraints.items()
                  if isinstance(constraints, list)
                  and any(isinstance(c, Interval) and c.type is kind
                          for c in constraints))


def _cases(kind):
    return [pytest.param(estimator, name, id=f"{estimator.__name__}-{name}")
            for estimator in ESTIMATORS for name in _number_parameters(estimator, kind)]


# -- 1. weight penalties and non-finite floats ----------------------------------------------------

@pytest.mark.parametrize("name", ["l1_penalty", "l2_penalty"])
@pytest.mark.parametrize("value", [1e30, 10**30, MAX_PENALTY * 2])
def test_a_weight_penalty_past_the_bound_is_refused_naming_it(X, name, value):
    # 1e30 overflowed the float32 clipping norm (the game walked off); the int 10**30 raised
    # OverflowError inside torch.
    with pytest.raises(ValueError, match=rf"'{name}' parameter of RobustGANMean must be .*"
                                         r"\[0.0, 1000000.0\]"):
        RobustGANMean(**{name: value}, **FAST).fit(X)


def test_the_largest_weight_penalty_holds_the_discriminator_at_zero(X):
    est = RobustGANMean(l1_penalty=int(MAX_PENALTY), l2_penalty=MAX_PENALTY, scale="diagonal",
                        n_steps=30, device="cpu", random_state=0).fit(X)
    # No discriminator to follow: the game stays near its start, the median.
    assert np.all(np.isfinite(est.location_))
    assert np.linalg.norm(est.location_ - est.initial_location_) < 0.5


@pytest.mark.parametrize("estimator, name", _cases(Real))
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_every_float_parameter_refuses_inf_and_nan_naming_it(X, estimator, name, value):
    with pytest.raises(ValueError, match=rf"'{name}' parameter of {estimator.__name__}"):
        estimator(**{**FAST, name: value}).fit(X)


# -- 2. long runs -------------------------------------------------------------------------------

def _stop_at(last):
    return lambda step, generator, discriminator: step >= last


@pytest.mark.parametrize("n_steps", [10**9, 10**13])
def test_a_long_run_holds_memory_for_the_steps_it_runs(n_steps):
    # Its loss history was allocated for every step up front: 12 GB for 10⁹ steps, and torch
    # refused the 40 TB of 10¹³.
    loop = AdversarialLoop(LocationGenerator(torch.zeros(2)), MLPDiscriminator(2),
                           get_divergence("js"), latent_dim=2,
                           generator_rng=torch_generator(0, "cpu"))
    sampler = IndexSampler(torch.randn(100, 2, generator=torch.Generator().manual_seed(0)), 20)
    assert loop.run(sampler, n_steps, check_every=50, callbacks=[_stop_at(1500)]) == 1500
    history = loop.history()
    assert len(history) == 1500 and np.all(history.d_loss != 0)
    assert loop._losses[0].numel() <= 4096


def test_the_history_of_a_run_grown_in_chunks_is_the_one_of_a_run_in_one_go():
    def history(n_steps, stop):
        with seeded_torch(0):
            discriminator = MLPDiscriminator(2)
        loop = AdversarialLoop(LocationGenerator(torch.zeros(2)), discriminator,
                               get_divergence("js"), latent_dim=2,
                               generator_rng=torch_generator(0, "cpu"))
        data = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
        loop.run(IndexSampler(data, 20), n_steps, callbacks=[_stop_at(stop)])
        return loop.history()

    grown, whole = history(10**12, 1300), history(1300, 1300)
    np.testing.assert_array_equal(grown.d_loss, whole.d_loss)
    np.testing.assert_array_equal(grown.g_loss, whole.g_loss)


def test_a_long_batched_run_holds_memory_for_the_steps_it_runs():
    R, p = 2, 2
    data = [torch.randn(50, p, generator=torch.Generator().manual_seed(r)) for r in range(R)]
    fit = train_adversarial(
        MemberIndexSampler(data, 20, range(R)),
        stack_modules([LocationGenerator(torch.zeros(p)) for _ in range(R)]),
        stack_modules([MLPDiscriminator(p, hidden_sizes=(4,)) for _ in range(R)]),
        n_steps=10**13, members=R, latent_sampler=MemberNormalPool([50] * R, p, range(R), "cpu"),
        callbacks=[_stop_at(100)], random_state=0)
    assert fit.n_iter == 100 and fit.history.d_loss.shape == (100, R)


class Interrupted(Exception):
    """Ctrl-C, as a test can raise it: a KeyboardInterrupt would stop pytest itself."""


@pytest.fixture
def ctrl_c_at_the_first_check(monkeypatch):
    """Every game is interrupted at its first progress report (step 50)."""
    class Interrupting(_base.ProgressBar):
        def __enter__(self):
            def interrupt(steps):
                raise Interrupted

            return interrupt

    monkeypatch.setattr(_base, "ProgressBar", Interrupting)


@by_name
def test_a_fit_of_a_huge_step_count_starts_at_once_and_can_be_interrupted(
        X, estimator, ctrl_c_at_the_first_check):
    params = {"scale": "diagonal"} if estimator is RobustGANMean else {}
    with pytest.raises(Interrupted):
        estimator(**{**FAST, "n_steps": 10**13}, **params).fit(X)


@by_name
def test_a_step_count_past_the_bound_is_refused_naming_it(X, estimator,
                                                         ctrl_c_at_the_first_check):
    params = {"scale": "diagonal"} if estimator is RobustGANMean else {}
    with pytest.raises(ValueError, match=f"'n_steps' parameter of {estimator.__name__}"):
        estimator(**{**FAST, "n_steps": MAX_STEPS + 1}, **params).fit(X)


# -- 3. bools and floats for numbers ------------------------------------------------------------

@pytest.mark.parametrize("estimator, name", _cases(Integral) + _cases(Real))
@pytest.mark.parametrize("value", [True, False, np.True_])
def test_a_bool_is_refused_for_every_number_parameter_naming_it(X, estimator, name, value):
    # bool is an Integral and a Real in Python: n_directions=True passed as one direction.
    with pytest.raises(ValueError, match=rf"'{name}' parameter of {estimator.__name__} must be"
                                         r".*\(not a bool\)"):
        estimator(**{**FAST, name: value}).fit(X)


@pytest.mark.parametrize("estimator, name", _cases(Integral))
@pytest.mark.parametrize("value", [2.5, 1e30, 3.0])
def test_a_float_is_refused_for_every_int_parameter_naming_it(X, estimator, name, value):
    with pytest.raises(ValueError, match=rf"'{name}' parameter of {estimator.__name__} must be "
                                         "an int"):
        estimator(**{**FAST, name: value}).fit(X)


def test_refusing_bools_keeps_every_other_value_and_constraint():
    constraints = refusing_bools({"n": [Interval(Integral, 1, None, closed="left"), None],
                                  "contamination": CONTAMINATION_CONSTRAINT,
                                  "flag": ["boolean"], "free": "no_validation"})
    assert constraints["free"] == "no_validation"
    validate = validate_parameter_constraints
    validate(constraints, {"n": np.int64(3), "contamination": 0.0, "flag": True, "free": True},
             caller_name="f")
    # Options of numbers too: False == 0.0 passed as contamination 0.
    for params in [{"n": True}, {"contamination": False}]:
        with pytest.raises(ValueError, match=rf"'{next(iter(params))}' parameter"):
            validate(constraints, params, caller_name="f")
    assert isinstance(constraints["contamination"][2], Options)


# -- 4. devices and data near the float64 limits ------------------------------------------------

@by_name
@pytest.mark.parametrize("device", [torch.device("meta"), "meta", torch.device("mps"), "mps",
                                    "cuda:99", torch.device("cuda", 99), "gpu"])
def test_a_device_the_fit_cannot_train_on_is_refused_naming_those_there_are(X, estimator, device):
    if isinstance(device, str) and device == "mps" and torch.backends.mps.is_available():
        pytest.skip("MPS is here; robustgan refuses it for its float64 reads all the same")
    with pytest.raises(ValueError, match=rf"'device' parameter of {estimator.__name__} .*"
                                         r"here: 'cpu'"):
        estimator(**{**FAST, "device": device}).fit(X)


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu"), "auto", "cuda", "cuda:0"])
def test_a_device_this_machine_has_is_taken(X, device):
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'device' parameter.*here: 'cpu'"):
            RobustGANScatter(**{**FAST, "device": device}).fit(X)
        return
    est = RobustGANScatter(**{**FAST, "device": device}).fit(X)
    assert np.all(np.isfinite(est.covariance_))


def test_resolve_device_refuses_an_absent_backend_naming_the_devices_there_are():
    if not torch.backends.mps.is_available():
        with pytest.raises(ValueError, match="MPS is not available .*devices here: 'cpu'"):
            resolve_device(torch.device("mps"))
    with pytest.raises(ValueError, match="cuda"):
        resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_scatter_fits_data_near_1e150_as_it_fits_them_at_unit_scale():
    # The generalised eigenvectors of scatters near 1e300 have entries near 1e-150, whose
    # squares underflowed to a norm of 0: a divide-by-zero RuntimeWarning (an error here).
    rng = np.random.RandomState(3)
    X = rng.randn(300, 3)
    X[:30] += 5.0
    far = RobustGANScatter(**FAST).fit(X * 1e150)
    unit = RobustGANScatter(**FAST).fit(X)
    np.testing.assert_allclose(far.location_ / 1e150, unit.location_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(far.covariance_ / 1e300, unit.covariance_, rtol=1e-6, atol=1e-9)


# -- 5. fit_many ----------------------------------------------------------------------------------

@pytest.mark.parametrize("max_members", ["a", "3", True, 1.5, 2.0])
def test_fit_many_refuses_a_max_members_that_is_not_an_int(X, max_members):
    with pytest.raises(TypeError, match=rf"max_members must be an int >= 1 or None, got "
                                        rf"{max_members!r}"):
        fit_many(RobustGANMean(**FAST), [X, X], max_members=max_members)


def test_fit_many_takes_a_numpy_int_max_members(X):
    fits = fit_many(RobustGANScatter(**FAST), [X, X], max_members=np.int64(2))
    assert len(fits) == 2


# -- 6. the scaler's dtype ------------------------------------------------------------------------

def _scaler():
    return RobustGANScaler(MinCovDet(random_state=0))


def test_the_scaler_keeps_a_float32_dataframe_float32(X):
    frame = pd.DataFrame(X.astype(np.float32), columns=["a", "b", "c"])
    scaler = _scaler().fit(frame)
    Z = scaler.transform(frame)
    assert Z.dtype == np.float32
    assert scaler.inverse_transform(pd.DataFrame(Z, columns=frame.columns)).dtype == np.float32
    assert (scaler.set_output(transform="pandas").transform(frame).dtypes == np.float32).all()


def test_the_scaler_keeps_a_float32_array_float32_and_widens_the_rest(X):
    scaler = _scaler().fit(X.astype(np.float32))
    assert scaler.transform(X.astype(np.float32)).dtype == np.float32
    assert scaler.transform(X).dtype == np.float64
    mixed = pd.DataFrame({"a": X[:, 0].astype(np.float32), "b": X[:, 1], "c": X[:, 2]})
    assert _scaler().fit(mixed).transform(mixed).dtype == np.float64


BASELINES = [getattr(baselines, name) for name in baselines.__all__
             if isinstance(getattr(baselines, name), type)]


@pytest.mark.parametrize("estimator, name", [
    pytest.param(estimator, name, id=f"{estimator.__name__}-{name}")
    for estimator in BASELINES
    for name in _number_parameters(estimator, Integral) + _number_parameters(estimator, Real)
    + (["contamination"] if "contamination" in estimator._parameter_constraints else [])])
def test_a_bool_is_refused_for_every_number_parameter_of_the_baselines(X, estimator, name):
    # KendallTauScatter(max_pairs=True) drew one pair; IterativeFilter(contamination=False)
    # took 0.
    with pytest.raises(ValueError, match=rf"'{name}' parameter of {estimator.__name__} must be"
                                         r".*\(not a bool\)"):
        estimator(**{name: True}).fit(X)


@pytest.mark.parametrize("call", ["fit", "sample", "ensemble", "batch_size", "n_critic"])
def test_the_gan_trainer_refuses_a_bool_count(call):
    def generator():
        return nets.MLPGenerator(2, 2, hidden_sizes=(4,))

    def discriminator():
        return nets.MLPDiscriminator(2, hidden_sizes=(4,))

    data = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"\(not a bool\)"):
        if call == "fit":
            GANTrainer(generator(), discriminator()).fit(data, n_steps=True)
        elif call == "sample":
            GANTrainer(generator(), discriminator()).fit(data, n_steps=1).sample(True)
        elif call == "ensemble":
            GANTrainer.ensemble(generator, discriminator, True)
        else:
            GANTrainer(generator(), discriminator(), **{call: True}).fit(data, n_steps=1)
