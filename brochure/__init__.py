"""brochure: one Markdown source → download PDF, print PDF, EPUB 3 and a catalog.

What a user may import is listed in __all__; everything else is internal. The names are loaded on first
use (PEP 562), so a command that never reads a source (a no-change rebuild, preflight) does not pay
for Markdown and YAML at start-up.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from brochure.errors import BrochureError as BrochureError
    from brochure.errors import Location as Location
    from brochure.errors import PreflightError as PreflightError
    from brochure.errors import ResourceError as ResourceError
    from brochure.errors import SourceError as SourceError
    from brochure.model import Publication as Publication
    from brochure.source.reader import read_publication as read_publication

__version__ = "0.1.0"
_EXPORTS = {
    "BrochureError": "errors", "Location": "errors", "PreflightError": "errors", "ResourceError": "errors",
    "SourceError": "errors", "Publication": "model", "read_publication": "source.reader",
}
__all__ = ["BrochureError", "Location", "PreflightError", "Publication", "ResourceError", "SourceError", "__version__", "read_publication"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"brochure.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'brochure' has no attribute {name!r}")
