"""The publication as plain, frozen data: what every edition is made from (no PDF or EPUB details)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Publisher:
    """The agency that publishes: its name, contact block and reuse notice."""

    name: str
    office: str = ""
    parent: str = ""
    contact_name: str = ""
    address: tuple[str, ...] = ()
    phone: str = ""
    url: str = ""
    order_url: str = ""
    catalog_url: str = ""  # where the catalog page is published: a translation's back cover names it
    langs: tuple[tuple[str, str], ...] = ()  # (field, language) of fields in another language than the publication's

    def lang_of(self, name: str) -> str:
        """The language a field's text is in when it is not the publication's own (taken from brochure.yaml's
        default block), else ""."""
        return dict(self.langs).get(name, "")


@dataclass(frozen=True)
class Brand:
    """Colours of the agency band, once for screen (sRGB hex) and once for press (CMYK percentages)."""

    colour_rgb: str = "#20558a"
    colour_cmyk: tuple[float, float, float, float] = (90, 55, 10, 20)
    logo: Path | None = None  # the agency's own logo file (brochure.yaml brand.logo, beside it), checked like an image
    logo_alt: str = ""
    ink_rgb: str = "#1a1a1a"
    paper_rgb: str = "#ffffff"


@dataclass(frozen=True)
class PrintSpec:
    """How the print edition is made and ordered: trim, printer profile, PDF/X flavour, stock, copies, proof and due date."""

    trim: str = "half-letter"
    profile: str = "offset"
    pdfx: str = "pdf/x-4"
    paper: str = "70 lb text, uncoated white"
    quantity: int = 0  # copies; 0 when brochure.yaml and the command line give none
    caliper_in: float = 0.004  # the paper's thickness: the press sheets' creep per sheet outside
    proof: str = "pdf"  # pdf, hard or none
    due: str = ""  # YYYY-MM-DD, or "" for no date
    contact_email: str = ""


@dataclass(frozen=True)
class Translation:
    """Another language's edition of the same title: what a back cover names (its address is in the catalog)."""

    id: str
    lang: str
    title: str
    label: str = ""  # the edition named in its own language ("Esta publicación en español"), from the strings files


@dataclass(frozen=True)
class Metadata:
    """Front matter, validated and with the project's defaults filled in."""

    title: str
    lang: str
    id: str
    date: dt.date | None  # as the writer gave it; None when not given (then nothing prints a date)
    subtitle: str = ""
    summary: str = ""
    publication_number: str = ""
    keywords: tuple[str, ...] = ()
    publisher: Publisher = field(default_factory=lambda: Publisher(name=""))
    translation_of: str = ""  # the id of the publication this one translates (front matter translation_of)
    translations: tuple[Translation, ...] = ()  # the other language editions of this title, known in a folder build
    cover_image: Image | None = None  # front matter cover_image (a file of the publication's folder) and its alt text
    order_limit: int = 50  # printed copies one order may ask for (front matter order_limit, else orders.limit_per_title)
    stamp: dt.date = dt.date(2000, 1, 1)  # what files are stamped with (EPUB dcterms:modified, ZIP times): never printed

    @property
    def stamp_date(self) -> dt.date:
        """The date the writer gave, else the build's fixed stamp (SOURCE_DATE_EPOCH or 2000-01-01)."""
        return self.date or self.stamp


@dataclass(frozen=True)
class Section:
    """A heading of the body: its anchor id, text, level (2 = question) and source line."""

    id: str
    title: str
    level: int
    line: int


@dataclass(frozen=True)
class Image:
    """An image the body references, resolved inside the publication folder."""

    src: str
    path: Path
    alt: str
    line: int
    decorative: bool = False


@dataclass(frozen=True)
class Publication:
    """One publication: its source, metadata, body HTML (a fragment) and what the body refers to."""

    source: Path
    metadata: Metadata
    body_html: str
    sections: tuple[Section, ...]
    images: tuple[Image, ...]
    brand: Brand
    print_spec: PrintSpec
    strings: dict[str, str] = field(hash=False, compare=False, default_factory=dict)
    other_languages: frozenset[str] = frozenset()  # languages of passages marked in another language than the document's

    @property
    def outline(self) -> tuple[tuple[Section, tuple[Section, ...]], ...]:
        """The contents: each section (h2) with its subsections (h3) nested under it, in reading order. A subsection
        before the first section stands on its own."""
        entries: list[tuple[Section, list[Section]]] = []
        for section in self.sections:
            if section.level == 2 or (section.level == 3 and not entries):
                entries.append((section, []))
            elif section.level == 3:
                entries[-1][1].append(section)
        return tuple((section, tuple(children)) for section, children in entries)

    @property
    def folder(self) -> Path:
        """The publication's own folder: the only place its resources may come from."""
        return self.source.parent

    @property
    def stem(self) -> str:
        """The output name: outputs are STEM.pdf, STEM.epub."""
        return self.source.stem
