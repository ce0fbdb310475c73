"""HTML → PDF with WeasyPrint: the only module that imports it; always sandboxed, always reproducible."""
from __future__ import annotations

import hashlib
import logging
import mimetypes
from functools import cache
from pathlib import Path

from brochure import upstream

upstream.import_with_cached_lookup("weasyprint")  # first, with the fast library lookup; the imports below find it loaded

import weasyprint  # noqa: E402
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from brochure.assets import ASSET_ROOTS, STYLES
from brochure.errors import Location, ResourceError, warn
from brochure.model import Publication
from brochure.render.html import (
    DOWNLOAD_STYLES,
    LARGE_PRINT_STYLES,
    PRINT_STYLES,
    render_cover_page,
    render_html,
)
from brochure.sandbox import allowed_file, check_image, is_inside
from brochure.source.config import BLEED_IN, PROFILES

log = logging.getLogger(__name__)



class SandboxFetcher(URLFetcher):
    """Serves only files inside the publication's folder and the project's assets, and the logo brochure.yaml names
    (checked when the configuration was read); refuses the rest."""

    def __init__(self, folder: Path, logo: Path | None = None):
        super().__init__(allowed_protocols={"file"}, fail_on_errors=True)
        self.folder = folder
        self.logo = logo

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:  # type: ignore[override]
        """Return the file behind a file: URL or one under upstream.PUBLICATION_URL (a file of the folder, whatever
        the folder: upstream section 5), or stop the build naming the refused reference."""
        shown = upstream.relative_reference(url)
        target = allowed_file(upstream.folder_url(url, self.folder), self.folder)
        if target is None and self.logo is not None and url == self.logo.as_uri():
            target = self.logo
        if target is None:
            raise _Refused(shown)
        if is_inside(target, (self.folder.resolve(),)) and not is_inside(target, ASSET_ROOTS):
            try:  # the reader checked the body's images; this also covers anything else from the folder
                check_image(target, shown, Location(target))
            except ResourceError as err:
                raise _Refused(shown, err.message) from None
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        # answered under the URL asked for: not a file: URL, so WeasyPrint draws these bytes, never re-reads a path
        return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": media_type})


class _Refused(FatalURLFetchingError):
    """A reference the sandbox will not serve."""

    def __init__(self, url: str, reason: str = ""):
        super().__init__(url)
        self.url = url
        self.reason = reason or f"'{url}' is outside the publication's folder and the project's assets"


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


def _stylesheets(names: tuple[str, ...], fetcher: SandboxFetcher, profiles: dict) -> list[weasyprint.CSS]:
    # One colour-profile dict shared by every CSS() and render(): otherwise @color-profile is silently lost.
    return [weasyprint.CSS(filename=str(STYLES / name), url_fetcher=fetcher, font_config=_font_config(), color_profiles=profiles) for name in names]


def pdf_identifier(pub: Publication, edition: str) -> bytes:
    """A fixed PDF /ID from the publication id and edition: the same sources give the same bytes."""
    return hashlib.md5(f"{pub.metadata.id}/{edition}".encode()).hexdigest().encode()  # noqa: S324 - an id, not security


def _document(html: str, pub: Publication, styles: tuple[str, ...]) -> weasyprint.Document:
    """Lay out the HTML; a refused resource becomes a ResourceError naming it."""
    fetcher = SandboxFetcher(pub.folder, pub.brand.logo)
    profiles: dict = {}
    upstream.warm_hyphenation(pub.metadata.lang)
    try:
        # the fixed base, not the folder's file: URL: images named alike in every folder, no path in a link (upstream 5)
        document = weasyprint.HTML(string=html, base_url=upstream.PUBLICATION_URL, url_fetcher=fetcher).render(
            stylesheets=_stylesheets(styles, fetcher, profiles), font_config=_font_config(), pdf_tags=True, color_profiles=profiles
        )
    except _Refused as refused:
        from brochure.source.reader import line_of

        raise ResourceError(refused.reason, Location(pub.source, line_of(pub.source, refused.url))) from None
    _drop_links_into_the_folder(document, pub)
    stamp = f"{pub.metadata.stamp_date.isoformat()}T00:00:00+00:00"
    document.metadata.created = document.metadata.modified = stamp
    return document


