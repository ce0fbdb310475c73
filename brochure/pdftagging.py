"""Fixes to the structure tree WeasyPrint 70 writes, applied with pikepdf to the finished download PDF.

WeasyPrint tags every <img> as a Figure (a decorative image becomes a Figure without /Alt, which PDF/UA
forbids) and puts no /Lang on passages in another language. `fix_structure(pdf, layout)` makes decorative
images Artifacts and gives the struct elements of other-language passages their /Lang. (Link annotations get
their link's own text as /Contents while WeasyPrint writes them: see pdf.py.)
`Layout` holds what only the laid-out document knows, as plain data: `layout_facts(document)` takes it from
a WeasyPrint Document (duck-typed: this module does not import WeasyPrint).
"""
from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf
from pikepdf import Name

from .pdftags import marked_text, squeeze, struct_kids

log = logging.getLogger(__name__)
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
    """The PDF with decorative figures as artifacts and /Lang on passages in another language."""
    texts = marked_text(io.BytesIO(pdf)) if layout.passages else {}  # slow (pypdf decodes every page): only when needed
    with pikepdf.open(io.BytesIO(pdf)) as document:
        tree = _Tree(document, texts)
        for figure in [f for f in tree.of_kind("/Figure") if tree.is_decorative(f, layout.decorative)]:
            tree.make_artifact(figure)
        tree.set_languages(layout.passages)
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
        for kid in struct_kids(self.root if node is None else node):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield kid
                yield from self.walk(kid)

    def of_kind(self, kind: str) -> list[Any]:
        return [element for element in self.walk() if element.get("/S") == kind]

    def page(self, node: Any) -> int | None:
        return self.pages.get(node.Pg.objgen) if "/Pg" in node else None

    def content(self, element: Any) -> list[tuple[int | None, int]]:
        """(page index, MCID) of the element's own marked content."""
        keys = []
        for kid in struct_kids(element):
            if not isinstance(kid, pikepdf.Dictionary):
                keys.append((self.page(element), int(kid)))
            elif kid.get("/Type") == "/MCR":
                keys.append((self.page(kid) if "/Pg" in kid else self.page(element), int(kid.MCID)))
        return keys

    def text(self, element: Any) -> str:
        """The element's text with its descendants'."""
        own = "".join(self.texts.get(key, "") for key in self.content(element))
        nested = (self.text(kid) for kid in struct_kids(element) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)
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
        parent_tree = pikepdf.NumberTree(self.root.ParentTree)
        for page_index, mcid in self.content(figure):
            if page_index is None:
                continue
            page = self.document.pages[page_index]
            instructions = pikepdf.parse_content_stream(page)
            for number, instruction in enumerate(instructions):
                operands = instruction.operands
                if str(instruction.operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and operands[1].get("/MCID") == mcid:
                    instructions[number] = pikepdf.ContentStreamInstruction([Name.Artifact], pikepdf.Operator("BMC"))
            page.Contents = self.document.make_stream(pikepdf.unparse_content_stream(instructions))
            parent_tree[int(page.StructParents)][mcid] = None
        _remove(figure)

    # ------------------------------------------------------------ passages in another language

    def set_languages(self, passages: tuple[tuple[str, str], ...]) -> None:
        """Give /Lang to the outermost element holding each passage's text, searching on in reading order."""
        elements = list(self.walk())
        position = 0
        for lang, text in passages:
            wanted = squeeze(text)
            if not wanted:
                continue
            found = next((n for n in range(position, len(elements)) if squeeze(self.text(elements[n])) == wanted), None)
            if found is None:
                log.warning("download PDF: no structure element holds the passage in %s %r; it has no /Lang", lang, text[:60])
                continue
            elements[found].Lang = pikepdf.String(lang)
            position = found + 1


def _remove(element: Any) -> None:
    """Take an element out of its parent's /K, and the parent too if that leaves it empty."""
    parent = element.P
    kids = [kid for kid in struct_kids(parent) if not (isinstance(kid, pikepdf.Dictionary) and kid.objgen == element.objgen)]
    parent.K = pikepdf.Array(kids)
    if not kids and parent.get("/S") not in (None, "/Document"):
        _remove(parent)
