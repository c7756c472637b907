"""Reading results: summaries, markdown tables beside published figures, the ordering check, plots."""

from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd  # noqa: F401 - the examples use it

__all__ = ["check_ordering", "comparison_table", "format_table", "plot", "summarize"]

_CELL = ["design", "n_samples", "n_features", "contamination"]


def _metric_column(metric):
    if metric not in ("location", "scatter"):
        raise ValueError(f"metric must be 'location' or 'scatter', got {metric!r}")
    return f"{metric}_error"


def summarize(rows, metric="location"):
    """Mean, standard deviation and count of the error over replicates, per cell and estimator.

    Parameters
    ----------
    rows : pandas.DataFrame
        Result rows (``robustgan.simulate.run`` or ``ResultStore.load``).
    metric : {"location", "scatter"}, default="location"

    Returns
    -------
    pandas.DataFrame
        Columns ``design, n_samples, n_features, contamination, estimator, mean, std, count,
        failed, median``, cells and estimators in the order they first appear in ``rows``.

    Examples
    --------
    >>> rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2,
    ...                      "contamination": 0.1, "estimator": "mean", "seed": [0, 1],
    ...                      "location_error": [1.0, 3.0], "status": "ok"})
    >>> summarize(rows)[["estimator", "mean", "count"]]
      estimator  mean  count
    0      mean   2.0      2
    """
    column = _metric_column(metric)
    ok = rows["status"] == "ok"
    keys = _CELL + ["estimator"]
    grouped = rows.assign(_value=rows[column].where(ok), _failed=~ok).groupby(
        keys, sort=False)
    summary = grouped.agg(mean=("_value", "mean"), std=("_value", "std"),
                          count=("_value", "count"), failed=("_failed", "sum"),
                          median=("_value", "median"))
    return summary.reset_index()


def _cells(summary):
    return list(dict.fromkeys(map(tuple, summary[_CELL].itertuples(index=False))))


