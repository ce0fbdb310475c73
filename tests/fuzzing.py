"""A seeded fuzzer of the real command line: mutated corpus sources and brochure.yaml files, each built by
`brochure.cli.main` in this one process (one import for hundreds of builds), each under an alarm.

    python tests/fuzzing.py --seed 2026 --budget 60 WORKDIR

prints one JSON object: how many cases ran, and every case that crashed (an exception out of main, an "internal
error" line, an exit status other than 0, 1 or 2), hung (past the alarm), or printed "error:" and exited 0.
The cases are a pure function of the seed: a failure is re-run with the same seed and --only N.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import signal
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
PUBLISHER = "publisher:\n  name: Example County Department of Public Health\n"
SMALL_SOURCE = "---\ntitle: Hand Washing\nlang: en\ndate: 2024-05-01\n---\n\n## Why\n\nClean hands stop germs.\n"

# Pieces of Markdown, HTML and YAML that parsers treat specially: what a token mutation inserts or repeats.
SOURCE_TOKENS = ["[", "](", "![x](", "<img src=", "<a ", "<!--", "-->", "<!-->", "<![CDATA[", "]]>", "```", "~~~",
                 "| --- |", "|", "[^1]", "[^1]:", "---", "***", "{#x}", "&amp;", "&#0;", "&#xD800;", "\\", "#", "##",
                 ">", "   - ", "1. ", "*", "_", "`", "<", ">", "\"", "'", ":", "\n", "\n\n", "\t", "\u00ad", "\u202e",
                 "<svg", "<style>", "javascript:", "file:///etc/passwd", "../", "%2e%2e/", "<math>", "<table>", "<td>"]
CONFIG_TOKENS = ["&a ", "*a", "[", "]", "{", "}", ": ", "- ", "!!python/object:os.system", "!!binary", "\t", "'", "\"",
                 "? ", "<<: ", "~", "null", "1e999", "-1", "0x10", "2024-02-30", "\\ud800", "\n", "  ", "#", "|", ">",
                 "publisher:", "brand:", "print:", "colour_cmyk: [", "address:", "url: ", "javascript:alert(1)"]
INTERESTING_BYTES = [b"\x00", b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\r", b"\x1b", b"\xc3", b"\n---\n"]
REPEATS = (2, 10, 200, 2000)


def mutate(data: bytes, tokens: list[str], rng: random.Random) -> bytes:
    """One to three byte or token mutations of data."""
    for _ in range(rng.randint(1, 3)):
        position = rng.randrange(len(data) + 1)
        kind = rng.choice(("flip", "byte", "delete", "duplicate", "token", "repeat"))
        if kind == "flip" and data:
            index = rng.randrange(len(data))
            data = data[:index] + bytes([data[index] ^ (1 << rng.randrange(8))]) + data[index + 1:]
        elif kind == "byte":
            data = data[:position] + rng.choice(INTERESTING_BYTES) + data[position:]
        elif kind == "delete":
            data = data[:position] + data[position + rng.randint(1, 200):]
        elif kind == "duplicate":
            span = data[position:position + rng.randint(1, 400)]
            data = data[:position] + span * rng.choice(REPEATS[:3]) + data[position:]
        elif kind == "token":
            data = data[:position] + rng.choice(tokens).encode() + data[position:]
        else:
            data = data[:position] + rng.choice(tokens).encode() * rng.choice(REPEATS) + data[position:]
    return data


def cases(seed: int, work: Path) -> list[tuple[str, list[str]]]:
    """(name, CLI arguments) of every case, the folders they build written under work/."""
    rng = random.Random(seed)
    sources = sorted(CORPUS.glob("*/*.md"))
    config = (CORPUS / "brochure.yaml").read_bytes()
    made = []
    for number in range(400):  # more than any budget runs: the budget decides how many are tried
        folder = work / f"case{number:03d}"
        folder.mkdir(parents=True)
        if number % 3 == 2:  # a mutated configuration beside a small source
            (folder / "brochure.yaml").write_bytes(mutate(config, CONFIG_TOKENS, rng))
            (folder / "hands.md").write_text(SMALL_SOURCE, encoding="utf-8")
            formats = ["--format", rng.choice(("epub", "print"))]
            made.append((f"case{number:03d} config", ["build", str(folder / "hands.md"), "-o", str(folder / "out"), *formats]))
        else:  # a mutated corpus source with its images
            original = rng.choice(sources)
            for sibling in original.parent.iterdir():
                if sibling.is_file() and sibling.suffix != ".md":
                    (folder / sibling.name).write_bytes(sibling.read_bytes())
            (folder / "brochure.yaml").write_text(PUBLISHER, encoding="utf-8")
            (folder / original.name).write_bytes(mutate(original.read_bytes(), SOURCE_TOKENS, rng))
            formats = ["--format", "pdf", "--format", "epub"] + (["--format", "print"] if number % 4 == 0 else [])
            made.append((f"case{number:03d} {original.parent.name}", ["build", str(folder / original.name), "-o", str(folder / "out"), *formats]))
    return made


class Hang(BaseException):
    """A case passed its alarm."""


def _alarm(_signum, _frame):  # type: ignore[no-untyped-def]
    raise Hang


def run_case(arguments: list[str], alarm_s: int) -> tuple[str, int | None, str]:
    """Run one CLI invocation in this process: (verdict, exit status, last stderr line)."""
    from brochure import cli

    stderr = io.StringIO()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(alarm_s)
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["-q", *arguments])
    except Hang:
        return "hang", None, ""
    except BaseException as err:  # noqa: BLE001 - anything else out of main is a crash, SystemExit included
        return "crash", None, f"{type(err).__name__}: {err}"
    finally:
        signal.alarm(0)
    text = stderr.getvalue()
    last = text.strip().splitlines()[-1] if text.strip() else ""
    if "internal error" in text or "Traceback" in text or code not in (0, 1, 2):
        return "crash", code, last
    if code == 0 and "error:" in text:
        return "error-but-0", code, last
    return "ok", code, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of cases to run")
    parser.add_argument("--alarm", type=int, default=30, help="seconds one case may take")
    parser.add_argument("--only", type=int, help="run only this case number")
    args = parser.parse_args(argv)
    made = cases(args.seed, args.work)
    started = time.monotonic()
    ran, codes, failures = 0, {0: 0, 1: 0, 2: 0}, []
    for number, (name, arguments) in enumerate(made):
        if args.only is not None and number != args.only:
            continue
        if args.only is None and time.monotonic() - started > args.budget:
            break
        verdict, code, last = run_case(arguments, args.alarm)
        ran += 1
        if code in codes:
            codes[code] += 1
        if verdict != "ok":
            failures.append({"case": name, "verdict": verdict, "code": code, "stderr": last})
    print(json.dumps({"seed": args.seed, "ran": ran, "exit_codes": codes, "failures": failures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
