"""Typography a designer signs off: no heading stranded at a page foot, no widow or orphan lines.

Checked on WeasyPrint's own layout (the boxes of each page), for the PML publication in both printed
editions and for synthetic publications whose paragraph lengths move the page breaks around. The
same checker is shown to find faults when the CSS rules that prevent them are switched off.
"""
from __future__ import annotations

import functools
import random
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
import weasyprint
from weasyprint.formatting_structure import boxes

from brochure.editions import pdf
from brochure.render.html import DOWNLOAD_STYLES, PRINT_STYLES, render_html
from brochure.source.reader import read_publication
from conftest import PML, seed_sentences

HEADINGS = {"h2", "h3", "h4", "h5", "h6"}  # h1 is the title, alone on the cover by design
# What paged.css does about it, switched off to prove the checker sees the faults.
RULES_OFF = """
h1, h2, h3, h4, h5, h6 { break-after: auto !important; }
html, p, li { orphans: 1 !important; widows: 1 !important; }
li, .more-info, .callout { break-inside: auto !important; }
"""


def line_blocks(page: weasyprint.Page) -> list[tuple[object, str, int]]:
    """(element, tag, number of lines) of each block on the page that holds lines of text, in order."""
    found = []
    for box in page._page_box.descendants():
        if isinstance(box, boxes.BlockBox) and box.element is not None and "running-title" not in (box.element.get("class") or ""):
            lines = sum(isinstance(child, boxes.LineBox) for child in box.children)
            if lines:
                found.append((box.element, box.element_tag, lines))
    return found


def faults(document: weasyprint.Document) -> list[str]:
    """Every stranded heading, orphan (one line left at a page foot) and widow (one line carried over)."""
    problems = []
    parts: dict[object, list[tuple[int, int]]] = defaultdict(list)
    for number, page in enumerate(document.pages, start=1):
        blocks = line_blocks(page)
        for element, _, lines in blocks:
            parts[element].append((number, lines))
        if blocks and blocks[-1][1] in HEADINGS and number < len(document.pages):
            problems.append(f"page {number}: heading '{_text(blocks[-1][0])}' stranded at the foot")
    for element, pieces in parts.items():
        if len(pieces) > 1:
            if pieces[0][1] < 2:
                problems.append(f"page {pieces[0][0]}: orphan, one line of '{_text(element)}'")
            if pieces[-1][1] < 2:
                problems.append(f"page {pieces[-1][0]}: widow, last line of '{_text(element)}'")
    return problems


def _text(element) -> str:  # type: ignore[no-untyped-def]
    return " ".join("".join(element.itertext()).split())[:40]


def layout(source: Path, edition: str, extra_css: str = "") -> weasyprint.Document:
    """Lay out one printed edition the way the builder does, optionally with CSS overriding ours."""
    pub = read_publication(source)
    if not extra_css:
        return pdf.layout_print(pub)[0] if edition == "print" else pdf._document(render_html(pub, "download"), pub, DOWNLOAD_STYLES)
    fetcher, profiles = pdf.SandboxFetcher(pub.folder), {}
    sheets = pdf._stylesheets(PRINT_STYLES if edition == "print" else DOWNLOAD_STYLES, fetcher, profiles)
    sheets.append(weasyprint.CSS(string=extra_css, font_config=pdf._font_config()))
    html = weasyprint.HTML(string=render_html(pub, edition), base_url=pub.folder.as_uri() + "/", url_fetcher=fetcher)
    # the builder's own font configuration: the shipped faces, whatever fonts the machine has
    return html.render(stylesheets=sheets, color_profiles=profiles, font_config=pdf._font_config())


