"""What one contributor's folder may not do to the rest of a catalog: take another publication's id, or rename the
catalog and point its ordering link elsewhere with a brochure.yaml of its own."""
from __future__ import annotations

import zipfile

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
def test_a_publication_folders_own_config_sets_only_that_publications_fields(tmp_path):
    write(tmp_path / "pubs" / "brochure.yaml", "publisher:\n  name: Example County Department of Public Health\n"
          "  order_url: https://health.example.org/order\nbrand:\n  colour_rgb: '#20558a'\n")
    write(tmp_path / "pubs" / "a" / "a.md", source("Asthma"))
    write(tmp_path / "pubs" / "a" / "brochure.yaml", "publisher:\n  name: Contributor Clinic\n  phone: 555-010-0199\n"
          "  order_url: https://clinic.example.net/\nbrand:\n  colour_rgb: '#ff0000'\nprint:\n  profile: pod\n")
    write(tmp_path / "pubs" / "b" / "b.md", source("Burns"))
    for jobs, dist in (("1", "dist"), ("2", "dist2")):  # the outcome never depends on the order publications build in
        result = run_cli("build", tmp_path / "pubs", "-o", tmp_path / dist, "--format", "epub", "-j", jobs)
        assert result.code == 0, result.err
    for line, key in ((4, "publisher.order_url"), (6, "brand.colour_rgb"), (8, "print.profile")):
        assert f"warning: brochure.yaml:{line}: {key} is set for the whole catalog, not in a publication's own folder: it is ignored here" in result.err
    page = (tmp_path / "dist" / "index.html").read_text(encoding="utf-8")
    assert page == (tmp_path / "dist2" / "index.html").read_text(encoding="utf-8")
    assert "Example County Department of Public Health: publications" in page
    assert "https://health.example.org/order" in page and "clinic.example.net" not in page
    with zipfile.ZipFile(tmp_path / "dist" / "a" / "a.epub") as epub:
        a_text = b"".join(epub.read(name) for name in epub.namelist() if name.endswith((".xhtml", ".css", ".opf")))
    with zipfile.ZipFile(tmp_path / "dist" / "b" / "b.epub") as epub:
        b_text = b"".join(epub.read(name) for name in epub.namelist() if name.endswith((".xhtml", ".opf")))
    assert b"Contributor Clinic" in a_text and b"555-010-0199" in a_text  # its own publisher block: allowed
    assert b"#ff0000" not in a_text and b"#20558a" in a_text  # the brand is the catalog's
    assert b"Contributor Clinic" not in b_text and b"Example County Department of Public Health" in b_text


@pytest.mark.slow
def test_a_folder_build_refuses_a_source_linked_out_of_its_folder(tmp_path):
    write(tmp_path / "pubs" / "brochure.yaml", "publisher:\n  name: Example County Department of Public Health\n")
    write(tmp_path / "outside" / "secret.md", source("Secret"))
    (tmp_path / "pubs" / "a").mkdir()
    (tmp_path / "pubs" / "a" / "a.md").symlink_to(tmp_path / "outside" / "secret.md")
    write(tmp_path / "pubs" / "b" / "b.md", source("Burns"))
    result = run_cli("build", tmp_path / "pubs", "-o", tmp_path / "dist", "--format", "epub")
    assert result.code == 2
    assert "error: a.md: the source is a symbolic link leading out of its folder: publish the file itself" in result.err
    assert not (tmp_path / "dist" / "a").exists() and "Secret" not in (tmp_path / "dist" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_publication_folder_1100_levels_deep_builds(tmp_path):
    write(tmp_path / "pubs" / "brochure.yaml", "publisher:\n  name: Example County Department of Public Health\n")
    write(tmp_path / "pubs" / "a" / "a.md", source("Asthma"))
    import os

    here = os.open(tmp_path / "pubs" / "a", os.O_RDONLY)
    try:  # each level made relative to the last: the whole path is longer than the system's limit
        for _ in range(1100):
            os.mkdir("d", dir_fd=here)
            below = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = below
    finally:
        os.close(here)
    try:
        result = run_cli("build", tmp_path / "pubs", "-o", tmp_path / "dist", "--format", "epub")
    finally:
        remove_nested(tmp_path / "pubs" / "a", "d")  # pytest's own clean-up of old runs recurses, and would fail
    assert result.code == 0, result.err
    assert (tmp_path / "dist" / "a" / "a.epub").is_file()


def remove_nested(folder, name):
    """Remove folder/name/name/… however deep, one level at a time from the bottom (no recursion, no long path)."""
    import os

    home = os.getcwd()
    os.chdir(folder)
    try:
        depth = 0
        while os.path.isdir(name):
            os.chdir(name)
            depth += 1
        for _ in range(depth):
            os.chdir("..")
            os.rmdir(name)
    finally:
        os.chdir(home)


def test_a_fifo_as_the_source_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path):
    import os

    fifo = tmp_path / "waiting.md"
    os.mkfifo(fifo)
    result = run_cli("build", fifo, "-o", tmp_path / "out")
    assert result.code == 2 and result.err == "error: waiting.md: not a regular file\n"


@pytest.mark.slow
@pytest.mark.java
def test_images_named_with_spaces_and_percent_escapes_are_one_file_in_the_epub(tmp_path):
    from PIL import Image

    from brochure.checks import validate

    write(tmp_path / "pubs" / "brochure.yaml", "publisher:\n  name: Example County Department of Public Health\n")
    folder = tmp_path / "pubs" / "a"
    write(folder / "a.md", source("Asthma") + "\n![An inhaler](my%20pic.png)\n\n![A spacer](my-20pic.png)\n")
    Image.new("RGB", (600, 400), "white").save(folder / "my pic.png")
    Image.new("RGB", (600, 400), "black").save(folder / "my-20pic.png")
    result = run_cli("build", folder / "a.md", "-o", tmp_path / "out", "--format", "epub")
    assert result.code == 0, result.err
    with zipfile.ZipFile(tmp_path / "out" / "a.epub") as epub:
        body = epub.read("EPUB/body.xhtml").decode()
        pictures = {name: epub.read(name) for name in epub.namelist() if name.endswith(".png") and "cover" not in name}
    assert len(pictures) == 2 and all(f'src="{name.removeprefix("EPUB/")}"' in body for name in pictures)
    assert validate.epubcheck(tmp_path / "out" / "a.epub") == []
