"""Issue 14, point 4: the Kobo kepub and the Kindle EPUB, made from the EPUB's bytes.

`brochure build SOURCE --format epub,kepub,kindle` writes NAME.epub, NAME.kepub.epub and NAME.kindle.epub. The kepub
has every sentence of the text in a `koboSpan` (ids kobo.N.M, as Kobo's own books), the same text, headings, links
and page-break markers as the EPUB; the Kindle EPUB follows Amazon's text guidelines for reflowable books, which the
main EPUB's stylesheet does not. Both pass EPUBCheck with no error and no warning; the EPUB itself is unchanged.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
import tinycss2
from lxml import etree
from several import build_each

from brochure.checks import validate
from brochure.editions import epub, kepub, kindle
from conftest import PML, ROOT, run_cli

CORPUS = ROOT / "tests" / "corpus"
SOURCES = {"pml": PML, "vacuna-influenza": CORPUS / "vacuna-influenza" / "vacuna-influenza.md",
           "md-tables": CORPUS / "md-tables" / "md-tables.md", "md-images": CORPUS / "md-images" / "md-images.md"}
X = "{http://www.w3.org/1999/xhtml}"
OPF = "{http://www.idpf.org/2007/opf}"
KOBO_ID = re.compile(r"kobo\.(\d+)\.(\d+)")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """PML and three corpus sheets (Spanish, tables, images), each built with the EPUB and both variants."""
    return build_each(tmp_path_factory, SOURCES, "epub,kepub,kindle")


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _documents(path: Path) -> dict[str, etree._Element]:
    return {name: etree.fromstring(data) for name, data in _entries(path).items()
            if name.endswith(".xhtml") and not name.endswith("nav.xhtml")}


def _text(root: etree._Element) -> str:
    return "".join(root.find(f"{X}body").itertext())


# ---------------------------------------------------------------- the files


def test_variants_are_written_beside_the_epub_and_leave_it_as_it_was(built, tmp_path):
    assert sorted(p.name for p in built["pml"].iterdir()) == ["pml.epub", "pml.kepub.epub", "pml.kindle.epub"]
    alone = tmp_path / "alone"
    assert run_cli("build", PML, "-o", alone, "--format", "epub", "-q").code == 0
    assert (alone / "pml.epub").read_bytes() == (built["pml"] / "pml.epub").read_bytes()


def test_a_variant_alone_needs_no_epub_file(tmp_path):
    assert run_cli("build", PML, "-o", tmp_path, "--format", "kepub", "-q").code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["pml.kepub.epub"]


@pytest.mark.parametrize("variant", ["kepub", "kindle"])
def test_variants_are_zipped_like_the_epub_and_reproducible(built, variant):
    for name in SOURCES:
        stem = SOURCES[name].stem
        path = built[name] / f"{stem}.{variant}.epub"
        with zipfile.ZipFile(path) as archive, zipfile.ZipFile(built[name] / f"{stem}.epub") as original:
            infos = archive.infolist()
            assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
            assert archive.read("mimetype") == b"application/epub+zip"
            assert [(i.filename, i.date_time) for i in infos] == [(i.filename, i.date_time) for i in original.infolist()]
        make = kepub.kepub if variant == "kepub" else kindle.kindle_epub
        assert make((built[name] / f"{stem}.epub").read_bytes()) == path.read_bytes()


def test_variants_take_milliseconds(built):
    book = (built["pml"] / "pml.epub").read_bytes()
    for make in (kepub.kepub, kindle.kindle_epub):
        start = time.perf_counter()
        make(book)
        assert time.perf_counter() - start < 0.25, f"{make.__name__} took {time.perf_counter() - start:.3f} s"


def test_every_variant_passes_epubcheck_with_no_warning(built):
    paths = [built[name] / f"{SOURCES[name].stem}.{variant}.epub" for name in SOURCES for variant in ("kepub", "kindle")]
    for path, findings in zip(paths, validate.epubcheck_many(paths), strict=True):
        assert findings == [], f"{path.name}: {findings}"


@pytest.mark.parametrize("variant", ["kepub", "kindle"])
def test_pmls_variants_have_no_ace_violation(built, variant):
    assert validate.ace(built["pml"] / f"pml.{variant}.epub") == []


def test_variants_do_not_carry_the_epubs_conformance_claim(built):
    """The claim was made on the EPUB's bytes, which the gate checked; a variant's were not."""
    claimed = epub.claim_conformance((built["pml"] / "pml.epub").read_bytes(), "NINDS")
    assert epub.conformance_claimed(claimed)
    for make in (kepub.kepub, kindle.kindle_epub):
        variant = make(claimed)
        assert not epub.conformance_claimed(variant)
        opf = next(data for name, data in _entries_of(variant).items() if name.endswith(".opf"))
        assert b"a11y:certifiedBy" not in opf and b"schema:accessibilityFeature" in opf


def _entries_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# ---------------------------------------------------------------- kepub


def test_every_word_of_the_kepub_is_in_a_kobo_span(built):
    for name in SOURCES:
        for document, root in _documents(built[name] / f"{SOURCES[name].stem}.kepub.epub").items():
            body = root.find(f"{X}body")
            for element in body.iter():
                if not isinstance(element.tag, str) or element.tag in (f"{X}span",):
                    continue
                for text in (element.text, *(child.tail for child in element)):
                    assert not (text and text.strip()), f"{name} {document}: {text!r} in <{etree.QName(element).localname}> is in no koboSpan"
            spans = [s for s in body.iter(f"{X}span") if s.get("class") == "koboSpan"]
            assert spans, document
            assert all(s.getparent().get("class") != "koboSpan" for s in spans if s.find(f"{X}img") is None)


def test_kobo_ids_number_blocks_and_their_sentences_in_order(built):
    for name in SOURCES:
        for document, root in _documents(built[name] / f"{SOURCES[name].stem}.kepub.epub").items():
            ids = [s.get("id") for s in root.iter(f"{X}span") if s.get("class") == "koboSpan"]
            assert len(ids) == len(set(ids)), f"{document}: an id twice"
            pairs = [tuple(map(int, KOBO_ID.fullmatch(i).groups())) for i in ids]
            expected_block, expected_piece = 1, 1
            for block, piece in pairs:  # each block 1, 2, 3… in order; each piece 1, 2, 3… within its block
                if block != expected_block:
                    assert (block, piece) == (expected_block + 1, 1), f"{document}: kobo.{block}.{piece} after kobo.{expected_block}.{expected_piece - 1}"
                    expected_block = block
                    expected_piece = 1
                assert piece == expected_piece, f"{document}: kobo.{block}.{piece}"
                expected_piece += 1


def test_the_kepub_has_the_epubs_text_headings_links_and_page_markers(built):
    for name in SOURCES:
        stem = SOURCES[name].stem
        before, after = _documents(built[name] / f"{stem}.epub"), _documents(built[name] / f"{stem}.kepub.epub")
        assert before.keys() == after.keys()
        for document in before:
            assert _text(after[document]) == _text(before[document]), document
            ids = [e.get("id") for e in before[document].iter() if isinstance(e.tag, str) and e.get("id")]
            kept = [e.get("id") for e in after[document].iter() if isinstance(e.tag, str) and e.get("id") and not KOBO_ID.fullmatch(e.get("id"))]
            assert kept == ["book-columns", "book-inner", *ids], document  # every id, headings' and page markers', in order
            links = [(a.get("href"), "".join(a.itertext())) for a in before[document].iter(f"{X}a")]
            assert [(a.get("href"), "".join(a.itertext())) for a in after[document].iter(f"{X}a")] == links
        nav = _entries(built[name] / f"{stem}.epub")["EPUB/nav.xhtml"]
        assert _entries(built[name] / f"{stem}.kepub.epub")["EPUB/nav.xhtml"] == nav, "the navigation document is left alone"


def test_a_page_marker_keeps_its_place_between_two_words(built):
    """PML's print page 3 starts inside a paragraph: the marker stays before the same word, outside any sentence span."""
    body = _documents(built["pml"] / "pml.kepub.epub")["EPUB/body.xhtml"]
    marker = body.find(f".//{X}span[@id='page-3']")
    assert marker.get("class") is None and marker.getparent().tag == f"{X}p"
    assert "".join(marker.getnext().itertext()).startswith("immune system function")


