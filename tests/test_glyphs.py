"""A character no shipped font sets is a warning naming the file, the line and the character."""
from __future__ import annotations

import pytest

from brochure.source import glyphs
from conftest import PML, run_cli


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """The repertoire read again from the fonts, its copy kept in a temporary folder."""
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path))
    glyphs.repertoire.cache_clear()
    yield tmp_path
    glyphs.repertoire.cache_clear()


def test_health_text_is_covered_and_the_rest_is_found_with_its_first_line(fresh_cache):
    text = "Fever ≥ 38 °C, α and µ, Barré, niños\nDone ✓\nStill ✓ and 中\n"
    assert glyphs.unset_characters(text) == [("✓", 1), ("中", 2)]
    assert list(fresh_cache.rglob("glyphs/*.marshal")), "the repertoire was not kept"


def test_unicode_range_limits_what_the_symbols_face_sets(fresh_cache):
    """Noto Sans Math maps U+1D400 too, but fonts.css gives it only U+2190–22FF: WeasyPrint would not use it there."""
    assert "∞" not in dict(glyphs.unset_characters("∞"))
    assert "\U0001d400" in dict(glyphs.unset_characters("\U0001d400"))


def test_a_damaged_repertoire_copy_is_read_again(fresh_cache):
    glyphs.repertoire()
    (copy,) = fresh_cache.rglob("glyphs/*.marshal")
    copy.write_bytes(b"\xfa not marshal")
    glyphs.repertoire.cache_clear()
    assert ord("é") in glyphs.repertoire() and ord("✓") not in glyphs.repertoire()


@pytest.mark.slow
def test_the_build_warns_with_file_line_and_name(tmp_path):
    source = tmp_path / "marks.md"
    source.write_text("---\ntitle: Checklist\nlang: en\n---\n\n- Call your doctor ✓\n- Bring your list\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "pdf")
    assert result.code == 0, result.err
    assert ("warning: marks.md:6: no shipped font has '✓' (U+2713 CHECK MARK): the PDF editions will take it from a font "
            "on this machine, or show an empty box") in result.err.splitlines()


def test_the_pml_fact_sheet_needs_no_other_font(tmp_path):
    result = run_cli("build", PML, "-o", tmp_path, "--format", "epub")
    assert result.code == 0 and "no shipped font" not in result.err, result.err


# The characters CSS and the templates generate, not the writer: list markers (disc, circle, square), the
# hyphenation character, quotes smarty types for each language, the footnote back-link, dashes and leaders.
LIST_MARKERS = {"disc": "•", "circle": "◦", "square": "▪"}
TYPED_BY_MARKDOWN = "“”‘’«»–—…↩"


def generated_text() -> str:
    """Every string the styles' `content` and `hyphenate-character` declarations hold, the markers of the list
    styles they name, and the template strings of each language."""
    import tinycss2
    import yaml

    from brochure.assets import STRINGS, STYLES

    text = [TYPED_BY_MARKDOWN]
    for sheet in sorted(STYLES.glob("*.css")):
        for token in tinycss2.parse_component_value_list(sheet.read_text(encoding="utf-8")):
            text += _strings(token)
        for name, marker in LIST_MARKERS.items():
            if f"list-style-type: {name}" in sheet.read_text(encoding="utf-8"):
                text.append(marker)
    for strings in sorted(STRINGS.glob("*.yaml")):
        text += [str(value) for value in yaml.safe_load(strings.read_text(encoding="utf-8")).values()]
    return "\n".join(text)


def _strings(token) -> list[str]:  # type: ignore[no-untyped-def]
    if token.type == "string":
        return [token.value]
    if token.type == "() block" or token.type == "{} block" or token.type == "[] block" or token.type == "function":
        return [value for child in (token.arguments if token.type == "function" else token.content) for value in _strings(child)]
    return []


def test_every_character_the_styles_and_templates_generate_is_in_a_shipped_face(fresh_cache):
    text = generated_text()
    assert "◦" in text and "▪" in text and "\u2010" in text and ". " in text  # the markers, hyphen and leader were read
    assert glyphs.unset_characters(text) == []
    assert glyphs.unset_characters(text + "\n✓") == [("✓", text.count("\n") + 1)]  # and the check can fail
