"""EPUB variants made from the EPUB's own bytes (the Kobo kepub, the Kindle EPUB): entries rewritten in place.

A variant is the EPUB with some entries edited: every entry keeps its name, order, timestamp and compression
(mimetype first and stored), so a variant is as reproducible as the EPUB it comes from, and costs a few
milliseconds instead of a second build. The accessibility conformance claim is taken out: it was made on the
EPUB's exact bytes, which the gate checked; a variant's were not.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from lxml import etree

OPF_NS = "http://www.idpf.org/2007/opf"
CLAIM_PROPERTIES = ("dcterms:conformsTo", "a11y:certifiedBy")


def rewrite(epub: bytes, edit: Callable[[str, bytes], bytes]) -> bytes:
    """The EPUB with each entry's content passed through edit(name, content); everything else kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
            level = 9 if info.compress_type == zipfile.ZIP_DEFLATED else None
            target.writestr(copy, edit(info.filename, source.read(info.filename)), compresslevel=level)
    return out.getvalue()


def package(epub: bytes) -> tuple[str, etree._Element]:
    """The package document's name in the zip and its parsed root (from META-INF/container.xml)."""
    with zipfile.ZipFile(io.BytesIO(epub)) as source:
        container = etree.fromstring(source.read("META-INF/container.xml"))
        name = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
        return name, etree.fromstring(source.read(name))


def content_documents(epub: bytes) -> set[str]:
    """The zip names of the XHTML content documents in the manifest, the navigation document left out."""
    name, opf = package(epub)
    folder = name.rpartition("/")[0]
    return {f"{folder}/{item.get('href')}" if folder else item.get("href")
            for item in opf.iter(f"{{{OPF_NS}}}item")
            if item.get("media-type") == "application/xhtml+xml" and "nav" not in (item.get("properties") or "").split()}


def without_claim(opf: bytes) -> bytes:
    """The package document without the conformance claim and its evaluator (unchanged when it has none)."""
    root = etree.fromstring(opf)
    claims = [meta for meta in root.iter(f"{{{OPF_NS}}}meta") if meta.get("property") in CLAIM_PROPERTIES]
    if not claims:
        return opf
    for meta in claims:
        previous = meta.getprevious()
        if previous is not None:  # keep the indentation of what follows
            previous.tail = meta.tail
        else:
            meta.getparent().text = meta.tail
        meta.getparent().remove(meta)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
