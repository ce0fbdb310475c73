"""Every workaround for an upstream library in one place: WeasyPrint 70.0, pyphen 0.18.1, cffi's library lookup.

Each section below says what the upstream library does, which version this was written against, and what the
workaround changes. When the library is upgraded, read its section first: the workaround may have become
unnecessary or wrong. The sections:

1. Library lookup (WeasyPrint 70.0 through cffi, CPython 3.11 `ctypes.util.find_library`).
2. Hyphenation (pyphen 0.18.1): US patterns for `en`, and the parsed patterns cached.
3. PDF writing (WeasyPrint 70.0): link annotation labels, PDF/X document id and conformance key, the alt
   warning for decorative images.
4. Structure tree (WeasyPrint 70.0 `pdf_tags=True`): decorative images as artifacts, /Lang on passages, running
   heads and footers as pagination artifacts, one Link per wrapped link and one annotation per line, the contents as
   TOC/TOCI with artifact leaders, a Sect per section, positioned boxes of a list item inside its LBody.
5. Folder-independent URLs (WeasyPrint 70.0 names images by the MD5 of their absolute URL): a fixed base URL.
6. Line-end hyphens (WeasyPrint 70.0 draws the hyphenate-character as text): /ActualText so words extract whole.

pikepdf is loaded on first use (importlib's LazyLoader): a build with nothing to fix never pays for it.
"""
from __future__ import annotations

import contextlib
import ctypes.util
import importlib
import importlib.util
import io
import logging
import marshal
import os
import posixpath
import re
import shutil
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pydyf
import pyphen

from brochure.cache import cache_folder, store
from brochure.errors import warn

if TYPE_CHECKING:
    import pikepdf
    import weasyprint

    from brochure.checks import pdftags
else:
    def _lazy(name: str) -> ModuleType:
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.loader is not None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    pikepdf = _lazy("pikepdf")
    pdftags = _lazy("brochure.checks.pdftags")  # the structure tree's one walker

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------------
# 1. Library lookup
"""Find the shared libraries WeasyPrint loads (Pango, HarfBuzz, …) with one `ldconfig -p` instead of twenty.

Why: WeasyPrint tries several names per library (Windows, macOS and Linux spellings), and
cffi answers each bare name with `ctypes.util.find_library`, which on Linux starts
`ldconfig -p` and, for every name that is not found, `gcc` and `ld` as well: about twenty
subprocesses and a third of a second before the first page is laid out. This module reads
the linker cache once and answers those lookups from it, the way `find_library` would.
If WeasyPrint still cannot load its libraries that way, the caller imports it again with
the standard lookup, so the worst case is the usual start-up, never a failure.
"""

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


# ---------------------------------------------------------------------------------------------------------------
# 2. Hyphenation
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



# pyphen 0.18.1 maps the bare language `en` to the British patterns (hyph_en_GB: "corticost-eroid", "scient-ists");
# US federal health texts are US English, so `en` takes the US patterns and only `en-GB` the British ones.
if "en_US" in pyphen.LANGUAGES:
    pyphen.LANGUAGES["en"] = pyphen.LANGUAGES["en_US"]


def warm_hyphenation(lang: str) -> bool:
    """Put the patterns for `lang` into pyphen's cache; True when they came from (or went into) our copy."""
    language = pyphen.language_fallback(lang.replace("-", "_"))
    if language is None or not isinstance(getattr(pyphen, "hdcache", None), dict):
        return False
    path = Path(pyphen.LANGUAGES[language])
    if path in pyphen.hdcache:
        return True
    stat = path.stat()
    python = f"py{sys.version_info[0]}{sys.version_info[1]}m{marshal.version}"
    copy = cache_folder("hyphenation") / f"{path.stem}-{stat.st_size}-{stat.st_mtime_ns}-{pyphen.__version__}-{python}.marshal"
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


# ---------------------------------------------------------------------------------------------------------------
# 3. PDF writing
"""WeasyPrint 70.0 writes three things a tagged, reproducible PDF cannot keep; these are its write_pdf finishers
and a log filter, applied by editions/pdf.py:

- a link annotation's /Contents is the URL or anchor id, which a screen reader announces instead of the link's words;
- a PDF/X file gets a random xmpMM:DocumentID (the same source would give other bytes) and, for PDF/X-1a, the
  2001 revision's GTS_PDFXConformance key beside the 2003 identification;
- an image the source marks decorative (alt="", an artifact) still logs "has no required alt description".
"""

