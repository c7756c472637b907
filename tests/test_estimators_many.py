"""robustgan.estimators.many: ``fit_many``, many fits as batched games."""

import warnings

import numpy as np
import pytest
import torch
from scipy import stats

from robustgan import RobustGANMean, RobustGANScatter, batched, fit_many, make_huber_contamination
from robustgan.estimators import many

pytestmark = pytest.mark.usefixtures("one_thread")


FAST = {"n_steps": 40, "device": "cpu"}


def test_fit_many_returns_ordinary_fitted_estimators(datasets):
    fits = fit_many(RobustGANMean(random_state=0, **FAST), [d.X for d in datasets[:3]])
    for fit, data in zip(fits, datasets):
        assert isinstance(fit, RobustGANMean)
        assert fit.location_.shape == (4,) and fit.n_iter_ == 40 and fit.n_features_in_ == 4
        assert fit.history_.d_loss.shape == (40,) and fit.history_.g_loss.shape == (40,)
        assert np.linalg.norm(fit.location_ - data.location) < 1.0
        assert fit.predict(data.X).shape == (600,)
    assert len({f.random_state for f in fits}) == 3


def test_a_member_s_result_does_not_depend_on_its_batch(datasets):
    X = [d.X for d in datasets]
    est = RobustGANMean(**FAST)
    full = fit_many(est, X, random_states=range(6))
    others = fit_many(est, X[:2] + [X[5], X[4]], random_states=[0, 1, 50, 51])
    alone = fit_many(est, X[1:2], random_states=[1])
    reordered = fit_many(est, [X[2], X[1], X[0]], random_states=[2, 1, 0])
    for r in range(2):
        np.testing.assert_array_equal(full[r].game_location_, others[r].game_location_)
    np.testing.assert_array_equal(full[1].game_location_, alone[0].game_location_)
    np.testing.assert_array_equal(full[0].game_location_, reordered[2].game_location_)
    np.testing.assert_array_equal(full[1].history_.d_loss, alone[0].history_.d_loss)


def test_same_seed_same_answer_different_seed_different_answer(datasets):
    X = [d.X for d in datasets[:2]]
    a = fit_many(RobustGANMean(random_state=3, **FAST), X)
    b = fit_many(RobustGANMean(random_state=3, **FAST), X)
    c = fit_many(RobustGANMean(random_state=4, **FAST), X)
    np.testing.assert_array_equal(a[0].game_location_, b[0].game_location_)
    assert not np.array_equal(a[0].game_location_, c[0].game_location_)
    # The r-th member's seed is the r-th draw of the template's: fixed whatever the count.
    d = fit_many(RobustGANMean(random_state=3, **FAST), X[:1])
    np.testing.assert_array_equal(a[0].game_location_, d[0].game_location_)


