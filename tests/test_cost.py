"""Bounded cost: any source within the limits builds every edition, or fails with one located line, in at most 30 s of
CPU and 1 GiB of memory, however it is shaped.

Each shape below once took minutes (issue 18): it is built through the real CLI under a CPU limit set in the test
(RLIMIT_CPU: the kernel kills a build past it, so the test fails), its peak memory read back from the kernel (wait4).
The limits are brochure/source/limits.py's and brochure/sandbox.py's; a shape just inside a limit builds, one past it
is refused with the limit's message at its line.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from brochure.sandbox import MAX_SVG_ELEMENTS
from brochure.source import limits
from conftest import ROOT

FRONT = "---\ntitle: Cost\nlang: en\ndate: 2024-01-01\n---\n\n"  # the body starts on line 7
CPU_SECONDS = 30
MAX_RSS_MIB = 1024
ALL_EDITIONS = "pdf,epub,print"


@dataclass
class Limited:
    """What a build under the limits printed and returned, with the CPU seconds and peak memory it took."""

    code: int
    err: str
    cpu_seconds: float
    rss_mib: float


def _limit_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))


def build_limited(source: Path, outdir: Path, formats: str = ALL_EDITIONS) -> Limited:
    """`python -m brochure build` in a subprocess with at most CPU_SECONDS of CPU (and a wall-clock bound for a shared
    machine); the CPU time and peak RSS of the build come from wait4."""
    with open(outdir.parent / "stderr.txt", "w+", encoding="utf-8") as err:
        child = subprocess.Popen([sys.executable, "-m", "brochure", "build", str(source), "-o", str(outdir), "--format", formats],
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_limit_cpu)
        deadline = time.monotonic() + CPU_SECONDS * 6
        while not (done := os.wait4(child.pid, os.WNOHANG))[0]:
            if time.monotonic() > deadline:
                child.kill()
                os.wait4(child.pid, 0)
                pytest.fail(f"the build of {source.name} still ran after {CPU_SECONDS * 6} s")
            time.sleep(0.05)
        _, status, usage = done
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        err.seek(0)
        text = err.read()
    return Limited(child.returncode, text, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def assert_within_bounds(result: Limited) -> None:
    """The build finished inside the limits: exit 0 or 2 (never killed), no traceback."""
    assert result.code in (0, 2), (result.code, result.err)  # -24 is SIGXCPU: the CPU limit killed it
    assert "Traceback" not in result.err
    assert result.rss_mib < MAX_RSS_MIB, result.rss_mib
    print(f"exit {result.code}: {result.cpu_seconds:.1f} s of CPU, {result.rss_mib:.0f} MiB peak")  # shown with pytest -s


def assert_refused(result: Limited, expected: str) -> None:
    """Exit 2, one line `error: FILE:LINE: message`, found quickly."""
    assert_within_bounds(result)
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: {expected}"), lines[0]


def write_source(folder: Path, body: str, name: str = "cost.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / name
    source.write_text(FRONT + body, encoding="utf-8")
    return source


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """Build one source in a fresh folder under the limits."""
    def run(body: str, formats: str = ALL_EDITIONS, files: dict[str, str] | None = None) -> tuple[Limited, Path]:
        folder = tmp_path_factory.mktemp("cost")
        for name, text in (files or {}).items():
            (folder / "pub" / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / "pub" / name).write_text(text, encoding="utf-8")
        source = write_source(folder / "pub", body)
        return build_limited(source, folder / "out", formats), folder / "out"
    return run


# ---- the shapes that took minutes: refused at once, at their line ----------------------------------------------------

REFUSED = [
    ("brackets-30000", "[" * 30_000 + "\n", "cost.md:7: too many '[' without their ']'"),
    ("nested-brackets", "[" * 5000 + "x" + "]" * 5000 + "\n", "cost.md:7: too many '[' without their ']'"),
    ("link-parens", "[x](" * 5000 + "\n", "cost.md:7: too many '[' without their ']' (or '(' without ')' after a link)"),
    ("footnote-refs", "[^" * 10_000 + "\n", "cost.md:7: too many '[' without their ']'"),
    ("anchors-20000", "<a " * 20_000 + "\n", "cost.md:7: too many '<' that open a tag, comment or CDATA section never closed"),
    ("cdata-openers", "<![CDATA[>" * 5000 + "\n", "cost.md:7: too many '[' without their ']'"),  # its brackets, first
    ("comments-unclosed", "Text.\n\n" + "<!-- >" * 5000 + "\n", "cost.md:9: too many '<' that open a tag, comment or CDATA section"),
    ("entity-headings-3000", "## &amp;x\n\n" * 3000, "cost.md:613: the source is too long to lay out in the time a build may take"),
    ("paragraphs-10000", "a\n\n" * 9990, "cost.md:4559: the source is too long to lay out"),
    ("list-items-20000", "- a\n" * 19_990, "cost.md:2266: the source is too long to lay out"),
    ("html-paragraphs", "<p>a</p>" * 5000 + "\n", "cost.md:7: the source is too long to lay out"),
]


@pytest.mark.parametrize("name, body, expected", REFUSED, ids=[case[0] for case in REFUSED])
def test_a_shape_that_took_minutes_is_refused_at_its_line(limited, name, body, expected):
    result, _ = limited(body)
    assert_refused(result, expected)
    assert result.cpu_seconds < 10, result.cpu_seconds  # refused by the scan, before any of the slow work


def test_the_refusal_names_the_limit(limited):
    result, _ = limited("[" * 30_000 + "\n")
    assert f"more than {limits.MAX_BRACKET_SCAN:,} characters in all (the limit)" in result.err
    result, _ = limited("<a " * 20_000 + "\n")
    assert f"more than {limits.MAX_HTML_SCAN:,} characters in all (the limit)" in result.err
    result, _ = limited("## &amp;x\n\n" * 3000)
    assert f"(the limit is {limits.MAX_LAYOUT_SECONDS} s)" in result.err


def _svg(elements: int) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 1000 1000">'
            + "".join(f'<rect x="{n % 1000}" y="{n // 1000}" width="1" height="1"/>' for n in range(elements)) + "</svg>")


def test_an_svg_of_100000_elements_is_refused_before_rendering(limited):
    result, _ = limited("Text.\n\n![Many squares](big.svg)\n", files={"big.svg": _svg(100_000)})
    assert_refused(result, "cost.md:9: image 'big.svg' is an SVG of")  # 4.5 MB: its size is refused before it is parsed


def test_an_svg_of_too_many_small_elements_is_refused(limited):
    small = '<svg xmlns="http://www.w3.org/2000/svg">' + "<g/>" * (MAX_SVG_ELEMENTS + 1) + "</svg>"
    result, _ = limited("Text.\n\n![Many groups](many.svg)\n", files={"many.svg": small})
    assert_refused(result, f"cost.md:9: image 'many.svg' has more than {MAX_SVG_ELEMENTS:,} elements, the limit for a drawing")


def test_a_drawing_shown_too_often_is_refused_at_the_use_past_the_limit(limited):
    elements = int(limits.MAX_LAYOUT_SECONDS / limits.LAYOUT_SECONDS_PER_SVG_ELEMENT * 0.6)  # once fits, twice does not
    assert elements < MAX_SVG_ELEMENTS
    result, _ = limited("![Squares](many.svg)\n\n![The same squares](many.svg)\n", files={"many.svg": _svg(elements - 1)})
    assert_refused(result, f"cost.md:9: the SVG drawings shown by this line have {2 * elements:,} elements in all (each use counted)")


# ---- just inside each limit: every edition builds within the bounds ------------------------------------------------


def _at_most(limit: float, cost) -> int:  # type: ignore[no-untyped-def]
    """The largest n with cost(n) <= limit (cost grows with n)."""
    n = 1
    while cost(n * 2) <= limit:
        n *= 2
    step = n
    while step:
        if cost(n + step) <= limit:
            n += step
        step //= 2
    return n


@pytest.mark.slow
def test_unclosed_brackets_just_inside_the_limit_build(limited):
    count = _at_most(limits.MAX_BRACKET_SCAN, lambda n: n * (n + 1) // 2)
    result, out = limited("[" * count + "\n")
    assert_within_bounds(result)
    assert result.code == 0, result.err
    assert {path.suffix for path in out.iterdir()} >= {".epub", ".pdf"}


@pytest.mark.slow
def test_unclosed_tag_openers_just_inside_the_limit_build(limited):
    body = "<a " * 3 + ("lorem ipsum dolor sit amet " * 5000)  # few openers, each followed by a long run of attribute-like words
    assert 3 * len(body) < limits.MAX_HTML_SCAN
    result, _ = limited(body + "\n")
    assert_within_bounds(result)
    assert result.code == 0, result.err


@pytest.mark.slow
def test_headings_just_inside_the_layout_limit_build(limited):
    count = _at_most(limits.MAX_LAYOUT_SECONDS, lambda n: n * (limits.LAYOUT_SECONDS_PER_BLOCK + limits.LAYOUT_SECONDS_PER_HEADING)
                     + n * 16 / 1000 * limits.LAYOUT_SECONDS_PER_KB)
    result, _ = limited("".join(f"### Q {number:05}\n" for number in range(count - 5)))
    assert_within_bounds(result)
    assert result.code == 0, result.err


@pytest.mark.slow
def test_paragraphs_just_inside_the_layout_limit_build(limited):
    count = _at_most(limits.MAX_LAYOUT_SECONDS, lambda n: n * (limits.LAYOUT_SECONDS_PER_BLOCK + 3 / 1000 * limits.LAYOUT_SECONDS_PER_KB))
    result, _ = limited("a\n\n" * (count - 5))
    assert_within_bounds(result)
    assert result.code == 0, result.err


@pytest.mark.slow
def test_an_svg_at_the_element_limit_builds(limited):
    drawing = _svg(MAX_SVG_ELEMENTS - 1)  # and the root
    assert len(drawing) < 2_000_000
    result, _ = limited("Text.\n\n![Many squares](many.svg)\n", files={"many.svg": drawing})
    assert_within_bounds(result)
    assert result.code == 0, result.err
