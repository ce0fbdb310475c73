"""Catalog records (plain dicts kept in the manifest) → the catalog page and OPDS feed files."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from brochure.catalog.render import Catalog, Edition, Entry, page_file, render_catalog_page, render_opds_feed
from brochure.source.config import Config, find_config, load_config, strings_for

MEDIA_TYPES = {"pdf": "application/pdf", "print": "application/pdf", "booklet": "application/pdf", "epub": "application/epub+zip",
               "kepub": "application/kepub+zip", "kindle": "application/epub+zip", "large": "application/pdf"}


def record(pub, outdir_name: str, files: dict[str, bytes], pages: dict[str, int]) -> dict:  # type: ignore[no-untyped-def]
    """The catalog record of one built publication: what the listing shows, with hrefs relative to dist/."""
    m = pub.metadata
    kinds = {f"{pub.stem}.pdf": "pdf", f"{pub.stem}-print.pdf": "print", f"{pub.stem}-booklet.pdf": "booklet", f"{pub.stem}.epub": "epub",
             f"{pub.stem}.kepub.epub": "kepub", f"{pub.stem}.kindle.epub": "kindle", f"{pub.stem}-large-print.pdf": "large"}
    editions = [
        {"kind": kind, "href": f"{outdir_name}/{name}", "media_type": MEDIA_TYPES[kind], "size_bytes": len(files[name]), "pages": pages.get(name)}
        for name, kind in kinds.items() if name in files
    ]
    from brochure.editions.epub import book_identifier

    return {
        "id": m.id, "urn": book_identifier(pub), "title": m.title, "subtitle": m.subtitle, "summary": m.summary,
        "lang": m.lang, "updated": m.stamp_date.isoformat(), "dated": m.date is not None, "publisher": m.publisher.name,
        "order_url": m.publisher.order_url, "source": str(pub.source), "translation_of": m.translation_of,
        "cover_href": f"{outdir_name}/cover.png", "thumbnail_href": f"{outdir_name}/cover-thumb.png",
        "editions": editions, "files": sorted(f"{outdir_name}/{name}" for name in files),
        "order_limit": m.order_limit,  # printed copies per order (brochure serve; 0 = download only)
    }


def catalog_files(records: list[dict], folder: Path) -> dict[str, bytes]:
    """index.html and catalog.xml for the given records (sorted, dated from the newest publication). The catalog's own
    name and ordering link come from the brochure.yaml of the publications folder (or above it), never from one
    publication's own folder: a contributor's brochure.yaml configures that publication only."""
    entries = tuple(_entry(r) for r in sorted(records, key=lambda r: (r["title"], r["id"])))
    found = find_config(folder.resolve())
    config = load_config(found) if found else Config()  # each publication's build warned of a missing one
    dated = [e.updated for e in entries if e.dated]  # a date no writer gave is never shown as the catalog's
    updated = max(dated or [e.updated for e in entries], default=dt.date(2000, 1, 1))
    pages = tuple((lang, page_file(lang)) for lang in _page_languages(entries))
    english = _catalog(config, "en", updated, entries, pages)
    files = {"index.html": render_catalog_page(english, strings_for("en")).encode(), "catalog.xml": render_opds_feed(english).encode()}
    for lang, name in pages[1:]:
        files[name] = render_catalog_page(_catalog(config, lang, updated, entries, pages), strings_for(lang)).encode()
    return files


def _page_languages(entries: tuple[Entry, ...]) -> list[str]:
    """English (the default page), then every language of the entries that the strings files translate."""
    found = {"en"}
    for entry in entries:
        primary = entry.lang.split("-")[0].lower()
        if strings_for(primary)["catalog_lang"] == primary:
            found.add(primary)
    return sorted(found, key=lambda lang: (lang != "en", lang))


def _catalog(config: Config, lang: str, updated: dt.date, entries: tuple[Entry, ...], pages: tuple[tuple[str, str], ...]) -> Catalog:
    """The catalog's own words in a language: brochure.yaml's languages block, else the strings file's."""
    words, own = strings_for(lang), config.catalog_words(lang)
    publisher = config.publisher_for(lang, quiet=True) if lang != "en" and config.publisher.name else config.publisher
    name = publisher.name or words["catalog_default_publisher"]
    order_info = own.get("order_info") or (words["catalog_order_info"].format(order_url=publisher.order_url) if publisher.order_url else "")
    return Catalog(title=own.get("title") or words["catalog_title"].format(publisher=name), publisher=name, order_info=order_info,
                   order_url=publisher.order_url, updated=updated, entries=entries, pages=pages)


def _entry(r: dict) -> Entry:
    return Entry(
        id=r["id"], urn=r["urn"], title=r["title"], subtitle=r["subtitle"], summary=r["summary"], lang=r["lang"],
        updated=dt.date.fromisoformat(r["updated"]), dated=r.get("dated", True), publisher=r["publisher"], cover_href=r["cover_href"],
        thumbnail_href=r["thumbnail_href"], translation_of=r.get("translation_of", ""),
        editions=tuple(Edition(e["kind"], e["href"], e["media_type"], e["size_bytes"], e["pages"]) for e in r["editions"]),
    )
