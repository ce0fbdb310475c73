"""Find the shared libraries WeasyPrint loads (Pango, HarfBuzz, …) with one `ldconfig -p` instead of twenty.

Why: WeasyPrint tries several names per library (Windows, macOS and Linux spellings), and
cffi answers each bare name with `ctypes.util.find_library`, which on Linux starts
`ldconfig -p` and, for every name that is not found, `gcc` and `ld` as well: about twenty
subprocesses and a third of a second before the first page is laid out. This module reads
the linker cache once and answers those lookups from it, the way `find_library` would.
If WeasyPrint still cannot load its libraries that way, the caller imports it again with
the standard lookup, so the worst case is the usual start-up, never a failure.
"""
from __future__ import annotations

import contextlib
import ctypes.util
import importlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from types import ModuleType

# The ABI tag ldconfig prints for this interpreter's libraries (as ctypes.util does on Linux).
_ABI_TAGS = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
             "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


@cache
def linker_cache() -> str:
    """The output of `ldconfig -p` (empty when there is no ldconfig, i.e. not a glibc Linux)."""
    ldconfig = shutil.which("ldconfig") or next((p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.access(p, os.X_OK)), None)
    if not sys.platform.startswith("linux") or ldconfig is None:
        return ""
    try:
        result = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=False, env={"LC_ALL": "C", "LANG": "C"})
    except OSError:
        return ""
    return result.stdout


def find_library(name: str) -> str | None:
    """The soname `ctypes.util.find_library(name)` finds through the linker cache, or None."""
    machine = f"{os.uname().machine}-{'64' if sys.maxsize > 2**32 else '32'}"
    abi = _ABI_TAGS.get(machine, "libc6")
    found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}", linker_cache())
    return found.group(1) if found else None


@contextlib.contextmanager
def cached_library_lookup() -> Iterator[bool]:
    """Answer `find_library` from the linker cache inside the block; yields False when there is no cache."""
    if not linker_cache():
        yield False
        return
    standard = ctypes.util.find_library
    ctypes.util.find_library = find_library
    try:
        yield True
    finally:
        ctypes.util.find_library = standard


def import_with_cached_lookup(module: str) -> ModuleType:
    """Import `module` with the cached lookup; if its libraries do not load that way, import it the standard way."""
    with cached_library_lookup() as cached, contextlib.redirect_stdout(io.StringIO()):
        try:
            return importlib.import_module(module)
        except OSError:
            if not cached:
                raise
            for name in [name for name in sys.modules if name == module or name.startswith(f"{module}.")]:
                del sys.modules[name]
    return importlib.import_module(module)
