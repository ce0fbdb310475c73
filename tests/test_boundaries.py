"""What one contributor's folder may not do to the rest of a catalog: take another publication's id, or rename the
catalog and point its ordering link elsewhere with a brochure.yaml of its own."""
from __future__ import annotations

import pytest

from conftest import run_cli


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def source(title, extra=""):
    return f"---\ntitle: {title}\nlang: en\ndate: 2024-05-01\n{extra}---\n\n## About\n\nText about {title.lower()}.\n"


@pytest.mark.slow
def test_two_sources_with_one_id_are_both_refused_and_neither_overwrites_the_other(tmp_path):
    write(tmp_path / "pubs" / "brochure.yaml", "publisher:\n  name: Example County Department of Public Health\n")
    write(tmp_path / "pubs" / "flu" / "flu.md", source("Flu", "id: pml\n"))
    write(tmp_path / "pubs" / "pml" / "pml.md", source("PML"))
    write(tmp_path / "pubs" / "lead" / "lead.md", source("Lead"))
    result = run_cli("build", tmp_path / "pubs", "-o", tmp_path / "dist", "--format", "epub")
    assert result.code == 2
    assert "error: flu.md:5: id 'pml' is also the id of pml/pml.md: give each publication its own id" in result.err
    assert "error: pml.md:1: id 'pml' is also the id of flu/flu.md" in result.err
    assert not (tmp_path / "dist" / "pml").exists() and (tmp_path / "dist" / "lead" / "lead.epub").is_file()
    assert (tmp_path / "dist" / "index.html").read_text(encoding="utf-8").count('id="pub-') == 1


@pytest.mark.slow
def test_a_publication_folders_own_config_does_not_configure_the_catalog(tmp_path):
    write(tmp_path / "pubs" / "brochure.yaml", "publisher:\n  name: Example County Department of Public Health\n"
          "  order_url: https://health.example.org/order\n")
    write(tmp_path / "pubs" / "a" / "a.md", source("Asthma"))
    write(tmp_path / "pubs" / "a" / "brochure.yaml", "publisher:\n  name: Contributor Clinic\n  order_url: https://clinic.example.net/\n")
    write(tmp_path / "pubs" / "b" / "b.md", source("Burns"))
    result = run_cli("build", tmp_path / "pubs", "-o", tmp_path / "dist", "--format", "epub")
    assert result.code == 0, result.err
    page = (tmp_path / "dist" / "index.html").read_text(encoding="utf-8")
    assert "Example County Department of Public Health: publications" in page
    assert "https://health.example.org/order" in page and "clinic.example.net" not in page


def test_a_fifo_as_the_source_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path):
    import os

    fifo = tmp_path / "waiting.md"
    os.mkfifo(fifo)
    result = run_cli("build", fifo, "-o", tmp_path / "out")
    assert result.code == 2 and result.err == "error: waiting.md: not a regular file\n"
