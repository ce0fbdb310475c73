"""The build's own caches under .cache/ (covers, page maps, hyphenation, readability): written whole or not at all.

Several builds run at once (a folder build's process pool, two terminals), so a cache file is written to a
temporary file beside it and renamed into place: a reader sees the old file, the new file, or none, never half
of one. A cache that cannot be written (a read-only checkout) is only logged: the next build measures again.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def store(path: Path, data: bytes) -> None:
    """Put data at path atomically; on failure leave no temporary file and log why."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        log.info("cache %s not written: %s", path, err)
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(scratch, path)
    except OSError as err:
        log.info("cache %s not written: %s", path, err)
        Path(scratch).unlink(missing_ok=True)
