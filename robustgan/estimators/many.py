"""``fit_many``: many fits of the adversarial estimators, played as batched games.

It drives the estimators' fitting protocol (``robustgan.estimators._base``) for many members
at once: every member's games advance in lockstep, one round per game, and each round's
problems are grouped by configuration and solved by ``robustgan.batched.solve_many``.
"""

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .._threads import blas_threads_for, in_line, n_columns
from ..batched import solve_many
from ..engine import resolve_device
from ._base import is_adversarial, next_game
from .game_setup import rows_in_memory

__all__ = ["fit_many"]

_DEFAULT_MAX_MEMBERS = 64
# Threads that prepare members (validation and robust start) at once; more than the cores
# only contend.
_MAX_PREPARING_THREADS = 8


def fit_many(estimator, datasets, *, random_states=None, max_members=None, errors="raise",
             compile=False, progress=False, batch_size=None):
    """Fit one estimator configuration to many data sets, as batched games where it can.

    Each member is a clone of ``estimator`` fitted to its own data set with its own seed, and
    ends as an ordinary fitted estimator (``location_``, ``covariance_``, ``history_``, ...).
    ``RobustGANMean`` and ``RobustGANScatter`` members whose games agree (same parameters but
    the seed, same dimension and, through the "auto" step count, compatible n) are trained
    together: one step of the training loop advances all of them, which on a CPU or a GPU is
    many times the throughput of fitting them one by one (``benchmarks/bench_batched.py``).
    A fit of several games (TV-GAN: the JS-GAN game, then the TV game from its estimate)
    plays each of them batched, one round per game. Each member's result is statistically that
    of its own ``fit``: same preprocessing, initialisation, step count and averaging, its own
    random streams; not bit for bit (see ``robustgan.batched``). Other estimators are fitted
    one by one.

    Data sets of different sizes are batched without padding (all rows live in one buffer and
    each member samples its own range) as long as their step counts and minibatch sizes agree;
    otherwise they go to separate batches.

    Parameters
    ----------
    estimator : estimator or sequence of estimators
        The configuration to clone for every data set, or one estimator per data set.
    datasets : sequence of array-like of shape (n_samples, n_features), or 3-D array
        The data sets; each is validated like ``fit``'s input.
    random_states : sequence of int, RandomState or None, optional
        One seed per data set. By default the r-th seed is the r-th draw of the estimator's
        ``random_state``, so a seeded template gives seeded, distinct members.
    max_members : int or None, default=None
        At most this many members per batched game (None: 64). 1 fits one by one.
    errors : {"raise", "return"}, default="raise"
        What to do when a member's fit fails (its training diverges): raise its error, or put
        the exception in its place in the returned list and keep the others.
    compile : bool, default=False
        ``torch.compile`` the stacked discriminators (Inductor); eager where unavailable.
        Compiling costs seconds per configuration and paid off little on small CPUs.
    progress : bool, default=False
        Show a progress bar per batched game (the members' own ``verbose`` is not used).
    batch_size : int or None, default=None
        Deprecated alias of ``max_members`` (removed in 0.3): everywhere else in robustgan
        ``batch_size`` counts the rows of a minibatch, not members.

    Returns
    -------
    list
        The fitted clones, in the order of ``datasets`` (exceptions in place of the failed
        ones when ``errors="return"``).

    Raises
    ------
    ValueError
        For bad input, naming the data set: a data set that ``fit`` would reject, mismatched
        lengths of ``random_states`` or of a list of estimators; or ``max_members`` < 1.
    TypeError
        For a ``max_members`` that is not an int (a bool, a float, a string).

    Examples
    --------
    >>> from robustgan import RobustGANMean, fit_many, make_huber_contamination
    >>> data = [make_huber_contamination(1000, 5, 0.2, random_state=r) for r in range(4)]
    >>> fits = fit_many(RobustGANMean(random_state=0), [d.X for d in data])
    >>> errors = [np.linalg.norm(f.location_ - d.location) for f, d in zip(fits, data)]
    >>> bool(max(errors) < 0.4)
    True
    """
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', got {errors!r}")
    if batch_size is not None:
        if max_members is not None:
            raise ValueError("fit_many got both max_members and its deprecated alias batch_size: "
                             "set max_members only")
        warnings.warn("fit_many(batch_size=) was renamed to max_members= in 0.2 and will be "
                      "removed in 0.3 (batch_size counts minibatch rows elsewhere)",
                      FutureWarning, stacklevel=2)
        max_members = batch_size
    if max_members is None:
        max_members = _DEFAULT_MAX_MEMBERS
    elif isinstance(max_members, (bool, np.bool_)) or not isinstance(max_members, Integral):
        # int() took '3', 2.5 and True; 'a' failed inside it.
        raise TypeError(f"max_members must be an int >= 1 or None, got {max_members!r}")
    if max_members < 1:
        raise ValueError(f"max_members must be >= 1, got {max_members}")
    max_members = int(max_members)
    datasets = _dataset_list(datasets)
    if not datasets:
        raise ValueError("datasets is empty: nothing to fit")
    estimators = _member_estimators(estimator, len(datasets), random_states)
    # An out-of-core data set is fitted on the seeded subsample its own fit would use.
    datasets = [rows_in_memory(X, est.get_params().get("random_state"))
                for X, est in zip(datasets, estimators)]
    results = list(estimators)

    def failed(r, error):
        if errors == "raise":
            raise _named(error, r) from error
        results[r] = error

    batched = [r for r, est in enumerate(estimators) if is_adversarial(est) and max_members > 1]
    for r in sorted(set(range(len(estimators))) - set(batched)):
        try:
            estimators[r].fit(datasets[r])
        except ValueError as error:
            raise ValueError(f"dataset {r}: {error}") from error
        except Exception as error:  # noqa: BLE001 - reported per member, as asked
            failed(r, error)

    # One BLAS thread where every batched data set has few features, as in ``fit``.
    columns = [n_columns(datasets[r]) for r in batched]
    with blas_threads_for(max(columns) if columns and None not in columns else None):
        _play_batched(estimators, datasets, batched, failed, max_members=max_members,
                      compile=compile, progress=progress)
    return results


