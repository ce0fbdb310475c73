"""The README's commands exist and work as written."""
from __future__ import annotations

import re
import subprocess

import pytest

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_commands():
    assert "make        #" in README and "make test   #" in README


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"`make (\w+)`", README)) | {"test"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M), target


@pytest.mark.slow
def test_every_brochure_subcommand_in_the_readme_has_help():
    for command in set(re.findall(r"brochure (\w+) ", README)) - {"is"}:
        result = run_cli(command, "--help")
        assert result.code == 0, command


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_previews_in_the_readme_exist():
    for image in re.findall(r"\]\((docs/[\w.-]+\.png)\)", README):
        assert (ROOT / image).is_file(), image


def test_fonts_ship_with_their_licence():
    fonts = ROOT / "brochure" / "assets" / "styles" / "fonts"
    assert list(fonts.glob("*.ttf")) and "SIL Open Font License" in (fonts / "OFL.txt").read_text(encoding="utf-8")


def test_the_build_reads_no_shared_folder():
    needle = "../" + "shared"
    tracked = subprocess.run(["git", "grep", "-l", needle, "--", "brochure", "tests/*.py", "Makefile"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == ""


def test_previews_are_renders_of_the_current_pdf(pml_build, golden):
    """docs/cover.png and docs/inside-page.png are, byte for byte, what scripts/previews.py makes from today's PDF
    (`make previews` or `pytest --update-golden` writes them)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("previews", ROOT / "scripts" / "previews.py")
    previews = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previews)
    for name, png in previews.previews((pml_build / "pml.pdf").read_bytes()).items():
        golden.check_png(ROOT / "docs" / name, png)


@pytest.mark.slow
def test_make_lint_passes():
    """`make lint` (ruff on the code, tests and scripts; mypy on brochure/) is clean, as the README says it runs."""
    done = subprocess.run(["make", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
