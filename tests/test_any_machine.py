"""The editions do not depend on the machine: the same PDF bytes whatever fonts it has (none at all, here), and the
layout checks of the typography tests give the same answers under that empty font configuration."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import PML, ROOT

pytestmark = pytest.mark.slow  # two PML builds, and the typography checks in a pytest of their own

NO_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{empty}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


@pytest.fixture(scope="module")
def bare_machine(tmp_path_factory):
    """Environment variables that give fontconfig a machine with no fonts at all."""
    folder = tmp_path_factory.mktemp("no-fonts")
    (folder / "fonts").mkdir()
    config = folder / "fonts.conf"
    config.write_text(NO_FONTS.format(empty=folder / "fonts", cache=folder / "cache"), encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


def build(outdir, formats, env=None):
    done = subprocess.run([sys.executable, "-m", "brochure", "build", str(PML), "-o", str(outdir), "--format", formats, "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return outdir


def test_the_pdfs_are_the_same_bytes_on_a_machine_without_any_fonts(tmp_path, bare_machine):
    here = build(tmp_path / "here", "pdf,print")
    bare = build(tmp_path / "bare", "pdf,print", bare_machine)
    for name in ("pml.pdf", "pml-print.pdf"):
        assert (here / name).read_bytes() == (bare / name).read_bytes(), f"{name} differs without the machine's fonts"


def test_the_typography_checks_do_not_depend_on_the_machines_fonts(bare_machine):
    """The widow, orphan and measure tests, run again in a process that sees no system fonts."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           str(ROOT / "tests" / "test_typography.py"), "-k", "fault_when_the_rules_are_off or measure"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=bare_machine)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b3 passed", done.stdout), done.stdout[-500:]  # the checker test and both measure tests