def label_links(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """A write_pdf finisher: each link annotation's /Contents (what a screen reader announces) becomes the text of its
    HTML link, not the URL or anchor id WeasyPrint puts there; CSS-generated leaders and page numbers are left out.
    Each link annotation also gets the Print flag (/F 4), which WeasyPrint leaves unset."""
    for page in document.pages:
        for _, _, _, box in page.links:
            annotation = getattr(box, "link_annotation", None)
            text = " ".join("".join(box.element.itertext()).split()) if box.element is not None else ""
            if annotation is not None:
                annotation["F"] = 4  # Print: PDF/UA wants links printed (WeasyPrint 70.0 sets no flags)
            if annotation is not None and text:
                annotation["Contents"] = pydyf.String(text)


class DecorativeAltFilter(logging.Filter):
    """Drops WeasyPrint's "has no required alt description" for images marked decorative: they are artifacts."""

    def __init__(self, sources: set[str]):
        super().__init__()
        self.sources = sources

    def filter(self, record: logging.LogRecord) -> bool:
        alt_error = str(record.msg).startswith('Image "%s" has no required alt')
        return not (alt_error and isinstance(record.args, tuple) and record.args[:1] and record.args[0] in self.sources)


_XMP_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# PDF/X-1a:2003 (ISO 15930-4) is identified by GTS_PDFXVersion alone; WeasyPrint also writes the 2001 key
_XMP_CONFORMANCE = re.compile(rb"<pdfx:GTS_PDFXConformance>[^<]*</pdfx:GTS_PDFXConformance>")


def pdfx_finisher(seed: str):  # type: ignore[no-untyped-def]
    """A write_pdf finisher: WeasyPrint's random PDF/X xmpMM:DocumentID becomes uuid5(seed), and the
    PDF/X-1a:2001 GTS_PDFXConformance key goes (WeasyPrint's X-1a is the 2003 revision)."""
    document_id = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}".encode()

    def finisher(document, pdf: pydyf.PDF) -> None:  # type: ignore[no-untyped-def]
        pdf.info.pop("GTS_PDFXConformance", None)
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/Metadata":
                obj.stream = [_XMP_CONFORMANCE.sub(b"", _XMP_DOCUMENT_ID.sub(document_id, part)) for part in obj.stream]

    return finisher


# ---------------------------------------------------------------------------------------------------------------
# 4. Structure tree
"""Fixes to the structure tree WeasyPrint 70 writes, applied with pikepdf to the finished download PDF.

WeasyPrint tags every <img> as a Figure (a decorative image becomes a Figure without /Alt, which PDF/UA
forbids) and puts no /Lang on passages in another language. `fix_structure(pdf, layout)` makes decorative
images Artifacts and gives the struct elements of other-language passages their /Lang. It also mends what
WeasyPrint 70.0 tags for the page and its boxes rather than for the text (each step's docstring says what it saw):
margin-box content no element reaches, a link per line box, an annotation per box of a contents entry, the
contents as a plain list with its leaders as text, and a Part per page. (Link annotations get
their link's own text as /Contents while WeasyPrint writes them: section 3.)
`Layout` holds what only the laid-out document knows, as plain data: `layout_facts(document)` takes it from
a WeasyPrint Document (duck-typed: this module does not import WeasyPrint).
"""

BBOX_TOLERANCE = 0.01  # WeasyPrint writes the Figure's BBox with a few decimals


@dataclass(frozen=True)
class Layout:
    """What the laid-out document knows and the PDF does not say."""

    decorative: tuple[tuple[int, tuple[float, float, float, float]], ...]  # (page index, image content box)
    passages: tuple[tuple[str, str], ...]  # (lang, text) of each box in another language, in layout order


def layout_facts(document: Any, lang: str) -> Layout:
    """Decorative images (alt="" role="presentation") and the text of each box in a language other than lang."""
    decorative: list[tuple[int, tuple[float, float, float, float]]] = []
    passages: list[tuple[str, str]] = []
    for number, page in enumerate(document.pages):
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is not None and box.element_tag == "img" and element.get("role") == "presentation" and not element.get("alt"):
                x, y = box.content_box_x(), box.content_box_y()
                decorative.append((number, (x, y, x + box.width, y + box.height)))
        _passages(page._page_box, lang, passages)
    return Layout(tuple(decorative), tuple(passages))


def _passages(box: Any, lang: str, found: list[tuple[str, str]]) -> None:
    """(lang, text) of the outermost boxes in another language, in layout order: each one becomes a struct element
    (a paragraph broken over two pages, or a span over two lines, is two boxes and two elements)."""
    element = getattr(box, "element", None)
    if element is not None and element.get("lang") not in (None, lang):
        found.append((element.get("lang"), "".join(kid.text for kid in box.descendants() if isinstance(getattr(kid, "text", None), str))))
        return
    for child in getattr(box, "children", ()):
        _passages(child, lang, found)


