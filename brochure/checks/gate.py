"""The validation gate of `brochure build --check`: every validator on the built editions, any finding fails.

EPUB: EPUBCheck (0 errors, 0 warnings), the Nu HTML Checker on each XHTML file (epub:type noise dropped),
Ace by DAISY (0 violations). Download PDF: the structure-tree checks of brochure.pdftags and veraPDF's
PDF/UA-1 profile. Both: the agency as author. Design tokens: WCAG AA contrast of every text colour on
the backgrounds it is used on. The EPUB carries the EPUB Accessibility conformance claim only when it
has passed, so the claim is never written untested.
"""
from __future__ import annotations

import dataclasses
import hashlib
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import tinycss2

from brochure import cache
from brochure.assets import STYLES
from brochure.build import Built, build
from brochure.checks import pdftags, readability, validate
from brochure.editions import epub
from brochure.errors import Finding, ValidationError
from brochure.model import Publication
from brochure.output import write_outputs

# (text token, background token) as the stylesheets use them: base.css, paged.css, download.css, epub.css.
TEXT_ON_BACKGROUND = {
    "body text": ("ink", "paper"),
    "secondary text (footer, cover foot, back cover)": ("muted", "paper"),
    "headings, subtitle and links": ("brand", "paper"),
    "callout text": ("ink", "tint"),
    "callout links": ("brand", "tint"),
    "cover band": ("paper", "brand"),
}
WCAG_AA_TEXT = 4.5
CHECKS = {"epub": ("EPUBCheck", "Nu HTML Checker", "Ace"), "pdf": ("PDF tags", "veraPDF PDF/UA-1")}


def checks_for(formats: tuple[str, ...]) -> list[str]:
    """The names of the checks `build --check` runs for these formats."""
    return [name for fmt in ("epub", "pdf") if fmt in formats for name in CHECKS[fmt]] + ["author", "contrast"]


def design_tokens(pub: Publication) -> dict[str, str]:
    """The colour tokens of styles/tokens.css (custom properties holding a hex colour) and the brand colour."""
    rules = tinycss2.parse_stylesheet((STYLES / "tokens.css").read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True)
    tokens = {}
    for rule in rules:
        if rule.type != "qualified-rule" or tinycss2.serialize(rule.prelude).strip() != ":root":
            continue
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            value = tinycss2.serialize(getattr(declaration, "value", [])).strip()
            if declaration.type == "declaration" and declaration.name.startswith("--") and value.startswith("#"):
                tokens[declaration.name[2:]] = value
    tokens["brand"] = pub.brand.colour_rgb
    return tokens


def contrast_findings(pub: Publication) -> list[Finding]:
    """WCAG AA (4.5:1) for every text/background pair of the design tokens."""
    tokens = design_tokens(pub)
    return validate.contrast({name: (tokens[fg], tokens[bg]) for name, (fg, bg) in TEXT_ON_BACKGROUND.items()}, WCAG_AA_TEXT)


def author_findings(pub: Publication, pdf: Path | None, book: Path | None) -> list[Finding]:
    """The document author is the publishing agency (never a person) in the PDF and the EPUB."""
    agency, findings = pub.metadata.publisher.name, []
    if pdf is not None:
        with pikepdf.open(pdf) as document:
            author = str(document.docinfo.get("/Author", ""))
        if author != agency:
            findings.append(Finding("metadata", "error", f"PDF author is {author!r}, not the agency {agency!r}", pdf.name))
    if book is not None:
        with zipfile.ZipFile(book) as archive:
            opf = next(name for name in archive.namelist() if name.endswith(".opf"))
            creators = [e.text for e in ElementTree.fromstring(archive.read(opf)).iter("{http://purl.org/dc/elements/1.1/}creator")]
        if creators != [agency]:
            findings.append(Finding("metadata", "error", f"EPUB creators are {creators}, not the agency {agency!r}", opf))
    return findings


def gate(pub: Publication, pdf: Path | None, book: Path | None) -> list[Finding]:
    """Every finding of every validator on the given editions (an empty list: all passed); the tools run in parallel."""
    jobs: list[tuple[Callable[[Path], list[Finding]], Path]] = []
    if book is not None:
        jobs += [(validate.epubcheck, book), (validate.nu_html_epub, book), (validate.ace, book)]
    if pdf is not None:
        blocks = [text for _, text in readability.text_blocks(pub.body_html)]
        jobs += [(validate.pdf_ua, pdf), (lambda path: pdftags.structure_findings(path, blocks), pdf)]
    with ThreadPoolExecutor(max_workers=len(jobs) or 1) as pool:
        results = [pool.submit(check, path) for check, path in jobs]
        findings = [finding for result in results for finding in result.result()]
    return findings + author_findings(pub, pdf, book) + contrast_findings(pub)


def build_checked(source: Path, outdir: Path | None, formats: tuple[str, ...]) -> Built:
    """Build, claim EPUB Accessibility conformance, run the gate, and write the outputs only if nothing was found.

    The gate's pass is cached by the bytes of each edition (an EPUB before its claim): an edition the gate passed
    before is not validated again, and a plain build that makes the same EPUB carries the claim (epub.gate_passed)."""
    with tempfile.TemporaryDirectory(prefix="brochure-check-") as scratch:
        built = build(source, Path(scratch), formats)
        pub = built.publication
        files = {path.name: path.read_bytes() for path in built.paths}
        book_name, pdf_name = f"{pub.stem}.epub", f"{pub.stem}.pdf"
        unclaimed = None
        if book_name in files and not epub.conformance_claimed(files[book_name]):  # claimed: it passed before
            unclaimed = files[book_name]
            files[book_name] = epub.claim_conformance(unclaimed, pub.metadata.publisher.name)
            (Path(scratch) / book_name).write_bytes(files[book_name])
        pdf, book = (Path(scratch) / name if name in files else None for name in (pdf_name, book_name))
        fresh_pdf = pdf if pdf is not None and not _passed_before(files[pdf_name]) else None
        findings = gate(pub, fresh_pdf, book if unclaimed is not None else None)
        if not findings:  # the author check is cheap: always on both
            findings = author_findings(pub, pdf, book)
    if findings:
        raise ValidationError(f"{source.name}: {len(findings)} validation finding(s):\n" + "\n".join(f"  {f}" for f in findings))
    if unclaimed is not None:
        epub.remember_gate_pass(unclaimed)
    if pdf_name in files:
        cache.store(_pass_record(files[pdf_name]), b"passed\n")
    paths = write_outputs(outdir or Path("dist") / pub.stem, files)
    return dataclasses.replace(built, paths=tuple(paths))


def _pass_record(pdf: bytes) -> Path:
    """The cache entry that says the gate passed on the download PDF with these bytes."""
    return cache.entry("gate", "pdf\n" + hashlib.sha256(pdf).hexdigest(), ".pass")


def _passed_before(pdf: bytes) -> bool:
    return _pass_record(pdf).is_file()
