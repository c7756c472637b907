"""Running a grid: every unfinished task, locally (joblib processes) or on a Dask cluster.

The parent process is the store's only writer: workers return rows, the parent writes each one
as it arrives. A kill therefore loses only the tasks in flight, and a rerun skips every task
whose row is in the store.
"""

import functools
import json
import time

import numpy as np
from tqdm.auto import tqdm

from ..datasets import make_huber_contamination
from .grid import data_keywords, load_grid
from .registry import GIVEN_SCATTER, make_estimator
from .store import COLUMNS, MemoryStore, ResultStore

__all__ = ["execute_task", "run"]


@functools.lru_cache(maxsize=1)
def _dataset(n_samples, n_features, contamination, design_spec, random_state, data_key):
    # Tasks come estimator-innermost, so a worker's consecutive tasks usually share this draw.
    kwargs = data_keywords(json.loads(design_spec), n_features)
    rng = np.random.default_rng(np.random.SeedSequence(random_state, spawn_key=data_key))
    return make_huber_contamination(n_samples, n_features, contamination, random_state=rng,
                                    **kwargs)


def _scatter_error(estimator, scatter):
    covariance = getattr(estimator, "covariance_", None)
    if covariance is None:
        return float("nan")
    return float(np.linalg.norm(np.asarray(covariance) - scatter, ord=2))


def execute_task(task):
    """Simulate the task's data set, fit its estimator and measure it: the task's result row.

    Errors are ‖θ̂ − θ‖₂ for the location and ‖Σ̂ − Σ‖_op for the scatter (NaN for location-only
    estimators and for those given Σ, ``GIVEN_SCATTER``). An estimator that raises gives a row with ``status = "error: ..."`` instead of
    stopping the run.

    Parameters
    ----------
    task : Task

    Returns
    -------
    dict with the keys ``COLUMNS``

    Examples
    --------
    >>> from robustgan.simulate import parse_grid
    >>> task = parse_grid({"n_samples": 500, "n_features": 2, "contamination": 0.1,
    ...                    "estimators": ["coordinatewise-median"]}).tasks()[0]
    >>> row = execute_task(task)
    >>> row["status"], round(row["location_error"], 3)
    ('ok', 0.141)
    """
    data = _dataset(task.n_samples, task.n_features, task.contamination, task.design_spec,
                    task.random_state, task.data_key)
    name, params = json.loads(task.estimator_spec)
    row = {column: getattr(task, column, None) for column in COLUMNS}
    try:
        estimator = make_estimator(name, contamination=task.contamination,
                                   random_state=task.estimator_seed(), **params)
        start = time.perf_counter()
        # A copy: the cached draw must survive an estimator that writes into its input.
        estimator.fit(data.X.copy())
        row["seconds"] = time.perf_counter() - start
        row["location_error"] = float(np.linalg.norm(estimator.location_ - data.location))
        row["scatter_error"] = (float("nan") if name in GIVEN_SCATTER
                                else _scatter_error(estimator, data.scatter))
        row["status"] = "ok"
    except Exception as exc:  # noqa: BLE001 - one failed fit must not end a long run
        message = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        row.update(location_error=float("nan"), scatter_error=float("nan"),
                   seconds=float("nan"), status=f"error: {message}")
    return row


def _local_results(tasks, jobs):
    if jobs == 1:
        # In-process: no worker start-up, and the data-set cache works across tasks.
        return map(execute_task, tasks)
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1)
    return parallel(delayed(execute_task)(task) for task in tasks)


def _dask_results(tasks, scheduler):
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(execute_task, tasks, key=[f"robustgan-{t.task_id}" for t in tasks],
                             pure=False)
        for future in as_completed(futures):
            yield future.result()
            future.release()
    finally:
        if client is not scheduler:
            client.close()


def run(grid, out=None, *, jobs=1, scheduler=None, progress=True, retry_failed=False):
    """Run every unfinished task of a grid and return the grid's result rows.

    Parameters
    ----------
    grid : Grid, dict, str or Path
        The grid (see :mod:`robustgan.simulate.grid`), or a TOML/YAML/JSON file of one.
    out : str or Path, optional
        The result store directory. Rows are written as tasks finish, and a rerun with the same
        ``out`` skips every finished task. None keeps the rows in memory only.
    jobs : int, default=1
        Local worker processes (joblib's loky backend); 1 runs in this process, -1 on every
        core. Ignored when ``scheduler`` is given.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client: run the tasks on that
        cluster instead. Same seeds, same rows as a local run. The workers need robustgan (and
        any ``"module:Class"`` estimator of the grid) importable, and one thread each
        (``dask worker --nthreads 1``): the GAN estimators seed their networks under
        ``torch.random.fork_rng``, which is process-wide.
    progress : bool, default=True
        Show a progress bar with the rate and ETA (on stderr).
    retry_failed : bool, default=False
        Also rerun the tasks whose stored row is an error.

    Returns
    -------
    pandas.DataFrame
        One row per task of the grid, in grid order, with the columns
        ``task_id, estimator, design, n_samples, n_features, contamination, seed,
        location_error, scatter_error, seconds, status``.

    Examples
    --------
    >>> grid = {"n_samples": 300, "n_features": 2, "contamination": [0.1, 0.2],
    ...         "estimators": ["sample-mean", "coordinatewise-median"]}
    >>> rows = run(grid, progress=False)
    >>> rows[["estimator", "contamination", "status"]].head(2)
           estimator  contamination status
    0    sample-mean            0.1     ok
    1  coordinatewise-median    0.1     ok
    """
    grid = load_grid(grid)
    tasks = grid.tasks()
    store = MemoryStore() if out is None else ResultStore(out)
    store.write_spec(grid.to_dict())
    finished = store.finished_ids(retry_failed=retry_failed)
    pending = [task for task in tasks if task.task_id not in finished]
    results = (_dask_results(pending, scheduler) if scheduler is not None
               else _local_results(pending, jobs))
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(pending), desc=grid.name,
               unit="task", disable=not progress, dynamic_ncols=True)
    try:
        for row in results:
            store.add(row)
            bar.update()
    finally:
        bar.close()
        store.compact()
    order = {task.task_id: task.index for task in tasks}
    rows = store.load()
    rows = rows[rows["task_id"].isin(order)]
    return rows.sort_values("task_id", key=lambda ids: ids.map(order)).reset_index(drop=True)
