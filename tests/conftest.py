"""Shared fixtures: the real CLI in a process of its own (forked from a pre-imported one), the PML publication built once per session, golden files."""
from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from brochure.assets import FONTS

ROOT = Path(__file__).resolve().parent.parent
PML = ROOT / "publications" / "pml" / "pml.md"
SEED = Path(__file__).resolve().parent / "fixtures" / "pml-fact-sheet.txt"

# A fontconfig that knows only the fonts in the folders it lists (for Chromium: the shipped files, under their own
# names, so that the pages it shows look the same on every machine, whatever fonts the machine has, or none).
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  {dirs}
  <cachedir>{cache}</cachedir>
  <alias><family>serif</family><prefer><family>Noto Serif</family></prefer></alias>
  <alias><family>sans-serif</family><prefer><family>Noto Sans</family></prefer></alias>
  <alias><family>monospace</family><prefer><family>Noto Sans Mono</family></prefer></alias>
</fontconfig>
"""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="write the golden files (the expected outputs kept in the repository) from this run instead of comparing with them")


def pytest_configure(config: pytest.Config) -> None:
    """Every build of the session, in-process or in a subprocess, keeps its caches in a fresh folder of its own:
    nothing a previous run or the user's own builds cached is reused, and the user's cache folder is left alone."""
    folder = tempfile.mkdtemp(prefix="brochure-test-cache-")
    config.stash[_CACHE_KEY] = folder
    os.environ["BROCHURE_CACHE_DIR"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    _Zygote.close_all()
    shutil.rmtree(config.stash.get(_CACHE_KEY, ""), ignore_errors=True)


_CACHE_KEY = pytest.StashKey[str]()


@dataclass
class Run:
    """What a command printed and returned."""

    code: int
    out: str
    err: str


def run_cli(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    """Run `python -m brochure ARGS` as a user would, in a process of its own: forked from the suite's pre-imported
    command line (tests/zygote.py) with this process's environment, or, given an environment of its own (another
    font configuration), a new interpreter."""
    if env is not None:
        done = subprocess.run([sys.executable, "-m", "brochure", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
        return Run(done.returncode, done.stdout, done.stderr)
    return _Zygote.run_one([str(arg) for arg in args], cwd, timeout)


class _Zygote:
    """A pre-imported command line (tests/zygote.py), serving one run at a time: runs from several threads at once
    (the racing-builds tests) each get one of their own, started at its first use and kept for the next."""

    idle: list[_Zygote] = []
    every: list[_Zygote] = []
    lock = threading.Lock()

    @classmethod
    def run_one(cls, args: list[str], cwd: Path, timeout: float) -> Run:
        with cls.lock:
            zygote = cls.idle.pop() if cls.idle else None
        if zygote is None or zygote.process.poll() is not None:
            zygote = cls()
            with cls.lock:
                cls.every.append(zygote)
        try:
            return zygote.run(args, cwd, timeout)
        finally:
            with cls.lock:
                cls.idle.append(zygote)

    @classmethod
    def close_all(cls) -> None:
        for zygote in cls.every:
            zygote.close()

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "zygote.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, bufsize=0, cwd=ROOT)  # unbuffered: select sees every reply
        self.scratch = Path(tempfile.mkdtemp(prefix="brochure-test-cli-"))

    def run(self, args: list[str], cwd: Path, timeout: float) -> Run:
        import json
        import select
        import signal

        out, err = self.scratch / "stdout", self.scratch / "stderr"
        request = {"args": args, "cwd": str(cwd), "stdout": str(out), "stderr": str(err), "env": dict(os.environ)}
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        pid = json.loads(self.process.stdout.readline())["pid"]
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            os.killpg(pid, signal.SIGKILL)
            self.process.stdout.readline()
            raise subprocess.TimeoutExpired(["brochure", *args], timeout)
        code = json.loads(self.process.stdout.readline())["code"]
        return Run(code, out.read_text(encoding="utf-8", errors="replace"), err.read_text(encoding="utf-8", errors="replace"))

    def close(self) -> None:
        self.process.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)


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


def machine_with_fonts(folder: Path, *font_folders: Path) -> dict[str, str]:
    """This process's environment, for a process that should see only the fonts in font_folders (FONTS_CONF, in folder)."""
    config = folder / "fonts.conf"
    dirs = "\n  ".join(f"<dir>{font_folder}</dir>" for font_folder in font_folders)
    config.write_text(FONTS_CONF.format(dirs=dirs, cache=folder / "cache"), encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(config)}


@pytest.fixture(scope="session")
def only_shipped_fonts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """This process's environment, with a fontconfig that sees no font but the shipped files."""
    return machine_with_fonts(tmp_path_factory.mktemp("fontconfig"), FONTS)


def shipped_fonts() -> dict:
    """What WeasyPrint's render() and write_pdf() take to set a test's own HTML in the shipped fonts the way the builder
    does (fonts.css and tokens.css through the builder's font configuration; the text in var(--serif)), not in
    whatever fonts the machine has."""
    import weasyprint

    from brochure.editions import pdf

    sheets = pdf._stylesheets(("fonts.css", "tokens.css"), pdf.SandboxFetcher(ROOT), {})
    sheets.append(weasyprint.CSS(string="html { font-family: var(--serif); }", font_config=pdf._font_config()))
    return {"stylesheets": sheets, "font_config": pdf._font_config()}


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


# ---------------------------------------------------------------------------------------------------- golden files


class Golden:
    """The golden files: expected outputs kept in the repository (the OPDS feed, the README's pictures).

    A test compares its output with one; a missing or different file is a failure. `pytest --update-golden`
    writes this run's output over them instead, when the change is meant. A run never writes them otherwise."""

    def __init__(self, update: bool, scratch: Path):
        self.update = update
        self.scratch = scratch

    def check_text(self, path: Path, text: str) -> None:
        if self._updated(path, text.encode("utf-8")):
            return
        assert text == path.read_text(encoding="utf-8"), f"{_name(path)} differs from this run's output: run `pytest --update-golden` if the change is meant"

    def check_png(self, path: Path, png: bytes, tolerance: float = 0.0) -> None:
        """Compare a picture: the same bytes, or (tolerance above 0) the same size with at most that fraction of its
        pixels visibly different. This run's picture is left in the test's tmp_path to look at."""
        if self._updated(path, png):
            return
        mine = self.scratch / path.name
        mine.write_bytes(png)
        if png == path.read_bytes():
            return
        different = _different_pixels(path.read_bytes(), png)
        assert different <= tolerance, (f"{_name(path)} differs from this run's picture {mine} ({different:.2%} of the pixels): "
                                        "run `pytest --update-golden` if the change is meant")

    def _updated(self, path: Path, data: bytes) -> bool:
        """With --update-golden, write the file (when it changed) and say so; without, fail if it is missing."""
        if self.update:
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
            return True
        assert path.is_file(), f"{_name(path)} is missing: run `pytest --update-golden` to write it"
        return False


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _different_pixels(expected: bytes, actual: bytes) -> float:
    """The fraction of pixels where a colour channel differs by more than 32 of 255 (1.0 for pictures of other sizes)."""
    from PIL import Image, ImageChops

    first, second = (Image.open(io.BytesIO(data)).convert("RGB") for data in (expected, actual))
    if first.size != second.size:
        return 1.0
    red, green, blue = ImageChops.difference(first, second).split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)  # per pixel, the channel that differs most
    return sum(largest.histogram()[33:]) / (first.width * first.height)


@pytest.fixture
def golden(request: pytest.FixtureRequest, tmp_path: Path) -> Golden:
    return Golden(request.config.getoption("--update-golden"), tmp_path)
