"""robustgan.simulate: grid specs, seeds, the result store, the runner, presets and reports."""

import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from robustgan.simulate import (
    COLUMNS,
    PUBLISHED,
    GridError,
    ResultStore,
    check_ordering,
    comparison_table,
    format_table,
    load_grid,
    make_estimator,
    parse_grid,
    plot,
    preset,
    rows_equal,
    run,
)
from robustgan.simulate.presets import PublishedFigure, available_presets, published_figures

SMALL = {
    "n_samples": 200,
    "n_features": 3,
    "contamination": [0.1, 0.2],
    "seeds": 2,
    "designs": {"far": {"shift": 5.0}, "cauchy": {"outliers": "cauchy", "shift": 0.5}},
    "estimators": {"mean": "sample-mean", "median": "coordinatewise-median"},
}

FAILING = textwrap.dedent("""
    from sklearn.base import BaseEstimator

    class Failing(BaseEstimator):
        def fit(self, X, y=None):
            raise RuntimeError("always fails")
""")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Grid specs: every error names the field and the line
# ---------------------------------------------------------------------------------------------


def test_a_grid_expands_to_one_task_per_combination():
    tasks = parse_grid(SMALL).tasks()
    assert len(tasks) == 2 * 2 * 2 * 2
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert [t.index for t in tasks] == list(range(len(tasks)))


def test_a_toml_grid_reads_like_the_dict(tmp_path):
    path = _write(tmp_path, "grid.toml", """
        n_samples = 200
        n_features = 3
        contamination = [0.1, 0.2]
        seeds = 2
        [designs]
        far = { shift = 5.0 }
        cauchy = { outliers = "cauchy", shift = 0.5 }
        [estimators]
        mean = "sample-mean"
        median = "coordinatewise-median"
    """)
    from_file = [t.task_id for t in load_grid(path).tasks()]
    assert from_file == [t.task_id for t in parse_grid(SMALL).tasks()]


@pytest.mark.parametrize(
    "body, field, line",
    [
        ("n_samples = 100\nn_features = 2\ncontamination = [0.1, 0.7]\n", "contamination.1", 4),
        ("n_samples = 1\nn_features = 2\ncontamination = 0.1\n", "n_samples", 2),
        ("n_samples = 100\nn_features = 2\ncontamination = 0.1\ncolour = 3\n", "colour", 5),
        (("n_samples = 100\nn_features = 2\ncontamination = 0.1\n[designs]\n"
          "far = { shift = 5.0, width = 2 }\n"), "designs.far.width", 6),
        (("n_samples = 100\nn_features = 2\ncontamination = 0.1\n[designs]\n"
          "odd = { outliers = \"no-such-design\" }\n"), "designs.odd", 6),
        ("n_samples = 100\nn_features = 2\ncontamination = 0.1\n[designs.far]\nshift = \"x\"\n",
         "designs.far", 5),
    ],
)
def test_toml_errors_name_the_field_and_the_line(tmp_path, body, field, line):
    path = _write(tmp_path, "grid.toml", 'estimators = ["sample-mean"]\n' + body)
    with pytest.raises(GridError) as error:
        load_grid(path)
    assert error.value.field == field
    assert error.value.line == line
    assert f"grid.toml:{line}: field '{field}'" in str(error.value)


def test_an_estimator_parameter_error_names_the_parameter_and_its_line(tmp_path):
    path = _write(tmp_path, "grid.toml", """
        n_samples = 100
        n_features = 2
        contamination = 0.1
        [estimators]
        mean = "sample-mean"
        gan = { estimator = "js-gan", n_steps = -5 }
    """)
    with pytest.raises(GridError, match="n_steps") as error:
        load_grid(path)
    assert (error.value.field, error.value.line) == ("estimators.gan.n_steps", 7)


@pytest.mark.parametrize("divergence, message", [("tvv", "unknown divergence 'tvv'"),
                                                   ("kl", "divergence 'kl' is refused")])
def test_a_divergence_the_estimator_would_refuse_fails_the_grid_before_the_run(
        divergence, message):
    # It used to pass the check, and every task of the run stored the same error row.
    spec = {"estimator": "js-gan", "n_steps": 20, "divergence": divergence}
    with pytest.raises(GridError, match=message) as error:
        parse_grid({**SMALL, "estimators": {"gan": spec}})
    assert error.value.field == "estimators.gan.divergence"


