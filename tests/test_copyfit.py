"""Copyfitting: the print edition fills its signature with a type step where one lands it, else with designed pages,
and is laid out no more times than that takes."""
from __future__ import annotations

from dataclasses import replace

import pytest

from brochure.editions import copyfit, pdf
from brochure.render.html import PRINT_STYLES, render_html
from brochure.source.reader import read_publication
from conftest import PML, ROOT

CORPUS = ROOT / "tests" / "corpus"


@pytest.mark.parametrize(("body", "expected"), [
    (2.22, "fit-tighter-2"),  # 5 pages; at 9 pt the body fits pages 2-3 of 4, the last 67% full
    (3.59, None),  # PML: 6 pages; 4 needs the body at 56%, 8 at 153% of its length: no step reaches either
    (4.6, "fit-looser-2"),  # 7 pages; at 11 pt on 1.5 the body fills pages 2-7 of 8, the last about 76% full
    (5.95, None),  # the design's 8 pages, nearly full: every step lands outside a signature's last page
    (1.2, None),
])
def test_a_step_is_tried_only_where_its_scale_lands_the_body_well_inside_a_signature(body, expected):
    step = copyfit.predicted_step(body)
    assert (step.name if step else None) == expected


def _recording(pub):
    laid_out: list[copyfit.Fit] = []

    def lay_out(chosen):
        laid_out.append(chosen)
        return pdf._document(render_html(pub, "print", chosen.extra_pages, chosen.step), pub, PRINT_STYLES)
    return lay_out, laid_out


@pytest.mark.slow
def test_a_sheet_a_type_step_fits_is_set_at_that_step_and_laid_out_twice_then_once(tmp_path):
    """md-headings runs 5 pages in the design; at 9 pt on 1.35 it fills 4, no extra page, the last page well filled."""
    pub = read_publication(CORPUS / "md-headings" / "md-headings.md")
    lay_out, laid_out = _recording(pub)
    remembered = tmp_path / "fit.json"
    document, chosen = copyfit.fit(lay_out, remembered)
    assert chosen == copyfit.Fit("fit-tighter-2", 0)
    assert laid_out == [copyfit.Fit(), copyfit.Fit("fit-tighter-2")]
    assert len(document.pages) == 4 and copyfit.last_body_page_fill(document) >= copyfit.WELL_FILLED
    assert 'class="edition-print fit-tighter-2"' in render_html(pub, "print", 0, chosen.step)

    again, _ = copyfit.fit(lay_out, remembered)
    assert laid_out[2:] == [chosen], "the same inputs again: laid out once, at the step chosen before"
    assert len(again.pages) == 4


@pytest.mark.slow
def test_pml_gets_a_notes_page_and_the_order_page_and_a_damaged_memory_is_chosen_again(tmp_path):
    pub = read_publication(PML)
    lay_out, laid_out = _recording(pub)
    remembered = tmp_path / "fit.json"
    remembered.write_bytes(b'{"step": "fit-tighter-1", "extra_pa')
    document, chosen = copyfit.fit(lay_out, remembered)
    assert chosen == copyfit.Fit("", 2) and laid_out == [copyfit.Fit(), copyfit.Fit(extra_pages=2)]
    assert [sorted(page.anchors)[:1] for page in document.pages[5:7]] == [["extra-1"], ["extra-2"]]
    assert remembered.read_text() == '{"step": "", "extra_pages": 2}'


def test_without_an_ordering_address_every_extra_page_is_a_notes_page():
    pub = read_publication(PML)
    with_order = render_html(pub, "print", 2)
    assert with_order.count('class="extra-page notes"') == 1 and with_order.count('class="extra-page order-copies"') == 1
    assert "Order more copies" in with_order and "catalog.ninds.nih.gov" in with_order
    unordered = replace(pub, metadata=replace(pub.metadata, publisher=replace(pub.metadata.publisher, order_url="")))
    html = render_html(unordered, "print", 3)
    assert html.count('class="extra-page notes"') == 3 and "order-copies" not in html


def test_the_extra_pages_speak_the_publications_language():
    pub = read_publication(CORPUS / "poison-control-es" / "poison-control-es.md")
    html = render_html(pub, "print", 2)
    assert ">Notas<" in html and ">Pida más copias<" in html and "health.example.org/es/pedidos" in html


def test_the_download_edition_is_never_padded():
    assert "extra-page" not in render_html(read_publication(PML), "download")


@pytest.mark.slow
@pytest.mark.parametrize(("guess", "layouts"), [(2, 1), (1, 2), (0, 2), (3, 2)])
def test_the_last_fit_is_the_first_guess_and_a_guess_never_changes_the_result(tmp_path, guess, layouts):
    """After an edit that keeps PML at 6 pages of its own, the last fit's 2 extra pages are right the first time:
    one layout. A wrong guess costs the second layout and gives the same pages."""
    pub = read_publication(PML)
    lay_out, laid_out = _recording(pub)
    last = tmp_path / "last.json"
    last.write_text(f'{{"step": "", "extra_pages": {guess}}}')
    document, chosen = copyfit.fit(lay_out, tmp_path / "fit.json", last)
    assert chosen == copyfit.Fit("", 2) and len(laid_out) == layouts
    assert pdf.page_starts(document) == pdf.page_starts(_recording(pub)[0](copyfit.Fit("", 2)))
    assert last.read_text() == '{"step": "", "extra_pages": 2}'
