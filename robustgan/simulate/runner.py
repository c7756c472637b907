"""Running a grid: every unfinished task, locally (joblib processes) or on a Dask cluster.

The parent process is the store's only writer: workers return rows, the parent writes each one
as it arrives. A kill therefore loses only the tasks in flight, and a rerun skips every task
whose row is in the store.

Tasks of the adversarial estimators that share an estimator spec and (n, p) are fitted together
as batched games (``robustgan.fit_many``): one unit of work, many rows. A member's result does
not depend on which other tasks share its batch (its randomness is its own and its arithmetic
is done on its own slice), so grouping changes the speed, not the rows; ``batch=False`` fits
every task alone, as before batching existed (the numbers then differ, statistically not, from
the batched ones).
"""

import functools
import json
import time
from numbers import Integral

import numpy as np
from tqdm.auto import tqdm

from ..datasets import make_huber_contamination
from ..estimators import fit_many, is_adversarial
from .grid import data_keywords, load_grid
from .registry import GIVEN_SCATTER, make_estimator
from .store import COLUMNS, MemoryStore, ResultStore

__all__ = ["execute_batch", "execute_task", "run"]

_DEFAULT_BATCH = 64
# Data sets a batch holds at once (float64 draws, the float32 training copy): a cap on members.
_BATCH_BYTES = 1 << 30


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
    data = _draw(task)
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
        _error_row(row, exc)
    return row


def _error_row(row, exc):
    message = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    row.update(location_error=float("nan"), scatter_error=float("nan"),
               seconds=float("nan"), status=f"error: {message}")
    return row


def execute_batch(tasks):
    """Fit the tasks' estimators together as batched games; one result row per task.

    The tasks share an estimator spec (and usually n and p); ``robustgan.fit_many`` groups
    the compatible fits. ``seconds`` is the batch's wall time divided by its tasks. A member
    whose fit fails gets an error row; input that ``fit_many`` rejects as a whole sends every
    task through ``execute_task`` instead.

    Parameters
    ----------
    tasks : sequence of Task

    Returns
    -------
    list of dict with the keys ``COLUMNS``
    """
    rows, data, estimators = [], [], []
    try:
        for task in tasks:
            name, params = json.loads(task.estimator_spec)
            estimators.append(make_estimator(name, contamination=task.contamination,
                                             random_state=task.estimator_seed(), **params))
            data.append(_draw(task))
        start = time.perf_counter()
        # The batched path only reads the data (it copies the rows once into its buffer).
        fitted = fit_many(estimators, [d.X for d in data], errors="return",
                          max_members=len(tasks))
        seconds = (time.perf_counter() - start) / len(tasks)
    except Exception:  # noqa: BLE001 - let each task report its own failure
        return [execute_task(task) for task in tasks]
    for task, estimator, draw in zip(tasks, fitted, data):
        name, _ = json.loads(task.estimator_spec)
        row = {column: getattr(task, column, None) for column in COLUMNS}
        if isinstance(estimator, Exception):
            rows.append(_error_row(row, estimator))
            continue
        row["seconds"] = seconds
        row["location_error"] = float(np.linalg.norm(estimator.location_ - draw.location))
        row["scatter_error"] = (float("nan") if name in GIVEN_SCATTER
                                else _scatter_error(estimator, draw.scatter))
        row["status"] = "ok"
        rows.append(row)
    return rows


def _draw(task):
    return _dataset(task.n_samples, task.n_features, task.contamination, task.design_spec,
                    task.random_state, task.data_key)


def _execute(unit):
    """Rows of a unit of work: a task alone, or a tuple of tasks fitted as one batch."""
    if isinstance(unit, tuple):
        return execute_batch(unit)
    return [execute_task(unit)]


@functools.cache
def _batchable(estimator_spec):
    name, params = json.loads(estimator_spec)
    try:
        estimator = make_estimator(name, random_state=0, **params)
    except Exception:  # noqa: BLE001 - a bad spec fails in execute_task, with its own row
        return False
    return is_adversarial(estimator)


