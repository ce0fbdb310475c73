"""Bad input: one line on stderr naming file and line, exit 2, no traceback, nothing in the output folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"

CASES = [
    ("no-front-matter.md", "no-front-matter.md:1: no front matter"),
    ("unclosed-front-matter.md", "unclosed-front-matter.md:1: front matter is not closed"),
    ("malformed-yaml.md", "malformed-yaml.md:4: malformed front matter"),
    ("missing-title.md", "missing-title.md:1: front matter is missing the required key 'title'"),
    ("missing-image.md", "missing-image.md:10: image 'x.png' not found"),
    ("invalid-utf8.md", "invalid-utf8.md:7: invalid UTF-8"),
    ("missing-alt.md", "missing-alt.md:6: image 'tiny.png' has no alt text"),
    ("traversal.md", "traversal.md:6: image '../../../../etc/passwd' leads outside the publication's folder"),
    ("remote-image.md", "remote-image.md:8: image 'http://127.0.0.1:9/x.png' is not a file in the publication's folder"),
]


@pytest.mark.parametrize("name, message", CASES)
def test_bad_source_fails_cleanly(tmp_path, name, message):
    outdir = tmp_path / "out"
    result = run_cli("build", BAD / name, "-o", outdir, "--format", "pdf,epub")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0] == f"error: {message}" or lines[0].startswith(f"error: {message}")
    assert "Traceback" not in result.err
    assert not outdir.exists()


def test_missing_file(tmp_path):
    result = run_cli("build", tmp_path / "nowhere.md", "-o", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip() == "error: nowhere.md: no such file"


def test_unreadable_file(tmp_path):
    folder = tmp_path / "folder.md"
    folder.mkdir()
    result = run_cli("build", folder, "-o", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip() == "error: folder.md: not a regular file"


@pytest.mark.slow
def test_unknown_front_matter_key_is_a_warning_with_a_suggestion(tmp_path):
    source = tmp_path / "typo.md"
    source.write_text("---\ntitle: T\nlang: en\nsubtitel: S\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "epub")
    assert result.code == 0, result.err
    assert "warning: typo.md:4: unknown front-matter key 'subtitel' (did you mean 'subtitle'?)" in result.err


def test_failed_build_leaves_previous_outputs_intact(tmp_path):
    good = tmp_path / "pub.md"
    good.write_text("---\ntitle: T\nlang: en\n---\n\nText.\n", encoding="utf-8")
    outdir = tmp_path / "out"
    assert run_cli("build", good, "-o", outdir, "--format", "epub").code == 0
    before = (outdir / "pub.epub").read_bytes()
    good.write_text("---\ntitle: T\nlang: en\n---\n\n![gone](gone.png)\n", encoding="utf-8")
    assert run_cli("build", good, "-o", outdir, "--format", "epub").code == 2
    assert (outdir / "pub.epub").read_bytes() == before
    assert sorted(p.name for p in outdir.iterdir()) == ["pub.epub"]


@pytest.mark.slow
def test_sources_are_never_modified(tmp_path):
    source = tmp_path / "pub.md"
    text = "---\ntitle: T\nlang: en\n---\n\nText with \"quotes\".\r\n"
    source.write_bytes(text.encode())
    assert run_cli("build", source, "-o", tmp_path / "out", "--format", "epub").code == 0
    assert source.read_bytes() == text.encode()


@pytest.fixture
def configured(tmp_path):
    """A folder holding the project's brochure.yaml (NINDS as the configured publisher)."""
    shutil.copy(ROOT / "brochure.yaml", tmp_path / "brochure.yaml")
    return tmp_path


