"""Spanish editions that are Spanish throughout, paired with their English originals (issue 17): brochure.yaml's
`languages:` block, front matter `translation_of`, the catalog in the reader's language, readability per language."""
from __future__ import annotations

import functools
import logging
import re
import threading
import xml.etree.ElementTree as ET
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pikepdf
import pytest
from playwright import sync_api  # a missing tool is a failure, never a skip
from test_catalog_browser import CHROMIUM, CHROMIUM_ARGS

from brochure.errors import SourceError
from brochure.source.config import load_config, starter_config
from conftest import ROOT, run_cli

CONFIG = (ROOT / "tests" / "corpus" / "brochure.yaml").read_text(encoding="utf-8")
DEFAULT_ONLY = CONFIG.split("languages:")[0]  # the corpus's configuration without its languages block
ATOM = "{http://www.w3.org/2005/Atom}"

ENGLISH = """---
title: Seasonal Flu Vaccine
lang: en
id: flu
date: 2024-09-15
---

## Who should get a flu vaccine?

Everyone 6 months and older should get a flu vaccine every season.
"""
SPANISH = """---
title: La vacuna contra la influenza
lang: es
id: vacuna
translation_of: flu
date: 2024-09-15
---

## ¿Quién debe vacunarse?

Todas las personas de 6 meses en adelante deben vacunarse cada temporada. ¡Vacúnese hoy!
"""


def folder(tmp_path: Path, config: str, **sources: str) -> Path:
    """A publications folder: brochure.yaml and one publication folder per source."""
    root = tmp_path / "publications"
    root.mkdir()
    (root / "brochure.yaml").write_text(config, encoding="utf-8")
    for ident, text in sources.items():
        (root / ident).mkdir()
        (root / ident / f"{ident}.md").write_text(text, encoding="utf-8")
    return root


# --- brochure.yaml: the languages block ---------------------------------------------------------------------

