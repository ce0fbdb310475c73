"""labels.pdf: one shipping label per order on Avery 5160 sheets (US Letter, 3 × 10 labels of 2 5/8 × 1 in), set by
WeasyPrint in the shipped fonts. The layout is orders-labels.css; the template only places one label per order."""
from __future__ import annotations

from brochure.orders.store import PlacedOrder
from brochure.render import templates

LABELS_PER_SHEET = 30  # Avery 5160: 3 columns of 10
STYLES = ("fonts.css", "tokens.css", "orders-labels.css")


def labels_html(orders: list[PlacedOrder], titles: dict[str, str]) -> str:
    """The labels as one HTML document, a sheet of LABELS_PER_SHEET per page."""
    sheets = [orders[start:start + LABELS_PER_SHEET] for start in range(0, len(orders), LABELS_PER_SHEET)]
    return templates.environment().get_template("orders/labels.html").render(sheets=sheets, titles=titles)


def labels_pdf(orders: list[PlacedOrder], titles: dict[str, str], run: int) -> bytes:
    """The labels' PDF (its identifier from the run's number)."""
    from brochure.editions.pdf import write_sheet_pdf

    return write_sheet_pdf(labels_html(orders, titles), STYLES, f"print-run/{run}/labels")