def test_unknown_estimators_and_parameters_are_grid_errors():
    with pytest.raises(GridError, match="unknown estimator 'nope'"):
        parse_grid({**SMALL, "estimators": ["nope"]})
    with pytest.raises(GridError, match="does not take"):
        parse_grid({**SMALL, "estimators": {"m": {"estimator": "sample-mean", "colour": 1}}})
    with pytest.raises(GridError, match="is required"):
        parse_grid({"n_samples": 10, "n_features": 2, "contamination": 0.1})


def test_syntax_errors_carry_the_line(tmp_path):
    with pytest.raises(GridError) as error:
        load_grid(_write(tmp_path, "bad.toml", "n_samples = 100\nn_features = = 2\n"))
    assert error.value.line == 2
    with pytest.raises(GridError) as error:
        load_grid(_write(tmp_path, "bad.json", '{"n_samples": 100,\n "n_features": }\n'))
    assert error.value.line == 2


def test_yaml_and_json_errors_name_the_line(tmp_path):
    yaml_path = _write(tmp_path, "grid.yaml", """
        estimators: [sample-mean]
        n_samples: 100
        n_features: 2
        contamination: [0.1, 0.9]
    """)
    with pytest.raises(GridError) as error:
        load_grid(yaml_path)
    assert (error.value.field, error.value.line) == ("contamination.1", 5)
    json_path = _write(tmp_path, "grid.json", json.dumps(
        {"estimators": ["sample-mean"], "n_samples": 100, "n_features": 0,
         "contamination": 0.1}, indent=1))
    with pytest.raises(GridError) as error:
        load_grid(json_path)
    assert (error.value.field, error.value.line) == ("n_features", 6)


# ---------------------------------------------------------------------------------------------
# Seeds: a task's numbers depend on what it is, not on where it sits
# ---------------------------------------------------------------------------------------------


def test_a_task_s_rows_do_not_depend_on_the_rest_of_the_grid():
    both = run(SMALL, progress=False)
    alone = run({**SMALL, "estimators": {"median": "coordinatewise-median"}}, progress=False)
    assert rows_equal(both[both["estimator"] == "median"], alone)


def test_estimators_of_one_cell_share_the_data_and_replicates_differ():
    tasks = parse_grid(SMALL).tasks()
    mean, median = tasks[0], tasks[1]
    assert mean.data_key == median.data_key
    assert mean.estimator_key != median.estimator_key
    assert len({t.data_key for t in tasks}) == len(tasks) // 2
    other_root = parse_grid({**SMALL, "random_state": 1}).tasks()
    assert other_root[0].data_seed().generate_state(2).tolist() != \
        mean.data_seed().generate_state(2).tolist()


def test_runs_repeat_exactly():
    grid = {**SMALL, "estimators": {"gan": {"estimator": "js-gan", "n_steps": 20}}}
    first, second = run(grid, progress=False), run(grid, progress=False)
    assert rows_equal(first, second)
    assert first["location_error"].nunique() == len(first)


# ---------------------------------------------------------------------------------------------
# The store and resuming
# ---------------------------------------------------------------------------------------------


def test_a_rerun_skips_finished_tasks_and_adds_nothing(tmp_path):
    first = run(SMALL, tmp_path, progress=False)
    second = run(SMALL, tmp_path, progress=False)
    assert rows_equal(first, second, ignore=())  # same wall times: nothing was refitted
    assert len(ResultStore(tmp_path).load()) == len(first)


def test_a_larger_grid_runs_only_the_new_tasks(tmp_path):
    small = run({**SMALL, "seeds": 1}, tmp_path, progress=False)
    large = run(SMALL, tmp_path, progress=False)
    kept = large.set_index("task_id").loc[small["task_id"]].reset_index()
    assert rows_equal(kept, small, ignore=())
    assert list(large.columns) == list(COLUMNS)


def test_the_store_reads_parts_and_compacted_rows_once_each(tmp_path):
    rows = run(SMALL, tmp_path, progress=False)
    store = ResultStore(tmp_path)
    # A crash between compaction's rename and its clean-up leaves a row in both places.
    rows.iloc[:3].to_csv(store.parts / "leftover.csv", index=False)
    (store.parts / ".half-written.csv.tmp").write_text("task_id,estim")
    assert rows_equal(store.load().sort_values("task_id"), rows.sort_values("task_id"), ignore=())


