"""Grid specs: what to simulate, read from TOML, YAML, JSON or a dict, expanded into tasks.

A grid names the sample sizes, dimensions, contamination levels, outlier designs, estimators and
replicates; every combination is one task (one fit of one estimator on one simulated data set)::

    name = "my-study"
    random_state = 0                 # root of every task's seeds
    seeds = 3                        # replicates 0, 1, 2 (or a list of replicate ids)
    n_samples = [5000]
    n_features = [10, 20]
    contamination = [0.1, 0.2]

    [designs]                        # label = make_huber_contamination keywords
    "N(5·1, I)" = { outliers = "gaussian_shift", shift = 5.0 }
    "Cauchy" = { outliers = "cauchy", shift = 0.5 }

    [estimators]                     # label = registry name, or { estimator = name, params... }
    "sample mean" = "sample-mean"
    "JS-GAN" = "js-gan"
    "TV-GAN" = { estimator = "js-gan", divergence = "tv" }

Seeding: a task's data and its estimator are seeded by ``numpy.random.SeedSequence(random_state,
spawn_key=...)`` with the spawn key a hash of what the task *is* (design, n, p, ε, replicate;
plus the estimator for the estimator's seed), never of its position in the grid. So the numbers
do not depend on the order tasks run in, on the executor, or on what else is in the grid, and
all estimators of one (design, n, p, ε, replicate) cell see the same data set (paired
comparisons).
"""

import hashlib
import json
import re
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import tomllib

from ..datasets import make_huber_contamination
from .registry import check_estimator_params, make_estimator, renamed_params

__all__ = ["Grid", "GridError", "Task", "load_grid", "parse_grid"]

_FIELDS = ("name", "description", "metric", "random_state", "seeds", "n_samples", "n_features",
           "contamination", "designs", "estimators")
_DATA_KEYWORDS = ("outliers", "location", "scatter", "inliers", "df", "shift", "outlier_scale",
                  "exact", "shuffle")
_METRICS = ("location", "scatter")


class GridError(ValueError):
    """A grid spec is wrong; the message names the field and, for files, the line."""

    def __init__(self, field_path, problem, source=None, line=None):
        self.field = ".".join(str(part) for part in field_path)
        self.line = line
        self.problem = problem
        where = "" if source is None else f"{source}:" + ("" if line is None else f"{line}:")
        super().__init__(f"{where} field '{self.field}': {problem}".lstrip())


@dataclass(frozen=True)
class Task:
    """One fit: an estimator on one simulated data set. Picklable; ``task_id`` is its identity."""

    task_id: str
    index: int
    estimator: str
    estimator_spec: str  # canonical JSON [name, params]
    design: str
    design_spec: str  # canonical JSON of the make_huber_contamination keywords
    n_samples: int
    n_features: int
    contamination: float
    seed: int
    random_state: int
    data_key: tuple = field(repr=False)
    estimator_key: tuple = field(repr=False)

    def data_seed(self):
        """The ``SeedSequence`` of this task's data set (shared by the cell's estimators)."""
        return np.random.SeedSequence(self.random_state, spawn_key=self.data_key)

    def estimator_seed(self):
        """The estimator's ``random_state``: an int drawn from its own ``SeedSequence``."""
        sequence = np.random.SeedSequence(self.random_state, spawn_key=self.estimator_key)
        return int(sequence.generate_state(1)[0] >> 1)


