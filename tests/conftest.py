"""Shared fixtures: the real CLI in a subprocess, the PML publication built once per session."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PML = ROOT / "publications" / "pml" / "pml.md"
SEED = Path(__file__).resolve().parent / "fixtures" / "pml-fact-sheet.txt"


def pytest_configure(config: pytest.Config) -> None:
    """Every build of the session, in-process or in a subprocess, keeps its caches in a fresh folder of its own:
    nothing a previous run or the user's own builds cached is reused, and the user's cache folder is left alone."""
    folder = tempfile.mkdtemp(prefix="brochure-test-cache-")
    config.stash[_CACHE_KEY] = folder
    os.environ["BROCHURE_CACHE_DIR"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash.get(_CACHE_KEY, ""), ignore_errors=True)


_CACHE_KEY = pytest.StashKey[str]()


@dataclass
class Run:
    """What a command printed and returned."""

    code: int
    out: str
    err: str


def run_cli(*args: str | Path, cwd: Path = ROOT) -> Run:
    """Run `python -m brochure ARGS` as a user would, in a subprocess."""
    done = subprocess.run([sys.executable, "-m", "brochure", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def run_script(script: str, *args: str | Path) -> Run:
    """Run one of the entry-point scripts (build_pdf.py, build_epub.py)."""
    done = subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def normalise(text: str) -> str:
    """Text as compared for fidelity: hyphenation breaks undone, typographic quotes plain, spaces folded."""
    text = re.sub(r"\u2010\s*", "", text)  # the hyphenate-character at a line end
    text = text.replace("\u00ad", "").replace("\ufffe", "")
    text = re.sub("[\u2018\u2019]", "'", text)
    text = re.sub("[\u201c\u201d]", '"', text)
    return " ".join(text.split())


def seed_sentences() -> list[str]:
    """Every sentence of the seed fact sheet, web-page chrome ('On this page') and bullets dropped."""
    sentences = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("•").strip()
        if not line or line == "On this page":
            continue
        sentences += [part for part in re.split(r"(?<=[.?!])\s+", line) if part]
    return sentences


@pytest.fixture(scope="session")
def pml_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PML publication built once (download PDF and EPUB) by the real CLI."""
    outdir = tmp_path_factory.mktemp("pml")
    result = run_cli("build", PML, "-o", outdir)
    assert result.code == 0, result.err
    return outdir

@pytest.fixture(scope="session")
def make_sample():
    """tests/fixtures/press/make_sample.py as a module (tests/ is not a package): the PDF/X sample recipe."""
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "tests" / "fixtures" / "press" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def press_samples(make_sample, tmp_path_factory) -> dict[str, Path]:
    """The 8-page press sample rendered once, as files: `raw` (WeasyPrint's PDF/X-4), `good` (marks in K), `folder`."""
    return make_sample.write_samples(tmp_path_factory.mktemp("press"))

