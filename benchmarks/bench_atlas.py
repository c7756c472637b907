"""The accuracy atlas (issue 13): our default estimators against every peer, cell by cell.

A cell is one sampling law: inliers P_θ (Gaussian, t₃ or Cauchy, location θ, scatter Σ), an
outlier design Q, ε, n and p. The atlas is not a Cartesian product: a core design (Gaussian
inliers, Σ = I, Q = N(θ + 5·1, I), ε = 0.2, n = 5,000, p = 20) is varied one factor at a time,
plus the extreme cells (n = 21; p = 1; p = 200; n = 50,000 at p = 100). See ``CELLS``.

Estimators: ours with their default constructors (``RobustGANMean(random_state=s)``,
``RobustGANScatter(random_state=s)``), whatever the library's defaults are today, and their
starts (RobustGANMean's robust start ``trimmed_location_``, and how often it chose the game's
estimate over it, ``selected_``; ``raw_location_``, ``raw_covariance_``); scikit-learn's
MinCovDet; statsmodels' DetMCD (``CovDetMCD``, h = ⌊(n + p + 1)/2⌋) and OGK; the iterative
filter and dimension halving (given the true ε, as in the papers; the filter assumes Σ = I);
the coordinatewise median; the sample mean and covariance; and the oracle, which sees the
inliers only (their sample mean and covariance; for t and Cauchy inliers the maximum-likelihood
t fit with the true degrees of freedom). The oracle is never a "peer".

Errors, in the inliers' geometry so that cells with different scales compare:

* location: ‖Σ^{-1/2}(θ̂ − θ)‖₂;
* scatter: ‖Σ^{-1/2} Σ̂ Σ^{-1/2} − I‖_op; for t and Cauchy inliers (whose covariance is not Σ,
  or does not exist) the shapes: W = Σ^{-1/2} Σ̂ Σ^{-1/2} is divided by det(W)^{1/p} first.

Per cell and estimator the median over seeds (3 by default; 24 for the cells of n·p ≤ 2,000
values, whose 3-seed medians were luck: ``seeds_of``); a fit that failed or was skipped counts
as an infinite error in that median (shown as "—"). The bar (issue 13): ours ≤ 1.25 × the best
non-oracle peer, and ours ≤ 1.05 × our own start, for location and scatter.

Run (one fit at a time, so the timings do not compete for cores)::

    OMP_NUM_THREADS=1 python benchmarks/bench_atlas.py --quick          # 5 cells, 1 seed, ~1-2 min
    OMP_NUM_THREADS=1 nohup python benchmarks/bench_atlas.py --seeds 3 \\
        > benchmarks/results/atlas.log 2>&1 &                           # all cells, ~1 h
    python benchmarks/bench_atlas.py --cells core,close03 --seeds 3     # a subset

Every (cell, seed) is written atomically to ``<out>/atlas/<cell>__seed<k>.json`` and reused
when the run is started again (a killed run resumes where it stopped; a changed cell is
recomputed). Then ``<out>/atlas.json`` (medians, best peer, ratios, times), ``atlas.md`` (the
markdown tables), ``atlas_location.png`` and ``atlas_scatter.png`` (ours over the best peer per
cell, log colour scale centred at 1, frames where the ratio exceeds 1.25) are written.

MinCovDet, DetMCD and OGK run in a forked child with a CPU-time budget (``--budget``, CPU
seconds per fit, default 150; CPU time, so that a loaded machine does not change which fits
run); a fit over budget is stopped and recorded as "skipped (time)", and the other seeds of
that cell do not retry it. Fit times are recorded as wall and CPU seconds.
"""

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from _common import RESULTS, machine, markdown_table
from scipy import linalg
from statsmodels.robust.covariance import CovDetMCD

import robustgan
from robustgan import RobustGANMean, RobustGANScatter, make_huber_contamination
from robustgan.io_utils import atomic_open
from robustgan.simulate.registry import make_estimator

# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One sampling law of the atlas: (1 − ε)·P_θ + ε·Q, n rows, p features.

    ``inliers``: "gaussian", "t" (with ``df``) or "cauchy". ``scatter``: "identity",
    "scale:<σ>" (σ²·I), "unequal" (diag(10^U(−3, 3)), a fixed draw), "toeplitz" (0.5^|i−j|),
    "cond:<κ>" (a fixed rotation of diag(logspace(0, log₁₀ κ, p))). ``q``: the outlier design,
    a key of ``DESIGNS``; ``shift`` its distance parameter.
    """

    name: str
    factor: str
    n: int = 5_000
    p: int = 20
    eps: float = 0.2
    q: str = "far"
    shift: float = 5.0
    inliers: str = "gaussian"
    df: float = None
    scatter: str = "identity"

    def describe(self):
        law = {"gaussian": "N", "t": f"t{self.df or 0:g}", "cauchy": "Cauchy"}[self.inliers]
        sigma = {"identity": "I"}.get(self.scatter, self.scatter)
        design = DESIGNS[self.q][1].format(c=self.shift)
        return f"{law}(θ, {sigma}); Q = {design}; ε={self.eps:g}; n={self.n}; p={self.p}"


CORE = {"n": 5_000, "p": 20, "eps": 0.2, "q": "far"}


def _cell(name, factor, **changes):
    return Cell(name, factor, **{**CORE, **changes})


CELLS = [
    _cell("core", "core"),
    # The contamination design Q.
    _cell("close05", "Q", q="close", shift=0.5),
    _cell("close03", "Q", q="close-third", shift=0.3),
    _cell("cauchy-q", "Q", q="cauchy"),
    _cell("symmetric", "Q", q="symmetric"),
    _cell("spread", "Q", q="spread"),
    # ε.
    _cell("eps0.05", "ε", eps=0.05),
    _cell("eps0.1", "ε", eps=0.1),
    _cell("eps0.3", "ε", eps=0.3),
    _cell("eps0.4", "ε", eps=0.4),
    _cell("eps0.45", "ε", eps=0.45),
    _cell("close05-eps0.1", "ε", q="close", shift=0.5, eps=0.1),
    _cell("close05-eps0.4", "ε", q="close", shift=0.5, eps=0.4),
    # A tight cluster that MCD-type subsets take whole, with the inliers beside it.
    _cell("tight1-eps0.3", "ε", q="tight", shift=1.0, eps=0.3),
    # The inlier law.
    _cell("t3", "inliers", inliers="t", df=3.0),
    _cell("t3-close05", "inliers", inliers="t", df=3.0, q="close", shift=0.5),
    _cell("cauchy", "inliers", inliers="cauchy"),
    _cell("cauchy-cauchy-q", "inliers", inliers="cauchy", q="cauchy"),
    # Scales: Q is the core design in the inliers' geometry, θ + Σ^{1/2}·N(c·1, I).
    _cell("scale10", "scales", scatter="scale:10", q="far-affine"),
    _cell("scale0.1", "scales", scatter="scale:0.1", q="far-affine"),
    _cell("unequal", "scales", scatter="unequal", q="far-affine"),
    _cell("unequal-close05", "scales", scatter="unequal", q="close-affine", shift=0.5),
    # Structured Σ.
    _cell("toeplitz", "Σ", scatter="toeplitz"),
    _cell("cond100", "Σ", scatter="cond:100"),
    _cell("cond1000", "Σ", scatter="cond:1000"),
    _cell("thin-toeplitz", "Σ", scatter="toeplitz", q="thin"),
    _cell("thin-cond100", "Σ", scatter="cond:100", q="thin"),
    _cell("thin-cond1000", "Σ", scatter="cond:1000", q="thin"),
    # p, with n = max(50p, 1000).
    _cell("p1", "p", p=1, n=1_000),
    _cell("p2", "p", p=2, n=1_000),
    _cell("p5", "p", p=5, n=1_000),
    _cell("p50", "p", p=50, n=2_500),
    _cell("p100", "p", p=100, n=5_000),
    _cell("p100-close05", "p", p=100, n=5_000, q="close", shift=0.5),
    _cell("p200", "p", p=200, n=10_000),
    # n.
    _cell("n21-p2", "n", n=21, p=2),
    _cell("n21-p4", "n", n=21, p=4),
    _cell("n100-p5", "n", n=100, p=5),
    _cell("n500", "n", n=500),
    _cell("n20000", "n", n=20_000),
    _cell("n50000-p100", "n", n=50_000, p=100),
]
CELLS_BY_NAME = {cell.name: cell for cell in CELLS}
QUICK = ["n21-p2", "p1", "close03", "t3", "thin-cond100"]


# ---------------------------------------------------------------------------------------------
# Inlier scatter Σ and location θ
# ---------------------------------------------------------------------------------------------


def true_scatter(kind, p):
    """Σ of a cell; the random ones are fixed draws, the same for every seed."""
    if kind == "identity":
        return np.eye(p)
    if kind.startswith("scale:"):
        return float(kind.split(":")[1]) ** 2 * np.eye(p)
    if kind == "unequal":
        return np.diag(10.0 ** np.random.default_rng(13).uniform(-3.0, 3.0, p))
    if kind == "toeplitz":
        return 0.5 ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    if kind.startswith("cond:"):
        condition = float(kind.split(":")[1])
        rotation, _ = np.linalg.qr(np.random.default_rng(123).standard_normal((p, p)))
        return (rotation * np.logspace(0.0, np.log10(condition), p)) @ rotation.T
    raise ValueError(f"unknown scatter {kind!r}")


def true_location(scatter):
    """θ: a fixed point a few inlier scales from the origin (θ_j = σ_j·u_j, u ~ U(−2, 2))."""
    p = len(scatter)
    return np.sqrt(np.diagonal(scatter)) * np.random.default_rng(7).uniform(-2.0, 2.0, p)


# ---------------------------------------------------------------------------------------------
# Outlier designs Q: from make_huber_contamination where it has them, callables otherwise
# ---------------------------------------------------------------------------------------------


def _symmetric(theta, scatter, c):
    def symmetric(n, rng):  # ½·N(θ + c·1, I) + ½·N(θ − c·1, I)
        signs = np.where(rng.permutation(n) < n // 2, 1.0, -1.0)
        return theta + c * signs[:, None] + rng.standard_normal((n, theta.size))

    return symmetric


def _spread(theta, scatter, c):
    def spread(n, rng):  # N(θ, c²·I)
        return theta + c * rng.standard_normal((n, theta.size))

    return spread


def _affine(theta, scatter, c, spread=1.0):
    chol = np.linalg.cholesky(scatter)

    def affine(n, rng):  # θ + Σ^{1/2}·N(c·1, s²·I): the shift design in the inliers' geometry
        return theta + (c + spread * rng.standard_normal((n, theta.size))) @ chol.T

    return affine


def _thin(theta, scatter, c):
    values, vectors = np.linalg.eigh(scatter)
    scale, direction = math.sqrt(values[0]), vectors[:, 0]

    def thin(n, rng):  # N(θ + c·√λ_min·v_min, λ_min·I): a tight cluster along the thinnest axis
        return theta + scale * (c * direction + rng.standard_normal((n, theta.size)))

    return thin


# key -> (make_huber_contamination arguments or a callable factory, description template)
DESIGNS = {
    "far": ({"outliers": "gaussian_shift"}, "N(θ+{c:g}·1, I)"),
    "close": ({"outliers": "gaussian_shift"}, "N(θ+{c:g}·1, I)"),
    "close-third": ({"outliers": "gaussian_shift", "outlier_scale": math.sqrt(1 / 3)},
                    "N(θ+{c:g}·1, I/3)"),
    "tight": ({"outliers": "gaussian_shift", "outlier_scale": 0.5}, "N(θ+{c:g}·1, I/4)"),
    "cauchy": ({"outliers": "cauchy"}, "Cauchy(θ+{c:g}·1, I)"),
    "symmetric": (_symmetric, "½N(θ±{c:g}·1, I)"),
    "spread": (_spread, "N(θ, {c:g}²·I)"),
    "far-affine": (_affine, "θ+Σ^½·N({c:g}·1, I)"),
    "close-affine": (_affine, "θ+Σ^½·N({c:g}·1, I)"),
    "thin": (_thin, "N(θ+{c:g}·√λmin·vmin, λmin·I)"),
}


def sample(cell, seed):
    """The cell's data for one seed (a Bunch from make_huber_contamination)."""
    scatter = true_scatter(cell.scatter, cell.p)
    theta = true_location(scatter)
    design, _ = DESIGNS[cell.q]
    if callable(design):
        design = {"outliers": design(theta, scatter, cell.shift)}
    return make_huber_contamination(
        cell.n, cell.p, cell.eps, location=theta, scatter=scatter, inliers=cell.inliers,
        df=cell.df if cell.inliers == "t" else None, shift=cell.shift, random_state=seed,
        **design,
    )


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