def _play_batched(estimators, datasets, batched, failed, *, max_members, compile, progress):
    """Fit the ``batched`` members: each one's start, then one round per game, every member's
    next problem solved in batches of one configuration. A member's failure goes to
    ``failed(r, error)``, except bad input, which is raised."""
    arenas = _arenas(estimators, datasets, batched)
    games, problems = {}, {}
    for r, (member_games, problem, error) in zip(batched, _first_games(estimators, datasets,
                                                                       batched, arenas)):
        if isinstance(error, (ValueError, TypeError)):
            raise _named(error, r) from error
        if error is not None:  # e.g. a start that fails on degenerate data
            failed(r, error)
            continue
        games[r] = member_games
        if problem is not None:
            problems[r] = problem
    del arenas

    # One round per game: every member's next problem, solved in batches of one configuration.
    while problems:
        following = {}
        for chunk in _batches(estimators, problems, max_members):
            n_steps = problems[chunk[0]].options.get("n_steps", 0)
            # A group of one is still a batched game (of one member), so that a member's
            # result never depends on how many others shared its configuration.
            with tqdm(total=n_steps, desc=f"{len(chunk)} fits", unit="step",
                      disable=not progress) as bar:
                batch = [problems.pop(r) for r in chunk]
                try:
                    fits = solve_many(batch, progress=bar.update, compile=compile)
                except NotImplementedError:  # networks that cannot be stacked: one by one
                    fits = [_solve_alone(problem) for problem in batch]
            del batch
            for r, fit in zip(chunk, fits):
                problem = _answer(games[r], fit, lambda error, r=r: failed(r, error))
                if problem is not None:
                    following[r] = problem
        problems = following


def _first_games(estimators, datasets, members, arenas):
    """(games, first problem, error) of each member: its data validated, its start computed.

    The members are prepared in a pool of threads: a start is NumPy work on one member's data
    (trimmed_scatter, the per-feature scales), which releases the GIL in its larger steps (1.5
    times the throughput on 2 cores at n = 2,000, p = 10). Each member's preparation depends on
    its own seed only (torch's global generator is taken under a lock, ``seeded_torch``), so
    the result does not depend on the threads. BLAS runs single-threaded meanwhile, so that
    the threads do not each start a BLAS pool.
    """
    def prepare(r):
        est = estimators[r]
        try:
            if getattr(est, "_parameter_constraints", None) is not None:
                est._validate_params()
            # Every start is computed before the games, here and not beside them: a game is
            # then never played while its estimator waits for work (RobustGANMean's referee),
            # which a batch of members could not stop for one of them.
            with in_line():
                member_games = est._adversarial_games(datasets[r], out=arenas.get(r))
                return member_games, next(member_games, None), None
        except Exception as error:  # noqa: BLE001 - sorted by the caller, in member order
            return None, None, error

    workers = min(len(members), os.cpu_count() or 1, _MAX_PREPARING_THREADS)
    if workers <= 1:
        return [prepare(r) for r in members]
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(prepare, members))


