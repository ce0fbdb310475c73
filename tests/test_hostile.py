"""Hostile sources through the real CLI: each builds valid outputs or fails with one line `file:line: message`, exit 2.

Never a traceback, never a hang (every run has a timeout), never a file read from outside the publication's
folder, never a request to the network (a loopback server counts hits: it must stay at 0).
Small fixtures live in tests/fixtures/hostile/; the big ones are generated here at test time.
"""
from __future__ import annotations

import http.server
import shutil
import struct
import subprocess
import threading
import zipfile
import zlib
from pathlib import Path

import lxml.etree
import pikepdf
import pypdfium2
import pytest

from conftest import ROOT, Run, run_cli

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
FRONT = "---\ntitle: Hostile\nlang: en\n---\n\n"  # the body starts on line 6
SECRET = "TOP-SECRET-7f3a9c"  # written outside the publication's folder: must never reach an output


def build(source: Path, outdir: Path, formats: str = "pdf,epub") -> Run:
    """`python -m brochure build` in a subprocess, with run_cli's timeout (a hang fails the test)."""
    return run_cli("build", source, "-o", outdir, "--format", formats)


def png(width: int, height: int) -> bytes:
    """A real 1-bit PNG of any size, streamed through zlib: 20,000 × 20,000 px is ~50 MB raw, a few kB on disk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    """An empty publication folder, with a secret file and a valid image just outside it, under a brochure.yaml."""
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "outside.png").write_bytes(png(8, 8))
    (tmp_path / "brochure.yaml").write_text("publisher:\n  name: Example County Department of Public Health\n", encoding="utf-8")
    folder = tmp_path / "pub"
    folder.mkdir()
    return folder


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def _count(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    do_GET = do_HEAD = do_POST = _count

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture(scope="module")
def server():
    """A loopback HTTP server that counts every request it gets."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def assert_clean_failure(result: Run, outdir: Path, expected: str) -> None:
    """Exit 2 and exactly one line on stderr, `error: FILE:LINE: message`."""
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"error: {expected}"), lines[0]
    assert not outdir.exists() or not any(outdir.iterdir())


def assert_valid_outputs(outdir: Path) -> str:
    """Every PDF opens with pikepdf and every EPUB is a sound zip of well-formed XML; return all their text."""
    texts = []
    outputs = sorted(outdir.iterdir())
    assert outputs
    for path in outputs:
        if path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                assert len(pdf.pages) >= 1
            document = pypdfium2.PdfDocument(path)
            texts += [page.get_textpage().get_text_range() for page in document]
            document.close()
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as epub:
                assert epub.testzip() is None
                assert epub.infolist()[0].filename == "mimetype"
                assert epub.read("mimetype") == b"application/epub+zip"
                for name in epub.namelist():
                    data = epub.read(name)
                    if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                        lxml.etree.fromstring(data)  # well-formed, or this raises
                    if name.endswith((".xhtml", ".opf", ".ncx", ".xml", ".css", ".svg", "mimetype")):
                        texts.append(data.decode("utf-8"))
    return "\n".join(texts)


def write_source(folder: Path, body: str | bytes, name: str = "hostile.md") -> Path:
    source = folder / name
    source.write_bytes(body if isinstance(body, bytes) else (FRONT + body).encode())
    return source


# ---- failures: one clean line --------------------------------------------------------------------

