"""brochure: one Markdown source → download PDF, print PDF, EPUB 3 and a catalog.

What a user may import is listed in __all__; everything else is internal.
"""
from .errors import BrochureError, Location, PreflightError, ResourceError, SourceError
from .model import Publication
from .reader import read_publication

__version__ = "0.1.0"
__all__ = ["BrochureError", "Location", "PreflightError", "Publication", "ResourceError", "SourceError", "read_publication", "__version__"]
