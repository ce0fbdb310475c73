"""What a print shop acts on (issue 13): the colour of the stock, the job tickets (JSON and CIP4 JDF), the press
sheets with creep, the marks in registration colour on every plate (Ghostscript tiffsep separations) and the slug."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from lxml import etree

from conftest import PML, ROOT, run_cli

pytestmark = pytest.mark.slow  # print builds by the real CLI

JDF = "{http://www.CIP4.org/JDFSchema_1_1}"
BLEED_PT = 9.0
MARKS_PT = 18.0
HOSTILE_TITLE = 'PML </JDF><!-- & "quotes" \'apos\' <x a="1"> ]]> {{ title }}'


@pytest.fixture(scope="module")
def shop_build(tmp_path_factory) -> Path:
    """PML's print edition with --quantity 2500 and the repository's brochure.yaml (70 lb text, uncoated white)."""
    outdir = tmp_path_factory.mktemp("shop")
    result = run_cli("build", PML, "-o", outdir, "--format", "print", "--quantity", "2500")
    assert result.code == 0, result.err
    return outdir


@pytest.fixture(scope="module")
def coated_build(tmp_path_factory) -> Path:
    """PML with a hostile title on coated stock, with quantity, proof, due date, caliper and contact in brochure.yaml."""
    folder = tmp_path_factory.mktemp("coated")
    config = (ROOT / "brochure.yaml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^  paper: .*$", '  paper: "100 lb gloss text, coated white"\n  quantity: 750\n  proof: hard\n'
                    '  due: "2026-12-15"\n  caliper_in: 0.01\n  contact_email: print@example.org', config)
    (folder / "brochure.yaml").write_text(config, encoding="utf-8")
    source = PML.read_text(encoding="utf-8").replace("title: Progressive Multifocal Leukoencephalopathy",
                                                     "title: '" + HOSTILE_TITLE.replace("'", "''") + "'", 1)
    (folder / "pml.md").write_text(source, encoding="utf-8")
    result = run_cli("build", folder / "pml.md", "-o", folder / "out", "--format", "print")
    assert result.code == 0, result.err
    return folder / "out"


def _ticket(build: Path) -> dict:
    return json.loads((build / "pml-print.json").read_text(encoding="utf-8"))


def _intent(pdf: Path) -> pikepdf.Object:
    with pikepdf.open(pdf) as document:
        intents = [intent for intent in document.Root.OutputIntents if intent.S == "/GTS_PDFX"]
        assert len(intents) == 1
        intent = intents[0]
        return {"id": str(intent.OutputConditionIdentifier), "registry": str(intent.RegistryName),
                "profile": intent.DestOutputProfile.read_bytes()}


# ------------------------------------------------------------------------------------------------ colour of the stock

def test_uncoated_stock_gets_the_uncoated_condition_in_pdf_and_ticket(shop_build):
    intent = _intent(shop_build / "pml-print.pdf")
    shipped = (ROOT / "brochure" / "assets" / "styles" / "icc" / "FOGRA29-uncoated.icc").read_bytes()
    assert intent["id"] == "FOGRA29" and intent["registry"] == "http://www.color.org"
    assert intent["profile"] == shipped
    ticket = _ticket(shop_build)
    assert ticket["stock"]["coating"] == "uncoated"
    assert ticket["output_condition"]["identifier"] == ticket["stock"]["condition"] == intent["id"]


def test_coated_stock_gets_the_gracol_condition_in_every_pdf_and_ticket(coated_build):
    shipped = (ROOT / "brochure" / "assets" / "styles" / "icc" / "CGATS-TR006-GRACoL-coated.icc").read_bytes()
    for name in ("pml-print.pdf", "pml-imposed.pdf", "pml-booklet.pdf"):
        intent = _intent(coated_build / name)
        assert intent["id"] == "CGATS TR 006", name
        assert intent["profile"] == shipped, name
    ticket = _ticket(coated_build)
    assert ticket["stock"]["coating"] == "coated"
    assert ticket["output_condition"]["identifier"] == "CGATS TR 006"
    assert ticket["stock"]["weight"] == {"value": 100.0, "unit": "lb", "basis": "text", "gsm": 148}


def test_the_shipped_profiles_have_their_licences_and_registry_names():
    from PIL import ImageCms

    from brochure.source.config import OUTPUT_CONDITIONS

    folder = ROOT / "brochure" / "assets" / "styles" / "icc"
    for profile, identifier, _ in OUTPUT_CONDITIONS.values():
        assert (folder / profile.replace(".icc", ".LICENSE.txt")).is_file()
        tags = ImageCms.getOpenProfile(str(folder / profile)).profile
        assert tags.model == identifier and tags.xcolor_space.strip() == "CMYK"


def test_black_text_overprints_and_other_colours_knock_out(shop_build):
    with pikepdf.open(shop_build / "pml-print.pdf") as pdf:
        page = pdf.pages[2]  # body text
        states = page.obj.Resources.ExtGState
        assert bool(states["/BrochureOverprint"].op) is True and int(states["/BrochureOverprint"].OPM) == 1
        assert bool(states["/BrochureKnockout"].op) is False
        overprint, colour, checked, saved, black_text, slug = False, None, 0, [], 0, False
        for instruction in pikepdf.parse_content_stream(page):
            operator = str(instruction.operator)
            if operator == "q":
                saved.append((overprint, colour))
            elif operator == "Q":
                overprint, colour = saved.pop()
            elif operator == "gs" and str(instruction.operands[0]).startswith("/Brochure"):
                overprint = str(instruction.operands[0]) == "/BrochureOverprint"
            elif operator in ("k", "scn") and len(instruction.operands) == 4:
                colour = [float(v) for v in instruction.operands]
            elif operator == "Tf":
                slug = str(instruction.operands[0]) == "/BrochureSlug"  # outside the trim, on paper white
            elif operator in ("Tj", "TJ") and colour is not None and not slug:
                assert overprint == (colour == [0, 0, 0, 1]), f"text in {colour} with overprint {overprint}"
                checked += 1
                black_text += colour == [0, 0, 0, 1]
        assert checked > 20
        assert black_text > 20


# ------------------------------------------------------------------------------------------------ tickets

def test_json_ticket_says_what_the_shop_needs(shop_build):
    ticket = _ticket(shop_build)
    assert ticket["quantity"] == 2500
    assert ticket["finishing"]["binding"] == "saddle stitch" and ticket["finishing"]["staples"] == 2
    assert "fold" in ticket["finishing"]
    assert ticket["stock"]["weight"]["value"] == 70 and ticket["stock"]["colour"] == "white"
    assert ticket["proof"]
    assert ticket["contact"]["organisation"] == "National Institute of Neurological Disorders and Stroke"
    assert ticket["contact"]["phone"] == "800-352-9424"
    assert "due" not in ticket  # none given
    assert "flip on short edge" in ticket["booklet"]["duplex"]
    files = {path.name: path for path in shop_build.iterdir()}
    assert set(ticket["files"]) == {"pml-print.pdf", "pml-imposed.pdf", "pml-booklet.pdf"}
    for name, entry in ticket["files"].items():
        assert entry["sha256"] == hashlib.sha256(files[name].read_bytes()).hexdigest(), name


def test_configured_quantity_proof_due_and_contact_reach_both_tickets(coated_build):
    ticket = _ticket(coated_build)
    assert ticket["quantity"] == 750 and ticket["due"] == "2026-12-15" and "hard" in ticket["proof"]
    assert ticket["contact"]["email"] == "print@example.org"
    assert ticket["title"] == HOSTILE_TITLE
    root = etree.parse(str(coated_build / "pml-print.jdf")).getroot()
    assert root.get("DescriptiveName") == HOSTILE_TITLE
    assert root.find(f"{JDF}ResourcePool/{JDF}Component").get("Amount") == "750"
    assert root.find(f"{JDF}ResourcePool/{JDF}NodeInfo").get("End").startswith("2026-12-15")
    channels = {channel.get("ChannelType"): channel.get("Locator") for channel in root.iter(f"{JDF}ComChannel")}
    assert channels["Email"] == "mailto:print@example.org"
    assert root.find(f"{JDF}ResourcePool/{JDF}Media").get("FrontCoatings") == "Coated"


def test_jdf_names_the_print_pdf_in_its_runlist_and_links_its_resources(shop_build):
    root = etree.parse(str(shop_build / "pml-print.jdf")).getroot()
    assert root.tag == f"{JDF}JDF" and root.get("Version").startswith("1.")
    assert root.get("JobID") == "pml"
    pool = root.find(f"{JDF}ResourcePool")
    runlist = pool.find(f"{JDF}RunList")
    assert runlist.find(f"{JDF}LayoutElement/{JDF}FileSpec").get("URL") == "pml-print.pdf"
    assert runlist.get("NPage") == str(_ticket(shop_build)["pages"])
    assert pool.find(f"{JDF}StitchingParams").get("StitchType") == "Saddle"
    assert pool.find(f"{JDF}StitchingParams").get("NumberOfStitches") == "2"
    assert pool.find(f"{JDF}Media").get("Weight") == "104"
    assert pool.find(f"{JDF}Component").get("Amount") == "2500"
    ids = {resource.get("ID") for resource in pool}
    links = root.find(f"{JDF}ResourceLinkPool")
    assert {link.get("rRef") for link in links} == ids
    assert {link.tag.removeprefix(JDF).removesuffix("Link") for link in links} == {resource.tag.removeprefix(JDF) for resource in pool}


# ------------------------------------------------------------------------------------------------ press sheets

def _placements(page: pikepdf.Page) -> list[tuple[str, float]]:
    """(form name, x translation) of each page form drawn on a press sheet."""
    found, shift = [], 0.0
    for instruction in pikepdf.parse_content_stream(page):
        if str(instruction.operator) == "cm":
            shift = float(instruction.operands[4])
        elif str(instruction.operator) == "Do":
            found.append((str(instruction.operands[0]), shift))
    return found


def test_press_sheets_are_printer_spreads_with_bleed_marks_and_creep(coated_build):
    caliper_pt = 0.01 * 72
    with pikepdf.open(coated_build / "pml-print.pdf") as source:
        pages = len(source.pages)
        version = source.pdf_version
    with pikepdf.open(coated_build / "pml-imposed.pdf") as pdf:
        assert pdf.pdf_version == version
        assert len(pdf.pages) == pages // 2
        shifts = []
        for page in pdf.pages:
            media = [float(v) for v in page.MediaBox]
            trim = [float(v) for v in page.TrimBox]
            bleed = [float(v) for v in page.BleedBox]
            assert (trim[2] - trim[0], trim[3] - trim[1]) == (2 * 396.0, 612.0)
            assert [b - t for b, t in zip(bleed, trim, strict=True)] == [-BLEED_PT, -BLEED_PT, BLEED_PT, BLEED_PT]
            assert trim[0] - media[0] == BLEED_PT + MARKS_PT
            (left, left_x), (right, right_x) = _placements(page)
            shifts.append((left_x, right_x))
        # sheet 1 (sides 0, 1) has no creep; sheet 2 moves its pages one caliper towards the spine
        assert shifts[0] == shifts[1]
        assert shifts[2][0] - shifts[0][0] == pytest.approx(caliper_pt, abs=0.002)
        assert shifts[0][1] - shifts[2][1] == pytest.approx(caliper_pt, abs=0.002)
    document = pypdfium2.PdfDocument(coated_build / "pml-imposed.pdf")
    try:
        first = document[0]
        width, height = first.get_size()
        slug = first.get_textpage().get_text_bounded(0, 0, width, MARKS_PT).strip()
        assert "pml" in slug and "sheet 1 front: pages 8, 1" in slug
    finally:
        document.close()


def test_home_booklet_header_says_the_version_it_uses(shop_build):
    with pikepdf.open(shop_build / "pml-print.pdf") as source, pikepdf.open(shop_build / "pml-booklet.pdf") as booklet:
        assert booklet.pdf_version == source.pdf_version == "1.6"
    assert (shop_build / "pml-booklet.pdf").read_bytes().startswith(b"%PDF-1.6")


# ------------------------------------------------------------------------------------------------ marks and slug

def _separations(pdf: Path, page: int, folder: Path, dpi: int = 144) -> dict:
    """Ghostscript's tiffsep plates of one page: {plate: PIL image} (0 = full ink, 255 = none)."""
    from PIL import Image

    gs = shutil.which("gs")
    if gs is None:
        pytest.fail("Ghostscript (gs) is needed for the separations check: run scripts/setup-system.sh")
    subprocess.run([gs, "-q", "-dSAFER", "-dNOPAUSE", "-dBATCH", "-sDEVICE=tiffsep", f"-r{dpi}", f"-dFirstPage={page}",
                    f"-dLastPage={page}", f"-sOutputFile={folder / 'sep.tif'}", str(pdf)], check=True, timeout=120)
    return {plate: Image.open(folder / f"sep({plate}).tif") for plate in ("Cyan", "Magenta", "Yellow", "Black")}