def test_the_languages_block_is_checked_and_located_like_every_key(tmp_path):
    path = tmp_path / "brochure.yaml"
    path.write_text(DEFAULT_ONLY + "languages:\n  es:\n    publisher:\n      url: javascript:alert(1)\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        load_config(path)
    line = DEFAULT_ONLY.count("\n") + 4
    assert str(err.value).endswith(f"brochure.yaml:{line}: languages.es.publisher.url must be an address starting with https://, http://, mailto: or tel:")
    path.write_text(DEFAULT_ONLY + "languages:\n  Spanish:\n    publisher:\n      name: X\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r":\d+: languages.Spanish must be named by a lower-case BCP 47 language tag"):
        load_config(path)


def test_an_unknown_key_in_a_language_block_warns_with_the_nearest(tmp_path, caplog):
    path = tmp_path / "brochure.yaml"
    path.write_text(DEFAULT_ONLY + "languages:\n  es:\n    publisher:\n      nmae: X\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        load_config(path)
    assert "unknown configuration key 'languages.es.publisher.nmae' (did you mean 'languages.es.publisher.name'?)" in caplog.text


def test_a_publication_folder_may_not_set_the_catalogs_languages(tmp_path):
    root = folder(tmp_path, CONFIG, vacuna=SPANISH.replace("translation_of: flu\n", ""))
    (root / "vacuna" / "brochure.yaml").write_text("languages:\n  es:\n    publisher:\n      name: Otra agencia\n", encoding="utf-8")
    result = run_cli("build", root, "-o", tmp_path / "dist", "--format", "epub")
    assert result.code == 0, result.err
    assert "warning: brochure.yaml:2: languages.es is set for the whole catalog, not in a publication's own folder" in result.err
    with zipfile.ZipFile(tmp_path / "dist" / "vacuna" / "vacuna.epub") as book:
        back = book.read("EPUB/back.xhtml").decode()
    assert "Otra agencia" not in back and "Departamento de Salud Pública del Condado de Example" in back


def test_brochure_init_writes_a_valid_file_that_shows_the_languages_block(tmp_path, caplog):
    path = tmp_path / "brochure.yaml"
    path.write_text(starter_config("Example County Department of Public Health"), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        config = load_config(path)
    assert caplog.text == "" and config.languages == {}
    assert "# languages:\n#   es:\n#     publisher:\n#       name: " in path.read_text(encoding="utf-8")


# --- a Spanish edition with and without its block -----------------------------------------------------------

def _struct_langs(pdf: Path) -> dict[str, str]:
    """Each structure element's /Lang and its text (its /ActualText or /Alt is not needed: WeasyPrint's elements)."""
    found = {}
    with pikepdf.open(pdf) as doc:
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/StructElem" and "/Lang" in obj:
                found[str(obj.Lang)] = str(obj.get("/S"))
    return found


def test_without_a_block_the_english_agency_text_is_tagged_english_in_pdf_and_epub(tmp_path):
    root = folder(tmp_path, DEFAULT_ONLY, vacuna=SPANISH.replace("translation_of: flu\n", ""))
    result = run_cli("build", root / "vacuna" / "vacuna.md", "-o", tmp_path / "out", "--format", "pdf,epub")
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "languages.es" in line]
    assert [line.split("brochure.yaml:", 1)[1] for line in warnings] == ["1: no languages.es.publisher.name, languages.es.publisher.office, "
                        "languages.es.publisher.parent, languages.es.publisher.contact_name, languages.es.publisher.address: "
                        "the es editions print the publisher's en text (marked en); add a languages.es block to translate it"]
    assert "en" in _struct_langs(tmp_path / "out" / "vacuna.pdf")
    with zipfile.ZipFile(tmp_path / "out" / "vacuna.epub") as book:
        back = book.read("EPUB/back.xhtml").decode()
    assert '<span class="org" lang="en">Example County Department of Public Health</span>' in back
    assert '<p class="office" lang="en">Prepared by: Office of Health Communication' in back


def test_with_a_block_the_covers_print_no_english(tmp_path):
    root = folder(tmp_path, CONFIG, vacuna=SPANISH.replace("translation_of: flu\n", ""))
    result = run_cli("build", root / "vacuna" / "vacuna.md", "-o", tmp_path / "out", "--format", "pdf,epub")
    assert result.code == 0, result.err
    assert "languages.es" not in result.err
    with pikepdf.open(tmp_path / "out" / "vacuna.pdf") as doc:
        pages = len(doc.pages)
    from readback import _pdf_page_texts

    texts = _pdf_page_texts((tmp_path / "out" / "vacuna.pdf").read_bytes())
    covers = texts[0] + texts[pages - 1]
    assert "Departamento de Salud Pública del Condado de Example" in covers and "Gobierno del Condado de Example" in texts[0]
    for english in ("Department", "Prepared by", "Government", "Health Information Line", "Phone", "Revised", "Publication No"):
        assert english not in covers
    assert "en" not in _struct_langs(tmp_path / "out" / "vacuna.pdf")
    with zipfile.ZipFile(tmp_path / "out" / "vacuna.epub") as book:
        assert 'lang="en"' not in book.read("EPUB/back.xhtml").decode()


# --- pairing ------------------------------------------------------------------------------------------------

def test_a_translation_of_an_unknown_id_is_an_error_at_its_line(tmp_path):
    root = folder(tmp_path, CONFIG, vacuna=SPANISH.replace("translation_of: flu", "translation_of: flu-shot"))
    result = run_cli("build", root, "-o", tmp_path / "dist", "--format", "epub")
    assert result.code == 2
    assert "error: vacuna.md:5: translation_of 'flu-shot' is the id of no publication in this folder" in result.err


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Path:
    """A folder with an English sheet and its Spanish translation, built (EPUB only) as a catalog."""
    tmp = tmp_path_factory.mktemp("pair")
    root = folder(tmp, CONFIG, flu=ENGLISH, vacuna=SPANISH)
    result = run_cli("build", root, "-o", tmp / "dist", "--format", "epub")
    assert result.code == 0, result.err
    return tmp / "dist"


def test_each_back_cover_names_the_other_languages_edition(pair):
    with zipfile.ZipFile(pair / "flu" / "flu.epub") as book:
        english = book.read("EPUB/back.xhtml").decode()
    with zipfile.ZipFile(pair / "vacuna" / "vacuna.epub") as book:
        spanish = book.read("EPUB/back.xhtml").decode()
    assert ('<p class="translation" lang="es">Esta publicación en español: <cite>La vacuna contra la influenza</cite>, '
            '<a class="external" href="https://health.example.org/publications/#pub-vacuna">') in english
    assert ('<p class="translation" lang="en">This publication in English: <cite>Seasonal Flu Vaccine</cite>, '
            '<a class="external" href="https://health.example.org/publications/#pub-flu">') in spanish


def test_a_pair_is_one_catalog_entry_with_both_languages_linked_both_ways(pair):
    english = (pair / "index.html").read_text(encoding="utf-8")
    spanish = (pair / "index.es.html").read_text(encoding="utf-8")
    assert english.count('class="entry"') == spanish.count('class="entry"') == 1
    assert '<link rel="alternate" hreflang="es" href="index.es.html" title="Este catálogo en español">' in english
    assert '<link rel="alternate" hreflang="en" href="index.html" title="This catalog in English">' in spanish
    assert 'data-lang="en es"' in english and 'data-lang="es en"' in spanish
    assert '<h4 class="also-title" id="also-vacuna">También disponible en español: <cite>La vacuna contra la influenza</cite></h4>' in english
    assert '<h4 class="also-title" id="also-flu">Also available in English: <cite>Seasonal Flu Vaccine</cite></h4>' in spanish
    assert 'href="vacuna/vacuna.epub" type="application/epub+zip" hreflang="es"' in english
    assert 'href="flu/flu.epub" type="application/epub+zip" hreflang="en"' in spanish
    assert '<html lang="es"' in spanish and "Libro electrónico EPUB" in spanish
    assert "Las copias impresas son gratuitas. Pídalas en https://health.example.org/es/pedidos" in spanish
    assert "Printed copies are free. Order them from https://health.example.org/order." in english


def test_the_feed_links_the_entries_with_hreflang(pair):
    feed = ET.parse(pair / "catalog.xml").getroot()
    links = {}
    for entry in feed.iter(f"{ATOM}entry"):
        title = entry.findtext(f"{ATOM}title")
        links[title] = [(link.get("hreflang"), link.get("href")) for link in entry.iter(f"{ATOM}link") if link.get("rel") == "alternate"]
    assert links["Seasonal Flu Vaccine"] == [("en", "index.html#pub-flu"), ("es", "index.es.html#pub-vacuna")]
    assert links["La vacuna contra la influenza"] == [("es", "index.es.html#pub-vacuna"), ("en", "index.html#pub-flu")]


def test_no_english_in_the_catalogs_python_or_templates():
    for path in (ROOT / "brochure" / "catalog" / "listing.py", ROOT / "brochure" / "catalog" / "render.py",
                 ROOT / "brochure" / "assets" / "templates" / "catalog.html"):
        text = path.read_text(encoding="utf-8")
        assert "Printed copies" not in text and "Order them" not in text and ": publications" not in text


# --- the Spanish page in Chromium ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.browser
def test_the_spanish_page_in_chromium_with_and_without_javascript(pair, only_shipped_fonts):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=str(pair)))
    server.RequestHandlerClass.log_message = lambda *args: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=only_shipped_fonts)
            for javascript in (True, False):
                page = browser.new_page(java_script_enabled=javascript)
                errors: list[str] = []
                page.on("pageerror", lambda err, errors=errors: errors.append(str(err)))
                page.goto(base + "index.html")
                page.click("p.language-switch a")  # the switch is a plain link
                assert page.url == base + "index.es.html"
                assert page.locator("html").get_attribute("lang") == "es"
                assert page.locator("h1").inner_text() == "Publicaciones del Departamento de Salud Pública del Condado de Example"
                assert page.locator(".also-title").inner_text() == "Also available in English: Seasonal Flu Vaccine"
                assert page.locator(".entry").count() == 1
                if javascript:
                    assert page.locator("#result-count").inner_text() == "Se muestran 1 de 1 publicaciones"
                    page.select_option("#filter-lang", "en")  # the English edition is in the one entry: still shown
                    assert page.locator(".entry:visible").count() == 1
                    page.fill("#filter-text", "influenza")
                    assert page.locator(".entry:visible").count() == 1
                    page.fill("#filter-text", "sarampión")
                    assert page.locator(".entry:visible").count() == 0
                    assert re.search("Ninguna publicación", page.locator("#no-results").inner_text())
                assert errors == []
                page.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_publication_folders_own_publisher_takes_no_words_from_the_catalogs_languages(tmp_path):
    root = folder(tmp_path, CONFIG, vacuna=SPANISH.replace("translation_of: flu\n", ""))
    (root / "vacuna" / "brochure.yaml").write_text("publisher:\n  name: Clínica del Valle\n", encoding="utf-8")
    result = run_cli("build", root, "-o", tmp_path / "dist", "--format", "epub")
    assert result.code == 0, result.err
    assert "languages.es" not in result.err
    with zipfile.ZipFile(tmp_path / "dist" / "vacuna" / "vacuna.epub") as book:
        back = book.read("EPUB/back.xhtml").decode()
    assert '<span class="org">Clínica del Valle</span>' in back and "Departamento de Salud" not in back