@dataclass
class Grid:
    """A parsed, validated grid spec. ``tasks()`` expands it.

    Examples
    --------
    >>> grid = parse_grid({"n_samples": 200, "n_features": 2, "contamination": [0.1, 0.2],
    ...                    "seeds": 2, "designs": ["gaussian_shift"],
    ...                    "estimators": ["sample-mean", "coordinatewise-median"]})
    >>> len(grid.tasks())
    8
    """

    designs: dict
    estimators: dict
    n_samples: list
    n_features: list
    contamination: list
    seeds: list
    random_state: int = 0
    name: str = "simulation"
    description: str = ""
    metric: str = "location"
    # label -> {new name: old name} of renamed parameters (``registry.RENAMED_PARAMS``): they
    # enter a task's id and seeds under the old name, so stored studies keep theirs.
    identity_names: dict = field(default_factory=dict, repr=False)

    def tasks(self):
        """Every (design, n, p, ε, replicate, estimator) task, estimators innermost so that
        consecutive tasks share a data set."""
        tasks = []
        for design, design_kwargs in self.designs.items():
            for n in self.n_samples:
                for p in self.n_features:
                    for eps in self.contamination:
                        for seed in self.seeds:
                            for label, spec in self.estimators.items():
                                tasks.append(self._task(len(tasks), design, design_kwargs, n, p,
                                                        eps, seed, label, spec))
        return tasks

    def _task(self, index, design, design_kwargs, n, p, eps, seed, label, spec):
        design_spec = _canonical(design_kwargs)
        estimator_spec = _canonical(list(spec))
        name, params = spec
        names = self.identity_names.get(label, {})
        identity_spec = _canonical([name, {names.get(k, k): v for k, v in params.items()}])
        cell = [design_spec, n, p, eps, seed]
        identity = _canonical({"cell": cell, "design": design, "estimator": label,
                               "spec": identity_spec, "random_state": self.random_state})
        return Task(
            task_id=hashlib.sha256(identity.encode()).hexdigest()[:16],
            index=index,
            estimator=label,
            estimator_spec=estimator_spec,
            design=design,
            design_spec=design_spec,
            n_samples=n,
            n_features=p,
            contamination=eps,
            seed=seed,
            random_state=self.random_state,
            data_key=_spawn_key(["data", *cell]),
            estimator_key=_spawn_key(["estimator", *cell, identity_spec]),
        )

    def to_dict(self):
        """The grid as a plain dict that ``parse_grid`` reads back."""
        return {
            "name": self.name, "description": self.description, "metric": self.metric,
            "random_state": self.random_state, "seeds": list(self.seeds),
            "n_samples": list(self.n_samples), "n_features": list(self.n_features),
            "contamination": list(self.contamination), "designs": dict(self.designs),
            "estimators": {label: {"estimator": name, **params}
                           for label, (name, params) in self.estimators.items()},
        }


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _spawn_key(parts):
    digest = hashlib.sha256(_canonical(parts).encode()).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))


# ---------------------------------------------------------------------------------------------
# Reading files, with the line of every field
# ---------------------------------------------------------------------------------------------


def load_grid(spec):
    """A ``Grid`` from a path (``.toml``, ``.yaml``/``.yml``, ``.json``), a dict or a ``Grid``.

    Parameters
    ----------
    spec : str, Path, dict or Grid

    Returns
    -------
    Grid

    Raises
    ------
    GridError
        Naming the field (and the file and line) of the first problem found.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "grid.toml")
    >>> _ = open(path, "w").write('estimators = ["js-gan"]\\nn_samples = 100\\n'
    ...                           'n_features = 2\\ncontamination = 0.7\\n')
    >>> load_grid(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    robustgan.simulate.grid.GridError: ...grid.toml:4: field 'contamination': must be a number in [0, 0.5), got 0.7
    """
    if isinstance(spec, Grid):
        return spec
    if isinstance(spec, dict):
        return parse_grid(spec)
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"grid file {str(path)!r} does not exist")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        mapping, locate = _read_toml(text, path)
    elif suffix in (".yaml", ".yml"):
        mapping, locate = _read_yaml(text, path)
    elif suffix == ".json":
        mapping, locate = _read_json(text, path)
    else:
        raise ValueError(f"grid file {str(path)!r}: use a .toml, .yaml, .yml or .json file")
    return parse_grid(mapping, source=str(path), locate=locate)


def _read_toml(text, path):
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise GridError(["<syntax>"], str(exc), str(path),
                        int(line.group(1)) if line else None) from None
    return mapping, lambda field_path: _toml_line(text, field_path)


