"""Covers a designer signs: no cover line ends on one short word, nothing on a cover is hyphenated, the agency is
named once on each cover, and the back cover's colophon stands at the foot of the page above the band."""
from __future__ import annotations

import pypdfium2
import pytest
from readback import text_inside_trim

from brochure.build import build
from brochure.render.templates import no_orphan
from brochure.source.reader import read_publication
from conftest import PML, ROOT, run_cli

pytestmark = pytest.mark.slow  # each sheet is built, download and print editions

CORPUS = ROOT / "tests" / "corpus"
SOURCES = {path.stem: path for path in (PML, *(CORPUS / name / f"{name}.md" for name in (
    "blood-pressure-medicines", "poison-control-es", "childhood-immunization-schedule", "md-headings")))}
EDITIONS = {"download": "{stem}.pdf", "print": "{stem}-print.pdf"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each sheet's download and print PDFs, by name and edition: the cover's and the back cover's lines of text."""
    pages = {}
    for name, source in SOURCES.items():
        outdir = tmp_path_factory.mktemp(name)
        build(source, outdir, ("pdf", "print"))
        for edition, file_name in EDITIONS.items():
            document = pypdfium2.PdfDocument(outdir / file_name.format(stem=name))
            first, last = document[0], document[len(document) - 1]
            pages[name, edition] = (_lines(first), _lines(last), _text_top_and_bottom(last))
            document.close()
    return pages


def _lines(page) -> list[str]:
    return [line.strip() for line in text_inside_trim(page).splitlines() if line.strip()]


def _text_top_and_bottom(page) -> tuple[float, float]:
    """How far below the trim's top the back cover's first and last characters stand, as fractions of its height."""
    x0, y0, x1, y1 = page.get_trimbox()
    text = page.get_textpage()
    boxes = [text.get_charbox(i) for i in range(text.count_chars()) if not text.get_text_range(i, 1).isspace()]
    inside = [box for box in boxes if x0 <= box[0] and box[2] <= x1 and y0 <= box[1] and box[3] <= y1]
    return (y1 - max(box[3] for box in inside)) / (y1 - y0), (y1 - min(box[1] for box in inside)) / (y1 - y0)


CASES = [(name, edition) for name in SOURCES for edition in EDITIONS]


@pytest.mark.parametrize(("name", "edition"), CASES)
def test_no_cover_line_ends_on_one_short_word(built, name, edition):
    """Title, subtitle, agency and parent: where their last two words are short enough, they share a line."""
    metadata = read_publication(SOURCES[name]).metadata
    cover = built[name, edition][0]
    for text in (metadata.title, metadata.subtitle, metadata.publisher.name, metadata.publisher.parent):
        if "keep" not in no_orphan(text):
            continue
        last_two = " ".join(text.split()[-2:])
        assert any(line.endswith(last_two) for line in cover), f"{text!r} ends alone: {cover}"


@pytest.mark.parametrize(("name", "edition"), CASES)
def test_nothing_on_either_cover_is_hyphenated(built, name, edition):
    cover, back, _ = built[name, edition]
    assert [line for line in cover + back if line.endswith(("\u2010", "-", "\u00ad"))] == []


@pytest.mark.parametrize(("name", "edition"), CASES)
def test_the_agency_is_named_once_on_each_cover(built, name, edition):
    publisher = read_publication(SOURCES[name]).metadata.publisher
    cover, back, _ = built[name, edition]
    assert " ".join(cover).count(publisher.name) == 1
    # the back cover names it in the address; the office line is the agency's own sentence and may name it too
    assert " ".join(back).count(publisher.name) == 1 + publisher.office.count(publisher.name)


@pytest.mark.parametrize(("name", "edition"), CASES)
def test_the_colophon_stands_at_the_foot_of_the_back_cover(built, name, edition):
    top, bottom = built[name, edition][2]
    assert bottom > 0.85, "the back cover's text ends near the foot, in the band"
    assert top > 0.25, "the back cover's text does not start at the top of an otherwise empty page"


def test_no_orphan_keeps_short_last_words_together_and_escapes():
    assert str(no_orphan("National Institute of Neurological Disorders and Stroke")) == (
        'National Institute of Neurological Disorders <span class="keep">and Stroke</span>')
    assert str(no_orphan("Progressive Multifocal Leukoencephalopathy")) == "Progressive Multifocal Leukoencephalopathy"
    assert str(no_orphan("Ticks & <Lyme> disease now")) == 'Ticks &amp; &lt;Lyme&gt; <span class="keep">disease now</span>'
    assert str(no_orphan("Measles")) == "Measles"


LOGO_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60" viewBox="0 0 60 60">'
            '<rect x="2" y="2" width="56" height="56" rx="8" fill="#ffffff"/>'
            '<path d="M22 12h16v14h14v16H38v14H22V42H8V26h14z" fill="#c8102e"/></svg>')