def fix_structure(pdf: bytes, layout: Layout) -> bytes:
    """The PDF with decorative figures as artifacts, /Lang on passages in another language, running heads and
    footers as pagination artifacts, each link wrapped over lines one Link element, and list items holding only
    Lbl and LBody."""
    texts = pdftags.marked_text(io.BytesIO(pdf)) if layout.passages else {}  # slow (pypdf decodes every page): only when needed
    with pikepdf.open(io.BytesIO(pdf)) as document:
        tree = _Tree(document, texts)
        for figure in [f for f in tree.of_kind("/Figure") if tree.is_decorative(f, layout.decorative)]:
            tree.make_artifact(figure)
        tree.set_languages(layout.passages)
        tree.paginate_orphans()
        tree.join_links()
        tree.join_annotations()
        tree.tag_contents()
        tree.sections()
        tree.list_bodies()
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


class _Tree:
    """A structure tree with its page numbers and the text of each marked-content sequence."""

    def __init__(self, document: pikepdf.Pdf, texts: dict[tuple[int | None, int], str]):
        self.document, self.texts = document, texts
        self.root: Any = document.Root.StructTreeRoot
        self.pages = {page.objgen: number for number, page in enumerate(document.pages)}

    def walk(self, node: Any = None) -> Iterator[Any]:
        """Every structure element under node (the whole tree by default), in reading order."""
        yield from pdftags.descendants(self.root if node is None else node)

    def of_kind(self, kind: str) -> list[Any]:
        return [element for element in self.walk() if element.get("/S") == kind]

    def page(self, node: Any) -> int | None:
        return self.pages.get(node.Pg.objgen) if "/Pg" in node else None

    def content(self, element: Any) -> list[tuple[int | None, int]]:
        """(page index, MCID) of the element's own marked content."""
        keys = []
        for kid in pdftags.struct_kids(element):
            if not isinstance(kid, pikepdf.Dictionary):
                keys.append((self.page(element), int(kid)))
            elif kid.get("/Type") == "/MCR":
                keys.append((self.page(kid) if "/Pg" in kid else self.page(element), int(kid.MCID)))
        return keys

    def text(self, element: Any) -> str:
        """The element's text with its descendants'."""
        own = "".join(self.texts.get(key, "") for key in self.content(element))
        nested = (self.text(kid) for kid in pdftags.struct_kids(element) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
        return own + "".join(nested)

    # ------------------------------------------------------------ decorative images

    def is_decorative(self, figure: Any, decorative: tuple[tuple[int, tuple[float, ...]], ...]) -> bool:
        """A Figure without /Alt at the place of an image the layout calls decorative."""
        bbox = figure.get("/A", {}).get("/BBox") if isinstance(figure.get("/A"), pikepdf.Dictionary) else None
        if "/Alt" in figure or bbox is None:
            return False
        box = [float(v) for v in bbox]
        return any(page == self.page(figure) and all(abs(a - b) < BBOX_TOLERANCE for a, b in zip(box, place, strict=True))
                   for page, place in decorative)

    def make_artifact(self, figure: Any) -> None:
        """Mark the figure's content as an Artifact and take the figure out of the tree and the ParentTree."""
        self.make_artifacts([figure])

    def make_artifacts(self, elements: list[Any]) -> None:
        """make_artifact for many elements, each page's content parsed and written once (one page at a time per
        element cost 166 s for a contents page of 280 entries)."""
        by_page: dict[int, set[int]] = {}
        for element in elements:
            for page_index, mcid in self.content(element):
                if page_index is not None:
                    by_page.setdefault(page_index, set()).add(mcid)
        parent_tree = pikepdf.NumberTree(self.root.ParentTree)
        for page_index, mcids in sorted(by_page.items()):
            page = self.document.pages[page_index]
            instructions = pikepdf.parse_content_stream(page)
            for number, instruction in enumerate(instructions):
                operands = instruction.operands
                if str(instruction.operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and operands[1].get("/MCID") in mcids:
                    instructions[number] = pikepdf.ContentStreamInstruction([pikepdf.Name.Artifact], pikepdf.Operator("BMC"))
            page.Contents = self.document.make_stream(pikepdf.unparse_content_stream(instructions))
            for mcid in mcids:
                parent_tree[int(page.StructParents)][mcid] = None
        for element in elements:
            _remove(element)

    # ------------------------------------------------------------ running heads and footers

    def reachable(self) -> set[tuple[int | None, int]]:
        """(page index, MCID) of every marked-content sequence some element of the tree holds."""
        return {key for element in self.walk() for key in self.content(element)}

    def paginate_orphans(self) -> int:
        """Mark content no element of the tree reaches as a pagination artifact, and take it out of the ParentTree.

        WeasyPrint 70.0 tags the page-margin boxes (the running footer "Title · Page 2") as Span elements under a
        NonStruct whose parent, the Document, does not list it: their content belongs to no element a reader
        reaches, which is neither tagged content nor an artifact. Running heads and footers are pagination
        artifacts (ISO 32000-1, 14.8.2.2)."""
        reached, parent_tree, count = self.reachable(), pikepdf.NumberTree(self.root.ParentTree), 0
        for number, page in enumerate(self.document.pages):
            instructions = pikepdf.parse_content_stream(page)
            orphans = []
            for index, instruction in enumerate(instructions):
                operands = instruction.operands
                if str(instruction.operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1] \
                        and (number, int(operands[1].MCID)) not in reached:
                    orphans.append((index, int(operands[1].MCID)))
            if not orphans:
                continue
            for index, mcid in orphans:
                instructions[index] = pikepdf.ContentStreamInstruction(
                    [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)], pikepdf.Operator("BDC"))
                if "/StructParents" in page:
                    parents = parent_tree[int(page.StructParents)]
                    if mcid < len(parents):
                        parents[mcid] = None
            page.Contents = self.document.make_stream(pikepdf.unparse_content_stream(instructions))
            count += len(orphans)
        return count

    # ------------------------------------------------------------ links wrapped over lines

    def join_links(self) -> int:
        """Make each run of sibling Link elements with one target (a link wrapped over two lines, which WeasyPrint
        70.0 tags as two links: "NIH Clin-" and "ical Research Trials and You") one Link element holding all their
        content and annotations; the annotations' StructParent entries point at it. Returns how many went."""
        parent_tree, joined = pikepdf.NumberTree(self.root.ParentTree), 0
        for parent in [self.root, *self.walk()]:
            kids = pdftags.struct_kids(parent)
            kept: list[Any] = []
            for kid in kids:
                previous = kept[-1] if kept else None
                if _is_link(kid) and _is_link(previous) and _link_target(kid) is not None and _link_target(kid) == _link_target(previous):
                    self._move_into(kid, previous, parent_tree)
                    joined += 1
                    continue
                kept.append(kid)
            if len(kept) != len(kids):
                parent.K = pikepdf.Array(kept)
        return joined

    def join_annotations(self) -> int:
        """One link annotation where WeasyPrint 70.0 writes several overlapping ones for one target: a contents entry
        is the link's text, its leader and its page number (the `a::after` box), each with its own annotation: 17
        annotations for the 7 lines of PML's 5 entries. The first takes the union of their rectangles; the others
        leave the page and their element (a Link left with no annotation becomes a Span: the leader and page number it holds are
        read, but as no link of their own). Returns how many went."""
        parent_tree, dropped = pikepdf.NumberTree(self.root.ParentTree), 0
        for page in self.document.pages:
            kept: list[Any] = []
            for annotation in list(page.get("/Annots", [])):
                target = _annotation_target(annotation)
                overlapped = next((k for k in kept if target is not None and _annotation_target(k) == target and _overlap(k.Rect, annotation.Rect)), None)
                if overlapped is None:
                    kept.append(annotation)
                    continue
                overlapped.Rect = _union(overlapped.Rect, annotation.Rect)
                self._drop_annotation(annotation, parent_tree)
                dropped += 1
            if "/Annots" in page and len(kept) != len(page.Annots):
                page.Annots = pikepdf.Array(kept)
        return dropped

    def _drop_annotation(self, annotation: Any, parent_tree: Any) -> None:
        key = annotation.get("/StructParent")
        element = parent_tree.get(int(key)) if key is not None else None
        if element is None:
            return
        kids = [kid for kid in pdftags.struct_kids(element)
                if not (isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" and kid.Obj.objgen == annotation.objgen)]
        element.K = pikepdf.Array(kids)
        if element.get("/S") == "/Link" and not any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" for kid in kids):
            element.S = pikepdf.Name.Span
        del parent_tree[int(key)]

    # ------------------------------------------------------------ sections

    def list_bodies(self) -> int:
        """WeasyPrint 70.0 tags an absolutely positioned box inside a list item (the large-print edition's print page
        numbers) as a child of the LI beside its Lbl and LBody, and the paragraphs of a loose list item (`<li><p>`,
        a Markdown list with blank lines between its items) as P children of the LI with no LBody at all; PDF/UA-1
        (7.2-20) lets an LI hold only Lbl and LBody. Such children move to the front of the item's LBody, made for
        them when the item has none; returns how many moved. Retire when WeasyPrint tags both inside LBody."""
        moved = 0
        for item in self.of_kind("/LI"):
            kids = pdftags.struct_kids(item)
            body = next((kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/LBody"), None)
            strays = [kid for kid in kids if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") not in ("/Lbl", "/LBody", None)]
            if not strays:
                continue
            if body is None:
                body = self.document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.LBody, P=item,
                                                                      K=pikepdf.Array()))
                kids = [*kids, body]
            for stray in strays:
                stray.P = body
            body.K = pikepdf.Array([*strays, *pdftags.struct_kids(body)])
            gone = {stray.objgen for stray in strays}
            item.K = pikepdf.Array([kid for kid in kids if not (isinstance(kid, pikepdf.Dictionary) and kid.objgen in gone)])
            moved += len(strays)
        return moved

    def sections(self) -> int:
        """A Sect per section instead of a Part per page: WeasyPrint 70.0 tags the <main> box of each page as a Part
        of its own. The children of a run of Parts, in order, go into Sect elements, a new one at each H2 (what comes
        before the first H2 is a Sect too). Parts holding content of their own are left as they are. Returns how
        many Sects were made."""
        made = 0
        for holder in [self.root, *self.walk()]:
            kids = pdftags.struct_kids(holder)
            parts = [n for n, kid in enumerate(kids) if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/Part"]
            if not parts or parts != list(range(parts[0], parts[-1] + 1)) or any(self.content(kids[n]) for n in parts):
                continue
            children = [kid for n in parts for kid in pdftags.struct_kids(kids[n])]
            if any(not (isinstance(kid, pikepdf.Dictionary) and "/S" in kid) for kid in children):
                continue  # an OBJR or MCR straight under a Part: leave it
            sects: list[Any] = []
            for kid in children:
                if not sects or kid.get("/S") == "/H2":
                    sects.append(self.document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Sect, P=holder, K=pikepdf.Array())))
                sects[-1].K.append(kid)
                kid.P = sects[-1]
            holder.K = pikepdf.Array([*kids[:parts[0]], *sects, *kids[parts[-1] + 1:]])
            made += len(sects)
        return made

    # ------------------------------------------------------------ the contents

    def tag_contents(self) -> int:
        """The contents list as TOC and TOCI (WeasyPrint 70.0 tags the template's <nav class="toc"><h2/><ol> as a
        NonStruct holding an H2 and an L), its LBody as NonStruct, and its dot leaders as artifacts (each dot a
        marked-content sequence of its own: 112 of them read as link text for PML). The contents list is an L
        beside a heading whose every link has an internal destination. Returns how many entries it has."""
        entries = 0
        for element in list(self.walk()):
            kids = [kid for kid in pdftags.struct_kids(element) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]
            if element.get("/S") != "/NonStruct" or len(kids) != 2 or not str(kids[0].get("/S", "")).startswith("/H") or kids[1].get("/S") != "/L":
                continue
            links = [node for node in self.walk(kids[1]) if node.get("/S") == "/Link"]
            if not links or any(not (_link_target(link) or "").startswith("dest:") for link in links):
                continue
            kids[1].S = pikepdf.Name.TOC
            for node in list(self.walk(kids[1])):
                kind = node.get("/S")
                node.S = {"/L": pikepdf.Name.TOC, "/LI": pikepdf.Name.TOCI, "/LBody": pikepdf.Name.NonStruct}.get(str(kind), kind)
                entries += kind == "/LI"
            self._leaders_as_artifacts(kids[1])
        return entries

    def _leaders_as_artifacts(self, toc: Any) -> None:
        """Make each element under toc whose own content is only leader dots an artifact."""
        texts = self._run_texts()
        leaders = []
        for node in list(self.walk(toc)):
            if any(isinstance(kid, pikepdf.Dictionary) and "/S" in kid for kid in pdftags.struct_kids(node)):
                continue
            content = self.content(node)
            text = "".join(texts.get(key, "") for key in content)
            if content and text.strip() and not text.replace(".", "").strip():
                leaders.append(node)
        self.make_artifacts(leaders)

    def _run_texts(self) -> dict[tuple[int | None, int], str]:
        """The text of each marked-content sequence, decoded through the fonts' ToUnicode maps (section 6)."""
        texts: dict[tuple[int | None, int], str] = {}
        for number in range(len(self.document.pages)):
            for run in _runs(self.document, number, pikepdf.parse_content_stream(self.document.pages[number])):
                if run.mcid is not None:
                    texts[(number, run.mcid)] = texts.get((number, run.mcid), "") + run.text
        return texts

    def _move_into(self, link: Any, into: Any, parent_tree: Any) -> None:
        """Move a Link element's content (MCIDs as MCRs with their page) and annotations into another Link."""
        moved = []
        page = link.get("/Pg")
        for kid in pdftags.struct_kids(link):
            if not isinstance(kid, pikepdf.Dictionary):
                kid = self.document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=int(kid), Pg=page))
            elif kid.get("/Type") == "/MCR" and "/Pg" not in kid and page is not None:
                kid.Pg = page
            moved.append(kid)
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" and "/StructParent" in kid.Obj:
                parent_tree[int(kid.Obj.StructParent)] = into
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                target = kid.Pg
                if "/StructParents" in target:
                    parents = parent_tree[int(target.StructParents)]
                    if int(kid.MCID) < len(parents):
                        parents[int(kid.MCID)] = into
        own = []
        for kid in pdftags.struct_kids(into):  # its own bare MCIDs keep their page: as MCRs, beside content of other pages
            if not isinstance(kid, pikepdf.Dictionary) and "/Pg" in into and page is not None and into.Pg.objgen != page.objgen:
                kid = self.document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.MCR, MCID=int(kid), Pg=into.Pg))
            own.append(kid)
        into.K = pikepdf.Array(own + moved)

    # ------------------------------------------------------------ passages in another language

    def set_languages(self, passages: tuple[tuple[str, str], ...]) -> None:
        """Give /Lang to the outermost element holding each passage's text, searching on in reading order."""
        elements = list(self.walk())
        position = 0
        for lang, text in passages:
            wanted = pdftags.squeeze(text)
            if not wanted:
                continue
            found = next((n for n in range(position, len(elements)) if pdftags.squeeze(self.text(elements[n])) == wanted), None)
            if found is None:
                warn(log, f"no structure element holds the passage in {lang} {text[:60]!r}; it has no /Lang", "download PDF")
                continue
            elements[found].Lang = pikepdf.String(lang)
            position = found + 1


