"""Contamination studies: grids of (estimator, n, p, ε, design, replicate), run resumably.

>>> from robustgan.simulate import run, format_table
>>> rows = run({"n_samples": 500, "n_features": 5, "contamination": 0.2,
...             "estimators": ["sample-mean", "coordinatewise-median"]}, progress=False)
>>> print(format_table(rows))
| design | n | p | ε | sample-mean | coordinatewise-median |
|---|---|---|---|---|---|
| N(5·1, I) | 500 | 5 | 0.2 | 2.210 | 0.741 |

Modules: ``grid`` (specs, tasks, seeds), ``registry`` (estimator names), ``store`` (the
resumable result store), ``runner`` (local and Dask execution), ``presets`` (the papers' grids),
``report`` (tables, the ordering check, plots).
"""

from .grid import Grid, GridError, Task, load_grid, parse_grid
from .presets import PRESETS, PUBLISHED, available_presets, preset
from .registry import ESTIMATORS, available_estimators, make_estimator
from .report import check_ordering, comparison_table, format_table, plot, summarize
from .runner import execute_task, run
from .store import COLUMNS, ResultStore, StoreError, rows_equal

__all__ = [
    "COLUMNS",
    "ESTIMATORS",
    "PRESETS",
    "PUBLISHED",
    "Grid",
    "GridError",
    "ResultStore",
    "StoreError",
    "Task",
    "available_estimators",
    "available_presets",
    "check_ordering",
    "comparison_table",
    "execute_task",
    "format_table",
    "load_grid",
    "make_estimator",
    "parse_grid",
    "plot",
    "preset",
    "rows_equal",
    "run",
    "summarize",
]