def test_data_sets_of_different_sizes_share_a_batch_without_padding():
    sizes = [500, 700, 900]
    data = [make_huber_contamination(n, 3, 0.1, random_state=n) for n in sizes]
    groups = []
    original = many.solve_many

    def spy(problems, **kwargs):
        groups.append([p.real.shape[0] for p in problems])
        return original(problems, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(many, "solve_many", spy)
        fits = fit_many(RobustGANMean(random_state=0, **FAST), [d.X for d in data])
    assert groups == [sizes]
    alone = fit_many(RobustGANMean(**FAST), [data[1].X], random_states=[fits[1].random_state])
    np.testing.assert_array_equal(fits[1].game_location_, alone[0].game_location_)


def test_incompatible_members_go_to_separate_batches(datasets, game_sizes):
    X = [d.X for d in datasets[:4]] + [make_huber_contamination(600, 3, 0.1, random_state=0).X]
    estimators = [RobustGANMean(random_state=r, **FAST) for r in range(3)]
    estimators.append(RobustGANMean(random_state=3, n_steps=20, device="cpu"))
    estimators.append(RobustGANMean(random_state=4, **FAST))
    fits = fit_many(estimators, X)
    assert sorted(game_sizes) == [1, 1, 3]
    assert fits[3].n_iter_ == 20 and fits[4].location_.shape == (3,)


def test_max_members_caps_the_members_per_game_and_one_means_one_by_one(datasets, game_sizes):
    X = [d.X for d in datasets[:3]]
    fit_many(RobustGANMean(random_state=0, **FAST), X, max_members=2)
    assert game_sizes == [2, 1]
    singles = fit_many(RobustGANMean(random_state=0, **FAST), X, max_members=1)
    assert game_sizes == [2, 1]  # no batched game: each member's own fit
    solo = RobustGANMean(random_state=singles[0].random_state, **FAST).fit(X[0])
    np.testing.assert_array_equal(singles[0].game_location_, solo.game_location_)


def test_batch_size_is_a_deprecated_alias_of_max_members(datasets, game_sizes):
    X = [d.X for d in datasets[:3]]
    with pytest.warns(FutureWarning, match="renamed to max_members="):
        fit_many(RobustGANMean(random_state=0, **FAST), X, batch_size=2)
    assert game_sizes == [2, 1]
    with pytest.raises(ValueError, match="both max_members and its deprecated alias"):
        fit_many(RobustGANMean(**FAST), X, max_members=2, batch_size=2)


def test_batched_and_single_fits_agree_in_distribution():
    data = [make_huber_contamination(800, 5, 0.2, random_state=100 + r) for r in range(16)]
    X = [d.X for d in data]
    est = RobustGANMean(n_steps=150, device="cpu")
    together = fit_many(est, X, random_states=range(16))
    alone = [RobustGANMean(n_steps=150, device="cpu", random_state=r).fit(x)
             for r, x in enumerate(X)]
    err_together = [np.linalg.norm(f.game_location_ - d.location) for f, d in zip(together, data)]
    err_alone = [np.linalg.norm(f.game_location_ - d.location) for f, d in zip(alone, data)]
    assert stats.ks_2samp(err_together, err_alone).pvalue > 0.01
    assert abs(np.median(err_together) / np.median(err_alone) - 1.0) < 0.3
    # Paired: each member lands near its own single fit (same data, start, algorithm).
    gaps = [np.linalg.norm(a.game_location_ - b.game_location_) for a, b in zip(together, alone)]
    assert np.median(gaps) < np.median(err_alone)


def test_scatter_and_elliptical_members(datasets):
    X = [d.X for d in datasets[:3]]
    fits = fit_many(RobustGANScatter(random_state=0, n_steps=30, device="cpu"), X)
    for fit, data in zip(fits, datasets):
        assert fit.covariance_.shape == (4, 4) and fit.support_.shape == (600,)
        assert np.linalg.norm(fit.covariance_ - data.scatter, 2) < 1.0
    elliptical = fit_many(RobustGANScatter("elliptical", random_state=0, n_steps=10,
                                           device="cpu"), X[:2])
    assert all(np.isfinite(f.covariance_).all() for f in elliptical)


def test_unstackable_networks_are_fitted_one_by_one_exactly(datasets):
    est = RobustGANMean(spectral_norm=True, random_state=0, n_steps=10, device="cpu")
    fits = fit_many(est, [d.X for d in datasets[:2]])
    solo = RobustGANMean(spectral_norm=True, random_state=fits[1].random_state, n_steps=10,
                         device="cpu").fit(datasets[1].X)
    np.testing.assert_array_equal(fits[1].game_location_, solo.game_location_)


def test_estimators_without_a_game_are_fitted_by_their_own_fit(datasets):
    from robustgan import CoordinatewiseMedian

    fits = fit_many(CoordinatewiseMedian(), [d.X for d in datasets[:2]])
    np.testing.assert_array_equal(fits[1].location_, np.median(datasets[1].X, axis=0))


def test_a_three_dimensional_array_is_a_stack_of_data_sets(datasets):
    listed = [d.X for d in datasets[:2]]
    fits = fit_many(RobustGANMean(random_state=0, **FAST), np.stack(listed))
    for stacked, alone in zip(fits, fit_many(RobustGANMean(random_state=0, **FAST), listed)):
        np.testing.assert_array_equal(stacked.game_location_, alone.game_location_)
        np.testing.assert_array_equal(stacked.history_.d_loss, alone.history_.d_loss)


@pytest.mark.parametrize("bad, message", [
    (lambda X: [X[0], np.full_like(X[1], np.nan)], "dataset 1: .*NaN"),
    (lambda X: [X[0], X[1][:, 0]], "dataset 1: .*2D"),
    (lambda X: [X[0], X[1][:1]], "dataset 1: .*minimum of 2"),
    (lambda X: [], "empty"),
    (lambda X: "abc", "sequence of 2-D"),
])
def test_bad_input_is_named(datasets, bad, message):
    X = [d.X for d in datasets[:2]]
    with pytest.raises(ValueError, match=message):
        fit_many(RobustGANMean(**FAST), bad(X))


def test_bad_arguments_are_named(datasets):
    X = [d.X for d in datasets[:2]]
    with pytest.raises(ValueError, match="2 random_states for 3 datasets"):
        fit_many(RobustGANMean(**FAST), X + X[:1], random_states=[0, 1])
    with pytest.raises(ValueError, match="1 estimators for 2 datasets"):
        fit_many([RobustGANMean(**FAST)], X)
    with pytest.raises(ValueError, match="errors must be"):
        fit_many(RobustGANMean(**FAST), X, errors="ignore")
    with pytest.raises(ValueError, match="max_members must be >= 1"):
        fit_many(RobustGANMean(**FAST), X, max_members=0)
    with pytest.raises(ValueError, match="dataset 0: .*n_steps"):
        fit_many(RobustGANMean(n_steps=-1), X)


def test_a_diverging_member_is_an_error_in_its_place(datasets, monkeypatch):
    X = [d.X for d in datasets[:3]]
    original = many.solve_many

    def poisoned(problems, **kwargs):
        problems[1].real.mul_(1e38)  # member 1's game overflows
        return original(problems, **kwargs)

    monkeypatch.setattr(many, "solve_many", poisoned)
    fits = fit_many(RobustGANMean(random_state=0, **FAST), X, errors="return")
    assert isinstance(fits[1], FloatingPointError) and "diverged" in str(fits[1])
    assert np.isfinite(fits[0].location_).all() and np.isfinite(fits[2].location_).all()
    with pytest.raises(FloatingPointError, match="dataset 1: adversarial training diverged"):
        fit_many(RobustGANMean(random_state=0, **FAST), X)


def test_each_data_set_is_copied_once_into_one_buffer(datasets, monkeypatch):
    copied = []
    original = batched._row_storage

    def watched(tensors):
        storage, offsets = original(tensors)
        copied.append(any(t.untyped_storage().data_ptr() != storage.untyped_storage().data_ptr()
                          for t in tensors))
        return storage, offsets

    monkeypatch.setattr(batched, "_row_storage", watched)
    fit_many(RobustGANMean(random_state=0, **FAST), [d.X for d in datasets[:3]])
    assert copied == [False]


def test_compile_falls_back_to_eager_where_it_fails(datasets, monkeypatch):
    def broken(fn, **kwargs):
        def call(*args):
            raise RuntimeError("no compiler here")
        return call

    monkeypatch.setattr(torch, "compile", broken)
    X = [d.X for d in datasets[:2]]
    with pytest.warns(UserWarning, match="torch.compile failed"):
        compiled = fit_many(RobustGANMean(random_state=0, **FAST), X, compile=True)
    assert all(np.isfinite(f.location_).all() for f in compiled)


def test_warnings_are_not_raised_by_a_plain_batched_fit(datasets):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_many(RobustGANMean(random_state=0, **FAST), [d.X for d in datasets[:2]])


# ---------------------------------------------------------------------------------------------
# TV-GAN: two games per fit, both batched
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def games(monkeypatch):
    """(members, divergence) of every batched game that ``fit_many`` plays, in order."""
    played = []
    original = many.solve_many

    def spy(problems, **kwargs):
        played.append((len(problems), problems[0].divergence.name))
        return original(problems, **kwargs)

    monkeypatch.setattr(many, "solve_many", spy)
    return played


def test_tv_fit_many_plays_the_js_stage_then_the_tv_stage_each_as_one_batched_game(
        datasets, games):
    X = [d.X for d in datasets[:3]]
    fits = fit_many(RobustGANMean("tv", n_steps=20, device="cpu"), X, random_states=range(3))
    assert games == [(3, "jensen-shannon"), (3, "tv")]
    # Each member's TV game starts at its own JS-GAN estimate, that of the JS members of
    # fit_many (the same batched game), and runs its own 20 steps.
    js = fit_many(RobustGANMean("js", n_steps=20, device="cpu"), X, random_states=range(3))
    for tv_fit, js_fit in zip(fits, js):
        np.testing.assert_array_equal(tv_fit.start_location_, js_fit.game_location_)
        assert tv_fit.n_iter_ == 20 and not np.array_equal(tv_fit.game_location_,
                                                          js_fit.game_location_)


def test_tv_stage_continues_from_each_member_s_js_trained_discriminator(datasets, monkeypatch):
    # Each member's TV game is stacked from its JS game's trained discriminator, which
    # solve_many wrote back into the member's own module.
    stacks = []
    original = batched.stack_modules

    def spy(modules, *args, **kwargs):
        modules = list(modules)
        initial = [{k: v.clone() for k, v in m.state_dict().items()} for m in modules]
        stacks.append((initial, original(modules, *args, **kwargs)))
        return stacks[-1][1]

    monkeypatch.setattr(batched, "stack_modules", spy)
    fit_many(RobustGANMean("tv", n_steps=10, device="cpu"), [d.X for d in datasets[:2]],
             random_states=range(2))
    _, (js_initial, js_trained), _, (tv_initial, _) = stacks
    for r in range(2):
        trained = js_trained.member_state_dict(r)
        for name, value in tv_initial[r].items():
            assert torch.equal(value, trained[name])
            assert not torch.equal(value, js_initial[r][name])


def test_tv_fit_many_agrees_with_a_loop_of_fit_in_distribution():
    data = [make_huber_contamination(800, 5, 0.2, random_state=200 + r) for r in range(16)]
    X = [d.X for d in data]
    est = RobustGANMean("tv", n_steps=100, device="cpu")
    together = fit_many(est, X, random_states=range(16))
    alone = [RobustGANMean("tv", n_steps=100, device="cpu", random_state=r).fit(x)
             for r, x in enumerate(X)]
    err_together = [np.linalg.norm(f.game_location_ - d.location) for f, d in zip(together, data)]
    err_alone = [np.linalg.norm(f.game_location_ - d.location) for f, d in zip(alone, data)]
    assert stats.ks_2samp(err_together, err_alone).pvalue > 0.01
    assert abs(np.median(err_together) / np.median(err_alone) - 1.0) < 0.3


def test_members_prepared_in_threads_give_the_fits_of_members_prepared_in_turn(datasets,
                                                                              monkeypatch):
    # Each member's start and seeded networks depend on its own seed only: torch's global
    # generator is taken under a lock (seeded_torch), so the preparing threads cannot
    # interleave their seeds.
    from robustgan.estimators import many

    X = [d.X for d in datasets]
    fits = {}
    for workers in (1, 4):
        monkeypatch.setattr(many, "_MAX_PREPARING_THREADS", workers)
        fits[workers] = fit_many(RobustGANScatter(model="elliptical", random_state=0, **FAST), X)
    for one, several in zip(fits[1], fits[4]):
        np.testing.assert_array_equal(one.location_, several.location_)
        np.testing.assert_array_equal(one.covariance_, several.covariance_)
