"""Speed and memory of `brochure build` against pandoc, on the PML publication.

What it measures: wall time and peak resident memory (RSS) of each build, each
one a separate process started through the real command line, for the download
PDF, the EPUB and the print PDF; pandoc builds the same Markdown into an EPUB
and (with WeasyPrint as its PDF engine) a PDF. Peak RSS comes from os.wait4 on
that child alone (ru_maxrss, KiB on Linux); it covers the child and any process
it waited for (pandoc's weasyprint), as the largest of them, not their sum.
An "EPUB floor" row starts Python and imports the libraries the EPUB path must use
(Jinja2, PyYAML, Python-Markdown, ebooklib) and does nothing else: no build on those
libraries can be faster than that. It also times, in this process, importing brochure.press and imposing plus
preflighting the print PDF, against the print build's median.

Why medians: a shared machine has outliers (another job, a cold disk); the median
of N runs ignores a few of them where a mean would not. Why interleaving: our run
and pandoc's alternate (A B A B ...), so a slow spell lands on both sides alike
instead of on whichever happened to run then. Each command first runs once
untimed, so caches (page cache, .pyc, the cover and page map under .cache) are warm.
"""
from __future__ import annotations

import argparse
import json
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
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
TARGETS = {"download PDF": 1.0, "EPUB": 2.0, "EPUB floor": 2.0}  # ours/pandoc at most


def ours(fmt: str):
    return lambda out: ([str(PYTHON), "-m", "brochure", "build", str(SOURCE), "-o", str(out), "--format", fmt], None)


def pandoc(name: str, *extra: str, path_first: Path | None = None):
    def command(out: Path):
        env = None
        if path_first:
            env = dict(os.environ, PATH=f"{path_first}{os.pathsep}{os.environ.get('PATH', '')}")
        return ["pandoc", str(SOURCE), *extra, "-o", str(out / name)], env
    return command


# The least any Python EPUB builder on the required libraries can take: start Python and import them.
FLOOR_IMPORTS = "import jinja2, yaml, markdown, ebooklib.epub"


def floor(out: Path):
    return [str(PYTHON), "-c", FLOOR_IMPORTS], None


EDITIONS = [  # (edition, our command, pandoc's command or None)
    ("download PDF", ours("pdf"), pandoc("x.pdf", "--pdf-engine=weasyprint", path_first=VENV_BIN)),
    ("EPUB", ours("epub"), pandoc("x.epub")),
    ("EPUB floor", floor, pandoc("x.epub")),
    ("print PDF", ours("print"), None),
]


def run_once(make_command) -> tuple[float, int]:
    """Run one build in a fresh temp dir; return (wall seconds, peak RSS KiB) of that child."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        argv, env = make_command(Path(tmp))
        return run_child(argv, env)


def run_child(argv: list[str], env: dict | None = None) -> tuple[float, int]:
    """Run argv to completion: (wall seconds, peak RSS KiB of that child); a failure stops the benchmark."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            sys.exit(f"bench: {' '.join(argv)} exited {code}:\n" + err.read().decode(errors="replace")[-2000:])
        return seconds, usage.ru_maxrss


