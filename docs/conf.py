"""Sphinx configuration of robustgan's documentation.

Build (from the repository root; warnings are errors, as in CI):

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Every gallery example (``docs/examples/plot_*.py``) runs on every build and its figures are
embedded; an example that raises fails the build.
"""

import importlib.util
import os
import re
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
# The package itself: installed (pip install -e ".[docs]"), or importable from the checkout.
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS / "sphinxext"))

# The gallery runs on small shared CPUs: one thread per library (OpenMP, BLAS, torch) keeps
# each example's time predictable and leaves the other core to the next job.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import robustgan  # noqa: E402

project = "robustgan"
author = "the robustgan authors"
copyright = "the robustgan authors, BSD-3-Clause"
version = release = robustgan.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "robustgan_values",  # docs/sphinxext: constants' values at build time
]
# MathJax served from the build itself when the docs extra installed sphinx-mathjax-offline (the
# pages' formulas then render without a network, as in CI's screenshots); from its CDN otherwise.
if importlib.util.find_spec("sphinx-mathjax-offline") is not None:
    extensions.append("sphinx-mathjax-offline")

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "examples", "auto_examples/**.ipynb",
                    "auto_examples/**.py", "auto_examples/**.zip", "auto_examples/**.md5",
                    "auto_examples/**.json", "sphinxext"]
root_doc = "index"
language = "en"

# --- autodoc / autosummary / numpydoc --------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_inherit_docstrings = True
# numpydoc's own "Methods"/"Attributes" member tables would duplicate autodoc's members (the
# class template lists them) and need a stub page per member.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# The module docstrings of robustgan.divergences and robustgan.gan.losses list References
# ([1], [2], ...) that their text never cites; Sphinx reports each such citation. The list is
# still worth showing, so these reports are not errors.
suppress_warnings = ["ref.citation"]


def _escape_shape_names(app, what, name, obj, options, lines):
    """Render ``(n_features_in_,)`` in a type as code, not as a reST link target.

    Several docstrings write ``feature_names_in_ : ndarray of shape (n_features_in_,)``;
    reST reads the trailing underscore of ``n_features_in_`` as a reference to an undefined
    target (scikit-learn writes it between backquotes). Remove this hook once the docstrings do.
    """
    for i, line in enumerate(lines):
        lines[i] = line.replace("(n_features_in_,)", "(``n_features_in_``,)")


# Module docstrings whose reST tables do not parse. robustgan.divergences writes |u − 1| and |t|
# in a simple table, which reST reads as substitutions: the bars are escaped. robustgan.gan.losses
# has a row wider than its column: its table is rebuilt as a list-table, the cells split at runs
# of two or more spaces (none of its cells holds one).
_TABLE_BORDER = re.compile(r"^=+( +=+)+\s*$")
_ESCAPE_BARS = {"robustgan.divergences"}
_REBUILT_TABLES = {"robustgan.gan.losses"}


def _simple_tables(lines):
    """Yield (index, line, inside) for each line; ``inside`` marks a simple table's lines."""
    borders = 0
    for i, line in enumerate(lines):
        is_border = bool(_TABLE_BORDER.match(line))
        if is_border:
            borders = (borders + 1) % 3
        yield i, line, is_border or borders > 0


def _list_table(rows):
    """reST list-table lines for ``rows`` (lists of cell texts), the first row the header."""
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        out += [f"   {'*' if i == 0 else ' '} - {cell}" for i, cell in enumerate(row)]
    return out + [""]


def _fix_module_tables(app, what, name, obj, options, lines):
    if what != "module":
        return
    if name in _ESCAPE_BARS:
        for i, line, inside in list(_simple_tables(lines)):
            if inside:
                lines[i] = re.sub(r"(?<!\\)\|", r"\\|", line)
    elif name in _REBUILT_TABLES:
        out, rows = [], []
        for _, line, inside in _simple_tables(lines):
            if not inside:
                if rows:
                    out += _list_table(rows)
                    rows = []
                out.append(line)
            elif not _TABLE_BORDER.match(line) and line.strip():
                rows.append(re.split(r"\s{2,}", line.strip()))
        if rows:
            out += _list_table(rows)
        lines[:] = out


# A citation whose text starts with an initial on a single line (".. [2] S. Nowozin, ...")
# reads in reST as an enumerated list item "S."; its label then overprints the text. Escaping
# the period keeps it a sentence.
_CITATION_INITIAL = re.compile(r"^(\s*\.\. \[[^\]]+\]\s+)([A-Z])\.(\s)")


def _escape_citation_initials(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        lines[i] = _CITATION_INITIAL.sub(r"\1\2\\.\3", line)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_shape_names)
    app.connect("autodoc-process-docstring", _escape_citation_initials)
    app.connect("autodoc-process-docstring", _fix_module_tables)

# --- sphinx-gallery ---------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",  # run every example on every build, ...
    "run_stale_examples": True,  # ... also those whose source is unchanged since the last one
    "subsection_order": "gallery_order.section_order",  # docs/sphinxext/gallery_order.py
    "within_subsection_order": "gallery_order.ExampleOrder",
    "doc_module": ("robustgan",),
    "reference_url": {"robustgan": None},  # links from the examples' code to the API pages
    "backreferences_dir": "api/generated/backreferences",  # the API pages' mini-galleries
    "abort_on_example_error": False,  # report every failing example, then fail the build
    "remove_config_comments": True,
    "min_reported_time": 0,
    "download_all_examples": False,
}

# --- matplotlib plot directive (the user guide's pictures) -----------------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.dpi": 110, "savefig.bbox": "tight"}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"

# --- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"robustgan {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# The examples' code and output, and the decision table, need the width: no left navigation on
# those pages (the gallery's index and each section's thumbnails navigate).
html_sidebars = {"index": [], "auto_examples/**": [], "user_guide/choosing": []}
# "decision_function()" in a page's table of contents, not "RobustGANMean.decision_function()".
toc_object_entries_show_parents = "hide"
html_show_sourcelink = True
html_last_updated_fmt = None

# Matplotlib's Agg backend cannot show figures; the gallery's scraper collects them instead.
warnings.filterwarnings("ignore", message="FigureCanvasAgg is non-interactive")