def _darkest(image, x0: float, y0: float, x1: float, y1: float, media: list[float], dpi: int = 144) -> int:
    """The most ink (lowest value) on a plate inside a rectangle given in PDF points."""
    scale = dpi / 72
    left, right = round((x0 - media[0]) * scale), round((x1 - media[0]) * scale)
    top, bottom = round((media[3] - y1) * scale), round((media[3] - y0) * scale)
    return image.crop((left, top, max(right, left + 1), max(bottom, top + 1))).getextrema()[0]


@pytest.mark.parametrize("name, page", [("pml-print.pdf", 1), ("pml-print.pdf", 4), ("pml-imposed.pdf", 1)])
def test_trim_marks_are_on_every_plate_outside_the_bleed(shop_build, tmp_path, name, page):
    with pikepdf.open(shop_build / name) as pdf:
        media = [float(v) for v in pdf.pages[page - 1].MediaBox]
        trim = [float(v) for v in pdf.pages[page - 1].TrimBox]
    plates = _separations(shop_build / name, page, tmp_path)
    below_bleed = (media[1] + 1, trim[1] - BLEED_PT - 4)  # where the vertical crop marks run
    for plate, image in plates.items():
        for x in (trim[0], trim[2]):
            assert _darkest(image, x - 1, *below_bleed[:1], x + 1, below_bleed[1], media) < 64, f"{plate}: no mark at x {x}"
        # nothing between the mark's end and the bleed: marks stay MARK_GAP_PT clear of it
        assert _darkest(image, trim[0] - 1, trim[1] - BLEED_PT - 2.5, trim[0] + 1, trim[1] - BLEED_PT - 0.5, media) == 255