def _work_units(tasks, batch, workers=1):
    """The tasks as units of work: batchable tasks of one estimator spec and (n, p) in tuples
    of at most ``batch`` (and at most ``_BATCH_BYTES`` of data), in grid order; others alone.
    A group is split into at least ``workers`` units so that parallel workers all get some."""
    if not batch:
        return list(tasks)
    limit = _DEFAULT_BATCH if batch is True else int(batch)
    groups, units = {}, []
    for task in tasks:
        if limit > 1 and _batchable(task.estimator_spec):
            key = (task.estimator_spec, task.n_samples, task.n_features)
            if key not in groups:
                groups[key] = []
                units.append(key)
            groups[key].append(task)
        else:
            units.append(task)
    out = []
    for unit in units:
        if not isinstance(unit, tuple):
            out.append(unit)
            continue
        members = groups[unit]
        per_task = 12 * members[0].n_samples * members[0].n_features
        size = max(1, min(limit, _BATCH_BYTES // per_task, -(-len(members) // workers)))
        out += [tuple(members[i:i + size]) for i in range(0, len(members), size)]
    return out


def _local_results(units, jobs):
    if jobs == 1:
        # In-process: no worker start-up, and the data-set cache works across tasks.
        return (row for unit in units for row in _execute(unit))
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1)
    return (row for rows in parallel(delayed(_execute)(unit) for unit in units) for row in rows)


def _unit_key(unit):
    first = unit[0] if isinstance(unit, tuple) else unit
    return f"robustgan-{first.task_id}" + (f"-{len(unit)}" if isinstance(unit, tuple) else "")


def _dask_results(units, scheduler):
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(_execute, units, key=[_unit_key(u) for u in units], pure=False)
        for future in as_completed(futures):
            yield from future.result()
            future.release()
    finally:
        if client is not scheduler:
            client.close()


def _check_run_arguments(jobs, batch, scheduler):
    if not isinstance(batch, (bool, Integral)) or (not isinstance(batch, bool) and batch < 1):
        raise ValueError(f"batch must be True, False or a positive int, got {batch!r}")
    if scheduler is not None:
        return  # jobs is ignored
    if isinstance(jobs, bool) or not isinstance(jobs, Integral):
        raise TypeError(f"jobs must be an int (a count of processes, -1 for every core), got "
                        f"{jobs!r} ({type(jobs).__name__})")
    if jobs == 0:
        raise ValueError("jobs must be a positive count of processes or negative (-1: every "
                         "core, -2: all but one), got 0")


def run(grid, out=None, *, jobs=1, scheduler=None, progress=True, retry_failed=False,
        batch=True):
    """Run every unfinished task of a grid and return the grid's result rows.

    Parameters
    ----------
    grid : Grid, dict, str or Path
        The grid (see :mod:`robustgan.simulate.grid`), or a TOML/YAML/JSON file of one.
    out : str or Path, optional
        The result store directory. Rows are written as tasks finish, and a rerun with the same
        ``out`` skips every finished task. None keeps the rows in memory only. Several runs
        may write into one ``out`` at once (their compactions take turns on the store's lock
        file); its ``spec.json``, which ``report`` summarises, is the last to start's grid.
    jobs : int, default=1
        Local worker processes (joblib's loky backend); 1 runs in this process, -1 on every
        core (-2 all but one, as joblib counts). Ignored when ``scheduler`` is given.
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
    batch : bool or int, default=True
        Fit the tasks of ``RobustGANMean`` / ``RobustGANScatter`` specs that share (n, p) as
        batched games (``robustgan.fit_many``), at most 64 per batch (an int sets the most);
        rows are stored per task as they are for single fits, and ``seconds`` is the batch's
        time per task. With ``jobs`` workers a group is split into at least as many batches.
        False (or 1) fits every task alone.

    Returns
    -------
    pandas.DataFrame
        One row per task of the grid, in grid order, with the columns
        ``task_id, estimator, design, n_samples, n_features, contamination, seed,
        location_error, scatter_error, seconds, status``.

    Raises
    ------
    GridError
        For a grid that is not valid, naming the field.
    TypeError, ValueError
        For ``jobs`` or ``batch`` out of their range; ``StoreError`` (a ``ValueError``) for an
        ``out`` that is a file or a store file that cannot be read. Nothing is written then.

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
    # Every argument is checked before the store is touched: a refused call must leave an
    # existing store, and the grid its spec.json records, as they were.
    grid = load_grid(grid)
    _check_run_arguments(jobs, batch, scheduler)
    tasks = grid.tasks()
    store = MemoryStore() if out is None else ResultStore(out)
    # Read before the spec is replaced: a damaged store is refused with its spec unchanged.
    finished = store.finished_ids(retry_failed=retry_failed)
    store.write_spec(grid.to_dict())
    pending = [task for task in tasks if task.task_id not in finished]
    workers = 1
    if scheduler is None and jobs != 1:
        from joblib import effective_n_jobs

        workers = effective_n_jobs(jobs)
    units = _work_units(pending, batch, workers)
    results = (_dask_results(units, scheduler) if scheduler is not None
               else _local_results(units, jobs))
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
