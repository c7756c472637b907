"""Values read from the code at build time, so that the pages cannot fall behind it.

* ``.. value:: dotted.name`` shows a module constant (``OUTLIER_DESIGNS``, ``DIVERGENCES``, ...):
  a mapping's keys with ``:keys:``, anything else its ``repr``.
* ``:default:`robustgan.RobustGANMean.scale``` is the current default of a parameter of a
  class or function, as inline code (``"auto"``).
"""

import importlib
import inspect
import pprint

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


def _resolve(dotted):
    """The object at ``dotted``: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attribute in parts[i:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"cannot import any prefix of {dotted!r}")


class ValueDirective(SphinxDirective):
    required_arguments = 1
    option_spec = {"keys": directives.flag}

    def run(self):
        value = _resolve(self.arguments[0])
        if "keys" in self.options:
            value = sorted(value)
        text = pprint.pformat(value, width=90, compact=True, sort_dicts=False)
        block = nodes.literal_block(text, text)
        block["language"] = "python"
        return [block]


def default_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:default:`module.Class.parameter``` -> the parameter's default, as inline code."""
    owner, _, parameter = text.strip().rpartition(".")
    try:
        signature = inspect.signature(_resolve(owner))
        default = signature.parameters[parameter].default
    except (ImportError, AttributeError, KeyError, ValueError) as error:
        message = inliner.reporter.error(f"no default for {text!r}: {error}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    if default is inspect.Parameter.empty:
        message = inliner.reporter.error(f"{text!r} has no default", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    shown = f'"{default}"' if isinstance(default, str) else repr(default)
    return [nodes.literal(rawtext, shown)], []


def setup(app):
    app.add_directive("value", ValueDirective)
    app.add_role("default", default_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
