"""What real fact sheets do that PML does not: `#` sections, no date, fenced code, SVG charts, small pictures, US
spelling, a link to an anchor that is not there, and a builder bug in one publication of a folder."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pyphen
import pytest
from readback import _pdf_page_texts

from brochure import (
    batch,
    upstream,  # noqa: F401 - upstream sets which patterns `en` takes
)
from brochure.source.reader import read_publication
from conftest import ROOT, run_cli, seed_sentences

CONFIG = (ROOT / "tests" / "corpus" / "brochure.yaml").read_text(encoding="utf-8")


def write(folder: Path, body: str, front: str = "title: Measles\nlang: en\ndate: 2024-05-01\n", name: str = "sheet") -> Path:
    """A publication folder with the corpus's configuration: folder/brochure.yaml and folder/NAME/NAME.md."""
    (folder / "brochure.yaml").write_text(CONFIG, encoding="utf-8")
    source = folder / name / f"{name}.md"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return source


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF, as pdfium extracts it (tests/readback.py's reader)."""
    return "\n".join(_pdf_page_texts(path.read_bytes()))


@pytest.mark.slow
def test_hash_sections_make_the_contents_and_a_repeated_title_is_dropped(tmp_path):
    source = write(tmp_path, "# Measles\n\nIntro.\n\n# Overview\n\nText.\n\n## Spread\n\nMore.\n\n# Symptoms\n\nFever.\n")
    pub = read_publication(source)
    assert [(s.title, s.level) for s in pub.sections] == [("Overview", 2), ("Spread", 3), ("Symptoms", 2)]
    assert [(s.title, [c.title for c in children]) for s, children in pub.outline] == [("Overview", ["Spread"]), ("Symptoms", [])]
    result = run_cli("build", source, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    assert "Measles" not in pub.body_html  # the cover prints the title; the body does not say it again
    with zipfile.ZipFile(tmp_path / "out" / "sheet.epub") as book:
        nav = book.read("EPUB/nav.xhtml").decode()
    assert nav.index("Overview") < nav.index("Spread") < nav.index("Symptoms")
    assert nav.count("<ol") >= 3  # the contents, Overview's subsections, the page list


@pytest.mark.slow
def test_a_missing_date_is_a_warning_and_no_edition_prints_one(tmp_path):
    source = write(tmp_path, "## Facts\n\nText.\n", front="title: Undated\nlang: en\n")
    result = run_cli("build", tmp_path, "-o", tmp_path / "dist")
    assert result.code == 0, result.err
    assert "warning: sheet.md:1: no 'date' in the front matter, so no edition prints a revision date (add date: YYYY-MM-DD)" in result.err
    for name in ("sheet.pdf", "sheet-print.pdf"):
        assert "Revised" not in pdf_text(tmp_path / "dist" / "sheet" / name) and "2000" not in pdf_text(tmp_path / "dist" / "sheet" / name)
    page = (tmp_path / "dist" / "index.html").read_text(encoding="utf-8")
    assert "Updated" not in page and "2000-01-01" not in page
    assert source.read_text(encoding="utf-8").startswith("---\ntitle: Undated")  # the source is never touched


def test_a_date_that_is_not_on_the_calendar_is_a_located_error(tmp_path):
    source = write(tmp_path, "Text.\n", front="title: T\nlang: en\ndate: 2024-02-30\n")
    result = run_cli("build", source, "-o", tmp_path / "out")
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.startswith("error: sheet.md:4: malformed front matter: '2024-02-30' is not a date on the calendar")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_fenced_code_is_text_in_every_edition(tmp_path):
    source = write(tmp_path, "Steps:\n\n```html\n<h1>Not a heading</h1>\n<script>alert(1)</script>\n```\n")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "pdf,epub,print")
    assert result.code == 0, result.err
    assert read_publication(source).sections == ()
    assert '<pre><code class="language-html">&lt;h1&gt;Not a heading&lt;/h1&gt;' in read_publication(source).body_html
    for name in ("sheet.pdf", "sheet-print.pdf"):
        assert "<h1>Not a heading</h1>" in pdf_text(tmp_path / "out" / name)
    with zipfile.ZipFile(tmp_path / "out" / "sheet.epub") as book:
        body = book.read("EPUB/body.xhtml").decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body


def test_us_english_is_hyphenated_with_us_patterns_and_en_gb_with_british():
    assert pyphen.Pyphen(lang="en").inserted("corticosteroid") == pyphen.Pyphen(lang="en_US").inserted("corticosteroid")
    assert pyphen.Pyphen(lang="en").inserted("scientists") == "sci-en-tists"  # British: sci-ent-ists
    assert pyphen.Pyphen(lang="en-GB").inserted("corticosteroid") == pyphen.Pyphen(filename=pyphen.LANGUAGES["en_GB"]).inserted("corticosteroid")


@pytest.mark.slow
def test_addresses_code_and_headings_are_never_hyphenated(tmp_path):
    words = "Clinicaltrials.gov " * 30 + "`immunosuppressive` " * 20 + "https://www.example.org/immunosuppressive/corticosteroids " * 10
    running = " ".join(seed_sentences()[:40])
    source = write(tmp_path, f"## Immunosuppressive corticosteroids and leukoencephalopathy\n\n{words}\n\n{running}\n")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "pdf")
    assert result.code == 0, result.err
    import pikepdf

    with pikepdf.open(tmp_path / "out" / "sheet.pdf") as pdf:  # each word broken at a line end carries itself whole
        broken = [str(op.operands[1].ActualText) for page in pdf.pages for op in pikepdf.parse_content_stream(page)
                  if str(op.operator) == "BDC" and isinstance(op.operands[1], pikepdf.Dictionary) and "/ActualText" in op.operands[1]]
    assert [word for word in broken if word.strip()], "the running text was hyphenated somewhere"  # the check can see a break
    assert not [word for word in broken if "Clinicaltrials" in word or "//" in word]


