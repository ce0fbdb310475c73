"""HTML → PDF with WeasyPrint: the only module that imports it; always sandboxed, always reproducible."""
from __future__ import annotations

import hashlib
import logging
import mimetypes
from functools import cache
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import ResourceError
from .model import Publication
from .render import render_html
from .resources import STYLES, allowed_file

log = logging.getLogger(__name__)

DOWNLOAD_STYLES = ("fonts.css", "tokens.css", "base.css", "pdf.css")


class SandboxFetcher(URLFetcher):
    """Serves only files inside the publication's folder and the project's assets; refuses the rest."""

    def __init__(self, folder: Path):
        super().__init__(allowed_protocols={"file"}, fail_on_errors=True)
        self.folder = folder

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:  # type: ignore[override]
        """Return the file behind a file: URL, or stop the build naming the refused reference."""
        target = allowed_file(url, self.folder)
        if target is None:
            raise _Refused(url)
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": media_type})


class _Refused(FatalURLFetchingError):
    """A reference the sandbox will not serve."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


def _stylesheets(names: tuple[str, ...], fetcher: SandboxFetcher) -> list[weasyprint.CSS]:
    return [weasyprint.CSS(filename=str(STYLES / name), url_fetcher=fetcher, font_config=_font_config()) for name in names]


def pdf_identifier(pub: Publication, edition: str) -> bytes:
    """A fixed PDF /ID from the publication id and edition: the same sources give the same bytes."""
    return hashlib.md5(f"{pub.metadata.id}/{edition}".encode()).hexdigest().encode()  # noqa: S324 - an id, not security


def _document(html: str, pub: Publication, styles: tuple[str, ...]) -> weasyprint.Document:
    """Lay out the HTML; a refused resource becomes a ResourceError naming it."""
    fetcher = SandboxFetcher(pub.folder)
    try:
        return weasyprint.HTML(string=html, base_url=pub.folder.as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=_stylesheets(styles, fetcher), font_config=_font_config(), pdf_tags=True
        )
    except _Refused as refused:
        raise ResourceError(f"'{refused.url}' is outside the publication's folder and the project's assets") from None


def write_download_pdf(pub: Publication) -> bytes:
    """The download edition: US Letter, tagged PDF/UA-1, bookmarked, linked."""
    document = _document(render_html(pub, "download"), pub, DOWNLOAD_STYLES)
    return document.write_pdf(
        pdf_variant="pdf/ua-1",
        pdf_tags=True,
        pdf_identifier=pdf_identifier(pub, "download"),
    )
