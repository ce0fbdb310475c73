"""The build's caches are written whole or not at all, and a cache that cannot be written never fails a build."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pyphen

from brochure import cache, hyphenation


def test_store_writes_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "covers" / "a.png"
    cache.store(target, b"\x89PNG data")
    assert target.read_bytes() == b"\x89PNG data"
    assert [p.name for p in target.parent.iterdir()] == ["a.png"]


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


def test_a_damaged_hyphenation_copy_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setattr(hyphenation, "CACHE", tmp_path)
    monkeypatch.setattr(pyphen, "hdcache", {})
    assert hyphenation.warm("en")
    (copy,) = tmp_path.glob("*.json")
    copy.write_text('{"half a fi', encoding="utf-8")
    reference = pyphen.HyphDict(next(iter(pyphen.hdcache)))  # pyphen's own parse, for comparison
    pyphen.hdcache.clear()
    assert hyphenation.warm("en")
    assert pyphen.Pyphen(lang="en").inserted("leukoencephalopathy") == "leuk-o-en-ceph-alo-pathy"
    assert next(iter(pyphen.hdcache.values())).patterns == reference.patterns
