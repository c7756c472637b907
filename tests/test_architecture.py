"""The layering that README's layout table describes, checked on the import graph.

Each module may import only from its own layer or the layers below it; the estimators and the
baselines are siblings that do not import each other; no private name (a leading underscore)
of one robustgan module is imported into another; the engine knows nothing of scikit-learn
estimators.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "robustgan"

# Lowest first. A module's layer is that of its longest listed prefix.
LAYERS = [
    ("infrastructure", ["robustgan._validation", "robustgan._threads", "robustgan.io_utils",
                        "robustgan.registry"]),
    ("data", ["robustgan.datasets", "robustgan.univariate", "robustgan.sources"]),
    ("shared statistics", ["robustgan.multivariate", "robustgan.outliers", "robustgan.clusters"]),
    ("engine", ["robustgan.divergences", "robustgan.nets", "robustgan.closed_form",
                "robustgan._step_graphs", "robustgan.engine", "robustgan.batched"]),
    ("estimators and baselines", ["robustgan.estimators", "robustgan.baselines"]),
    ("general GANs", ["robustgan.gan"]),
    ("on top", ["robustgan.simulate", "robustgan.study", "robustgan.cli", "robustgan.__main__",
                "robustgan"]),
]


def _module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _layer(module):
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    assert best is not None, f"{module} is in no layer of LAYERS"
    return best[0]


def _imports(module):
    """(imported module, imported names) for each robustgan import of ``module``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("robustgan"):
                continue
            names = [alias.name for alias in node.names]
            # ``from .. import nets`` imports a module, not a name of the package.
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found.extend((m, []) for m in submodules)
            rest = [n for n in names if f"{target}.{n}" not in MODULES]
            if rest:
                found.append((target, rest))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names
                         if alias.name.startswith("robustgan"))
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_from_a_higher_layer(module):
    own = _layer(module)
    for target, _ in _imports(module):
        if target == module:
            continue
        assert _layer(target) <= own, (
            f"{module} ({LAYERS[own][0]}) imports {target} ({LAYERS[_layer(target)][0]})")


def test_estimators_and_baselines_do_not_import_each_other():
    for module in MODULES:
        for target, _ in _imports(module):
            for a, b in [("estimators", "baselines"), ("baselines", "estimators")]:
                assert not (module.startswith(f"robustgan.{a}")
                            and target.startswith(f"robustgan.{b}")), f"{module} imports {target}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(module):
    for target, names in _imports(module):
        private = [n for n in names if n.startswith("_") and not n.endswith("__")]
        assert not private, f"{module} imports private {private} from {target}"


def test_the_engine_knows_no_estimator():
    for module in ["robustgan.engine", "robustgan.batched"]:
        text = MODULES[module].read_text()
        for name in ["_adversarial_problem", "_adversarial_result", "_validate_params",
                     "sklearn.base", "BaseEstimator"]:
            assert name not in text, f"{module} mentions {name}"