def _is_link(node: Any) -> bool:
    return isinstance(node, pikepdf.Dictionary) and node.get("/S") == "/Link"


def _link_target(link: Any) -> str | None:
    """The URI or destination of a Link element's annotation (None when it has none)."""
    for kid in pdftags.struct_kids(link):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            annotation = kid.Obj
            if "/A" in annotation and "/URI" in annotation.A:
                return "uri:" + str(annotation.A.URI)
            if "/Dest" in annotation:
                return "dest:" + str(annotation.Dest)
    return None


def _annotation_target(annotation: Any) -> str | None:
    if annotation.get("/Subtype") != "/Link":
        return None
    if "/A" in annotation and "/URI" in annotation.A:
        return "uri:" + str(annotation.A.URI)
    return "dest:" + str(annotation.Dest) if "/Dest" in annotation else None


def _box(rect: Any) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in rect)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _overlap(a: Any, b: Any) -> bool:
    """Whether two rectangles share some area (not only an edge)."""
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = _box(a), _box(b)
    return min(ax2, bx2) - max(ax1, bx1) > BBOX_TOLERANCE and min(ay2, by2) - max(ay1, by1) > BBOX_TOLERANCE


def _union(a: Any, b: Any) -> pikepdf.Array:
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = _box(a), _box(b)
    return pikepdf.Array([min(ax1, bx1), min(ay1, by1), max(ax2, bx2), max(ay2, by2)])


