"""A seeded, time-bounded fuzz of the command line in `make test`: corpus sources and brochure.yaml files under byte
and token mutations (tests/fuzzing.py), each built by the real CLI. Not one may crash, hang or print "error:" and
succeed. A failure names its case: `python tests/fuzzing.py --seed 2026 --only N DIR` builds it again."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_mutated_sources_and_configurations_never_crash_or_hang(tmp_path):
    import subprocess

    done = subprocess.run([sys.executable, str(ROOT / "tests" / "fuzzing.py"), "--seed", "2026", "--budget", "90", "--alarm", "45", str(tmp_path)],
                          capture_output=True, text=True, timeout=400, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ran"] >= 10, report  # fewer under a loaded suite: each case is a whole build
    assert report["failures"] == [], report
    assert report["exit_codes"]["0"] > 0 and report["exit_codes"]["2"] > 0  # mutations both survive and get refused