SHAPE_NOTE = ("scatter error for t and Cauchy inliers compares shapes: W = Σ^{-1/2} Σ̂ Σ^{-1/2} "
              "is divided by det(W)^{1/p} before ‖W − I‖_op (Gaussian inliers: W as is)")


def location_error(estimate, data):
    """‖Σ^{-1/2}(θ̂ − θ)‖₂, computed as ‖L^{-1}(θ̂ − θ)‖₂ with Σ = L·Lᵀ (the same norm)."""
    chol = np.linalg.cholesky(data.scatter)
    return float(np.linalg.norm(linalg.solve_triangular(chol, estimate - data.location,
                                                        lower=True)))


def scatter_error(estimate, data):
    """‖W − I‖_op with W = L^{-1} Σ̂ L^{-T} (the eigenvalues of Σ^{-1/2} Σ̂ Σ^{-1/2}); W
    normalised to determinant 1 for non-Gaussian inliers."""
    chol = np.linalg.cholesky(data.scatter)
    half = linalg.solve_triangular(chol, estimate, lower=True)
    white = linalg.solve_triangular(chol, half.T, lower=True)
    eigenvalues = np.linalg.eigvalsh((white + white.T) / 2)
    if data.inliers != "gaussian":
        if eigenvalues[0] <= 0:
            raise FloatingPointError("singular scatter estimate: its shape is undefined")
        eigenvalues = eigenvalues / np.exp(np.mean(np.log(eigenvalues)))
    return float(np.max(np.abs(eigenvalues - 1.0)))


# ---------------------------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------------------------

OURS = ("RobustGANMean", "RobustGANScatter")
SCATTER_PEERS = ("MinCovDet", "DetMCD", "OGK", "sample mean/cov")
LOCATION_PEERS = ("MinCovDet", "DetMCD", "OGK", "iterative filter", "dimension halving",
                  "coordinatewise median", "sample mean/cov")
ORACLE = "oracle (inliers)"
ESTIMATORS = OURS + LOCATION_PEERS + (ORACLE,)
BUDGETED = frozenset({"MinCovDet", "DetMCD", "OGK"})  # fitted in a child with a time budget


