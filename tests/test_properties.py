"""Random Markdown, every time a valid build or a clean error (BrochureError: exit 2, `file:line: message`).

In-process for speed: the reader and the EPUB writer for most examples, the download PDF for a few.
Anything else escaping (a KeyError, a RecursionError, an lxml error) fails the property.
"""
from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import lxml.etree
import pikepdf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from brochure.editions.epub import write_epub
from brochure.editions.pdf import write_download_pdf
from brochure.errors import BrochureError
from brochure.source.reader import read_publication

TINY_PNG = Path(__file__).resolve().parent / "fixtures" / "bad" / "tiny.png"
CLEAN_ERROR = re.compile(r"^[\w.-]+\.md:\d+: \S")  # file:line: message

words = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=30)
punctuation = st.sampled_from(["*", "**", "_", "__", "`", "``", "[", "]", "(", ")", "!", "#", "<", ">", "&", "|", "\\", "~", "{", "}", ":", "^", "-", "+", "1.", "---", "***"])
urls = st.sampled_from(["tiny.png", "missing.png", "../tiny.png", "/etc/passwd", "file:///etc/passwd", "http://127.0.0.1:9/x",
                        "https://example.org/", "javascript:alert(1)", "mailto:a@b.c", "#top", "", "tiny.png#frag", "%2e%2e/x"])
raw_html = st.sampled_from(["<div>", "</div>", "<span>", "</span>", "<p>", "</p>", "<script>x()</script>", "<iframe src=x>",
                            '<img src="tiny.png" alt="A">', '<img src="x.png">', "<table><tr><td>a</td></tr></table>", "<!--", "-->",
                            '<a href="javascript:x">j</a>', '<p onclick="x">c</p>', "&amp;", "&#0;", "&#x110000;", "&bogus;", "<br>",
                            '<div markdown="1">', "<svg><circle/></svg>", '<td style="background:url(x)">', "<h2>Raw</h2>", "\x0b", "\ufeff"])


@st.composite
def blocks(draw) -> str:  # type: ignore[no-untyped-def]
    """One Markdown block: a heading, a list item, a quote, a link or image, raw HTML, a fence, a table row, or text."""
    text = draw(st.lists(st.one_of(words, punctuation), max_size=8).map(" ".join))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return "#" * draw(st.integers(1, 7)) + " " + text
    if kind == 1:
        marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)"])) + " "
        return " " * draw(st.integers(0, 9)) + marker * draw(st.integers(1, 40)) + text
    if kind == 2:
        return ">" * draw(st.integers(1, 40)) + " " + text
    if kind == 3:
        return f"[{text}]({draw(urls)})"
    if kind == 4:
        return f"![{text}]({draw(urls)}){draw(st.sampled_from(['', '{.decorative}', '{#id .c}']))}"
    if kind == 5:
        return draw(st.lists(raw_html, min_size=1, max_size=4).map("".join)) + text
    if kind == 6:
        return draw(st.sampled_from(["```", "~~~", "    "])) + text
    if kind == 7:
        return f"| {text} | b |\n|---|---|\n| c | d |"
    if kind == 8:
        return f"{text}[^1]\n\n[^1]: {text}"
    return text


sources = st.lists(blocks(), max_size=12).map(lambda parts: "\n".join(parts))


def build_in(folder: Path, body: str) -> Path:
    """A publication folder holding one source (and an image it may use)."""
    shutil.copy(TINY_PNG, folder / "tiny.png")
    source = folder / "random.md"
    source.write_text("---\ntitle: Random\nlang: en\n---\n\n" + body + "\n", encoding="utf-8")
    return source


def assert_clean(err: BrochureError) -> None:
    event(f"clean error: {type(err).__name__}")
    assert err.exit_code == 2
    assert CLEAN_ERROR.match(str(err)), str(err)
    assert "\n" not in str(err)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=sources)
def test_random_markdown_gives_a_valid_epub_or_a_clean_error(body):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            pub = read_publication(build_in(Path(tmp), body))
            epub = write_epub(pub, TINY_PNG.read_bytes())
        except BrochureError as err:
            assert_clean(err)
            return
    with zipfile.ZipFile(io.BytesIO(epub)) as book:
        assert book.testzip() is None
        assert book.namelist()[0] == "mimetype"
        for name in book.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                lxml.etree.fromstring(book.read(name))  # well-formed XML, or this raises
        assert all(f"EPUB/{image.src}" in book.namelist() for image in pub.images)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=sources)
def test_random_markdown_gives_a_valid_pdf_or_a_clean_error(body):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            pdf = write_download_pdf(read_publication(build_in(Path(tmp), body)))
        except BrochureError as err:
            assert_clean(err)
            return
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) >= 1
