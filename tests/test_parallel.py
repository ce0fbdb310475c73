"""The print edition is laid out in a forked child beside the download PDF and the EPUB (brochure/parallel.py): the
outputs are the bytes a one-after-another build makes, and an error in the child reaches the user whole."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from brochure import parallel
from brochure.errors import Location, SourceError
from conftest import PML, ROOT, run_cli


@pytest.mark.slow
def test_editions_laid_out_side_by_side_are_the_bytes_of_one_after_another(tmp_path):
    assert run_cli("build", PML, "-o", tmp_path / "side", "--format", "pdf,epub,print").code == 0
    one_after_another = ("import sys, brochure.parallel as p; p.forbid(); from brochure.cli import main; "
                         f"sys.exit(main(['build', {str(PML)!r}, '-o', {str(tmp_path / 'one')!r}, '--format', 'pdf,epub,print']))")
    done = subprocess.run([sys.executable, "-c", one_after_another], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    side = sorted(p.name for p in (tmp_path / "side").iterdir())
    assert side == sorted(p.name for p in (tmp_path / "one").iterdir()) and len(side) == 7  # 3 PDFs of print, ticket, JDF
    for name in side:
        assert (tmp_path / "side" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


def test_an_error_in_the_child_keeps_its_location():
    def fails():
        raise SourceError("image 'x.png' not found", Location(Path("pml.md"), 12))

    wait = parallel.start(fails)
    with pytest.raises(SourceError) as caught:
        wait()
    assert str(caught.value) == "pml.md:12: image 'x.png' not found"


def test_a_result_comes_back_from_the_child():
    assert parallel.start(lambda: (os.getpid(), b"x" * 3_000_000))()[1] == b"x" * 3_000_000
    assert parallel.start(os.getpid)() != os.getpid()  # it did run elsewhere (this machine has two cores or more)
