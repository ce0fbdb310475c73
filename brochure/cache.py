"""The build's own caches (covers, page maps, hyphenation, glyphs, readability, compiled templates): written whole or not at all.

They live in the user's cache folder (platformdirs: ~/.cache/brochure on Linux), never in the install or the
publication's folder; `--cache-dir DIR` or the environment variable BROCHURE_CACHE_DIR puts them elsewhere.
Every entry is kept under a folder named for the versions of the builder, WeasyPrint and pyphen, so an upgrade of
any of them never reuses a page map or a pattern table made by another version.

Several builds run at once (a folder build's process pool, two terminals), so a cache file is written the way
outputs are (output.write_outputs: a temporary file beside it, renamed into place): a reader sees the old file,
the new file, or none, never half of one. A cache that cannot be written (a read-only home) is only logged:
the next build measures again.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path

from brochure.errors import BrochureError
from brochure.output import write_outputs

log = logging.getLogger(__name__)
ENVIRONMENT = "BROCHURE_CACHE_DIR"
VERSIONED = ("brochure", "weasyprint", "pyphen")


def root() -> Path:
    """The cache folder: BROCHURE_CACHE_DIR (which --cache-dir sets) or the user's cache folder for brochure."""
    chosen = os.environ.get(ENVIRONMENT)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("brochure", appauthor=False)


def use(folder: Path) -> None:
    """Keep the caches in folder from now on, in this process and the processes it starts."""
    os.environ[ENVIRONMENT] = str(folder.resolve())


@cache
def versions() -> str:
    """'brochure-0.1.0+weasyprint-70.0+pyphen-0.18.1': what every cache entry was made with."""
    from brochure import __version__

    return "+".join([f"brochure-{__version__}", *(f"{name}-{_installed_version(name)}" for name in VERSIONED[1:])])


def _installed_version(name: str) -> str:
    """The version of an installed distribution, from its .dist-info folder beside the package (neither importing the
    package nor importlib.metadata, which alone costs about 60 ms of every build's start)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        return "unknown"
    found = sorted(Path(spec.origin).parent.parent.glob(f"{name}-*.dist-info"))
    return found[-1].name.removeprefix(f"{name}-").removesuffix(".dist-info") if found else "unknown"


def cache_folder(kind: str) -> Path:
    """Where one kind of cache keeps its entries: ROOT/<versions>/KIND."""
    return root() / versions() / kind


def entry(kind: str, key: str, suffix: str) -> Path:
    """Where the cache of one kind keeps the entry for a key: ROOT/<versions>/KIND/<hash of the key>SUFFIX."""
    return cache_folder(kind) / (hashlib.sha256(key.encode()).hexdigest()[:32] + suffix)


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
