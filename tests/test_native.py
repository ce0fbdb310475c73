"""The fast library lookup WeasyPrint is imported with gives the same answers as ctypes, and falls back safely."""
import ctypes.util
import subprocess
import sys

import pytest

from brochure import upstream

# Every name WeasyPrint 70 tries (weasyprint/text/ffi.py), found or not.
NAMES = [
    prefix + name
    for name in ("gobject-2.0", "pango-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig", "pangoft2-1.0")
    for prefix in ("", "lib")
] + ["gobject-2.0-0", "libgobject-2.0-0", "harfbuzz-0.0", "fontconfig-1", "c", "m", "no-such-library-here"]


def standard_lookup(name: str) -> str | None:
    """ctypes' answer; it raises for some misses (its gcc fallback trips over 'liblibfontconfig.a'), which cffi treats as not found."""
    try:
        return ctypes.util.find_library(name)
    except OSError:
        return None


@pytest.mark.parametrize("name", NAMES)
def test_same_answer_as_ctypes(name):
    assert upstream.find_library(name) == standard_lookup(name)


def test_linker_cache_is_read():
    assert "libpango-1.0.so" in upstream.linker_cache()


def test_lookup_is_restored_after_the_block():
    standard = ctypes.util.find_library
    with upstream.cached_library_lookup() as cached:
        assert cached and ctypes.util.find_library is upstream.find_library
    assert ctypes.util.find_library is standard


def _import_in_child(setup: str) -> subprocess.CompletedProcess:
    code = f"""
import sys
from brochure import upstream
{setup}
weasyprint = upstream.import_with_cached_lookup("weasyprint")
print(weasyprint.HTML(string="<p>x</p>").render().pages[0].width > 0)
"""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_weasyprint_imports_and_renders_with_the_cached_lookup():
    result = _import_in_child("")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_wrong_cache_falls_back_to_the_standard_lookup_quietly():
    # A linker cache that knows none of WeasyPrint's libraries: the first import fails, the second succeeds.
    result = _import_in_child('upstream.linker_cache = lambda: "\\tlibfoo.so.1 (libc6,x86-64) => /nowhere/libfoo.so.1"')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"  # and nothing of WeasyPrint's "could not import" banner on stdout
