"""The hyphenation patterns cached under .cache hyphenate exactly as pyphen's own parse of the dictionary."""
from __future__ import annotations

from pathlib import Path

import pyphen
import pytest

from brochure import upstream
from conftest import seed_sentences


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """pyphen's in-process cache emptied and our copies written to a temporary folder."""
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(pyphen, "hdcache", {})
    return tmp_path


def as_tuples(patterns: dict) -> dict:
    """Our copy keeps each pattern's values as bytes; pyphen's own parse, as a tuple of ints."""
    return {key: (start, tuple(values)) for key, (start, values) in patterns.items()}


def words() -> list[str]:
    return sorted({word.strip(".,;:()?“”’") for sentence in seed_sentences() for word in sentence.split() if len(word) > 5})


@pytest.mark.parametrize("lang", ["en", "en-US", "es"])
def test_cached_patterns_hyphenate_like_pyphen(isolated, lang):
    assert upstream.warm_hyphenation(lang)  # first: parsed by pyphen, copy written
    assert list(isolated.rglob("*.marshal"))
    pyphen.hdcache.clear()
    assert upstream.warm_hyphenation(lang)  # then: read back from the copy
    language = pyphen.language_fallback(lang.replace("-", "_"))
    ours = pyphen.hdcache[Path(pyphen.LANGUAGES[language])]
    reference = pyphen.HyphDict(Path(pyphen.LANGUAGES[language]))
    assert as_tuples(ours.patterns) == reference.patterns and ours.maxlen == reference.maxlen
    assert len(words()) > 100
    for word in words():
        assert ours.positions(word) == reference.positions(word), word


def test_unknown_language_is_left_to_pyphen(isolated):
    assert upstream.warm_hyphenation("tlh") is False
    assert not list(isolated.iterdir())
