"""No paths in outputs: the same publication built in two folders gives the same bytes, and no output names a folder.

WeasyPrint 70 names each image after the MD5 of its absolute URL, so a PDF with an image used to differ by the folder
it was built in, and the print job ticket's SHA-256 with it; the builder renders against a fixed base URL instead
(brochure/upstream.py, section 5). Each publication below is built through the real CLI in two folders whose paths
differ in length, and every output is compared byte for byte and searched, PDF streams decompressed and EPUBs
unzipped, for the folders' paths, `file:` and the scheme of that fixed base.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from conftest import Run, run_cli

SOURCE = "---\ntitle: T\nlang: en\ndate: 2024-05-01\n---\n\n## About\n\nText with ![a chart]({image}) and [the form](form.pdf).\n"
CONFIG = "publisher:\n  name: Example County Department of Public Health\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><rect width="300" height="200" fill="#20558a"/></svg>\n'
WEB_SCHEMES = ("https:", "http:", "mailto:", "tel:")


def chart(kind: str) -> bytes:
    """A small chart as a PNG, JPEG or SVG file's bytes."""
    if kind == "svg":
        return SVG.encode()
    image = Image.new("RGB", (600, 400), (255, 255, 255))
    for x in range(0, 600, 100):
        image.paste((32, 85, 138), (x + 20, 400 - x // 2 - 60, x + 80, 400))
    out = io.BytesIO()
    image.save(out, format=kind.upper())
    return out.getvalue()


def publication(folder: Path, kind: str) -> Path:
    """The small publication, its chart, the sibling form it links to and its brochure.yaml, in `folder`."""
    folder.mkdir(parents=True)
    name = f"chart.{kind}"
    (folder / name).write_bytes(chart(kind))
    (folder / "form.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")  # a sibling file that is not published
    (folder / "brochure.yaml").write_text(CONFIG, encoding="utf-8")
    source = folder / "t.md"
    source.write_text(SOURCE.format(image=name), encoding="utf-8")
    return source


def needles(*folders: Path) -> list[bytes]:
    """What no output may hold: the build folders, the home and temporary folders, file: and our base URL's scheme."""
    found = {str(folder) for folder in folders} | {str(folder.resolve()) for folder in folders}
    found |= {str(Path.home()) + "/", tempfile.gettempdir() + "/", "file:", "brochure-publication"}
    return sorted(value.encode() for value in found)


def pieces(path: Path) -> list[tuple[str, bytes]]:
    """An output file as (where, bytes): itself, and a PDF's objects decompressed, an EPUB's members unzipped."""
    found = [(path.name, path.read_bytes())]
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    found.append((f"{path.name} {obj.objgen}", obj.stream_dict.unparse(resolved=True)))
                    try:
                        found.append((f"{path.name} {obj.objgen} stream", obj.read_bytes()))
                    except pikepdf.PdfError:  # an image filter pikepdf does not decode (DCT): its pixels hold no text
                        found.append((f"{path.name} {obj.objgen} stream", obj.read_raw_bytes()))
                elif isinstance(obj, pikepdf.Object):
                    found.append((f"{path.name} {obj.objgen}", obj.unparse(resolved=True)))
    elif path.suffix == ".epub":
        with zipfile.ZipFile(path) as epub:
            found += [(f"{path.name}:{name}", epub.read(name)) for name in epub.namelist()]
    return found


def outputs(folder: Path) -> dict[str, bytes]:
    """Every file under folder by its path relative to it (the build's own manifest aside: issue 18, another part)."""
    return {file.relative_to(folder).as_posix(): file.read_bytes() for file in sorted(folder.rglob("*"))
            if file.is_file() and file.name != ".manifest.json"}


def assert_no_paths(outdir: Path, *folders: Path) -> None:
    """No output under outdir holds a path of the machine, file: or our base URL's scheme."""
    for file in sorted(path for path in outdir.rglob("*") if path.is_file() and path.name != ".manifest.json"):
        for where, data in pieces(file):
            for needle in needles(*folders, outdir):
                assert needle not in data, f"{where} holds {needle!r}: ...{data[max(0, data.find(needle) - 80):data.find(needle) + 80]!r}..."


def link_targets(pdf_path: Path) -> list[str]:
    """The /URI of every link annotation in a PDF."""
    with pikepdf.open(pdf_path) as pdf:
        return [str(annot.A.URI) for page in pdf.pages for annot in page.get("/Annots", [])
                if annot.get("/Subtype") == "/Link" and "/A" in annot and "/URI" in annot.A]


def build(source: Path, outdir: Path, *more: str) -> Run:
    result = run_cli("build", source, "-o", outdir, *more)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return result


KINDS = ["png", "jpeg", "svg"]


@pytest.fixture(scope="module", params=KINDS)
def twice(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The publication with a chart of one kind, built (pdf, print, epub) in two folders of different path lengths."""
    root = tmp_path_factory.mktemp(f"reproducible-{request.param}")
    builds = []
    for folder in (root / "a", root / "a-folder-with-a-much-longer-name" / "and" / "deeper"):
        source = publication(folder / "t", request.param)
        result = build(source, folder / "out", "--format", "pdf,print,epub")
        builds.append((folder, result))
    return builds


@pytest.mark.slow
def test_every_output_is_byte_identical_in_another_folder(twice):
    (first, _), (second, _) = twice
    one, other = outputs(first / "out"), outputs(second / "out")
    assert sorted(one) == ["t-booklet.pdf", "t-imposed.pdf", "t-print.jdf", "t-print.json", "t-print.pdf", "t.epub", "t.pdf"]
    assert sorted(one) == sorted(other)
    assert [name for name in one if one[name] != other[name]] == []


@pytest.mark.slow
def test_the_job_ticket_checksum_is_the_same_in_another_folder(twice):
    tickets = [json.loads((folder / "out" / "t-print.json").read_text(encoding="utf-8")) for folder, _ in twice]
    assert tickets[0]["sha256"] == tickets[1]["sha256"] == hashlib.sha256((twice[0][0] / "out" / "t-print.pdf").read_bytes()).hexdigest()


@pytest.mark.slow
def test_no_output_holds_a_path(twice):
    folders = [folder for folder, _ in twice]
    for folder in folders:
        assert_no_paths(folder / "out", *folders)


@pytest.mark.slow
def test_a_link_to_a_sibling_file_keeps_its_text_and_loses_its_target(twice):
    folder, result = twice[0]
    assert "warning: t.md:9: link 'form.pdf' is neither a web address (https://…) nor an anchor in this publication" in result.err
    for pdf in ("t.pdf", "t-print.pdf", "t-imposed.pdf", "t-booklet.pdf"):
        assert all(uri.startswith(WEB_SCHEMES) for uri in link_targets(folder / "out" / pdf)), pdf
    import pypdfium2

    document = pypdfium2.PdfDocument(folder / "out" / "t.pdf")
    assert any("the form" in page.get_textpage().get_text_range() for page in document)
    document.close()


@pytest.mark.slow
def test_a_folder_build_and_its_catalog_are_the_same_in_another_folder(tmp_path):
    roots = [tmp_path / "x", tmp_path / "a-much-longer-catalog-folder" / "x"]
    for root in roots:
        source = publication(root / "publications" / "t", "png")
        shutil.move(source.parent / "brochure.yaml", root / "brochure.yaml")  # the catalog's configuration, above
        build(root / "publications", root / "dist", "-j", "1")
    one, other = outputs(roots[0] / "dist"), outputs(roots[1] / "dist")
    assert {"index.html", "catalog.xml", "t/t.pdf", "t/t-print.pdf", "t/t.epub"} <= set(one)
    assert sorted(one) == sorted(other)
    assert [name for name in one if one[name] != other[name]] == []
    assert_no_paths(roots[0] / "dist", *roots)


# ---- the pieces: the fetcher under the fixed base, and links WeasyPrint resolved against it -------------------------


def test_the_fetcher_serves_the_folder_under_the_fixed_base_and_refuses_the_rest(tmp_path):
    from urllib.parse import urljoin

    from weasyprint.urls import FatalURLFetchingError

    from brochure import upstream
    from brochure.editions.pdf import SandboxFetcher

    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "outside.png").write_bytes(chart("png"))
    folder = tmp_path / "pub"
    folder.mkdir()
    (folder / "chart.png").write_bytes(chart("png"))
    (folder / "my pic.png").write_bytes(chart("png"))
    (folder / "link.png").symlink_to(tmp_path / "outside.png")
    fetcher = SandboxFetcher(folder)
    base = upstream.PUBLICATION_URL
    for name in ("chart.png", "my%20pic.png"):
        response = fetcher.fetch(urljoin(base, name))
        assert response.read() == (folder / "chart.png").read_bytes()
        assert response.path is None  # not a file: URL: WeasyPrint draws these bytes, it never reads the path again
    refused = {"../secret.txt": "'../secret.txt' is outside", "%2e%2e/outside.png": "'%2e%2e/outside.png' is outside",
               "../../../../etc/passwd": "is outside", "/etc/passwd": "'../etc/passwd' is outside", "link.png": "'link.png' is outside",
               "//127.0.0.1/x.png": "is outside"}
    for reference, reason in refused.items():
        with pytest.raises(FatalURLFetchingError) as refusal:
            fetcher.fetch(urljoin(base, reference))
        assert reason in refusal.value.reason, reference
        assert str(tmp_path) not in refusal.value.reason


def test_a_link_resolved_against_the_folder_is_dropped_from_the_pdf(tmp_path, caplog):
    from brochure.editions import pdf
    from brochure.render.html import DOWNLOAD_STYLES
    from brochure.source.reader import read_publication

    source = publication(tmp_path / "t", "png")
    pub = read_publication(source)
    html = "<html lang='en'><body><p><a href='contact.html'>Contact us</a> or <a href='https://example.org/'>the web</a>.</p></body></html>"
    with caplog.at_level(logging.WARNING):
        document = pdf._document(html, pub, DOWNLOAD_STYLES)
    assert [link[1] for page in document.pages for link in page.links] == ["https://example.org/"]
    assert any("t.md: link 'contact.html' is neither a web address" in record.getMessage() for record in caplog.records)
    out = tmp_path / "links.pdf"
    out.write_bytes(document.write_pdf())
    assert link_targets(out) == ["https://example.org/"]
    assert b"contact.html" not in b"".join(data for _, data in pieces(out))
