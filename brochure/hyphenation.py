"""Hyphenation patterns parsed once and kept under .cache, so a PDF build does not re-read pyphen's dictionary.

Why: WeasyPrint hyphenates through pyphen, which parses the language's whole `hyph_*.dic` file the first
time a process meets the language (about 56 ms for English, 6% of a download PDF build). pyphen keeps the
parsed patterns in its module-level `hdcache`, keyed by the dictionary's path; `warm(lang)` fills that
entry from a marshal copy of the patterns (read in about 5 ms; a JSON copy took 20 ms to read and rebuild)
or, the first time, parses the dictionary and writes the copy. The copy keeps each pattern's values as
bytes, which pyphen reads exactly as it reads its own tuples of small ints (it only takes len() and iterates).
Like Jinja's bytecode cache beside it, the copy is the project's own file under .cache/. Dictionaries with
nonstandard hyphenation (pattern alternatives, which pyphen keeps as int subclasses carrying data) are left to
pyphen, as is anything this does not expect.
"""
from __future__ import annotations

import logging
import marshal
import sys
from pathlib import Path

import pyphen

from .cache import ROOT, store

log = logging.getLogger(__name__)
CACHE = ROOT / "hyphenation"


# pyphen 0.18.1 maps the bare language `en` to the British patterns (hyph_en_GB: "corticost-eroid", "scient-ists");
# US federal health texts are US English, so `en` takes the US patterns and only `en-GB` the British ones.
if "en_US" in pyphen.LANGUAGES:
    pyphen.LANGUAGES["en"] = pyphen.LANGUAGES["en_US"]


def warm(lang: str) -> bool:
    """Put the patterns for `lang` into pyphen's cache; True when they came from (or went into) our copy."""
    language = pyphen.language_fallback(lang.replace("-", "_"))
    if language is None or not isinstance(getattr(pyphen, "hdcache", None), dict):
        return False
    path = Path(pyphen.LANGUAGES[language])
    if path in pyphen.hdcache:
        return True
    stat = path.stat()
    python = f"py{sys.version_info[0]}{sys.version_info[1]}m{marshal.version}"
    copy = CACHE / f"{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-{pyphen.__version__}-{python}.marshal"
    if copy.is_file():
        try:
            pyphen.hdcache[path] = _from_marshal(copy.read_bytes())
            return True
        except (OSError, ValueError, TypeError, EOFError) as err:  # unreadable or not ours: parse again
            log.info("hyphenation cache %s ignored: %s", copy, err)
    parsed = pyphen.HyphDict(path)
    pyphen.hdcache[path] = parsed
    if any(type(value) is not int for _, values in parsed.patterns.values() for value in values):
        return False  # nonstandard hyphenation: pyphen's own objects, not plain numbers
    store(copy, marshal.dumps({key: (start, bytes(values)) for key, (start, values) in parsed.patterns.items()}))
    return True


def _from_marshal(data: bytes) -> pyphen.HyphDict:
    """A HyphDict rebuilt from its patterns, as pyphen's own constructor leaves it after parsing."""
    patterns = marshal.loads(data)  # noqa: S302 - our own cache file, written above
    if not (isinstance(patterns, dict) and patterns and all(_is_pattern(key, value) for key, value in list(patterns.items())[:50])):
        raise TypeError("not a pattern table")  # and the dictionary is parsed again
    hyph = pyphen.HyphDict.__new__(pyphen.HyphDict)
    hyph.patterns = patterns
    hyph.cache = {}
    hyph.maxlen = max(map(len, patterns))
    return hyph


def _is_pattern(key: object, value: object) -> bool:
    return isinstance(key, str) and isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], bytes)