def _texts(outdir, stem):
    """(PDF text, EPUB back-cover text, PDF /Author) of a build."""
    import zipfile

    import pikepdf
    import pypdfium2

    document = pypdfium2.PdfDocument(outdir / f"{stem}.pdf")
    try:
        pdf = "\n".join(page.get_textpage().get_text_bounded() for page in document)
    finally:
        document.close()
    with zipfile.ZipFile(outdir / f"{stem}.epub") as book:
        epub = book.read("EPUB/back.xhtml").decode() + book.read("EPUB/content.opf").decode()
    with pikepdf.open(outdir / f"{stem}.pdf") as opened:
        author = str(opened.docinfo["/Author"])
    return pdf, epub, author


@pytest.mark.slow
def test_front_matter_overrides_one_field_of_the_configured_publisher(configured):
    source = configured / "phone.md"
    source.write_text("---\ntitle: T\nlang: en\ndate: 2024-05-01\npublisher_phone: 301-496-5751\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", configured / "out")
    assert result.code == 0 and "warning" not in result.err, result.err
    pdf, epub, author = _texts(configured / "out", "phone")
    for text in (pdf, epub):
        assert "301-496-5751" in text and "800-352-9424" not in text
        assert "P.O. Box 5801" in text and "NINDS Brain Resources" in text  # the rest still from brochure.yaml
    assert author == "National Institute of Neurological Disorders and Stroke"


@pytest.mark.slow
def test_another_publisher_takes_nothing_from_the_configured_one(configured):
    """Naming another agency drops the config's parent body, office, contact, address, phone and web site."""
    source = configured / "cdc.md"
    source.write_text("---\ntitle: T\nlang: en\ndate: 2024-05-01\npublisher: Centers for Disease Control and Prevention\n"
                      "publisher_address: [1600 Clifton Road, \"Atlanta, GA 30329\"]\npublisher_url: https://www.cdc.gov\n---\n\n"
                      "Text.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", configured / "out")
    assert result.code == 0 and "warning" not in result.err, result.err
    pdf, epub, author = _texts(configured / "out", "cdc")
    assert author == "Centers for Disease Control and Prevention"
    for text in (pdf, epub):
        assert "Centers for Disease Control and Prevention" in text and "1600 Clifton Road" in text and "cdc.gov" in text
        for other in ("Neurological", "National Institutes of Health", "BRAIN", "P.O. Box 5801", "800-352-9424", "ninds.nih.gov"):
            assert other not in text, other


@pytest.mark.slow
def test_another_publisher_without_contact_details_is_a_warning(configured):
    source = configured / "bare.md"
    source.write_text("---\ntitle: T\nlang: en\ndate: 2024-05-01\npublisher: Centers for Disease Control and Prevention\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", configured / "out", "--format", "epub")
    assert result.code == 0, result.err
    assert ("warning: bare.md:5: publisher 'Centers for Disease Control and Prevention' is not the configured one, so none of "
            "its contact details come from the config: add publisher_address, publisher_phone or publisher_url") in result.err


def test_a_publisher_with_no_configuration_to_differ_from_is_no_warning(tmp_path):
    source = tmp_path / "alone.md"
    source.write_text("---\ntitle: T\nlang: en\ndate: 2024-05-01\npublisher: Centers for Disease Control and Prevention\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "epub")
    assert result.code == 0 and "warning" not in result.err, result.err


def test_an_error_a_library_logs_makes_the_run_fail(tmp_path, monkeypatch, capsys):
    """Any "error:" line means a status other than 0, even when the error is a library's own log record (WeasyPrint
    logs "Failed to load image" and carries on)."""
    import logging

    from brochure import cli

    def build_that_logs(args):
        logging.getLogger("brochure.editions").error("Failed to load image at 'chart.png'")
        return 0

    monkeypatch.setattr(cli, "_run", build_that_logs)
    assert cli.main(["build", str(tmp_path / "x.md")]) == 2
    assert capsys.readouterr().err == "error: Failed to load image at 'chart.png'\n"
    monkeypatch.setattr(cli, "_run", lambda args: 0)
    assert cli.main(["build", str(tmp_path / "x.md")]) == 0
