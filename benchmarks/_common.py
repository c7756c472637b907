"""What every benchmark script shares: timing, atomic JSON output, markdown tables."""

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from robustgan.io_utils import atomic_open

RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn, *args, **kwargs):
    """``(result, wall seconds)`` of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def machine():
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def write_json(name, payload, path=None):
    """Write ``results/<name>.json`` (or ``path``, its folder created) atomically: a killed run
    never leaves half a file."""
    target = RESULTS / f"{name}.json" if path is None else Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(target, encoding="utf-8") as handle:
        json.dump({"machine": machine(), **payload}, handle, indent=1, default=float)
    return target


def status_bytes(field):
    """A field of this process's /proc/self/status in bytes: "VmRSS" (resident now) or
    "VmHWM" (the peak since the last ``reset_peak_rss``). Linux only."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak_rss():
    """Reset the kernel's high-water mark of this process's RSS (writing 5 to clear_refs,
    Linux ≥ 4.0), so that a peak read after a fit is the fit's, not the imports'; False where
    it cannot."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def distinct_warnings(caught):
    """The warnings a fit raised (``warnings.catch_warnings(record=True)``), each once, as
    "Category: first 150 characters of the message", in the order first seen."""
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message)[:150]}"
        if text not in seen:
            seen.append(text)
    return seen


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}"
    return str(value)
