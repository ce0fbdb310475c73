"""`brochure build publications/`: every publication, incremental, parallel, one bad one does not stop the rest."""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, normalise, run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture()
def library(tmp_path: Path) -> Path:
    """A publications folder with the PML sheet and a Spanish sheet, and the project's config."""
    folder = tmp_path / "publications"
    shutil.copytree(ROOT / "publications" / "pml", folder / "pml")
    shutil.copytree(FIXTURES / "catalog-src" / "lpm-es", folder / "lpm-es")
    shutil.copy(ROOT / "brochure.yaml", tmp_path / "brochure.yaml")
    return folder


@pytest.mark.slow
def test_builds_every_publication_and_the_catalog(library, tmp_path):
    dist = tmp_path / "dist"
    result = run_cli("build", library, "-o", dist, "--format", "pdf,epub", "-j", "2")
    assert result.code == 0, result.err
    assert {"pml.pdf", "pml.epub", "cover.png", "cover-thumb.png"} <= {p.name for p in (dist / "pml").iterdir()}
    assert (dist / "lpm-es" / "lpm-es.pdf").is_file()
    feed = ET.parse(dist / "catalog.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    titles = sorted(e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry"))
    assert titles == ["Leucoencefalopatía multifocal progresiva", "Progressive Multifocal Leukoencephalopathy"]
    page = (dist / "index.html").read_text(encoding="utf-8")
    assert 'href="pml/pml.pdf"' in page and 'href="lpm-es/lpm-es.epub"' in page


@pytest.mark.slow
def test_spanish_publication_uses_spanish_words_and_quotes(library, tmp_path):
    dist = tmp_path / "dist"
    assert run_cli("build", library, "-o", dist, "--format", "pdf").code == 0
    import pypdfium2

    document = pypdfium2.PdfDocument(dist / "lpm-es" / "lpm-es.pdf")
    text = "\n".join(page.get_textpage().get_text_bounded() for page in document)
    document.close()
    assert "Contenido" in text and "dominio público" in text and "Página" in text
    assert "«sustancia blanca»" in normalise(text)


@pytest.mark.slow
def test_unchanged_publications_are_skipped_and_changed_ones_rebuilt(library, tmp_path):
    dist = tmp_path / "dist"
    assert run_cli("build", library, "-o", dist, "--format", "epub").code == 0
    again = run_cli("build", library, "-o", dist, "--format", "epub")
    assert "0 built, 2 unchanged" in again.out
    source = library / "lpm-es" / "lpm-es.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nUna frase más.\n", encoding="utf-8")
    changed = run_cli("build", library, "-o", dist, "--format", "epub")
    assert "1 built, 1 unchanged" in changed.out
    forced = run_cli("build", library, "-o", dist, "--format", "epub", "--force")
    assert "2 built, 0 unchanged" in forced.out


def test_no_change_rebuild_does_not_import_weasyprint(library, tmp_path):
    dist = tmp_path / "dist"
    assert run_cli("build", library, "-o", dist, "--format", "epub").code == 0
    import subprocess
    import sys

    probe = "import sys; from brochure.cli import main; code = main(['-q', 'build', sys.argv[1], '-o', sys.argv[2], '--format', 'epub']); print('weasyprint' in sys.modules, code)"
    done = subprocess.run([sys.executable, "-c", probe, str(library), str(dist)], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["False", "0"], done.stderr


def test_one_bad_publication_does_not_stop_the_others(library, tmp_path):
    bad = library / "broken"
    bad.mkdir()
    (bad / "broken.md").write_text("---\ntitle: Broken\nlang: en\n---\n\n![chart](missing.png)\n", encoding="utf-8")
    dist = tmp_path / "dist"
    result = run_cli("build", library, "-o", dist, "--format", "epub")
    assert result.code == 2
    assert "error: broken.md:6: image 'missing.png' not found" in result.err
    assert (dist / "pml" / "pml.epub").is_file() and (dist / "lpm-es" / "lpm-es.epub").is_file()
    assert "Broken" not in (dist / "catalog.xml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_change_rebuild_leaves_the_catalog_alone_until_it_is_missing_or_stale(library, tmp_path):
    dist = tmp_path / "dist"
    assert run_cli("build", library, "-o", dist, "--format", "epub").code == 0
    written = {name: (dist / name).stat().st_mtime_ns for name in ("index.html", "catalog.xml", ".manifest.json")}
    assert run_cli("build", library, "-o", dist, "--format", "epub").code == 0
    assert {name: (dist / name).stat().st_mtime_ns for name in written} == written
    (dist / "catalog.xml").unlink()
    assert run_cli("build", library, "-o", dist, "--format", "epub").code == 0
    assert "lpm-es/lpm-es.epub" in (dist / "catalog.xml").read_text(encoding="utf-8")
    shutil.rmtree(library / "lpm-es")
    again = run_cli("build", library, "-o", dist, "--format", "epub")
    assert "0 built, 1 unchanged" in again.out
    assert "lpm-es" not in (dist / "catalog.xml").read_text(encoding="utf-8")
    assert "lpm-es" not in (dist / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_log_is_one_line_per_publication_off_a_terminal_and_nothing_with_q(library, tmp_path):
    dist = tmp_path / "dist"
    logged = run_cli("build", library, "-o", dist, "--format", "epub")
    assert logged.code == 0, logged.err
    lines = logged.err.strip().splitlines()
    # the project's brochure.yaml has no languages.es block: the Spanish sheet's build says so once (issue 17)
    untranslated = [line for line in lines if "no languages.es.publisher." in line]
    assert len(untranslated) == 1
    assert sorted(set(lines) - set(untranslated)) == sorted(f"built: {library / name / name}.md" for name in ("lpm-es", "pml"))
    summaries = [line for line in logged.out.splitlines() if ": readability: " in line]
    assert summaries[0].startswith(f"{library / 'lpm-es' / 'lpm-es'}.md: readability: Szigriszt-Pazos (INFLESZ) ")
    assert summaries[1].startswith(f"{library / 'pml' / 'pml'}.md: readability: grade ")
    assert len(summaries) == 2
    quiet = run_cli("-q", "build", library, "-o", dist, "--format", "epub", "--force")
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")


def test_progress_bar_on_a_terminal(library, tmp_path):
    """On a terminal (a pseudo-terminal here) rich draws a progress bar instead of the per-publication lines."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "brochure", "build", str(library), "-o", str(tmp_path / "dist"), "--format", "epub"],
                          cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, timeout=300, check=False,
                          env=dict(os.environ, TERM="xterm-256color"))  # a real terminal type: rich draws nothing on TERM=dumb
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    terminal = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 0
    assert "building" in terminal and "\x1b[" in terminal  # the bar, drawn with terminal escapes
    assert "built: " not in terminal
    assert "2 built, 0 unchanged" in done.stdout.decode()


@pytest.mark.slow
def test_a_config_change_rebuilds_every_publication_under_it(library, tmp_path):
    dist = tmp_path / "dist"
    assert run_cli("build", library, "-o", dist, "--format", "epub").code == 0
    config = tmp_path / "brochure.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("#20558a", "#1f5189"), encoding="utf-8")
    again = run_cli("build", library, "-o", dist, "--format", "epub")
    assert "2 built, 0 unchanged" in again.out, again.out
