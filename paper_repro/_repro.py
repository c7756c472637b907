"""What every reproduction script shares: run a preset, write our table beside the published one.

Each script writes, under ``paper_repro/results/``:

- ``<preset>[-quick].md``: the preset's table (mean (std) over replicates), the long table of
  ours / published / ratio, and the ordering check;
- ``<preset>[-quick]/``: the resumable result store (rerunning continues a killed run);
- ``<preset>[-quick]/plots/*.png``: error vs ε (and vs p, n where they vary).
"""

import argparse
import os
import sys
import time
from pathlib import Path

from robustgan.simulate import (
    check_ordering,
    comparison_table,
    format_table,
    plot,
    preset,
    run,
    summarize,
)
from robustgan.simulate.presets import published_figures

# ROBUSTGAN_REPRO_RESULTS moves the output (the tests run the scripts into a temporary folder).
RESULTS = Path(os.environ.get("ROBUSTGAN_REPRO_RESULTS",
                              Path(__file__).resolve().parent / "results"))


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="the CI variant: fewer replicates, smaller n and p")
    parser.add_argument("--jobs", type=int, default=1, help="local worker processes (-1: all)")
    parser.add_argument("--scheduler", help="a Dask scheduler address instead of local processes")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args()


def reproduce(name, args, *, robust, references, designs, factor=2.0, bar=None):
    """Run preset ``name`` and write its report; exit status 0 when the ordering holds.

    ``bar``: also list, for every cell with a published figure, whether ours (the median over
    replicates) is within that factor of it (informative; the exit status is the ordering's).
    """
    grid = preset(name, quick=args.quick)
    out = RESULTS / grid["name"]
    start = time.perf_counter()
    rows = run(grid, out, jobs=args.jobs, scheduler=args.scheduler,
               progress=not args.no_progress)
    seconds = time.perf_counter() - start
    metric = grid["metric"]
    published = published_figures(name)
    checked = rows[rows["design"].isin(designs)]
    ordering = check_ordering(checked, robust=robust, references=references, factor=factor,
                              metric=metric)
    lines = [
        f"# {grid['name']}",
        "",
        grid["description"],
        "",
        (f"{len(rows)} fits, {seconds:.0f} s wall on this run (rows already in the store are "
         "not refitted). Mean (std) over replicates."),
        "",
        format_table(rows, metric),
        "",
        "## Ours beside the published figures",
        "",
        ("Published figures could not be retrieved and verified (paper_repro/published.md); "
         "their column reads n/a until they are.") if not published else
        ("Ours: the median over replicates (the published figures are single runs); a figure "
         "matches only a cell of its own n, so a quick run reads n/a."),
        "",
        comparison_table(rows, published, metric),
        "",
        f"## Ordering check ({', '.join(designs)})",
        "",
        f"Each of {', '.join(robust)} at least {factor:g}× better than each of "
        f"{', '.join(references)}"
        + (f"; {' ≤ '.join(references)} within 10%." if len(references) > 1 else "."),
        "",
    ]
    lines += [f"- {'ok' if holds else 'FAIL'}: {cell[0]}, ε={cell[3]:g}: {order}"
              for cell, order, holds in ordering]
    if bar is not None and published:
        lines += ["", f"## Published figures: ours (median) within {bar:g}× of theirs", ""]
        lines += _bar_lines(rows, published, metric, bar)
    plots = plot(rows, out / "plots", metric)
    if plots:
        lines += ["", "Plots: " + ", ".join(str(p.relative_to(RESULTS)) for p in plots)]
    lines.append("")
    report = RESULTS / f"{grid['name']}.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"written: {report}")
    return 0 if all(holds for _, _, holds in ordering) else 1


def _bar_lines(rows, published, metric, bar):
    lines = []
    for entry in summarize(rows, metric).itertuples(index=False):
        figure = published.get((entry.design, entry.n_features, entry.contamination,
                                entry.estimator))
        if figure is None or figure.n_samples != entry.n_samples or not entry.count:
            continue
        ratio = entry.median / figure.value
        lines.append(f"- {'ok' if ratio <= bar else 'MISS'}: {entry.estimator}, "
                     f"{entry.design}: ours {entry.median:.4f} (median of {entry.count}), "
                     f"theirs {figure.value:g}, ratio {ratio:.2f}")
    return lines or ["- no cell of this run has the published figure's n (a quick run?)"]


def main(name, description, **ordering):
    sys.exit(reproduce(name, parse_args(description), **ordering))