def _remove(element: Any) -> None:
    """Take an element out of its parent's /K, and the parent too if that leaves it empty."""
    parent = element.P
    kids = [kid for kid in pdftags.struct_kids(parent) if not (isinstance(kid, pikepdf.Dictionary) and kid.objgen == element.objgen)]
    parent.K = pikepdf.Array(kids)
    if not kids and parent.get("/S") not in (None, "/Document"):
        _remove(parent)

# ---------------------------------------------------------------------------------------------------------------
# 5. Folder-independent URLs
"""WeasyPrint 70.0 names each raster image after the MD5 of the absolute URL it was fetched from
(`images.get_image_from_uri`: `image_id = md5(url)`; `pdf/stream.py` `Stream.add_image` makes it the XObject
name `/i<id><interpolate>`). Rendered against the folder's `file:` URL, the same publication gave other bytes in
every folder it was built in, and the print job ticket another SHA-256. And a relative link that reaches WeasyPrint
is joined to the base into a `/URI` naming the build machine's folder (`file:///home/…/other.md`).

So the HTML is rendered against one fixed base URL, PUBLICATION_URL, in a scheme of our own that names no place on
any machine, and the sandboxed fetcher (editions/pdf.py) maps a URL under it back into the publication's folder
(`folder_url`) before its usual checks: an image is named after its path inside the folder, wherever the folder is.
A link WeasyPrint resolved against that base (`is_publication_url`) points at a file of the folder, which no reader
of a downloaded PDF has: the PDF writer drops it. Not a made-up `file:` URL on purpose: for a `file:` response
WeasyPrint reads the image again later by the URL's path (`URLFetcherResponse.path`, `LazyLocalImage`), which for a
made-up path could be some other file of the machine, past the sandbox; for this scheme it draws the bytes the
fetcher returned (checked, and read once). WeasyPrint joins references with urllib's
urljoin, which resolves relative references only for the schemes in `urllib.parse.uses_relative`: ours is added.
Every render keeps its own image cache, keyed by URL: never share one (`render(cache=…)`) between publications,
whose `chart.png` now has one URL. Retire this when WeasyPrint names images by their content.
"""

