"""`brochure new`: a scaffolded publication has valid front matter and builds as it stands."""
from __future__ import annotations

import datetime as dt

import pytest

from brochure import read_publication
from conftest import run_cli


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "es"])
def test_scaffold_has_valid_front_matter_and_builds_an_epub(tmp_path, lang):
    made = run_cli("new", "lyme-disease", "--title", 'Lyme "disease": the facts', "--lang", lang, "--dir", tmp_path / "publications")
    assert made.code == 0, made.err
    source = tmp_path / "publications" / "lyme-disease" / "lyme-disease.md"
    assert made.out.strip() == str(source)
    pub = read_publication(source)
    assert (pub.metadata.title, pub.metadata.lang, pub.metadata.id) == ('Lyme "disease": the facts', lang, "lyme-disease")
    assert pub.metadata.date == dt.date.today() and pub.metadata.summary
    assert len(pub.sections) == 2
    built = run_cli("build", source, "-o", tmp_path / "dist", "--format", "epub")
    assert built.code == 0, built.err
    assert (tmp_path / "dist" / "lyme-disease.epub").stat().st_size > 0


@pytest.mark.slow
def test_scaffold_builds_a_pdf_in_a_catalog(tmp_path):
    folder = tmp_path / "publications"
    assert run_cli("new", "first-aid", "--title", "First aid", "--dir", folder).code == 0
    built = run_cli("build", folder, "-o", tmp_path / "dist", "--format", "pdf")
    assert built.code == 0, built.err
    assert (tmp_path / "dist" / "first-aid" / "first-aid.pdf").read_bytes().startswith(b"%PDF-")
    assert 'href="first-aid/first-aid.pdf"' in (tmp_path / "dist" / "index.html").read_text(encoding="utf-8")


def test_scaffold_refuses_to_overwrite_a_folder(tmp_path):
    folder = tmp_path / "publications"
    assert run_cli("new", "first-aid", "--title", "First aid", "--dir", folder).code == 0
    source = folder / "first-aid" / "first-aid.md"
    source.write_text("my own words", encoding="utf-8")
    again = run_cli("new", "first-aid", "--title", "Other", "--dir", folder)
    assert again.code == 2
    assert again.err.strip().splitlines() == [f"error: {folder / 'first-aid'}: already exists; choose another slug or remove the folder"]
    assert source.read_text(encoding="utf-8") == "my own words"


@pytest.mark.parametrize("slug", ["Lyme", "lyme_disease", "-lyme", "lyme--disease", "../lyme", "lyme-"])
def test_scaffold_refuses_a_bad_slug(tmp_path, slug):
    result = run_cli("new", "--title", "Lyme", "--dir", tmp_path, "--", slug)
    assert result.code == 2
    assert result.err.strip().splitlines() == [f"error: slug '{slug}' must be lower-case letters and digits joined by single hyphens, e.g. lyme-disease"]
    assert list(tmp_path.iterdir()) == []


def test_scaffold_refuses_an_empty_title(tmp_path):
    result = run_cli("new", "lyme", "--title", "  ", "--dir", tmp_path)
    assert (result.code, result.err.strip()) == (2, "error: the title must not be empty")
