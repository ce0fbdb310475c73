"""Tests of the external validators: each must really run its tool and catch a known defect."""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import weasyprint

from brochure.checks import validate
from brochure.checks.validate import Finding, ToolError
from brochure.errors import BrochureError, ValidationError

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def build_epub(dest: Path, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """Zip the fixture EPUB tree (mimetype first, stored), applying {file: (old, new)} text edits."""
    src = FIXTURES / "epub"
    edits = edits or {}
    with zipfile.ZipFile(dest, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), (src / "mimetype").read_bytes(), zipfile.ZIP_STORED)
        for path in sorted(p for p in src.rglob("*") if p.is_file() and p.name != "mimetype"):
            name = path.relative_to(src).as_posix()
            data = path.read_text(encoding="utf-8")
            if name in edits:
                old, new = edits[name]
                assert old in data, f"fixture edit does not apply to {name}"
                data = data.replace(old, new)
            zf.writestr(name, data, zipfile.ZIP_DEFLATED)
    return dest


def rule_ids(findings: list[Finding]) -> set[str]:
    """The rule or message ids at the start of the findings' messages."""
    return {f.message.split(":")[0].split(" (")[0] for f in findings}


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory):
    """A fresh compile cache, so PdfUaCheck.java is compiled once by this run."""
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("cache")
        mp.setenv("BROCHURE_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def epubs(tmp_path_factory) -> dict[str, Path]:
    """A valid accessible EPUB, and a broken one: no nav item (an error), invalid UUID (a warning)."""
    tmp = tmp_path_factory.mktemp("epub")
    opf = (FIXTURES / "epub" / "EPUB" / "package.opf").read_text(encoding="utf-8")
    broken = opf.replace('properties="nav"', "").replace("urn:uuid:5b0c3f8e-7d0a-4c6e-9a51-2f1f3c0d9a10",
                                                         "urn:uuid:not-a-uuid")
    return {
        "good": build_epub(tmp / "good.epub"),
        "broken": build_epub(tmp / "broken.epub", {"EPUB/package.opf": (opf, broken)}),
    }


@pytest.fixture(scope="session")
def pandoc_epub(tmp_path_factory) -> Path:
    """An EPUB made by pandoc: no accessibility metadata, and an empty link for axe to find."""
    assert shutil.which("pandoc"), "pandoc is needed for this fixture: run make setup"
    out = tmp_path_factory.mktemp("pandoc") / "fact-sheet.epub"
    subprocess.run(["pandoc", str(FIXTURES / "fact-sheet.md"), "-o", str(out)], check=True, timeout=120)
    return out


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    """WeasyPrint PDFs: untagged, PDF/UA-1, and PDF/UA-1 with a decorative (alt="") image."""
    tmp = tmp_path_factory.mktemp("pdf")
    sheet = FIXTURES / "pdf" / "sheet.html"
    html = sheet.read_text(encoding="utf-8")
    assert html.count('alt="A blue dot"') == 1
    decorative = html.replace('alt="A blue dot"', 'alt=""')  # the same sheet, its one image without alt text
    out = {"untagged": tmp / "untagged.pdf", "ua": tmp / "ua.pdf", "decorative": tmp / "decorative.pdf"}
    weasyprint.HTML(filename=sheet).write_pdf(out["untagged"])
    weasyprint.HTML(filename=sheet).write_pdf(out["ua"], pdf_variant="pdf/ua-1")
    weasyprint.HTML(string=decorative, base_url=str(sheet)).write_pdf(out["decorative"], pdf_variant="pdf/ua-1")
    return out


@pytest.fixture(scope="session")
def epubcheck_results(epubs) -> dict[str, list[Finding]]:
    """EPUBCheck findings per fixture EPUB, in one Java run."""
    return dict(zip(epubs, validate.epubcheck_many(list(epubs.values())), strict=True))


@pytest.fixture(scope="session")
def ace_pandoc(pandoc_epub) -> list[Finding]:
    """Ace findings for the pandoc EPUB."""
    return validate.ace(pandoc_epub)


@pytest.fixture(scope="session")
def verapdf_results(pdfs) -> dict[str, list[Finding]]:
    """veraPDF PDF/UA-1 findings per fixture PDF."""
    return dict(zip(pdfs, validate.pdf_ua_many(list(pdfs.values())), strict=True))


# ---------------------------------------------------------------- Finding


def test_finding_is_a_frozen_value():
    finding = Finding("nu", "error", "Bad thing.", "a.xhtml:3:1")
    assert finding == Finding("nu", "error", "Bad thing.", "a.xhtml:3:1")
    assert str(finding) == "nu error: a.xhtml:3:1: Bad thing."
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.severity = "warning"


def test_raise_for_fails_on_errors_not_on_warnings():
    validate.raise_for([Finding("ace", "warning", "meh")])
    with pytest.raises(ValidationError) as err:
        validate.raise_for([Finding("ace", "warning", "meh"), Finding("epubcheck", "fatal", "RSC-001: gone", "x")])
    assert err.value.exit_code == 1
    assert "RSC-001: gone" in str(err.value) and "meh" not in str(err.value)


# ---------------------------------------------------------------- EPUBCheck


@pytest.mark.slow
@pytest.mark.java
def test_epubcheck_passes_valid_epub(epubcheck_results):
    assert epubcheck_results["good"] == []


@pytest.mark.slow
@pytest.mark.java
def test_epubcheck_reports_missing_nav_as_error(epubcheck_results):
    errors = [f for f in epubcheck_results["broken"] if f.severity == "error"]
    assert any(f.message.startswith("RSC-005:") and '"nav"' in f.message for f in errors), errors
    assert all(f.tool == "epubcheck" for f in errors)
    assert any(f.location.startswith("EPUB/package.opf:") for f in errors)


@pytest.mark.slow
@pytest.mark.java
def test_epubcheck_reports_warnings(epubcheck_results):
    warnings = [f for f in epubcheck_results["broken"] if f.severity == "warning"]
    assert [f.message.split(":")[0] for f in warnings] == ["OPF-085"]
    assert warnings[0].location.startswith("EPUB/package.opf:4:")


def test_epubcheck_without_java_is_an_error(epubs, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="java"):
        validate.epubcheck(epubs["good"])


# ---------------------------------------------------------------- Ace


@pytest.mark.slow
@pytest.mark.browser
def test_ace_flags_missing_accessibility_metadata_of_pandoc_epub(ace_pandoc):
    ids = rule_ids(ace_pandoc)
    assert {"metadata-accessmode", "metadata-accessibilityfeature", "metadata-accessibilityhazard"} <= ids
    accessmode = next(f for f in ace_pandoc if f.message.startswith("metadata-accessmode "))
    assert accessmode.severity == "error" and accessmode.location.endswith("content.opf")


@pytest.mark.slow
@pytest.mark.browser
def test_ace_runs_axe_in_chromium(ace_pandoc):
    # link-name comes from axe-core inside the headless browser, not from Ace's package checks.
    link = [f for f in ace_pandoc if f.message.startswith("link-name ")]
    assert link and link[0].location.startswith("text/ch001.xhtml"), ace_pandoc
    assert "\n" not in link[0].message


@pytest.mark.slow
@pytest.mark.browser
def test_ace_passes_accessible_epub(epubs):
    assert validate.ace(epubs["good"]) == []


def test_ace_without_chromium_is_an_error(epubs, monkeypatch):
    monkeypatch.setenv("PUPPETEER_EXECUTABLE_PATH", "/nonexistent/chromium")
    with pytest.raises(ToolError, match="Chromium"):
        validate.ace(epubs["good"])


# ---------------------------------------------------------------- Nu HTML Checker


@pytest.mark.slow
@pytest.mark.java
def test_nu_keeps_real_errors_and_drops_epub_type():
    findings = validate.nu_html([FIXTURES / "nu" / "content.xhtml"])
    assert [(f.severity, f.location) for f in findings] == [
        ("error", "content.xhtml:12:5"),   # <img> without alt
        ("error", "content.xhtml:15:3"),   # a plain type attribute on <section>
    ], findings
    assert "“alt”" in findings[0].message
    assert findings[1].message == "Attribute “type” not allowed on element “section” at this point."


@pytest.mark.slow
@pytest.mark.java
def test_nu_checks_epub_content_documents(tmp_path):
    epub = build_epub(tmp_path / "alt.epub", {"EPUB/text.xhtml": ("<li>Wet", '<li><img src="x.png"/>Wet')})
    findings = validate.nu_html_epub(epub)
    assert [(f.severity, f.location) for f in findings] == [("error", "EPUB/text.xhtml:16:11")], findings


@pytest.mark.slow
@pytest.mark.java
def test_nu_passes_pandoc_epub_full_of_epub_type(pandoc_epub):
    assert validate.nu_html_epub(pandoc_epub) == []


def _nu(message: str, extract: str = "", **extra) -> dict:
    """A Nu JSON error message as vnu writes it."""
    return {"type": "error", "url": "file:/x/a.xhtml", "lastLine": 3, "firstColumn": 1, "lastColumn": 30,
            "message": message, "extract": extract, "hiliteStart": 0, "hiliteLength": len(extract), **extra}


def test_nu_filter_matches_message_text_exactly():
    html_mode = [
        _nu("Attribute “epub:type” not allowed on element “section” at this point."),
        _nu("Attribute “xmlns:epub” not allowed here."),
        _nu("Attribute “epub:type” is not serializable as XML 1.0.", type="info", subType="warning"),
        _nu("Attribute with the local name “xmlns:epub” is not serializable as XML 1.0.", type="info",
            subType="warning"),
    ]
    kept = [
        _nu("Attribute “epub:type” not allowed on element “section” at this point. Really."),
        _nu("Attribute “xmlns:foo” not allowed here."),
        _nu("Attribute “type” not allowed on element “section” at this point.", '<section type="x">'),
        _nu("Attribute “type” not allowed on element “aside” at this point.", '<aside epub:type="a" type="b">',
            lastLine=9),
    ]
    xml_epub = _nu("Attribute “type” not allowed on element “aside” at this point.",
                   '<aside epub:type="a" type="b">', lastLine=9)
    assert validate._drop_epub_type(html_mode + [xml_epub] + kept) == kept


# ---------------------------------------------------------------- veraPDF


@pytest.mark.slow
@pytest.mark.java
def test_verapdf_fails_untagged_pdf(verapdf_results):
    findings = verapdf_results["untagged"]
    messages = " | ".join(f.message for f in findings)
    assert "PDF/UA-1 7.1-11 " in messages      # no StructTreeRoot
    assert "PDF/UA-1 6.2-1 " in messages       # MarkInfo /Marked missing
    assert all(f.tool == "verapdf" and f.severity == "error" for f in findings)


@pytest.mark.slow
@pytest.mark.java
def test_verapdf_passes_weasyprint_pdfua(verapdf_results):
    assert verapdf_results["ua"] == []


@pytest.mark.slow
@pytest.mark.java
def test_verapdf_fails_figure_without_alt(verapdf_results):
    # WeasyPrint 70 tags <img alt=""> as a Figure without /Alt instead of an artifact.
    findings = verapdf_results["decorative"]
    assert [f.message.split(" (")[0] for f in findings] == ["PDF/UA-1 7.3-1"]
    assert "SEFigure" in findings[0].location


def test_verapdf_without_jar_is_an_error(pdfs, monkeypatch):
    monkeypatch.setenv("BROCHURE_VERAPDF_JAR", "/nonexistent/verapdf.jar")
    with pytest.raises(ToolError, match="veraPDF jar"):
        validate.pdf_ua(pdfs["ua"])


@pytest.mark.slow
@pytest.mark.java
def test_pdfua_check_compiled_into_cache(verapdf_results, cache_dir):
    assert list(cache_dir.rglob("pdfua/*/PdfUaCheck.class"))


# ---------------------------------------------------------------- contrast


def test_contrast_ratio_extremes_and_symmetry():
    assert validate.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert validate.contrast_ratio("#fff", "#000") == pytest.approx(21.0)
    assert validate.contrast_ratio("#123456", "#123456") == pytest.approx(1.0)


def test_contrast_grey_777_on_white_is_below_aa():
    assert validate.contrast_ratio("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    assert validate.contrast_ratio("#767676", "#ffffff") >= 4.5


def test_contrast_findings_only_for_failing_pairs():
    findings = validate.contrast({"body": ("#222222", "#ffffff"), "caption": ("#777", "#fff")})
    assert [(f.tool, f.severity, f.location) for f in findings] == [("contrast", "error", "caption")]
    assert "4.48:1" in findings[0].message


def test_contrast_rejects_bad_colour():
    with pytest.raises(BrochureError, match="hex colour"):
        validate.contrast_ratio("blue", "#fff")


def test_tools_resolve_from_this_checkout():
    assert (validate.ROOT / "package.json").is_file()
    assert validate.PDFUA_SOURCE.is_file()
    assert os.access(validate.ROOT / "node_modules" / ".bin" / "ace-cli", os.X_OK)