def test_sentences_of_pml_are_one_span_each(built):
    body = _documents(built["pml"] / "pml.kepub.epub")["EPUB/body.xhtml"]
    paragraph = body.find(f".//{X}p[@id='b2']")
    assert [s.get("id") for s in paragraph] == ["kobo.4.1", "kobo.4.2"]
    assert [s.text.endswith(end) for s, end in zip(paragraph, ["nerve cells (neurons). ", "lowered immune defenses."], strict=True)] == [True, True]


@pytest.mark.parametrize(("text", "pieces"), [
    ("PML is rare. It is serious! Is it? Yes…", ["PML is rare. ", "It is serious! ", "Is it? ", "Yes…"]),
    ("See Dr. Smith, e.g. at 9 a.m. today. Then rest.", ["See Dr. Smith, e.g. at 9 a.m. today. ", "Then rest."]),
    ("¿Qué es la influenza? La Dra. Pérez dice: «vacúnese». Llame hoy.", ["¿Qué es la influenza? ", "La Dra. Pérez dice: «vacúnese». ", "Llame hoy."]),
    ("Write to P.O. Box 5801, Bethesda.", ["Write to P.O. Box 5801, Bethesda."]),
    ("Version 5.5 is out.", ["Version 5.5 is out."]),
])
def test_sentences_in_english_and_spanish(text, pieces):
    assert kepub.sentences(text) == pieces
    assert "".join(pieces) == text


