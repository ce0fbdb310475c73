"""Walking a PDF's object graph with pikepdf: each page, and every content-bearing object below it once (form
XObjects, tiling patterns, Type3 fonts, soft-mask groups), with the first page that reaches it. The one walker the
print fixes (editions.pdfx, editions.press) and the preflight share."""
from __future__ import annotations

from collections.abc import Iterator

import pikepdf
from pikepdf import Name


def xobjects(resources: pikepdf.Object) -> Iterator[tuple[str, pikepdf.Object]]:
    """(name, stream) for each XObject in a resource dictionary."""
    xobjects = resources.get(Name.XObject)
    if isinstance(xobjects, pikepdf.Dictionary):
        for key, xobject in xobjects.items():
            if isinstance(xobject, pikepdf.Stream):
                yield key, xobject


def children(resources: pikepdf.Object) -> Iterator[tuple[str, pikepdf.Object]]:
    """Content-bearing objects nested in resources: forms, tiling patterns, Type3 fonts, soft masks."""
    for key, xobject in xobjects(resources):
        if xobject.get(Name.Subtype) == Name.Form:
            yield key, xobject
    for category in (Name.Pattern, Name.Font):
        entries = resources.get(category)
        if isinstance(entries, pikepdf.Dictionary):
            for key, entry in entries.items():
                if Name.Resources in entry:
                    yield key, entry
    states = resources.get(Name.ExtGState)
    if isinstance(states, pikepdf.Dictionary):
        for key, state in states.items():
            mask = state.get(Name.SMask) if isinstance(state, pikepdf.Dictionary) else None
            if isinstance(mask, pikepdf.Dictionary) and isinstance(mask.get(Name.G), pikepdf.Stream):
                yield key, mask.G


def page_objects(number: int, resources: pikepdf.Object | None, seen: set) -> Iterator[tuple[int, pikepdf.Object, str]]:
    """(page, object, name) for each nested content object below a page's resources, once each."""
    if not isinstance(resources, pikepdf.Dictionary):
        return
    for key, child in children(resources):
        if child.is_indirect:
            if child.objgen in seen:
                continue
            seen.add(child.objgen)
        yield number, child, key
        yield from page_objects(number, child.get(Name.Resources), seen)


def content_objects(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Object, str]]:
    """Every nested content object in the file with the first page that reaches it."""
    seen: set = set()
    for number, page in enumerate(pdf.pages, start=1):
        yield from page_objects(number, page.obj.get(Name.Resources), seen)


def resource_dicts(pdf: pikepdf.Pdf) -> Iterator[tuple[int, pikepdf.Object]]:
    """(page, resource dictionary) for each page and every nested content object."""
    for number, page in enumerate(pdf.pages, start=1):
        resources = page.obj.get(Name.Resources)
        if isinstance(resources, pikepdf.Dictionary):
            yield number, resources
    for number, owner, _ in content_objects(pdf):
        resources = owner.get(Name.Resources)
        if isinstance(resources, pikepdf.Dictionary):
            yield number, resources