def format_table(rows, metric="location"):
    """A markdown table: a line per (design, n, p, ε), a column per estimator, "mean (std)".

    Examples
    --------
    >>> rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2,
    ...                      "contamination": 0.1, "estimator": ["mean", "median"], "seed": 0,
    ...                      "location_error": [1.0, 0.5], "status": "ok"})
    >>> print(format_table(rows))
    | design | n | p | ε | mean | median |
    |---|---|---|---|---|---|
    | d | 10 | 2 | 0.1 | 1.000 | 0.500 |
    """
    summary = summarize(rows, metric)
    names = list(dict.fromkeys(summary["estimator"]))
    lines = ["| design | n | p | ε | " + " | ".join(names) + " |", "|---" * (len(names) + 4) + "|"]
    for cell in _cells(summary):
        in_cell = summary[(summary[_CELL].apply(tuple, axis=1)) == cell].set_index("estimator")
        values = [_mean_std(in_cell.loc[name]) if name in in_cell.index else "" for name in names]
        design, n, p, eps = cell
        lines.append(f"| {design} | {n} | {p} | {eps:g} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def _mean_std(entry):
    if entry["count"] == 0:
        # No value and no failure: the metric does not apply (a location-only estimator's
        # scatter error).
        return f"failed ×{int(entry['failed'])}" if entry["failed"] else "n/a"
    text = f"{entry['mean']:.3f}"
    if entry["count"] > 1:
        text += f" ({entry['std']:.3f})"
    if entry["failed"]:
        text += f" [{int(entry['failed'])} failed]"
    return text


def comparison_table(rows, published, metric="location"):
    """Our median error beside the published figure and their ratio, a line per cell and
    estimator ("n/a" where no figure matches), then the sources of the figures shown.

    The median over replicates, not the mean: the published figures are single runs, and the
    median of ours is the number a single run of ours is as likely to beat as not.

    Parameters
    ----------
    rows : pandas.DataFrame
    published : dict
        ``(design, n_features, contamination, estimator) -> figure``, a ``PublishedFigure``
        (``robustgan.simulate.presets.published_figures(preset)``) or a bare number. A
        ``PublishedFigure`` matches only a cell of its own n and metric, and its source is
        listed under the table.
    metric : {"location", "scatter"}

    Examples
    --------
    >>> rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2,
    ...                      "contamination": 0.1, "estimator": "mean", "seed": [0, 1, 2],
    ...                      "location_error": [0.5, 0.4, 0.9], "status": "ok"})
    >>> print(comparison_table(rows, {("d", 2, 0.1, "mean"): 0.25}))
    | design | n | p | ε | estimator | seeds | ours (median) | published | ratio ours/published |
    |---|---|---|---|---|---|---|---|---|
    | d | 10 | 2 | 0.1 | mean | 3 | 0.500 | 0.25 | 2.00 |
    """
    summary = summarize(rows, metric)
    lines = ["| design | n | p | ε | estimator | seeds | ours (median) | published "
             "| ratio ours/published |", "|---" * 9 + "|"]
    shown = {}
    for entry in summary.itertuples(index=False):
        figure = _matching_figure(published, entry, metric)
        ours = f"{entry.median:.3f}" if entry.count else "failed"
        if figure is None:
            theirs = ratio = "n/a"
        else:
            theirs = f"{float(figure):g}"  # as published
            ratio = f"{entry.median / float(figure):.2f}" if entry.count else "n/a"
            if hasattr(figure, "source"):
                shown[figure] = None  # an ordered set: one line per figure
        lines.append(f"| {entry.design} | {entry.n_samples} | {entry.n_features} | "
                     f"{entry.contamination:g} | {entry.estimator} | {entry.count} | {ours} | "
                     f"{theirs} | {ratio} |")
    if shown:
        lines += ["", "Published figures (the authors' own runs, as printed):"]
        lines += [f"- {figure.value:g}: {figure.source}, printed \"{figure.quote}\"; "
                  f"{figure.estimator}; {figure.note}." for figure in shown]
    return "\n".join(lines)


def _matching_figure(published, entry, metric):
    """The figure of the entry's (design, p, ε, estimator) if its setting is the entry's."""
    figure = published.get((entry.design, entry.n_features, entry.contamination,
                            entry.estimator))
    if figure is None or not hasattr(figure, "source"):
        return figure
    if figure.metric != metric or figure.n_samples != entry.n_samples:
        return None
    return figure


def check_ordering(rows, *, robust, references, factor=2.0, slack=0.1, metric="location"):
    """Check the papers' ordering in every contaminated cell: each ``robust`` estimator at least
    ``factor`` times better than every reference ("≪" read as a factor), and the references in
    the order given, up to a relative ``slack`` (with outliers close to the inliers the median
    and the mean are biased alike, so only "not worse" is asked of them).

    Parameters
    ----------
    rows : pandas.DataFrame
    robust : list of str
        Estimators that must beat every reference (e.g. the GANs and the filter).
    references : list of str
        Ordered best to worst, e.g. ``["coordinatewise median", "sample mean"]``.
    factor : float, default=2.0
    slack : float, default=0.1
    metric : {"location", "scatter"}

    Returns
    -------
    list of (cell, ordering, holds)
        ``ordering`` lists every estimator of the cell from best to worst with its mean error.

    Examples
    --------
    >>> rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2,
    ...                      "contamination": 0.2, "estimator": ["gan", "median", "mean"],
    ...                      "seed": 0, "location_error": [0.1, 1.0, 4.0], "status": "ok"})
    >>> check_ordering(rows, robust=["gan"], references=["median", "mean"])
    [(('d', 10, 2, 0.2), 'gan 0.100 < median 1.000 < mean 4.000', True)]
    """
    summary = summarize(rows, metric)
    report = []
    for cell in _cells(summary):
        if cell[-1] == 0:
            continue
        means = summary[summary[_CELL].apply(tuple, axis=1) == cell].set_index("estimator")["mean"]
        ordering = " < ".join(f"{name} {value:.3f}" for name, value in means.sort_values().items())
        chain = [name for name in references if name in means.index]
        holds = all(means[a] <= (1 + slack) * means[b] for a, b in pairwise(chain))
        holds &= all(factor * means[name] <= means[ref]
                     for name in robust if name in means.index for ref in chain)
        report.append((cell, ordering, bool(holds)))
    return report


def plot(rows, directory, metric="location"):
    """PNG plots of the mean error against ε, p and n (each axis that varies), one panel per
    design, one line per estimator; the other axes are held at the largest setting at which
    that axis took the most values.

    Parameters
    ----------
    rows : pandas.DataFrame
    directory : str or Path
        Where the PNG files go (created when missing).
    metric : {"location", "scatter"}

    Returns
    -------
    list of Path
        The files written (none when no axis varies).

    Examples
    --------
    >>> import tempfile
    >>> rows = pd.DataFrame({"design": "d", "n_samples": 10, "n_features": 2,
    ...                      "contamination": [0.1, 0.2], "estimator": "mean", "seed": 0,
    ...                      "location_error": [0.5, 1.0], "status": "ok"})
    >>> [p.name for p in plot(rows, tempfile.mkdtemp())]
    ['error_vs_contamination.png']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = summarize(rows, metric)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    axes_names = {"contamination": "ε", "n_features": "p", "n_samples": "n"}
    for axis, symbol in axes_names.items():
        # The other axes are held where the most values of this one were run (the largest such
        # setting): each axis's own largest value need not occur together (a store holding
        # two grids), and then nothing was left to plot.
        others = [other for other in axes_names if other != axis]
        runs = summary.groupby(others)[axis].nunique()
        if runs.max() < 2:
            continue
        held = dict(zip(others, runs[runs == runs.max()].index.max()))
        subset = summary[np.logical_and.reduce([summary[k] == v for k, v in held.items()])]
        designs = list(dict.fromkeys(subset["design"]))
        figure, panels = plt.subplots(1, len(designs), figsize=(4.5 * len(designs), 3.6),
                                      squeeze=False, sharey=True)
        for panel, design in zip(panels[0], designs):
            for name, line in subset[subset["design"] == design].groupby("estimator", sort=False):
                line = line.sort_values(axis)
                panel.errorbar(line[axis], line["mean"], yerr=line["std"].fillna(0), marker="o",
                               capsize=2, label=name)
            panel.set(title=design, xlabel=symbol, yscale="log")
        panels[0][0].set_ylabel("‖θ̂ − θ‖₂" if metric == "location" else "‖Σ̂ − Σ‖_op")
        panels[0][-1].legend(fontsize="small")
        fixed = ", ".join(f"{axes_names[k]}={v:g}" for k, v in held.items())
        figure.suptitle(f"mean error vs {symbol} ({fixed})")
        figure.tight_layout()
        path = directory / f"error_vs_{axis}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written