# ---------------------------------------------------------------- Kindle: Amazon's guidelines, point by point


def _css_rules(css: str):  # type: ignore[no-untyped-def]
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            selectors = {part.strip() for part in tinycss2.serialize(rule.prelude).split(",")}
            declarations = [d for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True) if d.type == "declaration"]
            yield selectors, {d.lower_name: tinycss2.serialize(d.value).strip() for d in declarations}


def body_text_findings(css: str) -> list[str]:
    """Amazon's "body text must use defaults": no size, leading, colour or background imposed on the body text, no
    left or right margin on the body."""
    findings = []
    for selectors, declarations in _css_rules(css):
        for selector in selectors & {"html", "body", "p", ":root"}:
            for name in ("font-size", "line-height", "color", "background", "background-color"):
                if name in declarations and not (name == "font-size" and declarations[name] in ("1em", "100%")):
                    findings.append(f"{selector} {{ {name}: {declarations[name]} }}")
            if selector == "body":
                findings += [f"body {{ {name}: {declarations[name]} }}" for name in ("margin", "margin-left", "margin-right", "padding")
                             if name in declarations and set(declarations[name].split()) != {"0"}]
    return findings


def test_the_main_epub_does_not_meet_amazons_body_text_rule(built):
    """Why there is a Kindle EPUB at all: the main one sets the body's leading, colour, background and margins."""
    css = _entries(built["pml"] / "pml.epub")["EPUB/styles/book.css"].decode()
    assert body_text_findings(css)