NESTING = [
    ("list-10000-levels", "- " * 10_000 + "item\n", "hostile.md:6: lists and block quotes are nested more than 32 levels deep"),
    ("ordered-list-10000-levels", "1. " * 10_000 + "item\n", "hostile.md:6: lists and block quotes are nested more than 32 levels deep"),
    ("indented-list-500-levels", "".join("  " * depth + "- item\n" for depth in range(500)), "hostile.md:38: lists and block quotes are nested more than 32"),
    ("blockquote-10000-levels", ">" * 10_000 + " quote\n", "hostile.md:6: lists and block quotes are nested more than 32 levels deep"),
    ("spaced-blockquote-10000-levels", "> " * 10_000 + "quote\n", "hostile.md:6: lists and block quotes are nested more than 32 levels deep"),
    ("html-div-10000-levels", "Text.\n\n" + "<div>" * 10_000 + "x" + "</div>" * 10_000 + "\n", "hostile.md:8: HTML elements are nested more than 100 deep"),
    ("emphasis-5000-levels", "Text.\n\n" + "*" * 5000 + "x" + "*" * 5000 + "\n", "hostile.md:8: emphasis, links or lists are nested too deeply"),
    ("list-and-html-together", "- " * 30 + "item\n\n" + " " * 120 + "<div>" * 60 + "x" + "</div>" * 60 + "\n",
     "hostile.md:8: lists, quotes and HTML are nested more than 100 elements deep"),
]


@pytest.mark.parametrize("name, body, expected", NESTING, ids=[case[0] for case in NESTING])
def test_deep_nesting_is_a_clean_error(pub, name, body, expected):
    result = build(write_source(pub, body), pub.parent / "out")
    assert_clean_failure(result, pub.parent / "out", expected)


