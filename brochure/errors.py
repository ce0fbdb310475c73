"""Errors as values with a place: every failure the user can cause names its file and line."""
from __future__ import annotations

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


class BrochureError(Exception):
    """Base of every error the builder reports to the user instead of a traceback."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


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