def test_slug_line_names_job_date_and_page_outside_the_trim(shop_build, tmp_path):
    document = pypdfium2.PdfDocument(shop_build / "pml-print.pdf")
    try:
        for number in (1, 5):
            page = document[number - 1]
            x0, y0, x1, y1 = page.get_trimbox()
            slug = page.get_textpage().get_text_bounded(x0 - BLEED_PT - MARKS_PT, y0 - BLEED_PT - MARKS_PT, x1, y0 - BLEED_PT).strip()
            assert slug.startswith("pml") and "2023-07-28" in slug and f"page {number}" in slug, slug
            assert f"page {number}" not in page.get_textpage().get_text_bounded(x0, y0, x1, y1)
    finally:
        document.close()
    with pikepdf.open(shop_build / "pml-print.pdf") as pdf:
        font = pdf.pages[0].Resources.Font["/BrochureSlug"]
        assert "/FontFile2" in font.FontDescriptor  # embedded, as PDF/X requires


def test_quantity_must_be_a_number_of_copies(tmp_path):
    result = run_cli("build", PML, "-o", tmp_path, "--format", "print", "--quantity", "many")
    assert result.code == 2 and "whole number of copies" in result.err


def test_reversed_text_on_the_brand_band_is_at_least_12_pt(shop_build):
    """White text on the four-colour band knocks out of all four plates: it is set big enough to survive registration."""
    with pikepdf.open(shop_build / "pml-print.pdf") as pdf:
        for number in (0, len(pdf.pages) - 1):  # the cover and the back cover
            colour, size, white_sizes = None, 0.0, []
            for instruction in pikepdf.parse_content_stream(pdf.pages[number]):
                operator = str(instruction.operator)
                if operator in ("k", "scn") and len(instruction.operands) == 4:
                    colour = [float(v) for v in instruction.operands]
                elif operator == "Tf":
                    size = float(instruction.operands[1]) * 0.75  # WeasyPrint sets CSS px under a 0.75 scale
                elif operator in ("Tj", "TJ") and colour == [0, 0, 0, 0]:
                    white_sizes.append(size)
            assert white_sizes, f"page {number + 1} has no reversed text"
            assert min(white_sizes) >= 12 - 0.01, f"page {number + 1}: reversed text at {min(white_sizes):.1f} pt"


def test_quantity_for_a_folder_is_refused_not_ignored(tmp_path):
    """A folder build used to accept --quantity and write every ticket without it."""
    result = run_cli("build", PML.parent.parent, "-o", tmp_path / "dist", "--quantity", "300")
    assert result.code == 2 and "Traceback" not in result.err
    assert "--quantity sets one publication's job ticket" in result.err and "print.quantity" in result.err
    assert not (tmp_path / "dist").exists()
