"""The assets every build reads, shipped inside the package: templates, the template's words, styles, fonts, ICC profiles.

They are found through importlib.resources, so an installed `brochure` reads them from its own install, wherever
that is; nothing is read from the current folder or a checkout. The files must be real files on disk (WeasyPrint
and fontconfig open them by path), which every pip install gives.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder() -> Path:
    here = files(__name__)
    if not isinstance(here, Path):  # a zipped install: fonts and profiles could not be opened by path
        raise RuntimeError(f"brochure's assets must be installed as files, not inside an archive ({here})")
    return here


ROOT = _folder()
TEMPLATES = ROOT / "templates"
STRINGS = ROOT / "strings"
STYLES = ROOT / "styles"
FONTS = STYLES / "fonts"
ICC = STYLES / "icc"
ASSET_ROOTS = (STYLES, TEMPLATES)


def font_stamps() -> list[str]:
    """Name, size and modification time of each shipped font file: what a cache of layouts or glyphs keys on."""
    return [f"{font.name}:{font.stat().st_size}:{font.stat().st_mtime_ns}" for font in sorted(FONTS.glob("*.[ot]tf"))]
