"""The download PDF's structure tree, walked with pikepdf: what a screen reader gets, checked as PDF/UA asks.

`structure_findings(pdf, source_blocks)` returns validate.Finding values (empty list: clean) for headings
out of order or skipping a level, lists that are not L/LI/Lbl/LBody, links without alternate text or a Link
element, tables without TH, figures without /Alt, a reading order that differs from the source, and a
missing /Lang or DisplayDocTitle. `tagged_text` gives the text in structure-tree order.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pikepdf

from brochure.errors import Finding

TOOL = "pdf-tags"
_SPACE = re.compile(r"[\s\u00ad\u2010]+")  # spaces, soft hyphens and the hyphenate-character at line ends


@dataclass(frozen=True)
class Element:
    """One structure element: its standard type, depth, attributes we check, and its content in order."""

    kind: str
    depth: int
    alt: str
    children: tuple[str, ...]  # the standard types of its child elements
    content: tuple[tuple[int | None, int], ...]  # (page index, MCID) of its own marked content, in order
    objects: int  # OBJR children (annotations)


def elements(pdf: pikepdf.Pdf) -> list[Element]:
    """Every structure element in tree (reading) order, with role-mapped standard types."""
    root: Any = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return []
    role_map = {str(k): str(v) for k, v in root.get("/RoleMap", {}).items()}
    pages: dict[Any, int] = {page.objgen: index for index, page in enumerate(pdf.pages)}
    found: list[Element] = []

    def kind(node: Any) -> str:
        name = str(node.get("/S", ""))
        return role_map.get(name, name).lstrip("/")

    def visit(node: Any, depth: int) -> None:
        page = pages.get(node.Pg.objgen) if "/Pg" in node else None
        content: list[tuple[int | None, int]] = []
        nested, objects = [], 0
        for kid in struct_kids(node):
            if not isinstance(kid, pikepdf.Dictionary):
                content.append((page, int(kid)))  # a bare MCID on the element's own page
            elif kid.get("/Type") == "/MCR":
                content.append((pages.get(kid.Pg.objgen) if "/Pg" in kid else page, int(kid.MCID)))
            elif kid.get("/Type") == "/OBJR":
                objects += 1
            elif "/S" in kid:
                nested.append(kid)
        alt = str(node.get("/Alt", node.get("/ActualText", "")))
        found.append(Element(kind(node), depth, alt, tuple(kind(kid) for kid in nested), tuple(content), objects))
        for kid in nested:
            visit(kid, depth + 1)

    for top in struct_kids(root):
        if isinstance(top, pikepdf.Dictionary):
            visit(top, 0)
    return found


def struct_kids(node: Any) -> list[Any]:
    """The /K entry of a structure node as a list (it may be one object, an array, or absent)."""
    kids = node.get("/K")
    return [] if kids is None else list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def descendants(node: Any) -> Iterator[Any]:
    """Every structure element below a node (the StructTreeRoot for the whole tree), in reading order."""
    for kid in struct_kids(node):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from descendants(kid)


def marked_text(path: Path | BinaryIO) -> dict[tuple[int | None, int], str]:
    """The text of each marked-content sequence, by (page index, MCID), decoded by pypdf."""
    import pypdf  # only the gate and passages in another language read the text back

    texts: dict[tuple[int | None, int], str] = {}
    for index, page in enumerate(pypdf.PdfReader(path).pages):
        page.extract_text(**_MarkedContent(index, texts).visitors())
    return texts


class _MarkedContent:
    """pypdf visitors that file each piece of text under the MCID of the marked content around it."""

    def __init__(self, page: int, texts: dict[tuple[int | None, int], str]):
        self.page, self.texts = page, texts
        self.stack: list[int | None] = []

    def visitors(self) -> dict:
        """The keyword arguments for PageObject.extract_text."""
        return {"visitor_operand_before": self.operator, "visitor_text": self.text}

    def operator(self, operator: bytes, args: list, *_: object) -> None:
        if operator == b"BDC":
            props = args[1] if len(args) > 1 else None
            self.stack.append(props.get("/MCID") if isinstance(props, dict) else None)
        elif operator == b"BMC":
            self.stack.append(None)
        elif operator == b"EMC" and self.stack:
            self.stack.pop()

    def text(self, chunk: str, *_: object) -> None:
        mcid = next((m for m in reversed(self.stack) if m is not None), None)
        if mcid is not None and chunk:
            key = (self.page, int(mcid))
            self.texts[key] = self.texts.get(key, "") + chunk


def tagged_text(path: Path) -> str:
    """All tagged text in structure-tree order, without spaces or line-end hyphens (for order comparisons)."""
    with pikepdf.open(path) as pdf:
        tree = elements(pdf)
    texts = marked_text(path)
    return squeeze("".join(texts.get(key, "") for element in tree for key in element.content))


def squeeze(text: str) -> str:
    """Text without spaces, soft hyphens or hyphenate-characters, typographic quotes made plain."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return _SPACE.sub("", text)