def _batches(estimators, problems, max_members):
    """The members of ``problems`` in groups of one configuration, at most ``max_members``
    each, in order of first appearance."""
    groups = {}
    for r, problem in problems.items():
        groups.setdefault(_group_key(estimators[r], problem), []).append(r)
    return [members[start:start + max_members] for members in groups.values()
            for start in range(0, len(members), max_members)]


def _answer(games, fit, failed):
    """Send a member's solved game back to its ``games``: its next problem, or None when it is
    fitted or has failed (``failed(error)`` then raises or records the error)."""
    if isinstance(fit, Exception):
        games.close()
        failed(fit)
        return None
    try:
        return next_game(games, fit)
    except Exception as error:  # noqa: BLE001 - reported per member, as asked
        failed(error)
        return None


def _solve_alone(problem):
    try:
        return problem.solve()
    except FloatingPointError as error:
        return error


def _freeze(value):
    """A hashable stand-in for a parameter value, equal for equal values."""
    if isinstance(value, (str, bytes, bool, Integral, float, type(None), torch.device)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if callable(value) and hasattr(value, "__qualname__"):
        return (getattr(value, "__module__", None), value.__qualname__)
    return (type(value).__qualname__, repr(value))


def _group_key(estimator, problem):
    """Fits that can share a batch: same estimator class and parameters (but the seed), same
    game options (which hold the n-dependent step count), dimension, device and minibatch."""
    params = {k: v for k, v in estimator.get_params(deep=False).items()
              if k not in ("random_state", "verbose")}
    real = problem.real
    batch = min(int(problem.options.get("batch_size", 500)), real.shape[0])
    return (type(estimator), _freeze(params), _freeze(problem.options), tuple(real.shape[1:]),
            str(real.device), real.dtype, batch, repr(problem.generator),
            repr(problem.discriminator))


def _dataset_list(datasets):
    if isinstance(datasets, np.ndarray) and datasets.ndim == 3:
        return list(datasets)  # views, no copy
    if isinstance(datasets, torch.Tensor) and datasets.ndim == 3:
        return [d.numpy(force=True) for d in datasets]
    if isinstance(datasets, (str, bytes)) or not hasattr(datasets, "__len__"):
        raise ValueError(
            "datasets must be a sequence of 2-D array-likes (n_samples, n_features) or a 3-D "
            f"array (n_datasets, n_samples, n_features), got {type(datasets).__name__}"
        )
    return list(datasets)


def _member_estimators(estimator, n, random_states):
    if isinstance(estimator, (list, tuple)):
        if len(estimator) != n:
            raise ValueError(f"got {len(estimator)} estimators for {n} datasets")
        estimators = [clone(e) for e in estimator]
    else:
        estimators = [clone(estimator) for _ in range(n)]
        if random_states is None and "random_state" in estimator.get_params(deep=False):
            # Member r's seed is the r-th draw of the template's random_state: fixed by it,
            # whatever the number of data sets.
            random_states = check_random_state(estimator.random_state).randint(2**31 - 1, size=n)
    if random_states is not None:
        random_states = list(random_states)
        if len(random_states) != n:
            raise ValueError(f"got {len(random_states)} random_states for {n} datasets")
        for est, rs in zip(estimators, random_states):
            est.set_params(random_state=int(rs) if isinstance(rs, Integral) else rs)
    return estimators


def _arenas(estimators, datasets, members):
    """Per member, the rows of a float32 buffer its prepared data will be written into.

    One buffer per (dimension, device) holds every member's data, so each data set is copied
    once (into it) and the batched sampler indexes the buffer directly.
    """
    shapes = {}
    for r in members:
        shape = np.shape(datasets[r])
        if len(shape) != 2:
            continue  # the validation in the member's own preparation names the problem
        try:
            device = resolve_device(estimators[r].get_params().get("device", "cpu"))
        except ValueError:
            continue
        shapes.setdefault((shape[1], str(device)), []).append((r, shape[0]))
    out = {}
    for (p, device), rows in shapes.items():
        buffer = torch.empty(sum(n for _, n in rows), p, dtype=torch.float32, device=device)
        start = 0
        for r, n in rows:
            out[r] = buffer[start:start + n]
            start += n
    return out


def _named(error, r):
    """``error`` again, its message prefixed by the data set it concerns."""
    try:
        return type(error)(f"dataset {r}: {error}")
    except Exception:  # noqa: BLE001 - an exception class with another signature
        return RuntimeError(f"dataset {r}: {type(error).__name__}: {error}")
