"""The readability line's English syllable counts come from a table kept in the cache, and are textstat's own."""
from __future__ import annotations

import re
from pathlib import Path

from brochure.checks import syllables
from conftest import PML

CORPUS = Path(__file__).resolve().parent / "corpus"


def test_every_english_word_of_pml_and_the_corpus_counts_as_textstat_counts_it():
    from textstat import textstat

    texts = [PML.read_text(encoding="utf-8")] + [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*/*.md"))
                                                 if "lang: en" in path.read_text(encoding="utf-8")]
    words = sorted({word for text in texts for word in re.findall(r"\S+", text)})
    assert len(words) > 2000
    assert [syllables.english(word) for word in words] == [textstat.syllable_count(word) for word in words]
    assert syllables.english(" ".join(texts)) == textstat.syllable_count(" ".join(texts))


def test_the_table_is_read_from_the_cache_after_the_first_build(monkeypatch):
    syllables._table.cache_clear()
    first = syllables._table()
    syllables._table.cache_clear()

    def never():
        raise AssertionError("the table was made again instead of read from the cache")

    monkeypatch.setattr(syllables, "_make_table", never)
    assert syllables._table() == first and first["encephalopathy"] == 6