CONFIG = """publisher:
  name: Example County Department of Public Health
  url: https://health.example.org
brand:
  logo: {logo}
  logo_alt: Example County health department logo
"""
SHEET = """---
title: Lyme Disease and Tick Bites
lang: en
date: 2026-05-01
cover_image: {image}
cover_image_alt: A meadow of tall grass, where ticks live
---

## What is Lyme disease?

Lyme disease is an infection spread by the bite of an infected blacklegged tick.
"""


def _branded(tmp_path, logo="logo.svg", image="meadow.png"):
    from PIL import Image

    (tmp_path / "logo.svg").write_text(LOGO_SVG, encoding="utf-8")
    (tmp_path / "brochure.yaml").write_text(CONFIG.format(logo=logo), encoding="utf-8")
    folder = tmp_path / "lyme"
    folder.mkdir()
    Image.new("RGB", (900, 600), (60, 140, 90)).save(folder / "meadow.png", dpi=(300, 300))
    (folder / "lyme.md").write_text(SHEET.format(image=image), encoding="utf-8")
    return folder / "lyme.md"


def _alt_texts(pdf_path) -> list[str]:
    import pikepdf

    found = []
    with pikepdf.open(pdf_path) as pdf:
        pending = [pdf.Root.StructTreeRoot]
        while pending:
            node = pending.pop()
            if isinstance(node, pikepdf.Dictionary):
                if "/Alt" in node:
                    found.append(str(node.Alt))
                kids = node.get("/K")
                pending.extend(kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else [])
    return found


def _pictures_on(pdf_path, page_number: int) -> tuple[int, int]:
    """(images, drawings placed as form XObjects) a page shows, nested ones included."""
    import pikepdf

    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[page_number]
        forms = [obj for _, obj in page.Resources.get("/XObject", {}).items() if obj.get("/Subtype") == "/Form"]
        return len(page.get_images()), len(forms)


def test_the_agencys_logo_and_the_cover_image_stand_on_the_covers_with_their_alt_text(tmp_path):
    """brand.logo (brochure.yaml, beside it) heads both covers' bands; cover_image (front matter) stands under the
    title; the download PDF tags each as a Figure with its alt text; the print edition passes its preflight."""
    source = _branded(tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", source, "-o", out, "--format", "pdf,print", cwd=tmp_path)
    assert result.code == 0, result.err
    alts = _alt_texts(out / "lyme.pdf")
    assert alts.count("Example County health department logo") == 2
    assert "A meadow of tall grass, where ticks live" in alts
    for pdf in (out / "lyme.pdf", out / "lyme-print.pdf"):
        assert _pictures_on(pdf, 0)[0] >= 1, "the cover image"
        assert _pictures_on(pdf, -1)[0] >= 1, "the logo: the back cover has no other picture"


@pytest.mark.parametrize(("logo", "image", "expected"), [
    ("logo.svg", "missing.png", "lyme.md:5: cover image 'missing.png' not found"),
    ("logo.svg", "../logo.svg", "lyme.md:5: cover image '../logo.svg' leads outside the publication's folder"),
    ("nowhere.svg", "meadow.png", "brochure.yaml:5: logo 'nowhere.svg' not found"),
    ("../logo.svg", "meadow.png", "brochure.yaml:5: logo '../logo.svg' leads outside the folder of brochure.yaml"),
])
def test_a_missing_or_outside_cover_picture_is_one_line_naming_file_and_line(tmp_path, logo, image, expected):
    source = _branded(tmp_path, logo, image)
    result = run_cli("build", source, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.err
    assert expected in result.err
    assert not (tmp_path / "out").exists()


def test_pictures_without_alt_text_are_refused(tmp_path):
    source = _branded(tmp_path)
    source.write_text(source.read_text().replace("cover_image_alt: A meadow of tall grass, where ticks live\n", ""))
    result = run_cli("build", source, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.code == 2 and "lyme.md:5: cover_image 'meadow.png' has no alt text" in result.err
    (tmp_path / "brochure.yaml").write_text(CONFIG.format(logo="logo.svg").replace("  logo_alt: Example County health department logo\n", ""))
    source.write_text(SHEET.format(image="meadow.png"))
    result = run_cli("build", source, "-o", tmp_path / "out", cwd=tmp_path)
    assert result.code == 2 and "brochure.yaml:5: brand.logo needs brand.logo_alt" in result.err


def test_a_new_cover_image_under_the_same_name_makes_a_new_cover_picture(tmp_path):
    from PIL import Image

    from brochure.build import _cover_key

    source = _branded(tmp_path)
    before = _cover_key(read_publication(source))
    Image.new("RGB", (900, 600), (200, 40, 40)).save(source.parent / "meadow.png")
    assert _cover_key(read_publication(source)) != before