def structure_findings(path: Path, source_blocks: list[str] = ()) -> list[Finding]:  # type: ignore[assignment]
    """Findings for the tagged PDF at path; source_blocks (block texts in source order) checks reading order."""
    with pikepdf.open(path) as pdf:
        tree = elements(pdf)
        findings = _catalog(pdf) + _links(pdf, tree)
    findings += _headings(tree) + _lists(tree) + _tables(tree) + _figures(tree)
    if source_blocks:
        findings += _reading_order(tagged_text(path), source_blocks)
    return findings


def _finding(message: str, location: str = "") -> Finding:
    return Finding(TOOL, "error", message, location)


def _catalog(pdf: pikepdf.Pdf) -> list[Finding]:
    """The document catalog: language, title shown in the title bar, marked as tagged."""
    root: Any = pdf.Root
    findings = []
    if not str(root.get("/Lang", "")).strip():
        findings.append(_finding("no document language (/Lang)", "Catalog"))
    if not bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)):
        findings.append(_finding("the title bar shows the file name, not the title (DisplayDocTitle)", "Catalog"))
    if not bool(root.get("/MarkInfo", {}).get("/Marked", False)):
        findings.append(_finding("not marked as a tagged PDF (/MarkInfo /Marked)", "Catalog"))
    if "/StructTreeRoot" not in root:
        findings.append(_finding("no structure tree", "Catalog"))
    return findings


def _headings(tree: list[Element]) -> list[Finding]:
    """Headings start at H1 and never skip a level on the way down."""
    findings, previous = [], 0
    for number, element in enumerate(e for e in tree if re.fullmatch(r"H[1-6]", e.kind)):
        level = int(element.kind[1])
        if level > previous + 1:
            findings.append(_finding(f"heading {number + 1} is {element.kind} after H{previous or '-'}: a level is skipped"))
        previous = level
    return findings


def _lists(tree: list[Element]) -> list[Finding]:
    """Lists are L of LI, each LI of Lbl and LBody."""
    findings = []
    for element in tree:
        allowed = {"L": {"LI", "Caption", "L"}, "LI": {"Lbl", "LBody"}}.get(element.kind)
        wrong = sorted(set(element.children) - allowed) if allowed else []
        if wrong:
            findings.append(_finding(f"{element.kind} holds {', '.join(wrong)}"))
    return findings


def _tables(tree: list[Element]) -> list[Finding]:
    """Every table has header cells (TH)."""
    findings, open_table, has_th = [], None, False
    for element in tree + [Element("", 0, "", (), (), 0)]:
        if open_table is not None and element.depth <= open_table:
            if not has_th:
                findings.append(_finding("a table has no header cells (TH)"))
            open_table = None
        if element.kind == "Table":
            open_table, has_th = element.depth, False
        elif element.kind == "TH":
            has_th = True
    return findings


def _figures(tree: list[Element]) -> list[Finding]:
    """Every figure has alternate text."""
    return [_finding(f"figure {n} has no alternate text (/Alt)") for n, e in enumerate((e for e in tree if e.kind == "Figure"), 1) if not e.alt.strip()]


def _links(pdf: pikepdf.Pdf, tree: list[Element]) -> list[Finding]:
    """Every Link annotation has /Contents and belongs to a Link structure element."""
    findings = []
    parents = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree) if "/StructTreeRoot" in pdf.Root else {}
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.get("/Annots", []):
            if annot.get("/Subtype") != "/Link":
                continue
            where = f"page {number}"
            if not str(annot.get("/Contents", "")).strip():
                findings.append(_finding("a link has no alternate text (/Contents)", where))
            key = annot.get("/StructParent")
            parent = parents.get(int(key)) if key is not None else None
            if parent is None or str(parent.get("/S")) != "/Link":
                findings.append(_finding("a link annotation is not in a Link structure element", where))
    for element in tree:
        if element.kind == "Link" and not element.objects:
            findings.append(_finding("a Link structure element has no link annotation"))
    return findings


def _reading_order(text: str, blocks: list[str]) -> list[Finding]:
    """Each source block's text appears in the tagged text, after the block before it."""
    position = 0
    for block in blocks:
        wanted = squeeze(block)
        if not wanted:
            continue
        found = text.find(wanted, position)
        if found < 0:
            where = "missing from the structure tree" if wanted not in text else "out of source order"
            return [_finding(f"reading order: {block[:60]!r} is {where}")]
        position = found + len(wanted)
    return []


def iter_kinds(tree: list[Element], kind: str) -> Iterator[Element]:
    """The elements of one standard type, in reading order."""
    return (e for e in tree if e.kind == kind)
