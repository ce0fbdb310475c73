"""brochure.yaml is checked against its schema, a folder without one still builds valid editions, and the command
line follows the conventions of pip and pytest (--version, options after the sub-command, -j checked, --strict)."""
from __future__ import annotations

import zipfile

import pytest
import yaml

from brochure import __version__
from brochure.checks import validate
from brochure.source.config import SCHEMA, load_config
from conftest import run_cli

SOURCE = """---
title: Flu Vaccine
lang: en
date: 2025-09-01
---
## Who should get a flu vaccine?

Everyone 6 months and older should get a flu vaccine every season.
"""


@pytest.fixture
def folder(tmp_path):
    """A publication folder with no brochure.yaml in it or above it (tmp_path is outside the project)."""
    (tmp_path / "flu").mkdir()
    (tmp_path / "flu" / "flu.md").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def write_config(folder, text):
    (folder / "brochure.yaml").write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_a_misspelt_key_warns_with_the_nearest_known_one_and_the_build_goes_on(folder):
    write_config(folder, "publisher:\n  name: Example Health\n  phon: 555-010-0100\nbrand:\n  colour_rgb: '#1d5e4a'\n")
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert result.code == 0, result.err
    assert "warning: brochure.yaml:3: unknown configuration key 'publisher.phon' (did you mean 'publisher.phone'?)" in result.err


@pytest.mark.slow
def test_a_key_in_the_wrong_section_is_pointed_to_its_section(folder):
    write_config(folder, "publisher:\n  name: Example Health\n  trim: letter\npublsher: {}\n")
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert "brochure.yaml:3: unknown configuration key 'publisher.trim' (did you mean 'print.trim'?)" in result.err
    assert "brochure.yaml:4: unknown configuration key 'publsher' (did you mean 'publisher'?)" in result.err


@pytest.mark.parametrize(("line", "text", "message"), [
    (3, "publisher:\n  name: X\n  url: 'javascript:alert(1)'\n", "publisher.url must be an address starting with https://, http://, mailto: or tel:"),
    (2, "brand:\n  colour_rgb: '#20558a; } img { background: url(x) }'\n", "brand.colour_rgb must be a colour like #20558a"),
    (2, "brand:\n  colour_cmyk: [90, 55, 10]\n", "brand.colour_cmyk must be four CMYK percentages"),
    (3, "print:\n  trim: letter\n  pdfx: pdf/x-3\n", "print.pdfx must be one of: pdf/x-4, pdf/x-1a"),
    (2, "publisher:\n  address: 100 Main Street\n", "publisher.address must be a list of text lines"),
    (1, "publisher: [a, b]\n", "'publisher' must be a mapping of keys"),
    (2, "a: &x [1, 2]\nb: [*x, *x]\n", "aliases are not allowed"),
    (3, "publisher:\n  name: [unclosed\n", "malformed configuration"),  # where the parser found the list unclosed
    (2, "brand:\n  colour_cmyk: [a, b]\n", "brand.colour_cmyk must be four CMYK percentages"),
    (3, "publisher:\n  name: X\n  address: 12\n", "publisher.address must be a list of text lines"),
    (1, "print: [1]\n", "'print' must be a mapping of keys"),
    (3, "publisher:\n  name: X\n  name: Y\n", "the key 'name' is given twice"),
    (2, "publisher:\n  name: \"\\ud800\"\n", "U+D800 (a surrogate)"),
    (4, "publisher:\n  name: X\n\n  phone: 555\x00\n", "character U+0000 is not allowed in YAML"),
    (2, "publisher:\n  2024-01-01: X\n", "the key '2024-01-01' is not text"),
], ids=["script url", "css in a colour", "three inks", "unknown pdfx", "address as one line", "section not a mapping", "alias",
        "malformed", "letters for inks", "address a number", "print a list", "a key twice", "surrogate", "nul", "date as key"])
def test_a_bad_value_is_one_located_error_and_nothing_is_written(folder, line, text, message):
    write_config(folder, text)
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert result.code == 2
    (error,) = result.err.strip().splitlines()
    assert error.startswith(f"error: brochure.yaml:{line}: ") and message in error, error
    assert "Traceback" not in result.err
    assert not (folder / "out").exists()


@pytest.mark.slow
@pytest.mark.java
def test_without_any_brochure_yaml_the_editions_name_a_neutral_publisher_and_stay_valid(folder):
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert result.code == 0, result.err
    assert result.err.count("no brochure.yaml") == 1 and "brochure init" in result.err
    epub = folder / "out" / "flu.epub"
    with zipfile.ZipFile(epub) as book:
        opf = book.read("EPUB/content.opf").decode()
    assert "<dc:publisher>Public health information</dc:publisher>" in opf
    assert validate.epubcheck(epub) == []  # no error, and no warning either (one EPUBCheck run)


def test_strict_makes_the_first_warning_an_error_before_anything_is_written(folder):
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out", "--strict")
    assert result.code == 2
    assert result.err.startswith("error: no brochure.yaml") and "--strict" in result.err
    assert not (folder / "out").exists()


@pytest.mark.slow
def test_init_writes_a_config_every_key_of_which_is_known_and_never_overwrites(folder, caplog):
    result = run_cli("init", folder, "--name", "Example County Health")
    assert result.code == 0, result.err
    path = folder / "brochure.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["publisher"] == {"name": "Example County Health"}  # the agency fills in its own contact details
    assert set(data) == set(SCHEMA) and set(data["print"]) == set(SCHEMA["print"])
    for section, keys in SCHEMA.items():  # every key is explained
        for key, spec in keys.items():
            assert spec.doc in path.read_text(encoding="utf-8"), (section, key)
    with caplog.at_level("WARNING"):
        assert load_config(path).publisher.name == "Example County Health"
    assert not caplog.records
    again = run_cli("init", folder, "--name", "Other")
    assert again.code == 2 and "already exists" in again.err
    built = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out", "--strict")
    assert built.code == 0, built.err


