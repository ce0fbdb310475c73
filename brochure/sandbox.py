"""Where a publication may read from: its own folder and the project's assets, nothing else."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from brochure.assets import ASSET_ROOTS
from brochure.errors import Location, ResourceError

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# What a configured or front-matter address may be: a web page, a mail address or a phone number; no script, no quotes.
WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'`\\]+|mailto:[^\s<>\"'`\\/:@]+@[^\s<>\"'`\\/:@]+|tel:\+?[0-9][0-9.()-]*")


def is_web_address(value: str) -> bool:
    """True for an https:, http:, mailto: or tel: address that can be put in an href as it is (never javascript:,
    data: or a quote)."""
    return bool(WEB_ADDRESS.fullmatch(value))


def resolve_local(ref: str, folder: Path, where: Location, what: str = "file", place: str = "the publication's folder") -> Path:
    """Resolve a relative reference inside `folder` (named `place` in the errors); refuse URLs, absolute paths and escapes."""
    if SCHEME.match(ref) or ref.startswith("//"):
        raise ResourceError(f"{what} '{ref}' is not a file in {place} (no URLs)", where)
    relative = unquote(urlsplit(ref).path)
    if relative.startswith("/") or not relative:
        raise ResourceError(f"{what} '{ref}' must be a relative path inside {place}", where)
    target = (folder / relative).resolve()
    if not is_inside(target, (folder.resolve(),)):
        raise ResourceError(f"{what} '{ref}' leads outside {place}", where)
    parts = urlsplit(ref)
    if ".." in Path(relative).parts or parts.query or parts.fragment or "\\" in ref:
        # The EPUB stores the file under this very name: it must be a plain path, the same on every reader.
        raise ResourceError(f"{what} '{ref}' must be a plain path inside {place} (no '..', '?', '#' or '\\')", where)
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


def local_image(ref: str, folder: Path, where: Location, what: str = "image", place: str = "the publication's folder") -> tuple[Path, int]:
    """An image file a reference names inside `folder` (resolve_local), that exists and passes check_image; with the
    number of elements it has (an SVG's; 0 for other images)."""
    resolved = resolve_local(ref, folder, where, what=what, place=place)
    if not resolved.is_file():
        raise ResourceError(f"{what} '{ref}' not found", where)
    return resolved, check_image(resolved, ref, where)


IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP", ".svg": "SVG"}
MAX_IMAGE_PIXELS = 50_000_000  # 50 megapixels: a full print page at 600 ppi is 34; a decompression bomb is far more
MAX_IMAGE_BYTES = 50_000_000
# WeasyPrint parses and draws an SVG in Python: 100,000 elements took 33 s and 865 MB. A detailed map or chart is a few
# thousand elements in a few hundred kB; these keep one drawing (and all the drawings a publication shows, each use
# counted, which the reader sums) to a few seconds.
MAX_SVG_BYTES = 2_000_000
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 100
CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
CSS_ESCAPE = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})[ \t\n\r\f]?|(.))", re.S)
CSS_URL = re.compile(r"url\(([^)]*)(?:\)|$)")


def check_image(path: Path, ref: str, where: Location) -> int:
    """Refuse an image that is not what its name says, is too large to decode, or is an unsafe SVG; return how many
    elements an SVG has (0 for other images)."""
    kind = IMAGE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ResourceError(f"image '{ref}' is not a PNG, JPEG, GIF, WebP or SVG file (by its name)", where)
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ResourceError(f"image '{ref}' is larger than {MAX_IMAGE_BYTES // 1_000_000} MB", where)
    if kind == "SVG":
        if size > MAX_SVG_BYTES:
            raise ResourceError(f"image '{ref}' is an SVG of {size:,} bytes, more than the {MAX_SVG_BYTES // 1_000_000} MB allowed for a drawing", where)
        return _check_svg(path, ref, where)
    _check_raster(path, kind, ref, where)
    return 0


def _check_raster(path: Path, kind: str, ref: str, where: Location) -> None:
    """Read the header only (no pixels are decoded): the format must match and the size stay under the limit."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[kind]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ResourceError(f"image '{ref}' has more pixels than the {MAX_IMAGE_PIXELS // 1_000_000} megapixels allowed", where) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ResourceError(f"image '{ref}' is not a valid {kind} image", where) from None


def _check_svg(path: Path, ref: str, where: Location) -> int:
    """Parse with defusedxml (no entities, nothing external), not too deep nor too many elements, referring to nothing
    outside itself; return the number of elements."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    depth = elements = 0
    try:
        for event, element in safe_xml.iterparse(path, events=("start", "end"), forbid_entities=True, forbid_external=True):
            depth += 1 if event == "start" else -1
            elements += event == "start"
            tag = str(element.tag).rsplit("}", 1)[-1]
            if event == "start" and depth == 1 and tag != "svg":
                raise ResourceError(f"image '{ref}' is not an SVG image (its root is <{tag}>)", where)
            if depth > MAX_SVG_DEPTH:
                raise ResourceError(f"image '{ref}' nests elements more than {MAX_SVG_DEPTH} deep", where)
            if elements > MAX_SVG_ELEMENTS:
                raise ResourceError(f"image '{ref}' has more than {MAX_SVG_ELEMENTS:,} elements, the limit for a drawing "
                                    "(it would take minutes to lay out): simplify it, or use a PNG", where)
            if tag in ("script", "foreignObject"):
                raise ResourceError(f"image '{ref}' contains <{tag}>, not allowed in an image", where)
            for name, value in element.attrib.items():
                if _external_reference(name, value):
                    raise ResourceError(f"image '{ref}' refers to '{value}': an SVG must be self-contained", where)
            if event == "end" and tag == "style" and _loads_files(element.text or ""):
                raise ResourceError(f"image '{ref}' has a <style> that loads other files: an SVG must be self-contained", where)
            if event == "end":
                element.clear()  # what was checked is not kept: memory stays flat however long the file
    except DefusedXmlException:
        raise ResourceError(f"image '{ref}' declares XML entities or external references, refused in an SVG (they can leak files or expand without bound)", where) from None
    except ParseError as err:
        raise ResourceError(f"image '{ref}' is not well-formed SVG ({err})", where) from None
    return elements


def _external_reference(name: str, value: str) -> bool:
    """An href to anything but a fragment, or a url() to anything but a fragment (in style or presentation attributes)."""
    if name.rsplit("}", 1)[-1] == "href":
        return not value.strip().startswith("#")
    return _loads_files(value, imports=False)


def _loads_files(css: str, imports: bool = True) -> bool:
    """Whether CSS (a <style>, a style or presentation attribute) has an @import or a url() to anything but a fragment,
    however it is spelt: in any case, with CSS escapes (`\\75 rl(`, `@\\69 mport`), with comments inside."""
    plain = _css_plain(css)
    return (imports and "@import" in plain) or any(not target.strip(" \t\n'\"").startswith("#") for target in CSS_URL.findall(plain))


def _css_plain(css: str) -> str:
    """CSS as its parser reads it: comments out, escapes decoded, lower case."""
    def unescape(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(2)
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return CSS_ESCAPE.sub(unescape, CSS_COMMENT.sub("", css)).lower()
