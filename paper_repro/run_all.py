"""Run every reproduction script in turn and report their wall times.

    python paper_repro/run_all.py --quick       # what CI runs (under 5 minutes on 2 cores)
"""

import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = ["gao2019_table1.py", "gao2020_scatter.py", "gao2019_demo.py"]


def main(argv):
    here = Path(__file__).resolve().parent
    status, total = 0, time.perf_counter()
    for script in SCRIPTS:
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(here / script), *argv])
        print(f"== {script}: exit {code}, {time.perf_counter() - start:.0f} s", flush=True)
        status = status or code
    print(f"== all: {time.perf_counter() - total:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