PUBLICATION_SCHEME = "brochure-publication"
PUBLICATION_URL = f"{PUBLICATION_SCHEME}:/folder/"  # what the HTML is rendered against; `chart.png` is PUBLICATION_URL + "chart.png"

if PUBLICATION_SCHEME not in urllib.parse.uses_relative:
    urllib.parse.uses_relative.append(PUBLICATION_SCHEME)


def is_publication_url(url: str) -> bool:
    """True for a URL in our scheme: a relative reference WeasyPrint resolved against PUBLICATION_URL."""
    return url.lower().startswith(f"{PUBLICATION_SCHEME}:")


def folder_url(url: str, folder: Path) -> str:
    """The `file:` URL a URL under PUBLICATION_URL means inside `folder`; any other URL unchanged (one that climbed
    above the base, `brochure-publication:/x`, too: it names nothing the sandbox serves)."""
    if not url.startswith(PUBLICATION_URL):
        return url
    return f"{folder.as_uri().rstrip('/')}/{url.removeprefix(PUBLICATION_URL)}"


def relative_reference(url: str) -> str:
    """A URL under PUBLICATION_URL as a reference relative to the folder (`chart.png`, `../secret.txt`), for
    messages; any other URL unchanged."""
    if not is_publication_url(url):
        return url
    parts = urllib.parse.urlsplit(url)
    if parts.netloc or not parts.path.startswith("/"):
        return url
    relative = posixpath.relpath(parts.path, PUBLICATION_URL.split(":", 1)[1])
    return relative + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


