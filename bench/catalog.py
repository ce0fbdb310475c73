"""Speed of `brochure build publications/` on a synthetic catalog of 50 publications made from the PML text.

What it measures, each a separate process through the real command line, all editions (download PDF, print
PDF with booklet and job ticket, EPUB) plus the catalog page and OPDS feed:

- cold build with -j 1 and with all cores (an empty output folder each time);
- no-change rebuild (every publication current: fingerprints only, no layout engine);
- one-changed rebuild (one source edited, so one publication is rebuilt and the catalog rewritten);
- the single-publication build (`brochure build ONE.md`, the same editions) that the one-changed rebuild is
  compared with.

The catalog lives in a temporary folder: publications/pml-001 ... pml-050, each the PML sheet with its own
title and id, and the project's brochure.yaml. Medians of --runs runs (3 by default); all ratios come from the
same run. "Cold" means an empty output folder; the cover cache under .cache/ is warm after the first build,
as in bench/run.py. The machine may be shared and noisy: read the medians, not one sample.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PML = ROOT / "publications" / "pml" / "pml.md"
PYTHON = ROOT / ".venv" / "bin" / "python"
TARGET_NO_CHANGE_S = 0.5
TARGET_ONE_CHANGED_RATIO = 1.3
TARGET_PARALLEL_SPEED_UP = 1.6


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def make_catalog(root: Path, count: int) -> Path:
    """root/publications/pml-NNN/pml-NNN.md: the PML sheet with a title and id of its own; returns the folder."""
    text = PML.read_text(encoding="utf-8")
    folder = root / "publications"
    for number in range(1, count + 1):
        slug = f"pml-{number:03d}"
        own = text.replace("\nid: pml\n", f"\nid: {slug}\n", 1)
        own = own.replace("\ntitle: Progressive Multifocal Leukoencephalopathy\n",
                          f"\ntitle: Progressive Multifocal Leukoencephalopathy, sheet {number}\n", 1)
        assert own != text, "the PML front matter changed: update make_catalog"
        (folder / slug).mkdir(parents=True)
        (folder / slug / f"{slug}.md").write_text(own, encoding="utf-8")
    shutil.copy(ROOT / "brochure.yaml", root / "brochure.yaml")
    return folder


CPU_SECONDS: dict[str, list[float]] = {}  # user + system seconds of each build and its workers, beside the wall time


def timed(*args: str | Path, kind: str = "") -> float:
    """Wall seconds of one `python -m brochure -q ARGS` (its CPU seconds go to CPU_SECONDS[kind]); a failure stops the benchmark."""
    argv = [str(PYTHON), "-m", "brochure", "-q", *map(str, args)]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, check=False, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    CPU_SECONDS.setdefault(kind, []).append(cpu)
    return seconds


def measure(root: Path, folder: Path, runs: int) -> dict[str, list[float]]:
    """Samples (seconds) of each kind of build, taken in rounds so a slow spell touches every kind alike."""
    dist = root / "dist"
    all_cores = cores()
    first = next(iter(sorted(folder.glob("*/*.md"))))
    samples: dict[str, list[float]] = {"cold -j 1": [], f"cold -j {all_cores}": [], "no-change rebuild": [],
                                       "one-changed rebuild": [], "single publication": []}
    timed("build", first, "-o", root / "single", "--format", "pdf,epub,print")  # warm .pyc and the cover cache
    for round_number in range(1, runs + 1):
        print(f"round {round_number}/{runs}", flush=True)
        for jobs in (1, all_cores):
            shutil.rmtree(dist, ignore_errors=True)
            samples[f"cold -j {jobs}"].append(timed("build", folder, "-o", dist, "-j", jobs, kind=f"cold -j {jobs}"))
        samples["no-change rebuild"].append(timed("build", folder, "-o", dist, kind="no-change rebuild"))
        changed = folder / "pml-025" / "pml-025.md" if (folder / "pml-025").is_dir() else first
        changed.write_text(changed.read_text(encoding="utf-8") + f"\nEdited in round {round_number}.\n", encoding="utf-8")
        samples["one-changed rebuild"].append(timed("build", folder, "-o", dist, kind="one-changed rebuild"))
        samples["single publication"].append(timed("build", first, "-o", root / "single", "--format", "pdf,epub,print", kind="single publication"))
    return samples


def verdicts(medians: dict[str, float]) -> list[tuple[str, float, str, bool]]:
    """(what, value, target, met) for the three targets, from one run's medians."""
    cold_one, cold_all = medians["cold -j 1"], medians[f"cold -j {cores()}"]
    speed_up = cold_one / cold_all
    ratio = medians["one-changed rebuild"] / medians["single publication"]
    return [
        ("no-change rebuild", medians["no-change rebuild"], f"< {TARGET_NO_CHANGE_S} s", medians["no-change rebuild"] < TARGET_NO_CHANGE_S),
        ("one-changed / single", ratio, f"<= {TARGET_ONE_CHANGED_RATIO}x", ratio <= TARGET_ONE_CHANGED_RATIO),
        (f"cold -j 1 / cold -j {cores()}", speed_up, f">= {TARGET_PARALLEL_SPEED_UP}x on 2 cores", speed_up >= TARGET_PARALLEL_SPEED_UP),
    ]


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="publications in the synthetic catalog (default 50)")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here as JSON")
    args = parser.parse_args()
    if args.count < 1 or args.runs < 1:
        parser.error("--count and --runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        folder = make_catalog(Path(tmp), args.count)
        print(f"catalog of {args.count} publications in {tmp}; {cores()} cores; {args.runs} rounds; load {_load()}", flush=True)
        samples = measure(Path(tmp), folder, args.runs)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    cpu = {name: statistics.median(values) for name, values in CPU_SECONDS.items() if name}
    print(f"\nload average at the end: {_load()} (on {cores()} cores: above {cores()} the machine was shared)")
    print(f"\n{'build':<22} {'median s':>9} {'min s':>8} {'CPU s':>8}   wall samples")
    for name, values in samples.items():
        print(f"{name:<22} {medians[name]:>9.3f} {min(values):>8.3f} {cpu[name]:>8.2f}   {' '.join(f'{v:.3f}' for v in values)}")
    print()
    results = verdicts(medians)
    for what, value, target, met in results:
        print(f"{what:<22} {value:>9.3f}   target {target}: {'PASS' if met else 'MISS'}")
    fastest = {name: min(values) for name, values in samples.items()}
    print("\nthe same from the fastest sample of each (closest to an unshared machine; the targets are judged on medians):")
    for what, value, target, _ in verdicts(fastest):
        print(f"{what:<22} {value:>9.3f}   target {target}")
    estimate = cores() * cpu["cold -j 1"] / cpu[f"cold -j {cores()}"]
    print(f"\nall-cores speed-up an idle machine would give, from CPU seconds ({cores()} x CPU(-j 1) / CPU(-j {cores()})): {estimate:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"count": args.count, "runs": args.runs, "cores": cores(), "samples": samples,
                                         "medians": medians, "cpu_medians": cpu, "verdicts": [list(r) for r in results]}, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
