"""The gallery's order: sections and, within each, the examples in reading order."""

SECTIONS = ["examples/real_data", "examples/estimation", "examples/gan"]

EXAMPLES = [
    # real data
    "plot_stackloss_ddplot.py",
    "plot_wine_outliers.py",
    "plot_digits_outliers.py",
    "plot_scaler_pipeline.py",
    # estimation under contamination
    "plot_breakdown.py",
    "plot_diagnostics.py",
    "plot_bootstrap_fit_many.py",
    "plot_contamination_study.py",
    # general GANs
    "plot_gan_ring.py",
    "plot_gan_digits.py",
]


def section_order(path):
    """``subsection_order``: the position of a section's folder in ``SECTIONS``."""
    path = str(path).replace("\\", "/")
    for position, section in enumerate(SECTIONS):
        if path.endswith(section):
            return position
    return len(SECTIONS)


class ExampleOrder:
    """``within_subsection_order``: the position in ``EXAMPLES``; unlisted files last, by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        position = EXAMPLES.index(filename) if filename in EXAMPLES else len(EXAMPLES)
        return position, filename

    def __repr__(self):
        return "<ExampleOrder>"