# ---------------------------------------------------------------------------------------------------------------
# 6. Line-end hyphens
"""WeasyPrint 70.0 draws a word hyphenated at a line end as two text runs, "frequ‐" (the hyphenate-character,
U+2010, as a real glyph) at the end of one line and "ently" at the start of the next, with nothing saying they are
one word: pdftotext and pdfium give "frequ‐" and "ently" (6 of PML's 315 distinct words, 81 of the corpus's 6,409),
pdfium's search misses them, speech reads fragments and copied text keeps the hyphen. A break after a hyphen of the
text ("frequently-" / "asked-questions" in a URL) poppler and pdfium join into "frequentlyasked".

`join_hyphenated(pdf)` marks both halves as PDF 1.5 replacement text (ISO 32000-1, 14.9.4): the glyphs of "frequ‐"
go into a `/Span <</ActualText (frequently)>> BDC … EMC` sequence (with the punctuation that follows the word:
"frequently)") and those of "ently)" into one whose /ActualText is a space (after a hyphen of the text, the whole
text keeps it: "frequently-asked"). A space, not an empty text: pdfium 159 (pypdfium2 5.15) ignores an empty
/ActualText and gives "biological" and then "logical" again; pdftotext shows U+FFFE as U+FFFD. All this is nested
inside WeasyPrint's own marked content (whose MCID and structure element stay as they were). A TJ
array is split where a half begins or ends: consecutive TJ operators advance the text position exactly as one
does, so nothing moves on the page. Text in artifacts (running heads and footers) is left alone, and so is a
continuation that does not start with a letter. Retire this when WeasyPrint writes /ActualText for hyphenation.
"""

HYPHENATE_CHARACTERS = frozenset("\u2010\u00ad")  # what WeasyPrint adds at a break: dropped from the whole word
TEXT_HYPHENS = frozenset("-")  # a hyphen of the text itself ("frequently-asked"): kept in the whole word