def _drop_links_into_the_folder(document: weasyprint.Document, pub: Publication) -> None:
    """A link to a file of the publication's folder (a relative href the Markdown's sanitiser did not see, from a
    template value) is no use in a downloaded PDF: its annotation goes, its text stays, and a warning names it."""
    dropped: set[str] = set()
    for page in document.pages:
        into_folder = [isinstance(link[1], str) and upstream.is_publication_url(link[1]) for link in page.links]
        dropped.update(link[1] for link, drop in zip(page.links, into_folder, strict=True) if drop)
        page.links[:] = [link for link, drop in zip(page.links, into_folder, strict=True) if not drop]
    for url in sorted(dropped):
        warn(log, f"link '{upstream.relative_reference(url)}' is neither a web address (https://…) nor an anchor in this "
                  "publication: its text is kept, the link left out", Location(pub.source))


def write_download_pdf(pub: Publication) -> bytes:
    """The download edition: US Letter, tagged PDF/UA-1, bookmarked, linked."""
    return _accessible_pdf(pub, render_html(pub, "download"), DOWNLOAD_STYLES, "download")


def write_large_print_pdf(pub: Publication, print_page_starts: tuple[str | None, ...]) -> bytes:
    """The large-print edition: the download edition set at 18 pt and more (styles/large-print.css), tagged PDF/UA-1,
    with the standard print edition's page numbers in the margin where each of its pages starts."""
    from brochure.render.printpages import mark_print_pages  # lxml.html: only this edition needs it here

    html = mark_print_pages(render_html(pub, "large"), print_page_starts, pub.strings["print_page"])
    return _accessible_pdf(pub, html, LARGE_PRINT_STYLES, "large-print")


def _accessible_pdf(pub: Publication, html: str, styles: tuple[str, ...], edition: str) -> bytes:
    """A screen edition's HTML as tagged PDF/UA-1: laid out, its structure, links and hyphenated words fixed."""
    document = _document(html, pub, styles)
    quiet = upstream.DecorativeAltFilter({image.src for image in pub.images if image.decorative})
    logging.getLogger("weasyprint").addFilter(quiet)
    try:
        pdf = document.write_pdf(
            pdf_variant="pdf/ua-1",
            pdf_tags=True,
            pdf_identifier=pdf_identifier(pub, edition),
            finisher=upstream.label_links,
        )
    finally:
        logging.getLogger("weasyprint").removeFilter(quiet)
    pdf = upstream.fix_structure(pdf, upstream.layout_facts(document, pub.metadata.lang))
    pdf, hyphenated = upstream.join_hyphenated(pdf)  # words broken at line ends read whole (upstream section 6)
    log.debug("%d words hyphenated at a line end given their whole text", hyphenated)
    return pdf


def write_cover_pdf(pub: Publication) -> bytes:
    """The download edition's front cover page alone, untagged: what the cover picture is rasterised from when no
    download PDF is at hand (it lays out one page, not the whole publication; the same pixels as the PDF's page 1)."""
    return _document(render_cover_page(pub), pub, DOWNLOAD_STYLES).write_pdf(pdf_identifier=pdf_identifier(pub, "cover"))


def layout_print(pub: Publication, remembered: Path | None = None,
                 last: Path | None = None) -> tuple[weasyprint.Document, tuple[str | None, ...]]:
    """Lay out the print edition, copyfitted to a multiple of 4 pages (editions/copyfit.py; the fit chosen is kept
    at `remembered`, a cache path, and as the publication's last at `last`); return it with each page's first anchor."""
    from brochure.editions import copyfit

    def lay_out(chosen: copyfit.Fit) -> weasyprint.Document:
        return _document(render_html(pub, "print", chosen.extra_pages, chosen.step), pub, PRINT_STYLES)

    document, chosen = copyfit.fit(lay_out, remembered, last)
    log.debug("print edition: %d pages, type step %r, %d extra pages", len(document.pages), chosen.step or "design",
              chosen.extra_pages)
    _warn_low_resolution(document, pub)
    return document, page_starts(document)


MIN_PRINT_PPI = 200  # below this a photo or chart prints visibly soft; the preflight's 300 ppi is the press's target


def _warn_low_resolution(document: weasyprint.Document, pub: Publication) -> None:
    """A warning (file:line, effective ppi, printed width) for each raster image printed below MIN_PRINT_PPI."""
    from weasyprint.formatting_structure.boxes import ReplacedBox

    lines = {image.src: image.line for image in pub.images}
    worst: dict[str, tuple[float, float]] = {}
    for page in document.pages:
        for box in page._page_box.descendants():
            pixels = getattr(getattr(box, "replacement", None), "width", None)
            if not isinstance(box, ReplacedBox) or not isinstance(pixels, int) or box.element is None or not box.width:
                continue
            inches = box.width / 96  # CSS px
            src = box.element.get("src", "")
            ppi = pixels / inches
            if src in lines and ppi < MIN_PRINT_PPI and ppi < worst.get(src, (MIN_PRINT_PPI, 0))[0]:
                worst[src] = (ppi, inches)
    for src, (ppi, inches) in sorted(worst.items(), key=lambda item: lines[item[0]]):
        warn(log, f"image '{src}' prints at {ppi:.0f} ppi ({inches:.1f} in wide in the print edition; {MIN_PRINT_PPI} ppi "
                  "or more looks sharp): supply a larger image", Location(pub.source, lines[src]))


