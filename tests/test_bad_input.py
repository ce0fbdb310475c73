"""Bad input: one line on stderr naming file and line, exit 2, no traceback, nothing in the output folder."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli

BAD = Path(__file__).resolve().parent / "fixtures" / "bad"

CASES = [
    ("no-front-matter.md", "no-front-matter.md:1: no front matter"),
    ("unclosed-front-matter.md", "unclosed-front-matter.md:1: front matter is not closed"),
    ("malformed-yaml.md", "malformed-yaml.md:4: malformed front matter"),
    ("missing-title.md", "missing-title.md:1: front matter is missing the required key 'title'"),
    ("missing-image.md", "missing-image.md:10: image 'x.png' not found"),
    ("invalid-utf8.md", "invalid-utf8.md:7: invalid UTF-8"),
    ("missing-alt.md", "missing-alt.md:6: image 'tiny.png' has no alt text"),
    ("traversal.md", "traversal.md:6: image '../../../../etc/passwd' leads outside the publication's folder"),
    ("remote-image.md", "remote-image.md:8: image 'http://127.0.0.1:9/x.png' is not a file in the publication's folder"),
]


@pytest.mark.parametrize("name, message", CASES)
def test_bad_source_fails_cleanly(tmp_path, name, message):
    outdir = tmp_path / "out"
    result = run_cli("build", BAD / name, "-o", outdir, "--format", "pdf,epub")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0] == f"error: {message}" or lines[0].startswith(f"error: {message}")
    assert "Traceback" not in result.err
    assert not outdir.exists()


def test_missing_file(tmp_path):
    result = run_cli("build", tmp_path / "nowhere.md", "-o", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip() == "error: nowhere.md: no such file"


def test_unreadable_file(tmp_path):
    folder = tmp_path / "folder.md"
    folder.mkdir()
    result = run_cli("build", folder, "-o", tmp_path / "out")
    assert result.code == 2
    assert result.err.strip().startswith("error: folder.md: cannot read the file")


def test_unknown_front_matter_key_is_a_warning_with_a_suggestion(tmp_path):
    source = tmp_path / "typo.md"
    source.write_text("---\ntitle: T\nlang: en\nsubtitel: S\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "epub")
    assert result.code == 0, result.err
    assert "warning: typo.md:4: unknown front-matter key 'subtitel' (did you mean 'subtitle'?)" in result.err


def test_failed_build_leaves_previous_outputs_intact(tmp_path):
    good = tmp_path / "pub.md"
    good.write_text("---\ntitle: T\nlang: en\n---\n\nText.\n", encoding="utf-8")
    outdir = tmp_path / "out"
    assert run_cli("build", good, "-o", outdir, "--format", "epub").code == 0
    before = (outdir / "pub.epub").read_bytes()
    good.write_text("---\ntitle: T\nlang: en\n---\n\n![gone](gone.png)\n", encoding="utf-8")
    assert run_cli("build", good, "-o", outdir, "--format", "epub").code == 2
    assert (outdir / "pub.epub").read_bytes() == before
    assert sorted(p.name for p in outdir.iterdir()) == ["pub.epub"]


def test_sources_are_never_modified(tmp_path):
    source = tmp_path / "pub.md"
    text = "---\ntitle: T\nlang: en\n---\n\nText with \"quotes\".\r\n"
    source.write_bytes(text.encode())
    assert run_cli("build", source, "-o", tmp_path / "out", "--format", "epub").code == 0
    assert source.read_bytes() == text.encode()