def test_floats_survive_the_store_bit_for_bit(tmp_path):
    in_memory = run(SMALL, progress=False)
    on_disk = run(SMALL, tmp_path, progress=False)
    np.testing.assert_array_equal(in_memory["location_error"], on_disk["location_error"])


def test_failed_fits_are_rows_and_retry_failed_reruns_them(tmp_path, monkeypatch):
    (tmp_path / "failing_module.py").write_text(FAILING)
    monkeypatch.syspath_prepend(str(tmp_path))
    grid = {**SMALL, "estimators": {"bad": {"estimator": "failing_module:Failing"},
                                    "mean": "sample-mean"}}
    rows = run(grid, tmp_path / "store", progress=False)
    bad = rows[rows["estimator"] == "bad"]
    assert bad["status"].str.startswith("error: RuntimeError: always fails").all()
    assert bad["location_error"].isna().all()
    assert (rows[rows["estimator"] == "mean"]["status"] == "ok").all()
    store = ResultStore(tmp_path / "store")
    assert len(store.finished_ids(retry_failed=True)) == len(rows) - len(bad)
    again = run(grid, tmp_path / "store", progress=False, retry_failed=True)
    assert len(again) == len(rows)


def test_parallel_local_runs_give_the_same_rows():
    grid = {**SMALL, "estimators": {"mean": "sample-mean",
                                    "gan": {"estimator": "js-gan", "n_steps": 10}}}
    assert rows_equal(run(grid, progress=False), run(grid, jobs=2, progress=False))


# ---------------------------------------------------------------------------------------------
# Estimators, presets, reports
# ---------------------------------------------------------------------------------------------


def test_every_registered_estimator_fits_and_is_measured():
    grid = {"n_samples": 300, "n_features": 3, "contamination": 0.1,
            "estimators": {name: {"estimator": name, **extra} for name, extra in [
                ("sample-mean", {}), ("coordinatewise-median", {}), ("trimmed-mean", {}),
                ("geometric-median", {}), ("iterative-filter", {}), ("dimension-halving", {}),
                ("js-gan", {"n_steps": 10}), ("tv-gan", {"n_steps": 10}), ("mcd", {}),
                ("ogk", {}), ("kendall-tau", {}), ("spearman", {}), ("tyler", {}),
                ("spatial-sign", {})]}}
    rows = run(grid, progress=False)
    assert (rows["status"] == "ok").all(), rows["status"].tolist()
    scatter = rows.set_index("estimator")["scatter_error"]
    assert np.isfinite(scatter[["mcd", "ogk", "kendall-tau", "sample-mean"]]).all()
    assert np.isnan(scatter[["coordinatewise-median", "iterative-filter"]]).all()


def test_the_filter_is_given_the_task_s_contamination():
    assert make_estimator("iterative-filter", contamination=0.2).contamination_level == 0.2
    assert make_estimator("tv-gan", random_state=3).divergence == "tv"


@pytest.mark.parametrize("name", available_presets())
@pytest.mark.parametrize("quick", [False, True])
def test_presets_are_valid_grids(name, quick):
    grid = parse_grid(preset(name, quick=quick))
    assert grid.tasks()


def test_report_tables_and_ordering(tmp_path):
    rows = run(SMALL, progress=False)
    table = format_table(rows)
    assert table.splitlines()[0] == "| design | n | p | ε | mean | median |"
    assert len(table.splitlines()) == 2 + 2 * 2
    cells = check_ordering(rows, robust=["median"], references=["mean"])
    far = [holds for cell, _, holds in cells if cell[0] == "far"]
    assert far == [True, True]
    compared = comparison_table(rows, {("far", 3, 0.2, "median"): 0.5})
    assert "| far | 200 | 3 | 0.2 | median |" in compared and "n/a" in compared


