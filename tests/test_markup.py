"""README "Writing the Markdown": each promise, on the body HTML a publication is made from."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html

from brochure.source.reader import read_publication


def body(tmp_path, markdown: str, lang: str = "en"):
    """The publication read from a source holding this Markdown body; its body HTML parsed."""
    source = tmp_path / "doc" / "doc.md"
    source.parent.mkdir(exist_ok=True)
    source.write_text(f"---\ntitle: Doc\nlang: {lang}\n---\n\n{markdown}\n", encoding="utf-8")
    pub = read_publication(source)
    return pub, lxml_html.fragment_fromstring(pub.body_html, create_parent="div")


def test_tables_have_header_cells(tmp_path):
    _, root = body(tmp_path, "| Symptom | When |\n|---|---|\n| Weakness | Early |\n")
    assert [th.text for th in root.iter("th")] == ["Symptom", "When"]
    assert [td.text for td in root.iter("td")] == ["Weakness", "Early"]


def test_footnotes_link_both_ways(tmp_path):
    _, root = body(tmp_path, "PML is rare.[^1]\n\n[^1]: About 1 in 200,000 people.")
    reference = root.xpath("//sup/a")[0]
    note = root.get_element_by_id(reference.get("href").lstrip("#"))
    assert "About 1 in 200,000 people." in note.text_content()
    backlink = note.xpath(".//a[contains(@class, 'footnote-backref')]")[0]
    assert root.xpath(f"//*[@id='{backlink.get('href').lstrip('#')}']")


def test_attribute_lists_set_classes_and_ids(tmp_path):
    _, root = body(tmp_path, "## Where to find help {: #help }\n\nCall your doctor.\n{: .callout }")
    assert root.xpath("//h2[@id='help']") and root.xpath("//p[@class='callout']")


def test_definition_lists(tmp_path):
    _, root = body(tmp_path, "PML\n:   Progressive multifocal leukoencephalopathy.\n")
    assert [dt.text for dt in root.iter("dt")] == ["PML"]
    assert "Progressive multifocal leukoencephalopathy." in root.xpath("//dd")[0].text_content()


@pytest.mark.parametrize("lang, expected", [("en", "\u201cJC virus\u201d isn\u2019t new \u2013 it\u2019s common"),
                                            ("es", "\u00abvirus JC\u00bb no es nuevo \u2013 es com\u00fan")])
def test_smart_quotes_and_dashes_follow_the_language(tmp_path, lang, expected):
    text = "\"JC virus\" isn't new -- it's common" if lang == "en" else "\"virus JC\" no es nuevo -- es común"
    _, root = body(tmp_path, text, lang)
    assert root.text_content().strip() == expected


def test_headings_get_stable_readable_ids_and_become_sections(tmp_path):
    pub, root = body(tmp_path, "## What is PML?\n\nText.\n\n## ¿Qué es la LMP?\n\nTexto.\n\n### Who gets it\n\nMore.")
    assert [h.get("id") for h in root.xpath("//h2|//h3")] == ["what-is-pml", "que-es-la-lmp", "who-gets-it"]
    assert [(s.id, s.level) for s in pub.sections] == [("what-is-pml", 2), ("que-es-la-lmp", 2), ("who-gets-it", 3)]


def test_a_heading_that_skips_a_level_is_set_below_the_one_before_it_with_a_warning(tmp_path, caplog):
    pub, root = body(tmp_path, "## Washing\n\nText.\n\n#### Under the nails\n\nMore.\n\n## Drying\n\n###### Towels\n\nLast.")
    assert [h.tag for h in root.xpath("//h2|//h3|//h4|//h5|//h6")] == ["h2", "h3", "h2", "h3"]
    assert [s.level for s in pub.sections] == [2, 3, 2, 3]
    skipped = [r.getMessage() for r in caplog.records if "skips a level" in r.getMessage()]
    assert len(skipped) == 2 and skipped[0].startswith("doc.md:10: heading 'Under the nails' skips a level")


@pytest.mark.parametrize("indent", [2, 3, 4])
def test_nested_lists_indented_as_in_other_editors(tmp_path, indent):
    pad = " " * indent
    _, root = body(tmp_path, f"- Symptoms\n{pad}- weakness\n{pad}- clumsiness\n{pad * 2}- on one side\n- Tests\n")
    outer = root.xpath("/div/ul")
    assert len(outer) == 1 and [li.text.strip() for li in outer[0].xpath("./li")] == ["Symptoms", "Tests"]
    inner = outer[0].xpath("./li[1]/ul/li")
    assert [li.text.strip() for li in inner] == ["weakness", "clumsiness"]
    assert [li.text for li in inner[1].xpath("./ul/li")] == ["on one side"]


def test_ordered_list_with_a_nested_bullet_list_under_three_spaces(tmp_path):
    _, root = body(tmp_path, "1. Call the doctor\n   - bring your medicines\n2. Ask about trials\n")
    items = root.xpath("/div/ol/li")
    assert len(items) == 2 and [li.text for li in items[0].xpath("./ul/li")] == ["bring your medicines"]

