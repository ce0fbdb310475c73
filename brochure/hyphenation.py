"""Hyphenation patterns parsed once and kept under .cache, so a PDF build does not re-read pyphen's dictionary.

Why: WeasyPrint hyphenates through pyphen, which parses the language's whole `hyph_*.dic` file the first
time a process meets the language (about 56 ms for English, 6% of a download PDF build). pyphen keeps the
parsed patterns in its module-level `hdcache`, keyed by the dictionary's path; `warm(lang)` fills that
entry from a JSON copy of the patterns (read in a few milliseconds) or, the first time, parses the
dictionary and writes the copy. Dictionaries with nonstandard hyphenation (pattern alternatives, which
pyphen keeps as int subclasses carrying data) are left to pyphen, as is anything this does not expect.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pyphen

from .cache import ROOT, store

log = logging.getLogger(__name__)
CACHE = ROOT / "hyphenation"


def warm(lang: str) -> bool:
    """Put the patterns for `lang` into pyphen's cache; True when they came from (or went into) our copy."""
    language = pyphen.language_fallback(lang.replace("-", "_"))
    if language is None or not isinstance(getattr(pyphen, "hdcache", None), dict):
        return False
    path = Path(pyphen.LANGUAGES[language])
    if path in pyphen.hdcache:
        return True
    stat = path.stat()
    copy = CACHE / f"{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-{pyphen.__version__}.json"
    if copy.is_file():
        try:
            pyphen.hdcache[path] = _from_json(copy.read_text(encoding="utf-8"))
            return True
        except (OSError, ValueError, TypeError, AttributeError) as err:  # unreadable or not ours: parse again
            log.info("hyphenation cache %s ignored: %s", copy, err)
    parsed = pyphen.HyphDict(path)
    pyphen.hdcache[path] = parsed
    if any(type(value) is not int for _, values in parsed.patterns.values() for value in values):
        return False  # nonstandard hyphenation: pyphen's own objects, not plain numbers
    store(copy, json.dumps({key: [start, list(values)] for key, (start, values) in parsed.patterns.items()}).encode())
    return True


def _from_json(text: str) -> pyphen.HyphDict:
    """A HyphDict rebuilt from its patterns, as pyphen's own constructor leaves it after parsing."""
    hyph = pyphen.HyphDict.__new__(pyphen.HyphDict)
    hyph.patterns = {key: (start, tuple(values)) for key, (start, values) in json.loads(text).items()}
    hyph.cache = {}
    hyph.maxlen = max(len(key) for key in hyph.patterns)
    return hyph
