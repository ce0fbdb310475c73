"""Limits: peak memory and time per page of a 200-page synthetic publication against the 8-page PML brochure.

The synthetic source is the PML body repeated (each copy's headings numbered, so ids stay unique) until its
download PDF has about --pages pages. Each build is a separate process through the real command line; its
wall time and peak RSS (os.wait4's ru_maxrss, KiB on Linux) are measured, medians of --runs runs, our two
builds interleaved so a slow spell on a shared machine lands on both. One untimed warm-up run each first.

Targets (issue 6): peak RSS under 600 MiB; seconds per page at most 1.5 x the PML brochure's.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from pathlib import Path

from run import run_child  # bench/run.py: one timed child process, with its peak RSS

ROOT = Path(__file__).resolve().parent.parent
PML = ROOT / "publications" / "pml" / "pml.md"
PYTHON = ROOT / ".venv" / "bin" / "python"
RSS_TARGET_MIB = 600
RATIO_TARGET = 1.5


def build_pdf(source: Path) -> tuple[float, int, int]:
    """Build the download PDF of source in a fresh folder; return (wall seconds, peak RSS KiB, pages)."""
    import pikepdf

    with tempfile.TemporaryDirectory(prefix="limits-") as out:
        seconds, rss_kib = run_child([str(PYTHON), "-m", "brochure", "build", str(source), "-o", out, "--format", "pdf"])
        with pikepdf.open(Path(out) / f"{source.stem}.pdf") as pdf:
            return seconds, rss_kib, len(pdf.pages)


def synthetic_source(folder: Path, copies: int) -> Path:
    """The PML front matter, then its body `copies` times, headings numbered per copy."""
    text = PML.read_text(encoding="utf-8")
    end = text.index("\n---\n", 4) + 5
    front, body = text[:end].replace("id: pml", "id: synthetic"), text[end:]
    parts = []
    for copy in range(1, copies + 1):
        lines = [f"{line} ({copy})" if line.startswith("#") else line for line in body.split("\n")]
        parts.append("\n".join(lines))
    source = folder / "synthetic.md"
    source.write_text(front + "\n".join(parts), encoding="utf-8")
    return source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each build (default 3)")
    parser.add_argument("--pages", type=int, default=200, help="target page count of the synthetic publication (default 200)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="limits-src-") as tmp:
        folder = Path(tmp)
        _, _, pml_pages = build_pdf(PML)  # warm-up, and the brochure's page count
        copies = max(1, math.ceil(args.pages / pml_pages))
        for _ in range(3):  # calibrate: scale the copies by the pages the last guess gave (covers appear once)
            source = synthetic_source(folder, copies)
            _, _, pages = build_pdf(source)  # also the warm-up
            print(f"synthetic publication: the PML body x {copies} ({source.stat().st_size / 1000:.0f} kB) = {pages} pages", flush=True)
            if abs(pages - args.pages) <= args.pages * 0.05:
                break
            copies = max(1, round(copies * args.pages / pages))
        samples: dict[str, list[tuple[float, int, int]]] = {"PML": [], "synthetic": []}
        for run in range(args.runs):
            print(f"round {run + 1}/{args.runs}", flush=True)
            samples["PML"].append(build_pdf(PML))
            samples["synthetic"].append(build_pdf(source))
    rows = {}
    for name, runs in samples.items():
        pages = runs[0][2]
        seconds = statistics.median(s for s, _, _ in runs)
        rows[name] = {"pages": pages, "median_seconds": seconds, "seconds_per_page": seconds / pages,
                      "median_rss_mib": statistics.median(r for _, r, _ in runs) / 1024, "peak_rss_mib": max(r for _, r, _ in runs) / 1024,
                      "seconds": [round(s, 3) for s, _, _ in runs]}
    ratio = rows["synthetic"]["seconds_per_page"] / rows["PML"]["seconds_per_page"]
    rss = rows["synthetic"]["peak_rss_mib"]
    print(f"\ndownload PDF, {args.runs} timed runs each, medians\n")
    header = f"{'publication':<12} {'pages':>6} {'seconds':>8} {'s/page':>7} {'RSS MiB':>8} {'peak MiB':>9}"
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        print(f"{name:<12} {row['pages']:>6} {row['median_seconds']:>8.2f} {row['seconds_per_page']:>7.3f} "
              f"{row['median_rss_mib']:>8.1f} {row['peak_rss_mib']:>9.1f}")
    verdicts = {"rss": rss < RSS_TARGET_MIB, "time_per_page": ratio <= RATIO_TARGET}
    print(f"\npeak RSS {rss:.0f} MiB (target < {RSS_TARGET_MIB}): {'PASS' if verdicts['rss'] else 'MISS'}")
    print(f"time per page {ratio:.2f} x the PML brochure's (target <= {RATIO_TARGET}x): {'PASS' if verdicts['time_per_page'] else 'MISS'}")
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "copies": copies, "ratio": ratio, "verdicts": verdicts, "results": rows}, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
