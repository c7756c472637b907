"""The quick reproductions of the papers' tables and demo runs run and show the papers' ordering
(CI: ≈110 s)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_reproductions_run_and_hold_the_ordering(tmp_path):
    env = {**os.environ, "ROBUSTGAN_REPRO_RESULTS": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(REPO / "paper_repro" / "run_all.py"), "--quick", "--jobs", "2",
         "--no-progress"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("gao2019-table1-quick", "gao2020-scatter-quick", "gao2019-demo-gaussian-quick",
                 "gao2019-demo-cauchy-quick"):
        report = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
        assert "- ok:" in report and "FAIL" not in report
        if "demo" not in name:  # one cell: no axis varies, no plot
            assert (tmp_path / name / "plots" / "error_vs_contamination.png").is_file()