@pytest.mark.slow
def test_svg_charts_go_to_print_in_cmyk_and_small_pictures_are_warned(tmp_path):
    source = write(tmp_path, "## Cases\n\n![Cases by week](chart.svg)\n\n![A clinic](small.png)\n")
    (source.parent / "chart.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150" viewBox="0 0 300 150">'
                                              '<rect width="120" height="100" fill="#d03030"/><circle cx="200" cy="70" r="50" fill="#1478c8"/></svg>')
    from PIL import Image

    Image.new("RGB", (300, 200), (200, 60, 60)).save(source.parent / "small.png")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "print")
    assert result.code == 0, result.err
    assert ("warning: sheet.md:11: image 'small.png' prints at 96 ppi (3.1 in wide in the print edition; 200 ppi or more "
            "looks sharp): supply a larger image") in result.err.splitlines()
    assert "chart.svg" not in result.err


@pytest.mark.slow
def test_an_svg_gradient_goes_to_print_and_rgb_left_by_an_svg_is_named_with_its_line(tmp_path):
    gradient = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="150"><defs><linearGradient id="g">'
                '<stop offset="0" stop-color="#d03030"/><stop offset="1" stop-color="#1478c8"/></linearGradient></defs>'
                '<rect width="300" height="150" fill="url(#g)"/></svg>')
    source = write(tmp_path, "## Cases\n\nText.\n\n![Cases by week](chart.svg)\n")
    (source.parent / "chart.svg").write_text(gradient)
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "print")
    assert result.code == 0, result.err  # WeasyPrint writes the PDF/X gradient in CMYK; the preflight passed
    from brochure.build import _blame_svg
    from brochure.errors import PreflightError

    with pytest.raises(PreflightError) as raised:  # what a preflight failure an SVG leaves behind becomes
        _blame_svg(read_publication(source), ("page 2: RGB colour operator rg",))
    assert str(raised.value).startswith("sheet.md:11: image 'chart.svg' cannot go to print")
    _blame_svg(read_publication(source), ("page 2: no TrimBox",))  # anything else is not the SVG's


