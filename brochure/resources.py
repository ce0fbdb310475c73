"""Where a publication may read from: its own folder and the project's assets, nothing else."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import Location, ResourceError

PACKAGE = Path(__file__).resolve().parent
PROJECT = PACKAGE.parent
STYLES = PROJECT / "styles"
TEMPLATES = PACKAGE / "templates"
FONTS = STYLES / "fonts"
ASSET_ROOTS = (STYLES, TEMPLATES)
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def resolve_local(ref: str, folder: Path, where: Location, what: str = "file") -> Path:
    """Resolve a relative reference inside `folder`; refuse URLs, absolute paths and escapes."""
    if SCHEME.match(ref) or ref.startswith("//"):
        raise ResourceError(f"{what} '{ref}' is not a file in the publication's folder (no URLs)", where)
    relative = unquote(urlsplit(ref).path)
    if relative.startswith("/") or not relative:
        raise ResourceError(f"{what} '{ref}' must be a relative path inside the publication's folder", where)
    target = (folder / relative).resolve()
    if not is_inside(target, (folder.resolve(),)):
        raise ResourceError(f"{what} '{ref}' leads outside the publication's folder", where)
    return target


def is_inside(path: Path, roots: tuple[Path, ...]) -> bool:
    """True when a resolved path lies inside one of the resolved roots."""
    return any(path == root or root in path.parents for root in roots)


def allowed_file(url: str, folder: Path) -> Path | None:
    """The local file a file: URL names, if it lies inside the publication folder or the assets."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    target = Path(unquote(parts.path)).resolve()
    roots = (folder.resolve(), *(root.resolve() for root in ASSET_ROOTS))
    return target if is_inside(target, roots) and target.is_file() else None