def time_print_pdf(runs: int) -> dict | str:
    """Seconds to import brochure.press (once), then impose_booklet and preflight (medians of runs), in-process."""
    try:
        start = time.perf_counter()
        import brochure.checks.preflight as preflight_mod
        import brochure.editions.press as press
        imported = time.perf_counter() - start
        impose, preflight = press.impose_booklet, preflight_mod.preflight
    except (ImportError, AttributeError) as exc:
        return f"not available ({type(exc).__name__}: {exc})"
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        argv, _ = ours("print")(Path(tmp))
        subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pdf = Path(tmp) / "pml-print.pdf"
        data, imposed, checked = pdf.read_bytes(), [], []
        for _ in range(runs):
            start = time.perf_counter()
            impose(data)
            imposed.append(time.perf_counter() - start)
            start = time.perf_counter()
            report = preflight(pdf)
            checked.append(time.perf_counter() - start)
    return {"import": imported, "impose": statistics.median(imposed), "preflight": statistics.median(checked),
            "preflight_passed": getattr(report, "passed", None)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here as JSON")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if shutil.which("pandoc") is None:
        sys.exit("bench: pandoc not found on PATH; it is the peer we compare against "
                 "(Debian: apt-get install pandoc). Not skipping.")
    if not (VENV_BIN / "weasyprint").exists():
        sys.exit(f"bench: {VENV_BIN / 'weasyprint'} missing; pandoc needs it as its PDF engine")
    version = subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    print(f"warming up: one untimed run of every command (EPUB cover and page map cache under {ROOT / '.cache'} now warm)")
    for _, mine, peer in EDITIONS:
        run_once(mine)
        if peer:
            run_once(peer)

    samples: dict[str, dict[str, list]] = {name: {"ours": [], "pandoc": []} for name, _, _ in EDITIONS}
    for i in range(args.runs):  # interleaved: ours, pandoc, ours, pandoc ...
        print(f"round {i + 1}/{args.runs}", flush=True)
        for name, mine, peer in EDITIONS:
            samples[name]["ours"].append(run_once(mine))
            if peer:
                samples[name]["pandoc"].append(run_once(peer))

    results: dict[str, dict] = {}
    for name, _, _ in EDITIONS:
        row: dict = {}
        for side, runs in samples[name].items():
            if runs:
                row[side] = {"seconds": [round(s, 4) for s, _ in runs], "rss_kib": [r for _, r in runs],
                             "median_seconds": statistics.median(s for s, _ in runs),
                             "median_rss_mib": statistics.median(r for _, r in runs) / 1024}
        if "pandoc" in row:
            row["ratio"] = row["ours"]["median_seconds"] / row["pandoc"]["median_seconds"]
            row["target"] = TARGETS[name]
            row["verdict"] = "PASS" if row["ratio"] <= TARGETS[name] else "MISS"
        results[name] = row

    print(f"\n{args.runs} timed runs each, medians; peer: {version}; EPUB cache warm\n")
    header = f"{'edition':<13} {'ours s':>7} {'pandoc s':>9} {'ratio':>6} {'target':>7} {'verdict':>7} {'ours MiB':>9} {'pandoc MiB':>11}"
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        mine = row["ours"]
        if "pandoc" in row:
            peer = row["pandoc"]
            print(f"{name:<13} {mine['median_seconds']:>7.2f} {peer['median_seconds']:>9.2f} {row['ratio']:>5.2f}x "
                  f"{'<=' + format(row['target'], '.1f') + 'x':>7} {row['verdict']:>7} "
                  f"{mine['median_rss_mib']:>9.1f} {peer['median_rss_mib']:>11.1f}")
        else:
            print(f"{name:<13} {mine['median_seconds']:>7.2f} {'-':>9} {'-':>6} {'-':>7} {'-':>7} "
                  f"{mine['median_rss_mib']:>9.1f} {'-':>11}   no peer: pandoc has no print edition")
    print("(pandoc's PDF RSS is the larger of pandoc and the weasyprint it runs)")
    print(f"(EPUB floor: `python -c '{FLOOR_IMPORTS}'`, no build at all: the least the required libraries cost)")

    press = time_print_pdf(args.runs)
    if isinstance(press, str):
        print(f"\nimposition: {press}")
    else:
        total = press["import"] + press["impose"] + press["preflight"]
        share = 100 * total / results["print PDF"]["ours"]["median_seconds"]
        press.update(total=total, percent_of_print_build=share)
        print(f"\nimposition: import brochure.press {press['import']:.3f}s + impose_booklet {press['impose']:.3f}s"
              f" + preflight {press['preflight']:.3f}s = {total:.3f}s = {share:.1f}% of the print PDF build"
              f" (target < 10%: {'PASS' if share < 10 else 'MISS'}; in-process, medians;"
              f" preflight passed: {press['preflight_passed']})")
    results["imposition"] = press

    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "pandoc": version, "results": results}, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