@pytest.mark.slow
def test_version_help_and_options_after_the_sub_command(folder):
    assert run_cli("--version").out.strip() == f"brochure {__version__}"
    help_text = run_cli("--help").out
    assert "examples:" in help_text and "brochure init --name" in help_text
    write_config(folder, "publisher:\n  name: Example Health\n")
    quiet = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out", "-q")
    assert quiet.code == 0 and quiet.out == "" and quiet.err == ""


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_number(folder, jobs):
    result = run_cli("build", folder, "-j", jobs)
    assert result.code == 2 and "-j/--jobs" in result.err and "1 or more" in result.err


@pytest.mark.slow
def test_cache_dir_keeps_the_caches_where_it_says(folder):
    write_config(folder, "publisher:\n  name: Example Health\n")
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out", "--cache-dir", folder / "caches")
    assert result.code == 0, result.err
    (versions,) = (folder / "caches").iterdir()
    assert versions.name.startswith("brochure-") and "+weasyprint-" in versions.name and "+pyphen-" in versions.name
    assert {p.name for p in versions.iterdir()} >= {"hyphenation", "jinja", "covers"}


@pytest.mark.slow
def test_a_config_that_names_no_publisher_gets_the_neutral_one_with_a_located_warning(folder):
    write_config(folder, "brand:\n  colour_rgb: '#1d5e4a'\n")
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out", "--format", "epub")
    assert result.code == 0, result.err
    assert "warning: brochure.yaml:1: no publisher.name: the editions name a neutral publisher ('Public health information')" in result.err


def test_a_publisher_url_in_front_matter_that_is_no_web_address_is_a_located_error(folder):
    write_config(folder, "publisher:\n  name: Example Health\n")
    source = folder / "flu" / "flu.md"
    source.write_text(SOURCE.replace("date: 2025-09-01\n", "date: 2025-09-01\npublisher_url: 'javascript:alert(1)'\n"), encoding="utf-8")
    result = run_cli("build", source, "-o", folder / "out")
    assert result.code == 2 and result.err == "error: flu.md:5: publisher_url must be an address starting with https://, http://, mailto: or tel:\n"
    assert not (folder / "out").exists()


@pytest.mark.parametrize(("line", "front", "message"), [
    (5, "1: x\n", "the key '1' is not text: quote it, or use a name"),
    (5, "2024-01-01: x\n", "the key '2024-01-01' is not text"),
    (5, "lang: es\n", "the key 'lang' is given twice"),
    (5, "subtitle: \"\\ud800\"\n", "U+D800 (a surrogate), which no edition can carry"),
    (5, "subtitle: \"a\\x01b\"\n", "U+0001 (a control character)"),
    (5, "subtitle: \"\\uFFFE\"\n", "U+FFFE (a noncharacter)"),
], ids=["number key", "date key", "duplicate key", "surrogate", "control character", "noncharacter"])
def test_odd_front_matter_is_one_located_error(folder, line, front, message):
    write_config(folder, "publisher:\n  name: Example Health\n")
    (folder / "flu" / "flu.md").write_text(SOURCE.replace("date: 2025-09-01\n", "date: 2025-09-01\n" + front), encoding="utf-8")
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert result.code == 2 and "Traceback" not in result.err
    (error,) = result.err.strip().splitlines()
    assert error.startswith(f"error: flu.md:{line}: ") and message in error, error
    assert not (folder / "out").exists()


def test_a_control_character_in_the_text_is_an_error_at_its_line(folder):
    write_config(folder, "publisher:\n  name: Example Health\n")
    (folder / "flu" / "flu.md").write_text(SOURCE.replace("## Who", "## W\x1bho"), encoding="utf-8")
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert (result.code, result.err) == (2, "error: flu.md:6: character U+001B (a control character) cannot be published: remove it\n")


def test_a_symlinked_or_oversized_brochure_yaml_is_refused(folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "brochure.yaml"
    elsewhere.write_text("publisher:\n  name: Someone Else\n", encoding="utf-8")
    (folder / "brochure.yaml").symlink_to(elsewhere)
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert (result.code, result.err) == (2, "error: brochure.yaml: the configuration is a symbolic link: it is read only from a regular file\n")
    (folder / "brochure.yaml").unlink()
    write_config(folder, "publisher:\n  name: Example Health\n" + "# padding\n" * 7000)
    result = run_cli("build", folder / "flu" / "flu.md", "-o", folder / "out")
    assert (result.code, result.err) == (2, "error: brochure.yaml: the configuration is 70,034 bytes; the limit is 64,000\n")
    assert not (folder / "out").exists()


def test_a_template_cache_that_cannot_be_written_costs_only_the_cache(tmp_path):
    """A read-only or vanished cache folder (PermissionError, FileNotFoundError from Jinja's dump) never fails a build."""
    import jinja2

    from brochure.render.templates import _BytecodeCache

    gone = tmp_path / "jinja"
    gone.mkdir()
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": "{{ x }}"}), bytecode_cache=_BytecodeCache(str(gone)))
    gone.rmdir()
    assert env.get_template("t.html").render(x="<b>") == "&lt;b&gt;" or env.get_template("t.html").render(x="b") == "b"
    with pytest.raises(OSError):  # what Jinja itself does: the failure the wrapper absorbs
        jinja2.Environment(loader=jinja2.DictLoader({"t.html": "x"}), bytecode_cache=jinja2.FileSystemBytecodeCache(str(gone))).get_template("t.html")
