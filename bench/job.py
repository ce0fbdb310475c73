"""The jobs users feel, against pandoc on two PATHs: the whole job, each edition, a one-word edit then a build, and
the first build after a fresh clone. Wall and CPU time of each run, medians of interleaved runs, the load printed.

    .venv/bin/python bench/job.py [--runs 7]

Peers. pandoc builds the same Markdown into an EPUB, and into a PDF with the same WeasyPrint as its engine. It runs
twice: on the machine's PATH, and on a PATH without gcc, cc or ld. The second is the honest peer: WeasyPrint, as
pandoc starts it, finds its libraries through ctypes.util.find_library, which starts gcc and ld subprocesses when
they are installed (~0.25 s) and not when they are not, while the builder never does (brochure/upstream.py,
section 1). Targets are ratios against the peer without gcc/ld, measured in the same run.

CPU time is the child's user + system time and that of everything it waited for (os.wait4), so pandoc's WeasyPrint
counts on its side, as the builder's worker processes count on ours. Each round runs every command once, ours and
the peers' alternating, so a slow spell on a shared machine lands on both sides alike.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "publications" / "pml" / "pml.md"
CONFIG = ROOT / "brochure.yaml"
BIN = ROOT / ".venv" / "bin"
PYTHON = BIN / "python"
WITHOUT = ("gcc", "cc", "ld", "ld.bfd", "ld.gold", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-ld")


def path_without_compilers(scratch: Path) -> str:
    """A PATH with every program of this one except gcc, cc and ld: links in one folder."""
    folder = scratch / "no-gcc-bin"
    folder.mkdir()
    for directory in reversed(os.environ.get("PATH", "").split(os.pathsep)):
        if not directory or not Path(directory).is_dir():
            continue
        for program in Path(directory).iterdir():
            if program.name not in WITHOUT and os.access(program, os.X_OK) and not program.is_dir():
                (folder / program.name).unlink(missing_ok=True)
                (folder / program.name).symlink_to(program)
    return str(folder)


def measure(argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """Run argv to completion: (wall seconds, CPU seconds of it and all it waited for); a failure stops the bench."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"bench: {' '.join(argv)} failed:\n{err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


class Bench:
    """The commands of one run, each a list of steps (argv, env) timed together, and the edit that precedes some."""

    def __init__(self, scratch: Path):
        assert " effective " in SOURCE.read_text(encoding="utf-8"), "the edit needs the word 'effective' in the PML text"
        self.scratch = scratch
        self.cache = scratch / "cache"
        self.publications = scratch / "pubs"
        (self.publications / "pml").mkdir(parents=True)
        shutil.copy(SOURCE, self.publications / "pml" / "pml.md")
        shutil.copy(CONFIG, self.publications / "brochure.yaml")
        self.source = self.publications / "pml" / "pml.md"
        self.original = self.source.read_text(encoding="utf-8")
        (scratch / "edited").mkdir()  # the edit loop's own copy: the other rows' caches stay warm
        shutil.copy(CONFIG, scratch / "edited" / "brochure.yaml")
        self.edited = scratch / "edited" / "pml.md"
        self.edited.write_text(self.original, encoding="utf-8")
        self.edits = 0
        self.env = dict(os.environ, BROCHURE_CACHE_DIR=str(self.cache))
        self.no_gcc = dict(os.environ, PATH=f"{BIN}{os.pathsep}{path_without_compilers(scratch)}")
        self.gcc = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    def out(self, name: str) -> Path:
        folder = self.scratch / "out" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def edit(self) -> None:
        """A one-word edit of the text, a new word each time (the readability line sees new text, as a writer's does)."""
        self.edits += 1
        self.edited.write_text(self.original.replace(" effective ", f" useful{self.edits} ", 1), encoding="utf-8")

    def ours(self, *args: str, cold: bool = False) -> list[tuple[list[str], dict[str, str]]]:
        env = dict(self.env, BROCHURE_CACHE_DIR=str(self.scratch / f"cold-{time.monotonic_ns()}")) if cold else self.env
        return [([str(PYTHON), "-m", "brochure", "build", *args], env)]

    def pandoc(self, *kinds: str, env: dict[str, str], source: Path | None = None) -> list[tuple[list[str], dict[str, str]]]:
        out = self.out("pandoc")
        steps = []
        for kind in kinds:
            extra = ["--pdf-engine=weasyprint"] if kind == "pdf" else []
            steps.append((["pandoc", str(source or self.source), *extra, "-o", str(out / f"x.{kind}")], env))
        return steps


def rows(bench: Bench) -> list[tuple[str, object, object, float | None]]:
    """(what, our steps, peer's kinds, target ratio against pandoc without gcc/ld)."""
    return [
        ("whole job (folder: download, print, booklet, EPUB, catalog)",
         lambda: bench.ours(str(bench.publications), "-o", str(bench.out("dist")), "--force"), ("epub", "pdf"), 1.25),
        ("download PDF", lambda: bench.ours(str(bench.source), "-o", str(bench.out("pdf")), "--format", "pdf"), ("pdf",), None),
        ("print PDF + booklet + ticket", lambda: bench.ours(str(bench.source), "-o", str(bench.out("print")), "--format", "print"), ("pdf",), None),
        ("EPUB, caches warm", lambda: bench.ours(str(bench.source), "-o", str(bench.out("epub")), "--format", "epub"), ("epub",), 2.5),
        ("one-word edit, then download PDF", lambda: (bench.edit(), bench.ours(str(bench.edited), "-o", str(bench.out("edit")), "--format", "pdf"))[1], ("pdf",), 1.2),
        ("first build after a clone (no cache): download PDF + EPUB",
         lambda: bench.ours(str(bench.source), "-o", str(bench.out("cold")), cold=True), ("epub", "pdf"), None),
        ("first EPUB with no cover yet", lambda: bench.ours(str(bench.source), "-o", str(bench.out("cold-epub")), "--format", "epub", cold=True), ("epub",), None),
    ]


def run_steps(steps) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall = cpu = 0.0
    for argv, env in steps:
        step_wall, step_cpu = measure(argv, env)
        wall, cpu = wall + step_wall, cpu + step_cpu
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        sys.exit("bench: pandoc not found (Debian: apt-get install pandoc); it is the peer. Not skipping.")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-job-") as tmp:
        bench = Bench(Path(tmp))
        table = rows(bench)
        samples: dict[str, dict[str, list[tuple[float, float]]]] = {name: {"ours": [], "gcc": [], "no-gcc": []} for name, *_ in table}
        for _name, ours, kinds, _ in table:  # warm: page cache, .pyc, our cache folder
            run_steps(ours())
            run_steps(bench.pandoc(*kinds, env=bench.gcc))  # type: ignore[misc]
        for round_number in range(args.runs):
            print(f"round {round_number + 1}/{args.runs}", flush=True)
            for name, ours, kinds, _ in table:
                samples[name]["ours"].append(run_steps(ours()))
                source = bench.edited if name.startswith("one-word") else None  # the peer builds the edited file too
                samples[name]["no-gcc"].append(run_steps(bench.pandoc(*kinds, env=bench.no_gcc, source=source)))  # type: ignore[misc]
                samples[name]["gcc"].append(run_steps(bench.pandoc(*kinds, env=bench.gcc, source=source)))  # type: ignore[misc]
    load_after = os.getloadavg()
    print(f"\nmedians of {args.runs} interleaved runs; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          f"({os.cpu_count()} cores); peer = pandoc {_pandoc_version()} with the same WeasyPrint\n")
    print(f"{'what':<58} {'ours wall/CPU s':>16} {'pandoc no-gcc':>14} {'pandoc gcc':>11} {'ratio':>6} {'target':>7}")
    for name, _, _kinds, target in table:
        mine, bare, full = (_median(samples[name][side]) for side in ("ours", "no-gcc", "gcc"))
        ratio = mine[0] / bare[0]
        verdict = "-" if target is None else f"<={target}x {'PASS' if ratio <= target else 'MISS'}"
        if name == "first EPUB with no cover yet":
            verdict = f"<=1.5 s {'PASS' if mine[0] <= 1.5 else 'MISS'}"
        print(f"{name:<58} {mine[0]:>7.2f}/{mine[1]:>5.2f}   {bare[0]:>6.2f}/{bare[1]:>5.2f} {full[0]:>5.2f}/{full[1]:>4.2f} "
              f"{ratio:>5.2f}x {verdict}")
    print("\n(ratio: our wall time over pandoc's without gcc/ld; peers: " + ", ".join(f"{name}: {'+'.join(kinds)}" for name, _, kinds, _ in table) + ")")
    return 0


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _pandoc_version() -> str:
    return subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.split("\n", 1)[0].split()[-1]


if __name__ == "__main__":
    sys.exit(main())