def _toml_keys(text):
    return [m.group(1) or m.group(2) or m.group(3)
            for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s"\']+)', text)]


_TOML_HEADER = re.compile(r"^\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r'^((?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
                       r'(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+))*)\s*=')


def _toml_line(text, field_path):
    """The line that defines ``field_path`` or, failing that, its deepest defined parent."""
    wanted = tuple(str(part) for part in field_path)
    best_depth, best_line, table = 0, None, ()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = _TOML_HEADER.match(line)
        if header:
            table, key = tuple(_toml_keys(header.group(1))), None
        else:
            match = _TOML_KEY.match(line)
            key = table + tuple(_toml_keys(match.group(1))) if match else None
        candidate = table if header else key
        if candidate and wanted[:len(candidate)] == candidate and len(candidate) > best_depth:
            best_depth, best_line = len(candidate), number
    return best_line


def _read_yaml(text, path):
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with dask
        raise ImportError("YAML grid files need PyYAML: pip install pyyaml") from None
    try:
        mapping = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise GridError(["<syntax>"], str(exc).replace("\n", " "), str(path),
                        None if mark is None else mark.line + 1) from None
    return mapping or {}, lambda field_path: _yaml_line(root, field_path)


def _yaml_line(node, field_path):
    line = None
    for part in field_path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if hasattr(node, "value") and isinstance(node.value, list) and node.value and \
                isinstance(node.value[0], tuple):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif hasattr(node, "value") and isinstance(node.value, list) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
    return line if node is None else node.start_mark.line + 1


def _read_json(text, path):
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GridError(["<syntax>"], exc.msg, str(path), exc.lineno) from None
    return mapping, lambda field_path: _json_line(text, field_path)


def _json_line(text, field_path):
    keys = [part for part in field_path if isinstance(part, str)]
    line = None
    position = 0
    for key in keys:
        found = text.find(json.dumps(key), position)
        if found < 0:
            break
        position = found
        line = text.count("\n", 0, found) + 1
    return line


# ---------------------------------------------------------------------------------------------
# Validation: every field checked, every error naming the field
# ---------------------------------------------------------------------------------------------


def parse_grid(mapping, *, source=None, locate=None):
    """Validate a grid mapping and return a ``Grid``.

    Parameters
    ----------
    mapping : dict
        The grid (see the module docstring for its fields).
    source : str, optional
        The file it came from, for the error messages.
    locate : callable, optional
        ``locate(field_path) -> line or None``, for the error messages.

    Returns
    -------
    Grid

    Examples
    --------
    >>> parse_grid({"n_samples": 100, "n_features": 2, "contamination": 0.1,
    ...             "estimators": ["no-such"]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    robustgan.simulate.grid.GridError: field 'estimators.0': unknown estimator 'no-such'; ...
    """
    def fail(field_path, problem):
        line = None if locate is None else locate(list(field_path))
        raise GridError(field_path, problem, source, line) from None

    if not isinstance(mapping, dict):
        fail(["<root>"], f"a grid is a table of fields, got {type(mapping).__name__}")
    for key in mapping:
        if key not in _FIELDS:
            fail([key], f"unknown field; the fields are {', '.join(_FIELDS)}")
    for key in ("n_samples", "n_features", "contamination", "estimators"):
        if key not in mapping:
            fail([key], "is required")
    grid = Grid(
        designs=_designs(mapping.get("designs", {"N(5·1, I)": {"shift": 5.0}}), fail),
        estimators=_estimators(mapping["estimators"], fail),
        n_samples=_values(mapping["n_samples"], "n_samples", _int_at_least(2), fail),
        n_features=_values(mapping["n_features"], "n_features", _int_at_least(1), fail),
        contamination=_values(mapping["contamination"], "contamination", _fraction, fail),
        seeds=_seeds(mapping.get("seeds", 1), fail),
        random_state=_root_seed(mapping.get("random_state", 0), fail),
        name=_text(mapping.get("name", "simulation"), "name", fail),
        description=_text(mapping.get("description", ""), "description", fail),
        metric=_metric(mapping.get("metric", "location"), fail),
    )
    _dry_run_designs(grid, fail)
    _check_estimators(grid, fail)
    return grid


def _int_at_least(low):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
            return f"must be an int >= {low}, got {value!r}"
        return None

    return check


def _fraction(value):
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= value < 0.5:
        return f"must be a number in [0, 0.5), got {value!r}"
    return None


def _values(value, key, check, fail):
    values = value if isinstance(value, list) else [value]
    if not values:
        fail([key], "must hold at least one value")
    for i, item in enumerate(values):
        problem = check(item)
        if problem:
            fail([key] if not isinstance(value, list) else [key, i], problem)
    if len(set(values)) != len(values):
        fail([key], f"has repeated values {values}")
    return [float(v) if key == "contamination" else int(v) for v in values]


def _seeds(value, fail):
    if isinstance(value, Integral) and not isinstance(value, bool):
        if value < 1:
            fail(["seeds"], f"a number of replicates must be >= 1, got {value}")
        return list(range(int(value)))
    return _values(value, "seeds", _int_at_least(0), fail)


def _root_seed(value, fail):
    problem = _int_at_least(0)(value)
    if problem:
        fail(["random_state"], problem)
    return int(value)


def _text(value, key, fail):
    if not isinstance(value, str):
        fail([key], f"must be a string, got {value!r}")
    return value


def _metric(value, fail):
    if value not in _METRICS:
        fail(["metric"], f"must be one of {_METRICS}, got {value!r}")
    return value


def _designs(value, fail):
    if isinstance(value, list):
        value = {name: name for name in value}
    if not isinstance(value, dict) or not value:
        fail(["designs"], "must be a non-empty table (label = keywords) or list of outlier names")
    designs = {}
    for label, kwargs in value.items():
        if isinstance(kwargs, str):
            kwargs = {"outliers": kwargs}
        if not isinstance(kwargs, dict):
            fail(["designs", label], f"must be an outlier name or a table, got {kwargs!r}")
        for key in kwargs:
            if key not in _DATA_KEYWORDS:
                fail(["designs", label, key],
                     f"not a make_huber_contamination keyword; use {', '.join(_DATA_KEYWORDS)}")
        if "scatter" in kwargs:
            _scatter_problem = _check_scatter_spec(kwargs["scatter"])
            if _scatter_problem:
                fail(["designs", label, "scatter"], _scatter_problem)
        designs[str(label)] = dict(kwargs)
    return designs


def _check_scatter_spec(spec):
    if spec == "identity" or (isinstance(spec, str) and _AR.fullmatch(spec)):
        return None
    return f"must be 'identity' or 'ar(ρ)' with |ρ| < 1, got {spec!r}"


_AR = re.compile(r"ar\(\s*(-?0?\.\d+|0)\s*\)")


def data_keywords(design_kwargs, n_features):
    """``make_huber_contamination`` keywords of a design, the named scatter made a matrix.

    Examples
    --------
    >>> data_keywords({"scatter": "ar(0.5)"}, 3)["scatter"]
    array([[1.  , 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 1.  ]])
    """
    kwargs = dict(design_kwargs)
    spec = kwargs.pop("scatter", "identity")
    if spec != "identity":
        rho = float(_AR.fullmatch(spec).group(1))
        lags = np.abs(np.subtract.outer(np.arange(n_features), np.arange(n_features)))
        kwargs["scatter"] = rho**lags
    return kwargs


def _dry_run_designs(grid, fail):
    # A tiny draw catches a bad outlier name or value now, not in the middle of a run.
    for label, kwargs in grid.designs.items():
        try:
            make_huber_contamination(
                20, min(grid.n_features), max(grid.contamination), random_state=0,
                **data_keywords(kwargs, min(grid.n_features)))
        except (TypeError, ValueError) as exc:
            fail(["designs", label], str(exc))


def _estimators(value, fail):
    if isinstance(value, list):
        entries = {}
        for i, name in enumerate(value):
            if not isinstance(name, str):
                fail(["estimators", i], f"must be an estimator name, got {name!r}")
            entries[name] = (name, {}, ["estimators", i])
    elif isinstance(value, dict) and value:
        entries = {}
        for label, spec in value.items():
            if isinstance(spec, str):
                spec = {"estimator": spec}
            if not isinstance(spec, dict) or "estimator" not in spec:
                fail(["estimators", label],
                     "must be an estimator name or a table with an 'estimator' key")
            params = {k: v for k, v in spec.items() if k != "estimator"}
            entries[str(label)] = (spec["estimator"], params, ["estimators", label])
    else:
        fail(["estimators"], "must be a non-empty list of names or table of label = spec")
    return {label: (name, params, where) for label, (name, params, where) in entries.items()}


def _check_estimators(grid, fail):
    checked = {}
    for label, (name, params, where) in grid.estimators.items():
        try:
            estimator = make_estimator(name, contamination=max(grid.contamination),
                                       random_state=0, **params)
            check_estimator_params(estimator)
        except (ValueError, TypeError) as exc:
            # scikit-learn names the parameter ("The 'n_steps' parameter of ..."), and the
            # divergence registry its own ("unknown divergence 'tvv'"): point at it.
            named = re.search(r"The '(\w+)' parameter|^(?:unknown )?(divergence) '", str(exc))
            named = named and re.match(r"\w+", named.group(1) or named.group(2))
            in_table = isinstance(where[-1], str) and named and named.group(0) in params
            fail(where + [named.group(0)] if in_table else where, str(exc))
        renamed = renamed_params(estimator)
        checked[label] = (name, _current_names(params, renamed, where, fail))
        if renamed:
            grid.identity_names[label] = {new: old for old, new in renamed.items()}
    grid.estimators = checked


def _current_names(params, renamed, where, fail):
    """``params`` with each renamed parameter under its new name; the old one warns."""
    for old, new in renamed.items():
        if old not in params:
            continue
        field_name = ".".join(str(part) for part in where + [old])
        if new in params:
            fail(where + [old], f"{old!r} is the deprecated name of {new!r}: give {new!r} only")
        warnings.warn(f"grid field '{field_name}': {old!r} was renamed to {new!r} and will be "
                      f"removed; it is read as {new!r}, with the same task ids and seeds",
                      FutureWarning, stacklevel=4)
        params = {new if key == old else key: value for key, value in params.items()}
    return params