def _to_unicode(font: Any) -> dict[bytes, str]:
    """A Type0 font's ToUnicode CMap as {2-byte code: text} (bfchar and bfrange entries, as WeasyPrint writes them)."""
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    cmap, table = stream.read_bytes().decode("latin-1"), {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            table[bytes.fromhex(code)] = bytes.fromhex(text).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first = int(start, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[code.to_bytes(len(low) // 2, "big")] = chr(first + offset)
    return table


@dataclass
class _Run:
    """One TJ (or Tj) operator of a page's text: its glyphs as (code, text) with the kerning that follows each."""

    page: int
    index: int  # the operator's position in the page's instructions
    glyphs: list[tuple[bytes, str, list[Any]]]
    mcid: int | None = None  # of the innermost marked-content sequence around it that has one

    @property
    def text(self) -> str:
        return "".join(text for _, text, _ in self.glyphs)


def _runs(document: pikepdf.Pdf, number: int, instructions: list[Any]) -> Iterator[_Run]:
    """The text runs of a page outside artifacts, in drawing order, decoded through their fonts' ToUnicode maps."""
    fonts: dict[str, dict[bytes, str]] = {}
    page = document.pages[number]
    fonts_of_page: Any = page.get("/Resources", {})
    resources: Any = fonts_of_page.get("/Font", {})
    table: dict[bytes, str] = {}
    marks: list[bool] = []  # for each open marked-content sequence: is it (or one around it) an artifact
    mcids: list[int | None] = []  # and the MCID in force inside it
    for index, instruction in enumerate(instructions):
        operator, operands = str(instruction.operator), instruction.operands
        if operator in ("BDC", "BMC"):
            marks.append(bool(marks and marks[-1]) or operands[0] == pikepdf.Name.Artifact)
            properties = operands[1] if operator == "BDC" and len(operands) > 1 else None
            own = int(properties.MCID) if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties else None
            mcids.append(own if own is not None else mcids[-1] if mcids else None)
        elif operator == "EMC" and marks:
            marks.pop()
            mcids.pop()
        elif operator == "Tf":
            name = str(operands[0])
            if name not in fonts:
                fonts[name] = _to_unicode(resources[name]) if name in resources else {}
            table = fonts[name]
        elif operator in ("TJ", "Tj") and not (marks and marks[-1]) and table:
            items = list(operands[0]) if operator == "TJ" else [operands[0]]
            glyphs: list[tuple[bytes, str, list[Any]]] = []
            for item in items:
                if isinstance(item, pikepdf.String):
                    raw = bytes(item)
                    glyphs += [(raw[i:i + 2], table.get(raw[i:i + 2], "\ufffd"), []) for i in range(0, len(raw) - 1, 2)]
                elif glyphs:
                    glyphs[-1][2].append(item)
            yield _Run(number, index, glyphs, mcids[-1] if mcids else None)


def _tj(glyphs: list[tuple[bytes, str, list[Any]]]) -> pikepdf.ContentStreamInstruction:
    items: list[Any] = []
    for code, _, kerning in glyphs:
        items.append(pikepdf.String(code))
        items.extend(kerning)
    return pikepdf.ContentStreamInstruction([pikepdf.Array(items)], pikepdf.Operator("TJ"))


def _replaced(glyphs: list[tuple[bytes, str, list[Any]]], actual: str) -> list[pikepdf.ContentStreamInstruction]:
    span = pikepdf.Dictionary(ActualText=pikepdf.String(actual))
    return [pikepdf.ContentStreamInstruction([pikepdf.Name.Span, span], pikepdf.Operator("BDC")), _tj(glyphs),
            pikepdf.ContentStreamInstruction([], pikepdf.Operator("EMC"))]


def join_hyphenated(pdf: bytes) -> tuple[bytes, int]:
    """The PDF with each word hyphenated at a line end given its whole text (/ActualText), and how many were."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = [pikepdf.parse_content_stream(page) for page in document.pages]
        runs = [run for number, instructions in enumerate(pages) for run in _runs(document, number, instructions)]
        lead = [0] * len(runs)  # how many glyphs at the start of each run end the word hyphenated in the run before
        trail: dict[int, tuple[int, str]] = {}  # run number → (first glyph of its hyphenated fragment, the whole word)
        for number, (run, following) in enumerate(zip(runs, runs[1:], strict=False)):
            text = run.text
            if len(text) < 2 or text[-1] not in HYPHENATE_CHARACTERS | TEXT_HYPHENS or not text[-2].isalpha():
                continue
            start = len(run.glyphs) - 1
            while start > lead[number] and run.glyphs[start - 1][1].isalpha():
                start -= 1
            if not following.glyphs or not following.glyphs[0][1].isalpha():
                continue  # the next run starts with no letter: not the rest of a word
            end = 0  # the rest of the word, with the punctuation after it ("logical," or "logical)")
            while end < len(following.glyphs) and not following.glyphs[end][1].isspace():
                end += 1
            if end == len(following.glyphs) and following.text.endswith(tuple(HYPHENATE_CHARACTERS | TEXT_HYPHENS)):
                continue  # the next run is itself a whole hyphenated fragment
            kept = run.glyphs[start:] if text[-1] in TEXT_HYPHENS else run.glyphs[start:-1]
            trail[number] = (start, "".join(t for _, t, _ in kept) + "".join(t for _, t, _ in following.glyphs[:end]))
            lead[number + 1] = end
        edits: dict[tuple[int, int], list[pikepdf.ContentStreamInstruction]] = {}
        for number, run in enumerate(runs):
            if not lead[number] and number not in trail:
                continue
            start, word = trail.get(number, (len(run.glyphs), ""))
            new = _replaced(run.glyphs[:lead[number]], " ") if lead[number] else []
            new += [_tj(run.glyphs[lead[number]:start])] if start > lead[number] else []
            new += _replaced(run.glyphs[start:], word) if number in trail else []
            edits[(run.page, run.index)] = new
        for number, instructions in enumerate(pages):
            changed = [(index, new) for (page, index), new in edits.items() if page == number]
            if not changed:
                continue
            for index, new in sorted(changed, reverse=True):
                instructions[index:index + 1] = new
            document.pages[number].Contents = document.make_stream(pikepdf.unparse_content_stream(instructions))
        count = len(trail)
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue(), count