def synthetic(folder: Path, seed: int) -> Path:
    """A publication of questions and answers from the PML sentences, paragraph lengths drawn at random."""
    rng = random.Random(seed)
    sentences = seed_sentences()
    body = []
    for number in range(1, 13):
        body.append(f"## Question {number}: what should a reader know about this part of the text?\n")
        for _ in range(rng.randint(1, 3)):
            start = rng.randrange(len(sentences))
            body.append(" ".join(sentences[start:start + rng.randint(1, 7)]) + "\n")
        if rng.random() < 0.3:
            body.append("\n".join(f"- {s}" for s in rng.sample(sentences, 3)) + "\n")
    source = folder / f"typo{seed}" / f"typo{seed}.md"
    source.parent.mkdir(parents=True)
    source.write_text(f"---\ntitle: Typography test {seed}\nlang: en\n---\n\n" + "\n".join(body), encoding="utf-8")
    return source


@functools.cache
def pml_layout(edition: str) -> weasyprint.Document:
    return layout(PML, edition)


@pytest.mark.parametrize("edition", ["download", "print"])
def test_pml_has_no_stranded_heading_widow_or_orphan(edition):
    document = pml_layout(edition)
    assert len(document.pages) >= 4
    assert faults(document) == []


SEEDS = (1, 3, 4)  # each moves the page breaks somewhere else; 4 strands a heading when the rules are off


@pytest.fixture(scope="module")
def synthetic_sources(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("typography")
    return [synthetic(folder, seed) for seed in SEEDS]


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["download", "print"])
def test_synthetic_publications_keep_the_rules(synthetic_sources, edition):
    for source in synthetic_sources:
        document = layout(source, edition)
        assert len(document.pages) >= 6, source
        assert faults(document) == [], source


@pytest.mark.slow
def test_checker_finds_each_fault_when_the_rules_are_off(tmp_path):
    """Where the breaks fall depends on the text: the first of a few synthetic texts that shows all three faults."""
    found = ""
    for seed in range(4, 16):
        found += " ".join(faults(layout(synthetic(tmp_path, seed), "print", RULES_OFF)))
        if all(fault in found for fault in ("stranded at the foot", "widow", "orphan")):
            break
    assert "stranded at the foot" in found
    assert "widow" in found
    assert "orphan" in found


def _line_text(line: boxes.LineBox) -> str:
    return "".join(box.text for box in line.descendants() if isinstance(box, boxes.TextBox))


@pytest.mark.parametrize("edition", ["download", "print"])
def test_measure_is_60_to_75_characters(edition):
    """Full lines of body paragraphs (each paragraph's last, short line left out): median length in characters."""
    lengths = []
    for page in pml_layout(edition).pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.BlockBox) and box.element_tag == "p" and box.element is not None and not box.element.get("class"):
                lines = [child for child in box.children if isinstance(child, boxes.LineBox)]
                lengths += [len(_line_text(line)) for line in lines[:-1]]
    assert len(lengths) > 30
    assert 60 <= statistics.median(lengths) <= 75


def _broken_lines(document: weasyprint.Document, wanted) -> list[str]:  # type: ignore[no-untyped-def]
    """Text of every line but the last of each block the predicate picks (the lines that end in a break).
    The predicate gets the element and the set of elements inside the contents list."""
    contents = {inner for page in document.pages for box in page._page_box.descendants()
                if box.element_tag == "nav" and "toc" in (box.element.get("class") or "") for inner in box.element.iter()}
    lines = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.BlockBox) and box.element is not None and wanted(box.element, contents):
                line_boxes = [child for child in box.children if isinstance(child, boxes.LineBox)]
                lines += [_line_text(line).rstrip() for line in line_boxes[:-1]]
    return lines


def _heading_or_contents(element, contents) -> bool:  # type: ignore[no-untyped-def]
    return element.tag in {"h1", "h2", "h3", "h4", "h5", "h6"} or element in contents


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["download", "print"])
def test_headings_and_contents_break_between_words_and_text_is_hyphenated(edition, synthetic_sources):
    for document in (pml_layout(edition), layout(synthetic_sources[0], edition)):
        broken = _broken_lines(document, _heading_or_contents)
        assert broken, "no heading or contents entry runs over two lines: nothing was checked"
        assert [line for line in broken if line.endswith(("\u2010", "-"))] == []
    body = _broken_lines(pml_layout(edition), lambda element, contents: element.tag in {"p", "li"} and element not in contents)
    assert any(line.endswith("\u2010") for line in body), "body text is not hyphenated"