def page_starts(document: weasyprint.Document) -> tuple[str | None, ...]:
    """For each page, where its first word is: the id of the first element that begins on it, or, for a page that
    begins inside an element (a paragraph carried over), "ID N": the id of the innermost element holding the page's
    first word and how many non-space characters of it earlier pages hold (an id never holds a space); None for a
    page with neither."""
    seen: set[str] = set()
    laid_out: dict[str, int] = {}  # element id → its non-space characters on the pages so far
    headers: set[int] = set()  # the table headers (id() of their elements) laid out so far: repeated ones are skipped
    starts: list[str | None] = []
    for page in document.pages:
        shown: set[int] = set()
        texts = list(_page_texts(page._page_box, (), headers, shown))
        headers |= shown
        new = sorted((position[1], position[0], name) for name, position in page.anchors.items() if name not in seen)
        seen.update(page.anchors)
        first = next(((ids[-1], laid_out.get(ids[-1], 0)) for ids, _ in texts if ids), None)
        starts.append(f"{first[0]} {first[1]}" if first is not None and first[1] > 0 else new[0][2] if new else None)
        for ids, text in texts:
            for name in ids:
                laid_out[name] = laid_out.get(name, 0) + text
    return tuple(starts)


def _page_texts(box, ids: tuple[str, ...], headers: set[int], shown: set[int]):  # type: ignore[no-untyped-def]
    """(ids of the elements around it, its non-space characters) for each text box of the page's body, in layout
    order: no margin boxes (running heads, folios), no generated content (::before, ::after, markers), no table
    header repeated from an earlier page (whose element is in headers; those shown here go into shown), no
    hyphenate-character WeasyPrint added at a line end."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.MarginBox) or "::" in (getattr(box, "element_tag", "") or ""):
        return
    element = getattr(box, "element", None)
    if isinstance(box, boxes.TableRowGroupBox) and box.is_header and element is not None:
        if id(element) in headers:
            return
        shown.add(id(element))
    name = element.get("id") if element is not None and not isinstance(box, boxes.TextBox) else None
    if name and (not ids or ids[-1] != name):
        ids = (*ids, name)
    if isinstance(box, boxes.TextBox):
        text = box.text.removesuffix(box.style["hyphenate_character"]) if box.text.endswith("\u2010") else box.text
        count = sum(1 for char in text if not char.isspace() and char != "\u00ad")
        if count:
            yield ids, count
        return
    for child in getattr(box, "children", ()):
        yield from _page_texts(child, ids, headers, shown)


def write_print_pdf(pub: Publication, remembered: Path | None = None,
                    last: Path | None = None) -> tuple[bytes, tuple[str | None, ...]]:
    """The print edition as bytes (PDF/X, trim, bleed, marks, CMYK), and where each of its pages begins."""
    from brochure.editions.press import finish_print_pdf, job_slug

    document, starts = layout_print(pub, remembered, last)
    pdfx = pub.print_spec.pdfx
    pdf = document.write_pdf(pdf_variant=pdfx, pdf_identifier=True, finisher=upstream.pdfx_finisher(f"brochure:{pub.metadata.id}"))
    marks = bool(PROFILES[pub.print_spec.profile])
    return finish_print_pdf(pdf, BLEED_PT, marks=marks, pdfx=pdfx, paper=pub.print_spec.paper,
                            slug=job_slug(pub) if marks else None), starts


BLEED_PT = BLEED_IN * 72


def write_sheet_pdf(html: str, styles: tuple[str, ...], identifier: str) -> bytes:
    """A PDF of the builder's own HTML (no publication: e.g. the shipping labels of brochure/orders), set in the
    shipped fonts with the given stylesheets of the assets; every other reference is refused."""
    fetcher = SandboxFetcher(STYLES)
    profiles: dict = {}
    document = weasyprint.HTML(string=html, base_url=upstream.PUBLICATION_URL, url_fetcher=fetcher).render(
        stylesheets=_stylesheets(styles, fetcher, profiles), font_config=_font_config(), color_profiles=profiles)
    return document.write_pdf(pdf_identifier=hashlib.md5(identifier.encode()).hexdigest().encode())  # noqa: S324 - an id