def test_plots_are_written_for_each_varying_axis(tmp_path):
    rows = run({**SMALL, "n_features": [2, 3]}, progress=False)
    written = plot(rows, tmp_path)
    assert sorted(p.name for p in written) == ["error_vs_contamination.png",
                                               "error_vs_n_features.png"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_plots_of_a_store_holding_two_grids(tmp_path):
    # Grid a varies n at p = 2, grid b has n = 50 at p = 5: the largest n and the largest p
    # never ran together, and holding both at their maxima left nothing to plot (a traceback).
    a = run({**SMALL, "n_samples": [100, 200], "n_features": 2, "designs": {"far": {}}},
            progress=False)
    b = run({**SMALL, "n_samples": 50, "n_features": 5, "designs": {"far": {}}},
            progress=False)
    written = plot(pd.concat([a, b], ignore_index=True), tmp_path)
    assert sorted(p.name for p in written) == ["error_vs_contamination.png",
                                               "error_vs_n_samples.png"]


def test_a_metric_an_estimator_does_not_report_is_not_a_failure():
    rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2, "contamination": 0.1,
                         "estimator": "m", "seed": [0, 1], "scatter_error": [np.nan, np.nan],
                         "location_error": [1.0, 1.0], "status": ["ok", "ok"]})
    table = format_table(rows, "scatter")
    assert "n/a" in table and "failed" not in table


def test_summaries_keep_failed_counts():
    rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2, "contamination": 0.1,
                         "estimator": "m", "seed": [0, 1], "location_error": [1.0, np.nan],
                         "status": ["ok", "error: x"]})
    assert "1.000 [1 failed]" in format_table(rows)


# ---------------------------------------------------------------------------------------------
# Published figures: the authors' demo runs, their sources, and the report beside ours
# ---------------------------------------------------------------------------------------------


def test_published_figures_carry_their_source_and_setting():
    assert PUBLISHED
    for (name, design, p, eps, label), figure in PUBLISHED.items():
        assert isinstance(figure, PublishedFigure)
        assert figure.repo == "zhuwzh/Robust-GAN-Center" and figure.path == "Demo.ipynb"
        assert figure.cell in ("Gaussian Example", "Cauchy Example")
        assert re.fullmatch("[0-9a-f]{40}", figure.commit)
        assert figure.source.startswith(f"{figure.repo}, {figure.path}, cell '{figure.cell}'")
        assert f"{figure.value:.4f}" in figure.quote  # read off the printed line
        assert figure.metric == "location" and figure.inliers and figure.outliers
        assert figure.estimator and figure.note
        assert (figure.n_features, figure.contamination) == (p, eps)
        grid = parse_grid(preset(name))  # the figure's preset holds its cell and estimator
        assert (grid.n_samples, grid.n_features, grid.contamination) == (
            [figure.n_samples], [p], [eps])
        assert design in grid.designs and label in grid.estimators


def test_the_demo_presets_are_the_notebook_cells():
    gaussian = PUBLISHED["gao2019-demo-gaussian", "N(5·1, I)", 100, 0.2, "JS-GAN"]
    cauchy = PUBLISHED["gao2019-demo-cauchy", "Cauchy(5·1, I), Cauchy inliers", 50, 0.2,
                       "JS-GAN elliptical"]
    assert (gaussian.value, cauchy.value) == (0.0478, 0.0639)
    assert (gaussian.n_samples, cauchy.n_samples) == (50_000, 50_000)
    grid = parse_grid(preset("gao2019-demo-cauchy"))
    assert grid.seeds == [0, 1, 2, 3, 4]
    assert grid.designs == {"Cauchy(5·1, I), Cauchy inliers": {
        "inliers": "cauchy", "outliers": "cauchy", "shift": 5.0, "exact": False}}
    assert grid.estimators == {
        "JS-GAN": ("js-gan", {}),
        "JS-GAN elliptical": ("js-gan-scatter", {"model": "elliptical"}),
        "coordinatewise median": ("coordinatewise-median", {})}
    gaussian_grid = parse_grid(preset("gao2019-demo-gaussian", seeds=7))
    assert gaussian_grid.designs["N(5·1, I)"]["exact"] is False
    assert len(gaussian_grid.seeds) == 7 and len(gaussian_grid.tasks()) == 14


def _identities(grid):
    return [(t.task_id, t.estimator_seed()) for t in grid.tasks()]


