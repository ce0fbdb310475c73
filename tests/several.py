"""Several sources built by the real CLI, each into a folder of its own (the editions tests' module fixtures)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli


def build_each(tmp_path_factory: pytest.TempPathFactory, sources: dict[str, Path], formats: str) -> dict[str, Path]:
    """{name: the folder its editions were written into} for `brochure build SOURCE --format FORMATS -q`."""
    folders = {}
    for name, source in sources.items():
        folders[name] = tmp_path_factory.mktemp(name)
        result = run_cli("build", source, "-o", folders[name], "--format", formats, "-q")
        assert result.code == 0, f"{name}: {result.err}"
    return folders
