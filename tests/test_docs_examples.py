"""The documentation's promises that can be checked without building it (docs/).

The build itself (``python -m sphinx -W --keep-going -b html docs docs/_build/html``) runs every
gallery example; these tests keep the API reference complete, the gallery's size and the
decision table's numbers honest, in the time of a unit test.
"""

import ast
import importlib
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
EXAMPLES = DOCS / "examples"

# The modules whose every public name (``__all__``) the API reference documents.
PUBLIC_MODULES = [
    "robustgan",
    "robustgan.baselines",
    "robustgan.datasets",
    "robustgan.divergences",
    "robustgan.gan",
    "robustgan.gan.losses",
    "robustgan.gan.metrics",
    "robustgan.simulate",
    "robustgan.univariate",
    "robustgan.multivariate",
    "robustgan.clusters",
    "robustgan.outliers",
    "robustgan.registry",
    "robustgan.io_utils",
    "robustgan.sources",
]
REAL_DATA = re.compile(r"\b(load_wine|load_digits|stackloss|load_breast_cancer|load_diabetes)\b")

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="no docs/ folder in this checkout")


def _resolve(dotted):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attribute in parts[i:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


def _documented():
    """(objects documented by autosummary, module names documented, (module, name) data)."""
    objects, modules, data = [], set(), set()
    for page in sorted((DOCS / "api").glob("*.rst")):
        current, in_summary = None, False
        for line in page.read_text(encoding="utf-8").splitlines():
            directive = re.match(r"\.\. (currentmodule|automodule|module|data)::\s*(\S+)", line)
            if directive:
                kind, target = directive.groups()
                in_summary = False
                if kind in ("automodule", "module"):
                    modules.add(target)
                if kind == "data":
                    data.add((current, target))
                else:
                    current = target if kind != "automodule" or current is None else current
                    if kind in ("currentmodule", "module"):
                        current = target
                continue
            if line.startswith(".. autosummary::"):
                in_summary = True
                continue
            if in_summary:
                entry = line.strip()
                if not entry or entry.startswith(":"):
                    continue
                if not line.startswith("   "):
                    in_summary = False
                    continue
                entry = entry.lstrip("~")
                obj = _resolve(f"{current}.{entry}") if current else None
                obj = obj if obj is not None else _resolve(entry)
                assert obj is not None, f"{page.name}: autosummary entry {entry!r} does not import"
                objects.append(obj)
    return objects, modules, data


def test_every_public_name_is_in_the_api_reference():
    objects, modules, data = _documented()
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type(sys)):
                ok = obj.__name__ in modules
            elif callable(obj):
                ok = any(obj is documented for documented in objects)
            else:  # a constant: a ``.. data::`` entry under its module
                ok = (module_name, name) in data
            if not ok:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public names missing from docs/api/*.rst: {missing}"


def _examples():
    return sorted(EXAMPLES.rglob("plot_*.py"))


def test_the_gallery_has_at_least_eight_examples_three_on_real_data():
    examples = _examples()
    real = [p.name for p in examples if REAL_DATA.search(p.read_text(encoding="utf-8"))]
    assert len(examples) >= 8, [p.name for p in examples]
    assert len(real) >= 3, real


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_each_example_parses_has_a_title_and_names_its_size(path):
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring, "sphinx-gallery needs a module docstring with a title"
    title, underline = docstring.splitlines()[:2]
    assert title and set(underline) == {"="} and len(underline) >= len(title)
    assert "Size" in docstring, "each example names its size (and the full-size setting)"


def test_the_gallery_order_lists_every_example():
    sys.path.insert(0, str(DOCS / "sphinxext"))
    try:
        from gallery_order import EXAMPLES as ORDER, SECTIONS
    finally:
        sys.path.remove(str(DOCS / "sphinxext"))
    assert sorted(ORDER) == sorted(p.name for p in _examples())
    assert sorted(SECTIONS) == sorted(f"examples/{p.name}" for p in EXAMPLES.iterdir()
                                      if p.is_dir() and not p.name.startswith(("_", ".")))


def _numbers(text):
    return set(re.findall(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])", text))


def test_the_decision_table_quotes_only_numbers_measured_in_results():
    page = (DOCS / "user_guide" / "choosing.rst").read_text(encoding="utf-8")
    table = page[page.index(".. list-table::"):page.index("Reading the table")]
    options = re.compile(r"^   :[a-z-]+:")  # the directive's own options (:widths: ...)
    table = "\n".join(line for line in table.splitlines() if not options.match(line))
    results = _numbers((REPO / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8"))
    # The settings' sizes (n, p, numbers of fits) are checked too: RESULTS.md states them.
    quoted = _numbers(table)
    unknown = sorted(q for q in quoted if q not in results)
    assert not unknown, f"numbers in the decision table that RESULTS.md does not contain: {unknown}"