def test_5_mb_paragraph_is_refused_by_the_size_limit(pub):
    source = write_source(pub, "word " * (5 * 1024 * 1024 // 5) + "\n")
    result = build(source, pub.parent / "out")
    assert_clean_failure(result, pub.parent / "out", "hostile.md:6: the source passes the 1 MB limit on this line")


def test_a_million_tiny_blocks_are_refused_by_the_line_limit(pub):
    source = write_source(pub, "a\n\n" * 300_000)
    result = build(source, pub.parent / "out")
    assert_clean_failure(result, pub.parent / "out", "hostile.md:20001: the source has more than 20,000 lines (the limit)")


def test_nul_byte(pub):
    source = write_source(pub, "First line.\n\nA NUL \x00 here.\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", "hostile.md:8: NUL byte in the text")


def test_invalid_utf8(pub):
    source = write_source(pub, (FRONT + "Fine.\n\nBroken \xff\xfe bytes.\n").encode("latin-1"))
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", "hostile.md:8: invalid UTF-8 (byte 0xff)")


YAML = [
    ("yaml-bomb.md", None, "yaml-bomb.md:5: malformed front matter: aliases are not allowed"),
    ("yaml-deep.md", "---\ntitle: T\nlang: en\nkeywords: " + "[" * 10_000 + "]" * 10_000 + "\n---\n\nText.\n",
     "yaml-deep.md:4: malformed front matter: values nested more than 16 levels deep"),
    ("yaml-python-tag.md", "---\ntitle: !!python/object/apply:os.system [echo pwned]\nlang: en\n---\n\nText.\n",
     "yaml-python-tag.md:2: malformed front matter: could not determine a constructor"),
]


@pytest.mark.parametrize("name, text, expected", YAML, ids=[case[0] for case in YAML])
def test_front_matter_bombs_are_refused(pub, name, text, expected):
    source = pub / name
    if text is None:
        shutil.copy(HOSTILE / name, source)
    else:
        source.write_text(text, encoding="utf-8")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", expected)


IMAGES = [
    ("not-an-image.png", "image 'not-an-image.png' is not a valid PNG image"),
    ("xxe.svg", "image 'xxe.svg' declares XML entities or external references, refused in an SVG"),
    ("laughs.svg", "image 'laughs.svg' declares XML entities or external references, refused in an SVG"),
    ("external-image.svg", "image 'external-image.svg' refers to 'file:///etc/passwd': an SVG must be self-contained"),
    ("remote-style.svg", "image 'remote-style.svg' has a <style> that loads other files"),
]


@pytest.mark.parametrize("name, expected", IMAGES, ids=[case[0] for case in IMAGES])
def test_hostile_image_files_are_refused(pub, name, expected):
    shutil.copy(HOSTILE / name, pub / name)
    source = write_source(pub, f"Text.\n\n![A picture]({name})\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", f"hostile.md:8: {expected}")


def test_decompression_bomb_png_is_refused_before_decoding(pub):
    (pub / "bomb.png").write_bytes(png(20_000, 20_000))
    source = write_source(pub, "![A huge picture](bomb.png)\n")
    result = build(source, pub.parent / "out")
    assert_clean_failure(result, pub.parent / "out", "hostile.md:6: image 'bomb.png' has more pixels than the 50 megapixels allowed")


def test_an_image_with_the_wrong_name_is_refused(pub):
    shutil.copy(HOSTILE / "safe.svg", pub / "drawing.png")
    source = write_source(pub, "![A drawing](drawing.png)\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", "hostile.md:6: image 'drawing.png' is not a valid PNG image")


ESCAPES = [
    ("file-url", "![Passwords](file:///etc/passwd)", "image 'file:///etc/passwd' is not a file in the publication's folder"),
    ("absolute-path", "![Passwords](/etc/passwd)", "image '/etc/passwd' must be a relative path"),
    ("dot-dot", "![Secret](../secret.txt)", "image '../secret.txt' leads outside the publication's folder"),
    ("dot-dot-deep", "![Passwords](../../../../../../etc/passwd)", "image '../../../../../../etc/passwd' leads outside"),
    ("encoded-dot-dot", "![Secret](%2e%2e/outside.png)", "image '%2e%2e/outside.png' leads outside the publication's folder"),
    ("raw-html-dot-dot", '<img src="../outside.png" alt="Outside">', "image '../outside.png' leads outside the publication's folder"),
    ("dot-dot-back-inside", "![Round trip](../pub/tiny.png)", "image '../pub/tiny.png' must be a plain path inside the publication's folder"),
    ("fragment", "![Fragment](tiny.png#x)", "image 'tiny.png#x' must be a plain path inside the publication's folder"),
]


@pytest.mark.parametrize("name, body, expected", ESCAPES, ids=[case[0] for case in ESCAPES])
def test_references_out_of_the_folder_are_refused(pub, name, body, expected):
    (pub / "tiny.png").write_bytes(png(8, 8))
    source = write_source(pub, f"Text.\n\n{body}\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", f"hostile.md:8: {expected}")


def test_a_symlink_out_of_the_folder_is_refused(pub):
    (pub / "inside.png").symlink_to(pub.parent / "outside.png")
    source = write_source(pub, "![Looks inside](inside.png)\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", "hostile.md:6: image 'inside.png' leads outside the publication's folder")


def test_epub_only_build_applies_the_same_sandbox(pub):
    (pub / "inside.png").symlink_to(pub.parent / "outside.png")
    source = write_source(pub, '<img src="inside.png" alt="Raw HTML, looks inside">\n')
    result = build(source, pub.parent / "out", "epub")
    assert_clean_failure(result, pub.parent / "out", "hostile.md:6: image 'inside.png' leads outside the publication's folder")


def test_a_symlinked_folder_out_of_the_folder_is_refused(pub):
    (pub / "etc").symlink_to("/etc")
    source = write_source(pub, "![Passwords](etc/passwd)\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", "hostile.md:6: image 'etc/passwd' leads outside the publication's folder")


@pytest.mark.parametrize("body", ["![Remote](http://127.0.0.1:{port}/x.png)", '<img src="http://127.0.0.1:{port}/y.png" alt="Remote">'],
                         ids=["markdown-image", "raw-html-image"])
def test_loopback_images_are_refused_without_a_request(pub, server, body):
    before = _Counter.hits
    source = write_source(pub, body.format(port=server.server_port) + "\n")
    result = build(source, pub.parent / "out")
    assert_clean_failure(result, pub.parent / "out", f"hostile.md:6: image 'http://127.0.0.1:{server.server_port}/")
    assert _Counter.hits == before == 0


# ---- successes: valid outputs, nothing leaked ----------------------------------------------------


@pytest.mark.slow
def test_bom_and_crlf_build(pub):
    text = "\ufeff" + FRONT.replace("Hostile", "Byte order mark") + "## A heading\r\n\r\nA line.\r\nAnother line.\r\n"
    source = pub / "bom.md"
    source.write_bytes(text.replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode("utf-8"))
    result = build(source, pub.parent / "out")
    assert result.code == 0, result.err
    text = assert_valid_outputs(pub.parent / "out")
    assert "<dc:title>Byte order mark</dc:title>" in text
    assert "\ufeff" not in text and "\r" not in text.replace("\r\n", "")


@pytest.mark.slow
def test_nesting_just_inside_the_limits_builds_every_edition(pub):
    body = ("".join("    " * depth + "- level\n" for depth in range(32)) + "\n" + "    " * 32 + "<div>" * 36 + "deepest list" + "</div>" * 36
            + "\n\n" + "> " * 32 + "deepest quote\n\n" + "<div>" * 99 + "deepest HTML" + "</div>" * 99 + "\n")
    result = build(write_source(pub, body), pub.parent / "out", "pdf,epub,print")
    assert result.code == 0, result.err
    text = assert_valid_outputs(pub.parent / "out")
    for words in ("deepest list", "deepest quote", "deepest HTML"):
        assert words in text


@pytest.mark.slow
def test_long_raw_html_lists_with_optional_end_tags_are_not_mistaken_for_nesting(pub):
    body = "<ul>\n" + "".join(f"<li>item {number}\n" for number in range(150)) + "</ul>\n\n<table>\n" + "<tr><td>cell\n" * 150 + "</table>\n"
    result = build(write_source(pub, body), pub.parent / "out", "epub")
    assert result.code == 0, result.err
    assert "item 149" in assert_valid_outputs(pub.parent / "out")


def _questions(count: int) -> str:
    return "".join(f"### Question {number}\n" for number in range(count))


def _most_questions() -> int:
    """The most `### Question N` headings a body may have within the layout limit (5,000 took WeasyPrint over 200 s)."""
    from brochure.errors import SourceError
    from brochure.source.limits import check_layout

    low, high = 1, 5000
    while low < high:  # the largest count check_layout accepts
        middle = (low + high + 1) // 2
        try:
            check_layout(_questions(middle), Path("hostile.md"), 6)
            low = middle
        except SourceError:
            high = middle - 1
    return low


@pytest.mark.slow  # the most headings allowed, laid out: about 10 s of CPU for the download PDF
def test_the_most_headings_allowed_build_and_one_more_is_refused(pub):
    most = _most_questions()
    assert 250 <= most < 400  # the 200-page benchmark has 125
    source = write_source(pub, _questions(most))
    result = run_cli("build", source, "-o", pub.parent / "out", "--format", "pdf", timeout=600)  # wall time on a shared machine; the bound is the CPU time tests/test_cost.py measures
    assert result.code == 0, result.err
    assert f"Question {most - 1}" in assert_valid_outputs(pub.parent / "out")
    with pikepdf.open(pub.parent / "out" / "hostile.pdf") as pdf, pdf.open_outline() as outline:
        items, titles = list(outline.root), []
        while items:
            item = items.pop()
            titles.append(item.title)
            items += item.children
    assert sum(title.startswith("Question ") for title in titles) == most  # every heading is bookmarked
    source = write_source(pub, _questions(most + 1))
    result = build(source, pub.parent / "refused")
    assert_clean_failure(result, pub.parent / "refused", f"hostile.md:{6 + most}: the source is too long to lay out in the time a build may take")
    assert f"{most + 1} headings" in result.err


def test_5000_headings_are_refused_at_once(pub):
    source = write_source(pub, _questions(5000))
    result = run_cli("build", source, "-o", pub.parent / "out", "--format", "pdf", timeout=300)
    assert_clean_failure(result, pub.parent / "out", f"hostile.md:{6 + _most_questions()}: the source is too long to lay out")


SVG_SPELLINGS = [
    ("upper-case-url", '<rect width="9" height="9" style="fill: URL(http://127.0.0.1:9/fill)"/>', "refers to 'fill: URL("),
    ("upper-case-presentation", '<rect width="9" height="9" fill="Url(http://127.0.0.1:9/fill)"/>', "refers to 'Url("),
    ("unclosed-url", '<rect width="9" height="9" fill="url(http://127.0.0.1:9/fill"/>', "refers to 'url(http"),
    ("escaped-url", "<style>rect { fill: \\75 rl(http://127.0.0.1:9/fill) }</style>", "has a <style> that loads other files"),
    ("escaped-upper-url", "<style>rect { fill: \\55 RL(http://127.0.0.1:9/fill) }</style>", "has a <style> that loads other files"),
    ("escaped-letter-url", "<style>rect { fill: u\\rl(http://127.0.0.1:9/fill) }</style>", "has a <style> that loads other files"),
    ("escaped-import", '<style>@\\69 mport "http://127.0.0.1:9/x.css";</style>', "has a <style> that loads other files"),
    ("upper-case-import", '<style>@IMPORT "http://127.0.0.1:9/x.css";</style>', "has a <style> that loads other files"),
    ("commented-import", '<style>@/**/import "http://127.0.0.1:9/x.css";</style>', "has a <style> that loads other files"),
]


@pytest.mark.parametrize("name, inside, expected", SVG_SPELLINGS, ids=[case[0] for case in SVG_SPELLINGS])
def test_svg_references_spelt_otherwise_are_refused(pub, name, inside, expected):
    (pub / "drawing.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">{inside}</svg>', encoding="utf-8")
    source = write_source(pub, "![A drawing](drawing.svg)\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", f"hostile.md:6: image 'drawing.svg' {expected}")


def test_svg_fragment_references_in_any_case_are_kept(pub):
    from brochure.errors import Location
    from brochure.sandbox import check_image

    (pub / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: URL(#g) }</style>'
                                     '<linearGradient id="g"/><rect fill="url( \'#g\' )"/></svg>', encoding="utf-8")
    assert check_image(pub / "drawing.svg", "drawing.svg", Location(pub / "x.md", 1)) == 4  # its elements, counted


def test_svg_nested_too_deep_or_too_large_is_refused(pub):
    from brochure.sandbox import MAX_SVG_BYTES, MAX_SVG_DEPTH

    (pub / "deep.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg">' + "<g>" * MAX_SVG_DEPTH + "</g>" * MAX_SVG_DEPTH + "</svg>", encoding="utf-8")
    source = write_source(pub, "![Deep](deep.svg)\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", f"hostile.md:6: image 'deep.svg' nests elements more than {MAX_SVG_DEPTH} deep")
    (pub / "large.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><desc>' + "x" * MAX_SVG_BYTES + "</desc></svg>", encoding="utf-8")
    source = write_source(pub, "![Large](large.svg)\n")
    assert_clean_failure(build(source, pub.parent / "out"), pub.parent / "out", "hostile.md:6: image 'large.svg' is an SVG of 2,000,059 bytes, more than the 2 MB allowed")


@pytest.mark.slow
def test_safe_svg_builds_and_is_packed_into_the_epub(pub):
    shutil.copy(HOSTILE / "safe.svg", pub / "safe.svg")
    source = write_source(pub, "![A gradient](safe.svg)\n")
    result = build(source, pub.parent / "out")
    assert result.code == 0, result.err
    assert_valid_outputs(pub.parent / "out")
    with zipfile.ZipFile(pub.parent / "out" / "hostile.epub") as epub:
        assert epub.read("EPUB/safe.svg") == (HOSTILE / "safe.svg").read_bytes()


@pytest.mark.slow
def test_raw_html_is_sanitised_with_a_warning_per_removal(pub, server):
    text = (HOSTILE / "raw-html.md").read_text(encoding="utf-8").replace("127.0.0.1:9", f"127.0.0.1:{server.server_port}")
    source = pub / "raw-html.md"
    source.write_text(text, encoding="utf-8")
    result = build(source, pub.parent / "out")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    warnings = result.err.strip().splitlines()
    assert all(line.startswith("warning: raw-html.md:") for line in warnings), result.err
    for expected in ("raw-html.md:6: removed unsafe HTML <script>", "raw-html.md:8: removed unsafe HTML <iframe>",
                     "raw-html.md:10: removed unsafe HTML <p onclick=", "raw-html.md:12: removed unsafe HTML <a href='javascript:",
                     "raw-html.md:12: removed unsafe HTML <a href='file:///etc/passwd'>", "raw-html.md:14: removed unsafe HTML <object>",
                     "raw-html.md:16: removed unsafe HTML <form>", "raw-html.md:20: removed unsafe HTML <style>"):
        assert any(expected in line for line in warnings), (expected, result.err)
    text = assert_valid_outputs(pub.parent / "out")
    assert "Plain text survives" in text
    for gone in ("<script", "<iframe", "onclick", "javascript:", "file:///etc/passwd", "<object", "<form", "url(http", "root:x:0:0"):
        assert gone not in text
    assert _Counter.hits == 0


@pytest.mark.slow
def test_links_to_local_files_and_loopback_are_never_fetched(pub, server):
    port = server.server_port
    body = (f"[Passwords](file:///etc/passwd), [the secret](../secret.txt), [loopback](http://127.0.0.1:{port}/page) "
            f"and <http://127.0.0.1:{port}/auto>.\n\n## A heading\n\nText.\n")
    source = write_source(pub, body)
    result = build(source, pub.parent / "out", "pdf,print,epub")
    assert result.code == 0, result.err
    assert "removed unsafe HTML <a href='file:///etc/passwd'>" in result.err
    text = assert_valid_outputs(pub.parent / "out")
    assert SECRET not in text and "root:x:0:0" not in text
    assert _Counter.hits == 0


@pytest.mark.slow
def test_nothing_outside_the_folder_reaches_any_output(pub):
    """Every escape attempt in one source that still builds: no byte of the secret lands in any output."""
    (pub / "link.txt").symlink_to(pub.parent / "secret.txt")
    body = "[a](link.txt) [b](../secret.txt) [c](file:///etc/passwd)\n\n<a href=\"../secret.txt\">d</a>\n"
    result = build(write_source(pub, body), pub.parent / "out")
    assert result.code == 0, result.err
    text = assert_valid_outputs(pub.parent / "out")
    raw = b"".join(path.read_bytes() for path in (pub.parent / "out").iterdir())
    assert SECRET not in text and SECRET.encode() not in raw
    assert b"root:x:0:0" not in raw


# ---- outputs: nothing outside the output folder is ever deleted or overwritten ------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Precious files outside any output folder."""
    folder = tmp_path / "precious"
    (folder / "sub").mkdir(parents=True)
    (folder / "hostile.epub").write_bytes(b"not yours")
    (folder / "sub" / "notes.txt").write_text("keep me", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_output_folder_with_unrelated_files_and_symlinks_out(pub, outside):
    outdir = pub.parent / "out"
    outdir.mkdir()
    (outdir / "unrelated.txt").write_text("mine", encoding="utf-8")
    (outdir / "hostile.epub").symlink_to(outside / "hostile.epub")  # where an output goes: replaced, not followed
    (outdir / "elsewhere").symlink_to(outside / "sub")
    before = snapshot(outside)
    source = write_source(pub, "Text.\n")
    assert build(source, outdir, "epub").code == 0
    assert snapshot(outside) == before
    assert not (outdir / "hostile.epub").is_symlink() and zipfile.is_zipfile(outdir / "hostile.epub")
    assert (outdir / "unrelated.txt").read_text(encoding="utf-8") == "mine"
    write_source(pub, "![Gone](gone.png)\n")
    assert build(source, outdir, "epub").code == 2
    assert snapshot(outside) == before
    assert sorted(path.name for path in outdir.iterdir()) == ["elsewhere", "hostile.epub", "unrelated.txt"]  # no temp files left


@pytest.mark.slow
def test_folder_build_refuses_a_publication_folder_linked_out_of_dist(tmp_path, outside):
    publications = tmp_path / "publications"
    (publications / "p").mkdir(parents=True)
    (publications / "p" / "p.md").write_text(FRONT + "Text.\n", encoding="utf-8")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "p").symlink_to(outside)
    before = snapshot(outside)
    result = run_cli("-q", "build", publications, "-o", dist, "--format", "epub", "-j", "1")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "the output folder leads outside" in result.err
    assert snapshot(outside) == before


def test_make_clean_removes_dist_but_nothing_it_links_to(tmp_path, outside):
    project = tmp_path / "project"
    (project / "dist" / "pml").mkdir(parents=True)
    (project / "dist" / "pml" / "pml.pdf").write_bytes(b"%PDF")
    (project / "dist" / "link-to-file").symlink_to(outside / "hostile.epub")
    (project / "dist" / "link-to-folder").symlink_to(outside / "sub")
    (project / ".cache").symlink_to(outside)
    before = snapshot(outside)
    done = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "clean"], cwd=project, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert not (project / "dist").exists() and not (project / ".cache").exists()
    assert snapshot(outside) == before


# ---- the WeasyPrint URL fetcher itself --------------------------------------------------------------


def test_sandbox_fetcher_serves_the_folder_and_assets_and_refuses_the_rest(pub, server):
    from weasyprint.urls import FatalURLFetchingError

    from brochure.assets import STYLES
    from brochure.editions.pdf import SandboxFetcher

    shutil.copy(HOSTILE / "safe.svg", pub / "safe.svg")
    shutil.copy(HOSTILE / "xxe.svg", pub / "xxe.svg")
    (pub / "link.png").symlink_to(pub.parent / "outside.png")
    fetcher = SandboxFetcher(pub)
    assert fetcher.fetch((pub / "safe.svg").as_uri()).read() == (HOSTILE / "safe.svg").read_bytes()
    assert fetcher.fetch((STYLES / "base.css").as_uri()).read() == (STYLES / "base.css").read_bytes()
    refused = [(pub.parent / "secret.txt").as_uri(), "file:///etc/passwd", (pub / "link.png").as_uri(), (pub / "xxe.svg").as_uri(),
               f"{pub.as_uri()}/../secret.txt", f"http://127.0.0.1:{server.server_port}/x.png", f"https://127.0.0.1:{server.server_port}/",
               f"ftp://127.0.0.1:{server.server_port}/x", "data:image/svg+xml,<svg/>", f"file://127.0.0.1{pub / 'safe.svg'}"]
    for url in refused:
        with pytest.raises(FatalURLFetchingError):
            fetcher.fetch(url)
    assert _Counter.hits == 0


def test_sandbox_fetcher_says_why_it_refused(pub):
    from weasyprint.urls import FatalURLFetchingError

    from brochure.editions.pdf import SandboxFetcher

    shutil.copy(HOSTILE / "xxe.svg", pub / "xxe.svg")
    fetcher = SandboxFetcher(pub)
    with pytest.raises(FatalURLFetchingError) as inside:
        fetcher.fetch((pub / "xxe.svg").as_uri())
    assert "outside" not in inside.value.reason and "xxe.svg" in inside.value.reason
    with pytest.raises(FatalURLFetchingError) as outside:
        fetcher.fetch("file:///etc/passwd")
    assert outside.value.reason == "'file:///etc/passwd' is outside the publication's folder and the project's assets"
