"""The build's own caches under .cache/ (covers, page maps, hyphenation, readability): written whole or not at all.

Several builds run at once (a folder build's process pool, two terminals), so a cache file is written the way
outputs are (output.write_outputs: a temporary file beside it, renamed into place): a reader sees the old file,
the new file, or none, never half of one. A cache that cannot be written (a read-only checkout) is only logged:
the next build measures again.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from .errors import BrochureError
from .output import write_outputs
from .resources import PROJECT

log = logging.getLogger(__name__)
ROOT = PROJECT / ".cache"


def entry(kind: str, key: str, suffix: str) -> Path:
    """Where the cache of one kind keeps the entry for a key: .cache/KIND/<hash of the key>SUFFIX."""
    return ROOT / kind / (hashlib.sha256(key.encode()).hexdigest()[:32] + suffix)


def remembered(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes kept at path, or else make() them and keep them there."""
    if path.is_file():
        return path.read_bytes()
    data = make()
    store(path, data)
    return data


def store(path: Path, data: bytes) -> None:
    """Put data at path atomically; if it cannot be written, log why and carry on."""
    try:
        write_outputs(path.parent, {path.name: data})
    except BrochureError as err:
        log.info("cache %s not written: %s", path, err)