def _det_mcd(X):
    n, p = X.shape
    result = CovDetMCD(X).fit((n + p + 1) // 2)
    return np.asarray(result.mean, dtype=float), np.asarray(result.cov, dtype=float)


def _registry(name, **params):
    def fit(X, cell, seed):
        est = make_estimator(name, contamination=cell.eps, random_state=seed, **params).fit(X)
        return est.location_, getattr(est, "covariance_", None)

    return fit


def t_maximum_likelihood(X, df, n_iter=500, tol=1e-9):
    """Location and scatter of the multivariate t with ``df`` degrees of freedom by EM."""
    n, p = X.shape
    location = np.median(X, axis=0)
    scatter = np.diag(np.square(1.4826 * np.median(np.abs(X - location), axis=0)))
    for _ in range(n_iter):
        chol = np.linalg.cholesky(scatter)
        d2 = np.sum(np.square(linalg.solve_triangular(chol, (X - location).T, lower=True)),
                    axis=0)
        weights = (df + p) / (df + d2)
        new_location = weights @ X / weights.sum()
        centred = X - new_location
        new_scatter = (weights[:, None] * centred).T @ centred / n
        done = (np.max(np.abs(new_location - location)) < tol
                and np.max(np.abs(new_scatter - scatter)) < tol * np.max(np.abs(scatter)))
        location, scatter = new_location, new_scatter
        if done:
            break
    return location, scatter


def _oracle(X, cell, seed, data):
    inliers = X[data.inlier_mask]
    if data.inliers == "gaussian":
        covariance = np.cov(inliers, rowvar=False).reshape(cell.p, cell.p)
        return inliers.mean(axis=0), covariance
    return t_maximum_likelihood(inliers, data.df)


PEER_FITS = {
    "MinCovDet": _registry("mcd"),
    "DetMCD": lambda X, cell, seed: _det_mcd(X),
    "OGK": _registry("ogk"),
    "iterative filter": _registry("iterative-filter"),
    "dimension halving": _registry("dimension-halving"),
    "coordinatewise median": _registry("coordinatewise-median"),
    "sample mean/cov": _registry("sample-mean"),
}
LOCATION_ONLY = frozenset({"iterative filter", "dimension halving", "coordinatewise median"})


class ChildFailure(RuntimeError):
    """A fit that raised in its child process; the message is the child's exception."""


def _clocked(fit, *args):
    """``(result, wall seconds, CPU seconds of this process)`` of one call, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wall, cpu = time.perf_counter(), time.process_time()
        result = fit(*args)
        return result, time.perf_counter() - wall, time.process_time() - cpu


def _child(fit, X, cell, seed, budget, connection):
    try:
        # A forked child's CPU clock starts at zero: the kernel stops it (SIGXCPU) once the
        # fit has used ``budget`` CPU seconds, however loaded the machine is.
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        limit = math.ceil(budget)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
        (location, covariance), wall, cpu = _clocked(fit, X, cell, seed)
        connection.send(("ok", location, covariance, wall, cpu))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which records it
        connection.send(("failed", f"{type(exc).__name__}: {exc}", None, None, None))
    finally:
        connection.close()
        os._exit(0)  # no atexit handlers of the parent's libraries in the child


WALL_FACTOR = 20  # a child that has not answered after 20× its CPU budget in wall time is hung


def fit_with_budget(fit, X, cell, seed, budget):
    """``((location, covariance), wall s, CPU s)`` of ``fit(X, cell, seed)``, in a forked child
    limited to ``budget`` CPU seconds (TimeoutError beyond it); in this process when ``budget``
    is None or the platform cannot fork."""
    if budget is None or "fork" not in multiprocessing.get_all_start_methods():
        return _clocked(fit, X, cell, seed)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(fit, X, cell, seed, budget, send), daemon=True)
    child.start()
    send.close()
    message = None
    try:
        if not receive.poll(WALL_FACTOR * budget):
            child.kill()
            raise TimeoutError(f"no answer after {WALL_FACTOR * budget:g} s wall")
        try:
            message = receive.recv()
        except EOFError:
            pass
    finally:
        receive.close()
        child.join()
    if message is None:
        if child.exitcode == -signal.SIGXCPU:
            raise TimeoutError(f"over the budget of {budget:g} CPU s")
        raise ChildFailure(f"the fit's child process died (exit code {child.exitcode})")
    status, location, covariance, wall, cpu = message
    if status != "ok":
        raise ChildFailure(location)
    return (location, covariance), wall, cpu


def _errors(location, covariance, data, with_scatter=True):
    entry = {"location_error": location_error(np.asarray(location, dtype=float), data)}
    if with_scatter and covariance is not None:
        entry["scatter_error"] = scatter_error(np.asarray(covariance, dtype=float), data)
    for key, value in entry.items():
        if not np.isfinite(value):
            raise FloatingPointError(f"non-finite {key}")
    return entry


def _failure(status, reason, seconds=None):
    return {"status": status, "reason": reason, "seconds": seconds}


def _fit_ours(name, X, cell, seed):
    cls = RobustGANMean if name == "RobustGANMean" else RobustGANScatter
    return cls(random_state=seed).fit(X)


def measure(name, cell, data, seed, budget, timed_out_before):
    """One estimator on one data set: its errors (and its start's, for ours), wall and CPU
    seconds of the fit."""
    X = data.X
    if name in timed_out_before:
        return _failure("skipped (time)", f"over the budget on seed {timed_out_before[name]}; "
                                          "not retried")
    start = time.perf_counter()
    try:
        if name in OURS:
            est, wall, cpu = _clocked(_fit_ours, name, X, cell, seed)
            entry = {"status": "ok", "seconds": wall, "cpu_seconds": cpu,
                     **_errors(est.location_, getattr(est, "covariance_", None), data)}
            if name == "RobustGANMean":
                # Its robust start where it has one (scale="auto"), else where η started.
                start_location = getattr(est, "trimmed_location_", None)
                if start_location is None:
                    start_location = est.start_location_
                entry.update(_prefix(_errors(start_location, None, data), "start_"))
                entry["selected"] = getattr(est, "selected_", "game")
                entry["game_location_error"] = location_error(est.game_location_, data)
            else:
                entry.update(_prefix(_errors(est.raw_location_, est.raw_covariance_, data),
                                     "start_"))
            return entry
        if name == ORACLE:
            (location, covariance), wall, cpu = _clocked(_oracle, X, cell, seed, data)
        else:
            (location, covariance), wall, cpu = fit_with_budget(
                PEER_FITS[name], X, cell, seed, budget if name in BUDGETED else None
            )
        return {"status": "ok", "seconds": wall, "cpu_seconds": cpu,
                **_errors(location, covariance, data, with_scatter=name not in LOCATION_ONLY)}
    except TimeoutError as exc:
        return _failure("skipped (time)", str(exc), time.perf_counter() - start)
    except ChildFailure as exc:
        return _failure("failed", str(exc)[:300], time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a failing peer is a result, not a crash
        return _failure("failed", f"{type(exc).__name__}: {exc}"[:300],
                        time.perf_counter() - start)


def _prefix(entry, prefix):
    return {prefix + key: value for key, value in entry.items()}


# ---------------------------------------------------------------------------------------------
# One (cell, seed): a file of its own, written atomically
# ---------------------------------------------------------------------------------------------


def task_path(out, cell, seed):
    return Path(out) / "atlas" / f"{cell.name}__seed{seed}.json"


def _write_atomic(path, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, encoding="utf-8") as handle:
        json.dump(payload, handle, indent=1, default=float, allow_nan=True)


VERSION = 2  # of the per-(cell, seed) files; older ones are recomputed


def code_version():
    """The library measured: git HEAD and a hash of robustgan's sources as this process loaded
    them (the estimators' defaults change between commits and in working trees)."""
    package = Path(robustgan.__file__).resolve().parent
    digest = hashlib.sha1()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, check=False,
                                capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"commit": commit, "robustgan_sources_sha1": digest.hexdigest()[:12]}


CODE = code_version()  # at import, with the modules: a run measures the code it started with


def _stored(path, cell, budget):
    try:
        stored = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    same = (stored.get("version") == VERSION and stored.get("cell") == asdict(cell)
            and stored.get("budget_s") == budget)
    return stored if same else None


def load_task(out, cell, seed, budget):
    """The stored result of (cell, seed), or None when absent or computed for another cell,
    budget or file version."""
    return _stored(task_path(out, cell, seed), cell, budget)


def _timed_out_elsewhere(out, cell, seed, budget):
    """Budgeted peers that ran over budget on another seed of this cell: name -> that seed."""
    found = {}
    for path in sorted((Path(out) / "atlas").glob(f"{cell.name}__seed*.json")):
        stored = _stored(path, cell, budget)
        if stored is None or stored.get("seed") == seed:
            continue
        for name, entry in stored["estimators"].items():
            if entry.get("status") == "skipped (time)" and name not in found:
                found[name] = stored["seed"]
    return found


def run_task(cell, seed, out, budget, refresh_ours=False):
    """Fit every estimator on (cell, seed) unless stored; returns the stored result.

    With ``refresh_ours``, a stored result whose own estimators were measured on other
    sources of robustgan has them refitted on these (the peers' fits do not depend on them,
    and MinCovDet's alone cost minutes on the large cells)."""
    stored = load_task(out, cell, seed, budget)
    if stored is not None:
        if refresh_ours and stored.get("ours_code", stored.get("code")) != CODE:
            return _refresh_ours(stored, cell, seed, out, budget)
        return stored
    began = time.perf_counter()
    data = sample(cell, seed)
    timed_out = _timed_out_elsewhere(out, cell, seed, budget)
    results = {name: measure(name, cell, data, seed, budget, timed_out) for name in ESTIMATORS}
    payload = {"version": VERSION, "code": CODE, "cell": asdict(cell), "seed": seed,
               "budget_s": budget,
               "realised_contamination": data.contamination, "outliers": data.outliers,
               "task_seconds": time.perf_counter() - began, "estimators": results}
    _write_atomic(task_path(out, cell, seed), payload)
    summary = " ".join(
        f"{name.split()[0]}={entry.get('location_error', float('nan')):.3g}"
        for name, entry in results.items()
    )
    print(f"[{cell.name} seed {seed}] {payload['task_seconds']:.1f}s {summary}", flush=True)
    return payload


def _refresh_ours(stored, cell, seed, out, budget):
    began = time.perf_counter()
    data = sample(cell, seed)
    for name in OURS:
        stored["estimators"][name] = measure(name, cell, data, seed, budget, {})
    stored["ours_code"] = CODE
    _write_atomic(task_path(out, cell, seed), stored)
    summary = " ".join(f"{name}={stored['estimators'][name].get('location_error', float('nan')):.3g}"
                       for name in OURS)
    print(f"[{cell.name} seed {seed}] ours refreshed in {time.perf_counter() - began:.1f}s "
          f"{summary}", flush=True)
    return stored


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------


def _median(values):
    """Median with failures as +inf; None when there is nothing or the median is infinite."""
    if not values:
        return None
    value = float(np.median(values))
    return value if np.isfinite(value) else None


def _ratio(a, b):
    return a / b if a is not None and b else None


def aggregate_cell(cell, tasks):
    """Medians over seeds per estimator, the best peer and our ratios for one cell."""
    estimators = {}
    for name in ESTIMATORS:
        entries = [task["estimators"][name] for task in tasks]
        stats = {"n_ok": sum(e["status"] == "ok" for e in entries),
                 "seconds": _median([e["seconds"] for e in entries if e["status"] == "ok"]),
                 "cpu_seconds": _median([e["cpu_seconds"] for e in entries
                                         if e["status"] == "ok"])}
        keys = ["location_error", "scatter_error"]
        if name in OURS:
            keys += ["start_location_error", "start_scatter_error"]
        for key in keys:
            if name in LOCATION_ONLY and key == "scatter_error":
                continue
            if name == "RobustGANMean" and key == "start_scatter_error":
                continue
            stats[key] = _median([e.get(key, math.inf) if e["status"] == "ok" else math.inf
                                  for e in entries])
        if name == "RobustGANMean":
            stats["game_selected"] = sum(e.get("selected") == "game" for e in entries
                                         if e["status"] == "ok")
        failures = sorted({f"{e['status']}: {e.get('reason')}" for e in entries
                           if e["status"] != "ok"})
        if failures:
            stats["failures"] = failures
        estimators[name] = stats

    summary = {}
    for kind, peers, ours in (("location", LOCATION_PEERS, OURS),
                              ("scatter", SCATTER_PEERS, ("RobustGANScatter",))):
        key = f"{kind}_error"
        scored = [(estimators[p][key], p) for p in peers if estimators[p].get(key) is not None]
        best_error, best = min(scored) if scored else (None, None)
        summary[kind] = {"best_peer": best, "best_peer_error": best_error,
                         "oracle_error": estimators[ORACLE].get(key)}
        for name in ours:
            error = estimators[name].get(key)
            vs_peer = _ratio(error, best_error)
            vs_start = _ratio(error, estimators[name].get(f"start_{key}"))
            summary[kind][name] = {
                "error": error, "ratio_best_peer": vs_peer, "ratio_start": vs_start,
                "bar_peer": None if vs_peer is None else vs_peer <= 1.25,
                "bar_start": None if vs_start is None else vs_start <= 1.05,
            }
    return {"cell": asdict(cell), "describe": cell.describe(), "seeds": [t["seed"] for t in tasks],
            "estimators": estimators, **summary}


# ---------------------------------------------------------------------------------------------
# Tables and heatmaps
# ---------------------------------------------------------------------------------------------

SHORT = {"RobustGANMean": "GAN mean", "RobustGANScatter": "GAN scatter", "MinCovDet": "MCD",
         "DetMCD": "DetMCD", "OGK": "OGK", "iterative filter": "filter",
         "dimension halving": "dim. halving", "coordinatewise median": "coord. median",
         "sample mean/cov": "sample", ORACLE: "oracle"}


def _num(value, digits=3):
    return "—" if value is None else f"{value:.{digits}f}"


def _ratio_text(value):
    return "—" if value is None else f"{value:.2f}"


def _verdict(*flags):
    known = [f for f in flags if f is not None]
    if not known:
        return "—"
    return "ok" if all(known) else "**fail**"


def tables(cells):
    """The markdown tables: location, scatter (ratios and every estimator's error), times."""
    loc_header = ["cell", "GAN mean", "its start", "game chosen", "GAN scatter", "its start",
                  "best peer", "oracle", "mean/peer", "scatter/peer", "mean/start",
                  "scatter/start", "bar"]
    loc_rows, sc_rows, all_loc, all_sc, times = [], [], [], [], []
    for c in cells:
        est, loc, sc = c["estimators"], c["location"], c["scatter"]
        m, s = loc["RobustGANMean"], loc["RobustGANScatter"]
        best = (f"{SHORT[loc['best_peer']]} {_num(loc['best_peer_error'])}"
                if loc["best_peer"] else "—")
        loc_rows.append([
            c["cell"]["name"], _num(m["error"]), _num(est["RobustGANMean"]["start_location_error"]),
            f"{est['RobustGANMean'].get('game_selected', '—')}/{len(c['seeds'])}",
            _num(s["error"]), _num(est["RobustGANScatter"]["start_location_error"]), best,
            _num(loc["oracle_error"]), _ratio_text(m["ratio_best_peer"]),
            _ratio_text(s["ratio_best_peer"]), _ratio_text(m["ratio_start"]),
            _ratio_text(s["ratio_start"]),
            _verdict(m["bar_peer"], s["bar_peer"], m["bar_start"], s["bar_start"]),
        ])
        g = sc["RobustGANScatter"]
        best = f"{SHORT[sc['best_peer']]} {_num(sc['best_peer_error'])}" if sc["best_peer"] else "—"
        sc_rows.append([c["cell"]["name"], _num(g["error"]),
                        _num(est["RobustGANScatter"]["start_scatter_error"]), best,
                        _num(sc["oracle_error"]), _ratio_text(g["ratio_best_peer"]),
                        _ratio_text(g["ratio_start"]), _verdict(g["bar_peer"], g["bar_start"])])
        all_loc.append([c["cell"]["name"]] + [_num(est[n].get("location_error"))
                                              for n in ESTIMATORS])
        all_sc.append([c["cell"]["name"]] + [_num(est[n].get("scatter_error"))
                                             for n in ("RobustGANScatter",) + SCATTER_PEERS
                                             + (ORACLE,)])
        times.append([c["cell"]["name"]] + [_num(est[n]["cpu_seconds"], 2) for n in ESTIMATORS])
    sc_header = ["cell", "GAN scatter", "its start", "best peer", "oracle", "scatter/peer",
                 "scatter/start", "bar"]
    settings = markdown_table(["cell", "factor", "setting", "seeds"],
                              [[c["cell"]["name"], c["cell"]["factor"], c["describe"],
                                len(c["seeds"])] for c in cells])
    return {
        "settings": settings,
        "location": markdown_table(loc_header, loc_rows),
        "scatter": markdown_table(sc_header, sc_rows),
        "location_all": markdown_table(["cell"] + [SHORT[n] for n in ESTIMATORS], all_loc),
        "scatter_all": markdown_table(
            ["cell"] + [SHORT[n] for n in ("RobustGANScatter",) + SCATTER_PEERS + (ORACLE,)],
            all_sc),
        "seconds": markdown_table(["cell"] + [SHORT[n] for n in ESTIMATORS], times),
    }


def heatmap(cells, kind, columns, path):
    """Ours over the best peer per cell: log colour scale centred at 1, frames above 1.25."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    ratios = np.array([[c[kind][name]["ratio_best_peer"] or np.nan for name in columns]
                       for c in cells], dtype=float)
    logs = np.log10(ratios)
    bound = np.log10(8.0)  # colours saturate at 8× either way; the annotation is exact
    fig, ax = plt.subplots(figsize=(2.6 + 1.5 * len(columns), 1.4 + 0.3 * len(cells)))
    image = ax.imshow(np.ma.masked_invalid(np.clip(logs, -bound, bound)), cmap="RdBu_r",
                      aspect="auto", norm=TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound))
    for i, row in enumerate(ratios):
        for j, value in enumerate(row):
            text = "n/a" if not np.isfinite(value) else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if np.isfinite(value) and abs(np.log10(value)) > 0.6 * bound
                    else "black")
            if np.isfinite(value) and value > 1.25:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2,
                                           edgecolor="black"))
    ax.set_xticks(range(len(columns)), [SHORT[name] for name in columns])
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(cells)), [c["cell"]["name"] for c in cells], fontsize=8)
    bar = fig.colorbar(image, ax=ax, fraction=0.1, pad=0.04, extend="both")
    ticks = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
    bar.set_ticks(np.log10(ticks), labels=[f"{r:g}" for r in ticks])
    bar.ax.axhline(np.log10(1.25), color="black", lw=2)
    bar.set_label("ours / best peer (line: 1.25)")
    ax.set_title(f"{kind} error: ours / best non-oracle peer\n(framed: > 1.25)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def _resolve(cells):
    resolved = []
    for cell in cells:
        if isinstance(cell, Cell):
            resolved.append(cell)
        elif cell in CELLS_BY_NAME:
            resolved.append(CELLS_BY_NAME[cell])
        else:
            raise ValueError(f"unknown cell {cell!r}; known: {', '.join(CELLS_BY_NAME)}")
    return resolved


# Small cells (n·p at most this many values) take ``small_seed_multiple`` × the seeds in a full
# run. Their errors spread widely from seed to seed, and a median of 3 was decided by luck: at
# p = 1 dimension halving's 3-seed median location error was 0.011, under half the oracle's
# (0.024 in theory, |N(0, 1/800)|'s median; 0.031 over 24 seeds), and ours failed the bar
# against it. A (cell, seed) of these costs 1-9 s with every peer: the 105 added took 57 s on
# two workers (2026-12-03).
SMALL_CELL_VALUES = 2_000
SMALL_SEED_MULTIPLE = 8


def seeds_of(cell, seeds, small_seed_multiple=1):
    """The seeds (cell, ·) runs: range(seeds), times ``small_seed_multiple`` for a small cell."""
    small = cell.n * cell.p <= SMALL_CELL_VALUES
    return range(seeds * (small_seed_multiple if small else 1))


def run_atlas(cells=None, seeds=3, out=RESULTS, jobs=1, budget=150.0, name="atlas",
              plots=True, refresh_ours=False, small_seed_multiple=1):
    """Run (or resume) the atlas on ``cells`` (names or Cell objects, default all) and write
    ``<out>/<name>.json``, ``<name>.md`` and, with ``plots``, the two heatmaps. Returns the
    aggregated payload. ``small_seed_multiple``: the small cells' seeds per seed (``seeds_of``;
    the command line's full runs take ``SMALL_SEED_MULTIPLE``)."""
    from joblib import Parallel, delayed

    cells = _resolve(CELLS if cells is None else cells)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Seed-major within a cell, so a budget overrun on seed 0 spares the other seeds.
    tasks = [(cell, seed) for cell in cells
             for seed in seeds_of(cell, seeds, small_seed_multiple)]
    began = time.perf_counter()
    results = Parallel(n_jobs=jobs)(delayed(run_task)(cell, seed, out, budget, refresh_ours)
                                    for cell, seed in tasks)
    by_cell = {}
    for (cell, _), result in zip(tasks, results):
        by_cell.setdefault(cell.name, (cell, []))[1].append(result)
    aggregated = [aggregate_cell(cell, found) for cell, found in by_cell.values()]
    versions = {}
    for (cell, seed), result in zip(tasks, results):
        key = json.dumps(result.get("ours_code", result.get("code")), sort_keys=True)
        versions.setdefault(key, []).append(f"{cell.name}#{seed}")
    if len(versions) > 1:
        print(f"warning: the stored results come from {len(versions)} versions of robustgan; "
              "see code_versions in the JSON", flush=True)
    markdown = tables(aggregated)
    payload = {
        "machine": machine(), "seeds": seeds, "small_seed_multiple": small_seed_multiple,
        "small_cell_values": SMALL_CELL_VALUES, "budget_s": budget, "code": CODE,
        "code_versions": [{"code": json.loads(key), "tasks": found}
                          for key, found in versions.items()],
        "run_seconds": time.perf_counter() - began,
        "notes": {
            "location_error": "‖Σ^{-1/2}(θ̂ − θ)‖₂, median over seeds",
            "scatter_error": "‖Σ^{-1/2} Σ̂ Σ^{-1/2} − I‖_op, median over seeds; " + SHAPE_NOTE,
            "failures": "a failed or skipped fit counts as an infinite error in the median; "
                        "a median that is infinite is null",
            "peers": "best peer: the lowest median error among " + ", ".join(LOCATION_PEERS)
                     + " (location) and " + ", ".join(SCATTER_PEERS) + " (scatter); the "
                     "oracle sees the inliers only and is never a peer; the filter and "
                     "dimension halving are given the true ε, the filter assumes Σ = I",
            "ours": "RobustGANMean(random_state=seed), RobustGANScatter(random_state=seed) "
                    "with the library's defaults at run time; start: start_location_ (or "
                    "initial_location_), raw_location_ and raw_covariance_",
            "bar": "ratio_best_peer ≤ 1.25 and ratio_start ≤ 1.05, location and scatter",
            "budget": f"MinCovDet, DetMCD and OGK get {budget} CPU seconds per fit (a forked "
                      "child with RLIMIT_CPU); over it: 'skipped (time)', not retried on the "
                      "cell's other seeds",
            "seconds": "seconds: wall time of the fit; cpu_seconds: its CPU time (the machine "
                       "may be shared; with one thread CPU time is the idle machine's wall time)",
        },
        "cells": aggregated,
    }
    out_json = out / f"{name}.json"
    _write_atomic(out_json, payload)
    sections = [
        ("Cells", "settings"),
        (f"Location: ‖Σ^-½(θ̂ − θ)‖₂, median of {seeds} seed(s)"
         + (f" ({seeds * small_seed_multiple} for n·p ≤ {SMALL_CELL_VALUES:,})"
            if small_seed_multiple > 1 else ""), "location"),
        ("Scatter: ‖Σ^-½ Σ̂ Σ^-½ − I‖_op (shapes for t, Cauchy)", "scatter"),
        ("Location error, every estimator", "location_all"),
        ("Scatter error, every estimator", "scatter_all"),
        ("Fit time: median CPU seconds (one thread; wall seconds in the JSON)", "seconds"),
    ]
    text = "\n\n".join(f"### {title}\n\n{markdown[key]}" for title, key in sections) + "\n"
    (out / f"{name}.md").write_text(text)
    if plots:
        heatmap(aggregated, "location", OURS, out / f"{name}_location.png")
        heatmap(aggregated, "scatter", ("RobustGANScatter",), out / f"{name}_scatter.png")
    return payload


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"cells {','.join(QUICK)}, 1 seed, written as atlas_quick.*")
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"seeds per cell (default 3; {SMALL_SEED_MULTIPLE} × as many for "
                             f"cells of n·p ≤ {SMALL_CELL_VALUES:,} values, except with --quick)")
    parser.add_argument("--cells", help="comma-separated cell names (default: all)")
    parser.add_argument("--out", default=str(RESULTS), help="output folder")
    parser.add_argument("--jobs", type=int, default=1, help="joblib workers")
    parser.add_argument("--budget", type=float, default=150.0,
                        help="CPU seconds per MinCovDet/DetMCD/OGK fit; 0 for none")
    parser.add_argument("--name", help="output file stem (default atlas, atlas_quick)")
    parser.add_argument("--list", action="store_true", help="print the cells and exit")
    parser.add_argument("--refresh-ours", action="store_true",
                        help="refit our estimators in stored results measured on other sources "
                             "of robustgan (the peers' stored fits are kept)")
    args = parser.parse_args(argv)
    if args.list:
        for cell in CELLS:
            print(f"{cell.name:18s} {cell.factor:8s} {cell.describe()}")
        return None
    cells = args.cells.split(",") if args.cells else (QUICK if args.quick else None)
    seeds = args.seeds or (1 if args.quick else 3)
    name = args.name or ("atlas_quick" if args.quick else "atlas")
    payload = run_atlas(cells, seeds, args.out, args.jobs, args.budget or None, name,
                        refresh_ours=args.refresh_ours,
                        small_seed_multiple=1 if args.quick else SMALL_SEED_MULTIPLE)
    text = (Path(args.out) / f"{name}.md").read_text()
    print("\n" + text.split("### Location error, every estimator")[0])
    print(f"written: {Path(args.out) / name}.json, .md, _location.png, _scatter.png "
          f"({payload['run_seconds']:.0f} s)")
    return payload


if __name__ == "__main__":
    sys.exit(main() and 0)
