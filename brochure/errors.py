"""Errors as values with a place: every failure the user can cause names its file and line."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a source file (line is 1-based; None when the whole file is meant)."""

    path: Path
    line: int | None = None

    def __str__(self) -> str:
        name = self.path.name
        return f"{name}:{self.line}" if self.line else name


@dataclass(frozen=True)
class Finding:
    """One thing a check found, whoever found it: a warning of the build about a line of the source, a preflight
    failure of a print PDF, a validator's report on a built EPUB. The build logs its warnings as they come (under
    --strict the first one stops it); `brochure build --check` and preflight fail on findings of severity "error"
    or "fatal"."""

    tool: str      # who found it: "brochure" (the build itself), "preflight", "epubcheck", "ace", "nu", "verapdf", ...
    severity: str  # "fatal" or "error" (fails a check), "warning" (informs; fails under --strict), "info", "usage"
    message: str
    location: Location | str = ""  # a line of the user's source, or a place inside a built file as the tool names it

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        if self.tool == "brochure":  # the build's own words, as the log prints them: "pml.md:12: ..."
            return f"{where}{self.message}"
        return f"{self.tool} {self.severity}: {where}{self.message}"


def warn(log: logging.Logger, message: str, location: Location | str = "") -> Finding:
    """Report a warning of the build as a Finding through the module's logger (the CLI prints it; --strict stops)."""
    finding = Finding("brochure", "warning", message, location)
    log.warning("%s", finding, extra={"finding": finding})
    return finding


class BrochureError(Exception):
    """Base of every error the builder reports to the user instead of a traceback."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickled with its location (an edition laid out in another process sends its error back whole)."""
        return (type(self), (self.message, self.location))


class SourceError(BrochureError):
    """The Markdown source or its front matter is wrong."""


class ResourceError(BrochureError):
    """A referenced file (image, stylesheet) is missing, unreadable or not allowed."""


class PreflightError(BrochureError):
    """A built PDF fails a print-shop check."""

    exit_code = 1


class ValidationError(BrochureError):
    """A validator (EPUBCheck, Ace, veraPDF, Nu) reported findings."""

    exit_code = 1