def test_missing_alt_text_on_a_second_use_points_at_that_use(tmp_path):
    source = write(tmp_path, "![A clinic](clinic.png)\n\nText.\n\n![](clinic.png)\n")
    from PIL import Image

    Image.new("RGB", (900, 600), "white").save(source.parent / "clinic.png")
    result = run_cli("build", source, "-o", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip() == "error: sheet.md:11: image 'clinic.png' has no alt text (add it, or mark the image {.decorative})"


@pytest.mark.slow
def test_a_link_to_a_missing_anchor_is_one_located_warning_and_weasyprint_stays_quiet(tmp_path):
    source = write(tmp_path, "## Facts\n\nSee [the table](#dosing).\n\n<script>x()</script>\n")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "pdf,epub,print")
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith(("warning", "error"))]
    assert sorted(warnings) == ["warning: sheet.md:11: removed unsafe HTML <script>",
                                "warning: sheet.md:9: link to '#dosing' points to no heading or anchor in this publication"]  # each once, WeasyPrint's own lines not at all


def test_a_builder_bug_in_one_publication_fails_it_alone(tmp_path, monkeypatch):
    write(tmp_path, "Good.\n", name="good")
    write(tmp_path, "Bad.\n", name="bad")
    from brochure import build as build_module

    real = build_module.build

    def broken_for_one(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        if source.stem == "bad":
            raise ZeroDivisionError("a bug")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(build_module, "build", broken_for_one)
    outcomes = batch.build_all(tmp_path, tmp_path / "dist", jobs=1, force=True, formats=("pdf",))
    failed = [o for o in outcomes if o.error]
    assert [Path(o.source).stem for o in failed] == ["bad"]
    assert "internal error while building (ZeroDivisionError: a bug)" in failed[0].error
    assert (tmp_path / "dist" / "good" / "good.pdf").is_file()
    assert "pub-good" in (tmp_path / "dist" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "dist" / "catalog.xml").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("body", ["Text.[^1]\n\n[^1]: A source.\n", "One.\n\n---\n\nTwo.\n\n* * *\n\nThree.\n"], ids=["footnote", "rules"])
def test_footnotes_and_rules_build_in_print(tmp_path, body):
    result = run_cli("build", write(tmp_path, body), "-o", tmp_path / "out", "--format", "print")
    assert result.code == 0, result.err


@pytest.mark.slow
@pytest.mark.java
def test_links_and_ids_no_reader_can_follow_are_mended_with_a_warning(tmp_path):
    """From Python-Markdown's and pandoc's own test documents: relative links, an id typed twice, an id the template
    uses, a heading that starts with a digit, a URL with characters a URL may not hold. The EPUB stays valid."""
    from brochure.checks import validate

    body = ("## Title\n\n## 1 Dose {#dose}\n\n## Second {#dose}\n\nSee [the guide](/health/guide/), <a href=\"stuff\">stuff</a>, "
            "[a query](http://www.example.org/q?x=1&y=2<>) and [the dose](#dose).\n")
    source = write(tmp_path, body)
    result = run_cli("build", source, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    assert "warning: sheet.md:13: link '/health/guide/' is neither a web address (https://…) nor an anchor in this publication" in result.err
    assert "warning: sheet.md:13: link 'stuff' is neither" in result.err
    assert "warning: sheet.md:11: id 'dose' is used more than once (or by the template): only its first use keeps it" in result.err
    assert validate.epubcheck(tmp_path / "out" / "sheet.epub") == []
    assert [s.id for s in read_publication(source).sections] == ["section-title", "dose", "dose-2"]
    (tmp_path / "digit").mkdir()
    assert read_publication(write(tmp_path / "digit", "## 1 Dose\n")).sections[0].id == "section-1-dose"  # an XML name
