"""The build's caches are written whole or not at all, and a cache that cannot be written never fails a build."""
from __future__ import annotations

import logging
import marshal
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pyphen
import pytest

from brochure import cache, upstream
from brochure.build import build
from brochure.editions import cover
from conftest import PML, ROOT


def test_store_writes_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "covers" / "a.png"
    cache.store(target, b"\x89PNG data")
    assert target.read_bytes() == b"\x89PNG data"
    assert [p.name for p in target.parent.iterdir()] == ["a.png"]


def test_remembered_makes_once_then_reads_what_it_kept(tmp_path):
    made = []
    target = tmp_path / "kind" / "entry.txt"
    assert cache.remembered(target, lambda: made.append(1) or b"first") == b"first"
    assert cache.remembered(target, lambda: made.append(1) or b"second") == b"first"
    assert made == [1] and target.read_bytes() == b"first"


def test_concurrent_writers_leave_one_whole_file(tmp_path):
    target = tmp_path / "a.json"
    payloads = [bytes([n]) * 200_000 for n in range(16)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda data: cache.store(target, data), payloads))
    assert target.read_bytes() in payloads
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_unwritable_path_is_only_logged(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.INFO, logger="brochure.cache"):
        cache.store(blocker / "a.txt", b"x")  # its parent is a file: cannot be made
    assert "not written" in caplog.text
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("damage", [b"{\xfa half a fi", marshal.dumps([1, 2]), marshal.dumps({"ab": (1, (2, 3))}), marshal.dumps({})],
                         ids=["truncated", "a list", "tuples not bytes", "empty"])
def test_a_damaged_hyphenation_copy_is_parsed_again(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pyphen, "hdcache", {})
    assert upstream.warm_hyphenation("en")
    (copy,) = tmp_path.rglob("*.marshal")
    copy.write_bytes(damage)
    reference = pyphen.HyphDict(next(iter(pyphen.hdcache)))  # pyphen's own parse, for comparison
    pyphen.hdcache.clear()
    assert upstream.warm_hyphenation("en")
    assert pyphen.Pyphen(lang="en").inserted("leukoencephalopathy") == "leukoen-cephalopa-thy"  # the US patterns (en is US English)
    assert {key: (start, tuple(values)) for key, (start, values) in next(iter(pyphen.hdcache.values())).patterns.items()} == reference.patterns


def _epub_cover(paths) -> bytes:
    (epub,) = [path for path in paths if path.suffix == ".epub"]
    with zipfile.ZipFile(epub) as book:
        return book.read("EPUB/images/cover.png")


@pytest.mark.slow
def test_the_cover_picture_is_rasterised_again_only_when_the_cover_changes(tmp_path, monkeypatch):
    """Editing the body reuses the cached cover picture (EPUB and catalog); editing what the cover shows does not."""
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path / "cache"))
    rasterised = []
    real = cover.rasterise_first_page
    monkeypatch.setattr(cover, "rasterise_first_page", lambda pdf: rasterised.append(1) or real(pdf))
    folder = tmp_path / "pml"
    shutil.copytree(PML.parent, folder)
    source = folder / "pml.md"
    original = source.read_text(encoding="utf-8")

    first = build(source, tmp_path / "one", ("pdf", "epub"))
    assert len(rasterised) == 1
    source.write_text(original + "\nOne more paragraph in the body.\n", encoding="utf-8")
    second = build(source, tmp_path / "two", ("pdf", "epub"))
    assert len(rasterised) == 1, "a body edit rasterised the cover again"
    assert _epub_cover(second.paths) == _epub_cover(first.paths)

    source.write_text(original.replace("subtitle: Fact Sheet", "subtitle: A Fact Sheet"), encoding="utf-8")
    third = build(source, tmp_path / "three", ("pdf", "epub"))
    assert len(rasterised) == 2, "a new subtitle kept the old cover"
    assert _epub_cover(third.paths) != _epub_cover(first.paths)


@pytest.mark.slow
@pytest.mark.parametrize("source", [PML, *(ROOT / "tests" / "corpus" / name / f"{name}.md"
                                           for name in ("md-images", "poison-control-es", "md-long-words"))],
                         ids=lambda path: path.stem)
def test_an_epub_built_alone_has_the_cover_of_the_download_pdf(tmp_path, monkeypatch, source):
    """A first EPUB lays out only the cover page for its picture: the same pixels as the download PDF's page 1."""
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path / "alone"))
    alone = build(source, tmp_path / "alone-out", ("epub",))
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path / "with-pdf"))
    with_pdf = build(source, tmp_path / "with-pdf-out", ("pdf", "epub"))
    (pdf,) = [path for path in with_pdf.paths if path.suffix == ".pdf"]
    assert _epub_cover(alone.paths) == cover.rasterise_first_page(pdf.read_bytes())
    assert _epub_cover(alone.paths) == _epub_cover(with_pdf.paths)
    (book_alone,), (book_with_pdf,) = ([path.read_bytes() for path in built.paths if path.suffix == ".epub"]
                                       for built in (alone, with_pdf))
    assert book_alone == book_with_pdf  # and the page list from the print layout laid out beside it
