"""build(source, outdir, formats): read once, make each edition in memory, then write them all at once."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from brochure import cache, parallel
from brochure.assets import STYLES, font_stamps
from brochure.editions import cover
from brochure.model import Publication
from brochure.output import write_outputs
from brochure.render.html import DOWNLOAD_STYLES, PRINT_STYLES, render_cover_html, render_html
from brochure.source.reader import read_publication

log = logging.getLogger(__name__)

FORMATS = ("pdf", "epub", "print", "kepub", "kindle", "large")
E_READER_FORMATS = ("kepub", "kindle")  # made from the EPUB's bytes (editions/kepub.py, kindle.py)


@dataclass(frozen=True)
class Built:
    """What one build wrote, and the publication it came from."""

    publication: Publication
    paths: tuple[Path, ...]
    record: dict


def build(source: Path, outdir: Path | None = None, formats: tuple[str, ...] = ("pdf", "epub"), dist: Path | None = None,
          root: Path | None = None, quantity: int | None = None) -> Built:
    """Build the requested editions of one source into outdir (default dist/STEM; dist/ID inside a catalog);
    root is the publications folder of a catalog build (what the source's own brochure.yaml may set depends on it)."""
    pub = read_publication(source, root)
    if quantity:  # the command line's --quantity wins over brochure.yaml's print.quantity
        pub = replace(pub, print_spec=replace(pub.print_spec, quantity=quantity))
    outdir = outdir or (dist / pub.metadata.id if dist else Path("dist") / pub.stem)
    files: dict[str, bytes] = {}
    print_edition = None
    if "print" in formats:  # laid out beside the download PDF and the EPUB's cover, where there are cores for it
        import brochure.editions.pdf  # noqa: F401 - WeasyPrint imported once, before the fork, for both

        print_edition = parallel.start(lambda: _print_edition(pub)) if len(formats) > 1 else lambda: _print_edition(pub)
    elif _needs_page_starts(formats) and not _page_starts_entry(pub).is_file():  # a first EPUB: lay the print
        import brochure.editions.pdf  # noqa: F401, F811 - edition out beside the cover and the download PDF

        print_edition = parallel.start(lambda: ({}, print_page_starts(pub)))
    download_pdf = None
    if "pdf" in formats:
        download_pdf = _download_pdf(pub)
        files[f"{pub.stem}.pdf"] = download_pdf
    starts = None
    if print_edition is not None:
        print_outputs, starts = print_edition()
        files.update(print_outputs)
    large_print = _start_large_print(pub, formats, starts)
    cover_picture = None
    if "epub" in formats or set(E_READER_FORMATS) & set(formats):
        from brochure.editions.epub import write_epub

        cover_picture = cover_png(pub, download_pdf)
        book = write_epub(pub, cover_picture, starts or print_page_starts(pub))
        files.update({f"{pub.stem}.epub": book} if "epub" in formats else {})
        files.update(e_reader_files(pub, book, formats))
    if large_print is not None:
        files[f"{pub.stem}-large-print.pdf"] = large_print()
    listing = {}
    if dist is not None:
        files["cover.png"] = cover_picture or cover_png(pub, download_pdf)
        files["cover-thumb.png"] = cover_thumbnail(pub, files["cover.png"])
        listing = _listing_record(pub, outdir, files)
    paths = tuple(write_outputs(outdir, files, root=dist))
    return Built(pub, paths, listing)


def _start_large_print(pub: Publication, formats: tuple[str, ...], starts: tuple[str | None, ...] | None):  # type: ignore[no-untyped-def]
    """The large-print edition, laid out beside the EPUB where there are cores for it; a function that waits for it
    (None when it was not asked for). It needs where the print pages start: the print edition's, else the cache's."""
    if "large" not in formats:
        return None
    from brochure.editions.pdf import write_large_print_pdf

    known = starts or print_page_starts(pub)
    work = lambda: write_large_print_pdf(pub, known)  # noqa: E731 - the work for parallel.start
    return parallel.start(work) if len(formats) > 1 else (lambda: work())


def e_reader_files(pub: Publication, book: bytes, formats: tuple[str, ...]) -> dict[str, bytes]:
    """The Kobo kepub and the Kindle EPUB asked for, each made from the EPUB's bytes in milliseconds."""
    from brochure.editions import kepub, kindle

    makers = {"kepub": (f"{pub.stem}.kepub.epub", kepub.kepub), "kindle": (f"{pub.stem}.kindle.epub", kindle.kindle_epub)}
    return {makers[name][0]: makers[name][1](book) for name in E_READER_FORMATS if name in formats}


def _listing_record(pub: Publication, outdir: Path, files: dict[str, bytes]) -> dict:
    """The catalog record of a build inside a catalog (page counts read back from the PDFs)."""
    from brochure.catalog.listing import record

    pages = {name: _page_count(data) for name, data in files.items() if name.endswith(".pdf")}
    return record(pub, outdir.name, files, pages)


def _print_edition(pub: Publication) -> tuple[dict[str, bytes], tuple[str | None, ...]]:
    """The print PDF, its booklet and ticket, and where each of its pages starts (for the EPUB's page list)."""
    from brochure.editions.pdf import write_print_pdf

    print_pdf, starts = write_print_pdf(pub, _fit_entry(pub), _last_fit_entry(pub))
    return print_files(pub, print_pdf), starts


def print_files(pub: Publication, print_pdf: bytes) -> dict[str, bytes]:
    """The print PDF, its press sheets, its home booklet and the job ticket (JSON and CIP4 JDF); preflight must pass
    first."""
    from brochure.checks.preflight import preflight
    from brochure.editions import jdf, press
    from brochure.errors import Location, PreflightError
    from brochure.source.config import BLEED_IN, BOOKLET_SHEETS_IN, PDFX, PROFILES, TRIMS_IN

    report = preflight(print_pdf, saddle_stitch=True)
    if not report.passed:
        _blame_svg(pub, report.messages("error"))
        raise PreflightError(f"the print PDF fails preflight: {'; '.join(report.messages('error'))}", Location(pub.source))
    spec = pub.print_spec
    marks = bool(PROFILES[spec.profile])
    files = {
        f"{pub.stem}-print.pdf": print_pdf,
        f"{pub.stem}-imposed.pdf": press.impose_press(print_pdf, BLEED_IN * 72, spec.caliper_in * 72,
                                                      slug=press.job_slug(pub) if marks else None),
        f"{pub.stem}-booklet.pdf": press.impose_booklet(print_pdf, _points(BOOKLET_SHEETS_IN[spec.trim])),
    }
    publisher = pub.metadata.publisher
    contact = {"organisation": publisher.name, "name": publisher.contact_name, "phone": publisher.phone,
               "email": spec.contact_email, "url": publisher.url, "address": list(publisher.address)}
    ticket = press.job_ticket(
        print_pdf, title=pub.metadata.title, publication_id=pub.metadata.id, binding="saddle-stitch",
        pdfx_version=PDFX[spec.pdfx], trim_in=TRIMS_IN[spec.trim], bleed_in=BLEED_IN, paper=spec.paper,
        file_name=f"{pub.stem}-print.pdf", profile=spec.profile, marks=PROFILES[spec.profile],
        quantity=spec.quantity, proof=spec.proof, due=spec.due, contact=contact, files=files,
        caliper_in=spec.caliper_in,
    )
    files[f"{pub.stem}-print.jdf"] = jdf.job_jdf(ticket, f"{pub.metadata.stamp_date.isoformat()}T00:00:00Z")
    files[f"{pub.stem}-print.json"] = (json.dumps(ticket, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return files


def _blame_svg(pub: Publication, failures: tuple[str, ...]) -> None:
    """RGB left in the print PDF after its colours were converted comes from an SVG (a gradient, a pattern or an
    embedded picture): name the image and its line, and say what to do."""
    from brochure.errors import Location, PreflightError

    svgs = [image for image in pub.images if image.path.suffix.lower() == ".svg"]
    if svgs and any("RGB" in failure for failure in failures):
        names = ", ".join(f"'{image.src}'" for image in svgs)
        raise PreflightError(f"image {names} cannot go to print: colour in it (a gradient, pattern or embedded picture) stays "
                             "RGB; replace it with a PNG or JPEG of at least 300 ppi at its printed size, or use flat colours",
                             Location(pub.source, svgs[0].line))


def _points(size_in: tuple[float, float]) -> tuple[float, float]:
    """A (width, height) in inches, in PDF points."""
    return size_in[0] * 72, size_in[1] * 72


def _page_count(pdf: bytes) -> int:
    import io

    import pikepdf  # a catalog build's print edition has it loaded already (preflight, imposition)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _download_pdf(pub: Publication) -> bytes:
    from brochure.editions.pdf import write_download_pdf

    return write_download_pdf(pub)


def _cover_pdf(pub: Publication) -> bytes:
    from brochure.editions.pdf import write_cover_pdf

    return write_cover_pdf(pub)


def cover_png(pub: Publication, download_pdf: bytes | None = None) -> bytes:
    """The cover picture: from the cache, else rasterised from the PDF at hand, else from a PDF built for it.

    Keyed on what is on the cover page (the head and the cover section, the styles, the fonts), not on the
    whole text: editing the body does not re-render the cover."""
    return cache.remembered(cache.entry("covers", _cover_key(pub), ".png"),
                            lambda: cover.rasterise_first_page(download_pdf or _cover_pdf(pub)))


def cover_thumbnail(pub: Publication, cover_picture: bytes) -> bytes:
    """The catalog's small cover, cached beside the cover picture it is made from."""
    return cache.remembered(cache.entry("covers", _cover_key(pub), "-thumb.png"), lambda: cover.thumbnail(cover_picture))


def print_page_starts(pub: Publication) -> tuple[str | None, ...]:
    """Where each print page begins (for the EPUB page list): cached, else from a print layout."""
    def lay_out() -> bytes:
        from brochure.editions.pdf import layout_print

        return json.dumps(layout_print(pub, _fit_entry(pub), _last_fit_entry(pub))[1]).encode()

    return tuple(json.loads(cache.remembered(_page_starts_entry(pub), lay_out)))


def _page_starts_entry(pub: Publication) -> Path:
    return cache.entry("covers", "pages\n" + _layout_key(pub, "print"), ".json")


def _fit_entry(pub: Publication) -> Path:
    """Where the print edition's copyfitting keeps what it chose for these exact layout inputs."""
    return cache.entry("layouts", "fit\n" + _layout_key(pub, "print"), ".json")


def _last_fit_entry(pub: Publication) -> Path:
    """Where the print edition's last fit is kept for this publication whatever its text (copyfitting's first guess)."""
    return cache.entry("layouts", f"last fit\n{pub.source}", ".json")


def _needs_page_starts(formats: tuple[str, ...]) -> bool:
    """Whether an edition asked for needs where the print pages start (the EPUB's page list, large print's margin)."""
    return bool({"epub", "large", *E_READER_FORMATS} & set(formats))


def _cover_key(pub: Publication) -> str:
    """Everything the download edition's cover page depends on: its head and cover HTML, the styles, the fonts.
    (The cover is a page of its own, a fixed page tall, so nothing after it can change it.)"""
    pictures = [hashlib.sha256(path.read_bytes()).hexdigest() for path in (pub.brand.logo, pub.metadata.cover_image and pub.metadata.cover_image.path) if path]
    return "\n".join([render_cover_html(pub), *pictures, *_style_parts("download")])


def _layout_key(pub: Publication, edition: str) -> str:
    """Everything a whole layout depends on: the edition's HTML, its styles and the fonts."""
    return "\n".join([render_html(pub, edition), *_style_parts(edition)])


def _style_parts(edition: str) -> list[str]:
    parts = [(STYLES / name).read_text(encoding="utf-8") for name in (PRINT_STYLES if edition == "print" else DOWNLOAD_STYLES)]
    return parts + font_stamps()