def test_kindle_epub_follows_amazons_guidelines(built):
    for name in SOURCES:
        entries = _entries(built[name] / f"{SOURCES[name].stem}.kindle.epub")
        opf_name = next(n for n in entries if n.endswith(".opf"))
        opf = etree.fromstring(entries[opf_name])
        items = {item.get("id"): item for item in opf.iter(f"{OPF}item")}
        # a cover image, named both ways (EPUB 3 property, EPUB 2 meta): Kindle's library takes it from either
        cover = next(meta.get("content") for meta in opf.iter(f"{OPF}meta") if meta.get("name") == "cover")
        assert "cover-image" in items[cover].get("properties", "").split()
        assert items[cover].get("media-type") in ("image/jpeg", "image/png")
        # navigation: a toc nav and an NCX named by the spine (older Kindles read the NCX)
        nav = next(item for item in items.values() if "nav" in (item.get("properties") or "").split())
        assert b'epub:type="toc"' in entries[f"EPUB/{nav.get('href')}"]
        assert items[opf.find(f"{OPF}spine").get("toc")].get("media-type") == "application/x-dtbncx+xml"
        # reflowable; no scripts; no obfuscated fonts; images Kindle converts
        assert b"pre-paginated" not in entries[opf_name]
        assert not any("scripted" in (item.get("properties") or "") for item in items.values())
        assert not any(b"<script" in data for n, data in entries.items() if n.endswith(".xhtml"))
        assert "META-INF/encryption.xml" not in entries
        assert {item.get("media-type") for item in items.values() if item.get("media-type").startswith("image/")} <= {"image/jpeg", "image/png", "image/gif", "image/svg+xml"}
        # text: body text left to the reader, font sizes relative (no pt or px), every heading aligned
        css = entries["EPUB/styles/book.css"].decode()
        assert body_text_findings(css) == []
        sizes = [d["font-size"] for _, d in _css_rules(css) if "font-size" in d]
        assert sizes and all(re.fullmatch(r"[\d.]+(em|%)", size) for size in sizes), sizes
        aligned = {s for selectors, d in _css_rules(css) if "text-align" in d for s in selectors}
        assert {"h1", "h2", "h3", "h4", "h5", "h6"} <= aligned
        assert len(b"".join(entries.values())) < 50_000_000  # Send to Kindle's e-mail limit


def test_kindle_epub_changes_only_the_stylesheet_and_the_claim(built):
    before, after = _entries(built["pml"] / "pml.epub"), _entries(built["pml"] / "pml.kindle.epub")
    assert before.keys() == after.keys()
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed in (["EPUB/styles/book.css"], ["EPUB/content.opf", "EPUB/styles/book.css"])


# ---------------------------------------------------------------- a catalog build: every edition, listed


ATOM = "{http://www.w3.org/2005/Atom}"
ACQUISITION = "http://opds-spec.org/acquisition/open-access"


def test_a_catalog_build_makes_and_lists_every_edition(tmp_path):
    import shutil
    import xml.etree.ElementTree as ET

    folder = tmp_path / "publications"
    shutil.copytree(ROOT / "publications" / "pml", folder / "pml")
    shutil.copy(ROOT / "brochure.yaml", tmp_path / "brochure.yaml")
    dist = tmp_path / "dist"
    result = run_cli("build", folder, "-o", dist, "-q")
    assert result.code == 0, result.err
    made = {p.name for p in (dist / "pml").iterdir()}
    assert {"pml.epub", "pml.kepub.epub", "pml.kindle.epub", "pml-large-print.pdf", "pml-print.pdf", "pml-booklet.pdf"} <= made

    entry = ET.parse(dist / "catalog.xml").getroot().find(f"{ATOM}entry")
    links = [(link.get("href"), link.get("type"), link.get("title")) for link in entry.findall(f"{ATOM}link") if link.get("rel") == ACQUISITION]
    assert links == [("pml/pml.epub", "application/epub+zip", "EPUB e-book"),
                     ("pml/pml.kepub.epub", "application/kepub+zip", "Kobo e-book"),
                     ("pml/pml.kindle.epub", "application/epub+zip", "Kindle e-book"),
                     ("pml/pml.pdf", "application/pdf", "Download PDF"),
                     ("pml/pml-large-print.pdf", "application/pdf", "Large-print PDF")]
    assert len({title for _, _, title in links}) == len(links), "each acquisition has a title of its own"
    for href, _, _ in links:  # each length is the file's
        length = next(link.get("length") for link in entry.findall(f"{ATOM}link") if link.get("href") == href)
        assert int(length) == (dist / href).stat().st_size

    page = (dist / "index.html").read_text(encoding="utf-8")
    for href, media_type, label in [("pml/pml.kepub.epub", "application/kepub+zip", "Kobo e-book"),
                                    ("pml/pml.kindle.epub", "application/epub+zip", "Kindle e-book"),
                                    ("pml/pml-large-print.pdf", "application/pdf", "Large-print PDF"),
                                    ("pml/pml-print.pdf", "application/pdf", "Print-ready PDF")]:
        assert re.search(rf'href="{re.escape(href)}" type="{re.escape(media_type)}"[^>]*><span class="edition-name">{label}</span>', page), href