@pytest.mark.parametrize("name", ["js-gan-scatter", "robustgan:RobustGANScatter"])
def test_a_grid_with_the_old_generator_name_is_read_as_model_with_the_same_tasks(name):
    # RobustGANScatter's ``model`` was ``generator`` before 0.2: a grid written then still
    # runs, and its tasks keep their ids and seeds, so a stored study resumes.
    spec = {**SMALL, "estimators": {"elliptical": {"estimator": name, "model": "elliptical"}}}
    new = parse_grid(spec)
    old_spec = {**spec, "estimators": {"elliptical": {"estimator": name,
                                                      "generator": "elliptical"}}}
    with pytest.warns(FutureWarning, match="'estimators.elliptical.generator': 'generator' "
                                           "was renamed to 'model'"):
        old = parse_grid(old_spec)
    assert old.estimators == new.estimators == {"elliptical": (name, {"model": "elliptical"})}
    assert _identities(old) == _identities(new)
    assert json.loads(old.tasks()[0].estimator_spec) == [name, {"model": "elliptical"}]
    both = {"elliptical": {"estimator": name, "generator": "elliptical", "model": "gaussian"}}
    with pytest.raises(GridError, match="'generator' is the deprecated name of 'model'") as error:
        parse_grid({**spec, "estimators": both})
    assert error.value.field == "estimators.elliptical.generator"


def test_the_cauchy_demos_stored_rows_are_still_its_tasks():
    # Task ids (hashes of the spec) of the rows stored before the rename, when the preset said
    # generator="elliptical": the preset's tasks must still be these, or resume refits them.
    stored = {"0466b289986b4b5e", "4844c18168efdb68", "51d6a8abd0eaca6f", "554524d82c1c52d9",
              "fb5a17d0b62c6043"}
    tasks = parse_grid(preset("gao2019-demo-cauchy")).tasks()
    assert stored == {t.task_id for t in tasks if t.estimator == "JS-GAN elliptical"}


def test_model_is_hashed_as_generator_only_for_robust_gan_scatter():
    # Another estimator's parameter called ``model`` enters its tasks' identity as given.
    grid = parse_grid({**SMALL, "estimators": ["js-gan", "js-gan-scatter"]})
    assert grid.identity_names == {"js-gan-scatter": {"model": "generator"}}


def _demo_rows(n_samples=50_000, errors=(0.05, 0.06, 0.04, 0.07, 0.055)):
    return pd.DataFrame({
        "task_id": [f"t{i}" for i in range(2 * len(errors))], "design": "N(5·1, I)",
        "n_samples": n_samples, "n_features": 100, "contamination": 0.2,
        "estimator": ["JS-GAN"] * len(errors) + ["sample mean"] * len(errors),
        "seed": list(range(len(errors))) * 2, "location_error": list(errors) + [10.0] * len(errors),
        "scatter_error": np.nan, "seconds": 1.0, "status": "ok"})


def test_the_comparison_sets_our_median_beside_the_figure_with_its_source():
    table = comparison_table(_demo_rows(), published_figures("gao2019-demo-gaussian"))
    lines = table.splitlines()
    assert lines[0] == ("| design | n | p | ε | estimator | seeds | ours (median) | published "
                        "| ratio ours/published |")
    assert "| N(5·1, I) | 50000 | 100 | 0.2 | JS-GAN | 5 | 0.055 | 0.0478 | 1.15 |" in lines
    assert "| N(5·1, I) | 50000 | 100 | 0.2 | sample mean | 5 | 10.000 | n/a | n/a |" in lines
    assert any("zhuwzh/Robust-GAN-Center, Demo.ipynb, cell 'Gaussian Example'" in line
               and "Avg error: 0.0478" in line for line in lines)


def test_a_figure_is_not_compared_with_a_cell_of_another_n_or_metric():
    figures = published_figures("gao2019-demo-gaussian-quick")
    table = comparison_table(_demo_rows(n_samples=5_000), figures)
    assert "0.0478" not in table and table.count("n/a") == 4
    assert "0.0478" not in comparison_table(_demo_rows(), figures, metric="scatter")


def test_report_prints_published_and_ratio_for_a_matching_results_folder(tmp_path, capsys):
    from robustgan.cli import main

    store = ResultStore(tmp_path / "demo")
    store.write_spec(preset("gao2019-demo-gaussian"))
    for row in _demo_rows().to_dict("records"):
        store.add(row)
    assert main(["report", str(tmp_path / "demo")]) == 0
    printed = capsys.readouterr().out
    assert "| published | ratio ours/published |" in printed
    assert "| JS-GAN | 5 | 0.055 | 0.0478 | 1.15 |" in printed
    assert "| sample mean | 5 | 10.000 | n/a | n/a |" in printed
