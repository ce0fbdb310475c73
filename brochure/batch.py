"""Build every publication under a folder: skip what has not changed, build the rest in parallel, then the catalog."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from brochure import cache
from brochure.errors import BrochureError, Location

MANIFEST = ".manifest.json"
CATALOG = ("index.html", "catalog.xml")  # written from the manifest's records: current whenever the manifest is
ALL_FORMATS = ("pdf", "epub", "print")


@dataclass(frozen=True)
class Outcome:
    """One publication's result: its catalog record when it built (or was current), else its error."""

    source: str
    record: dict | None
    error: str = ""
    skipped: bool = False
    readability: str = ""  # the build's one-line readability summary, when asked for


def find_sources(folder: Path) -> list[Path]:
    """The Markdown sources of a publications folder: publications/<id>/<name>.md, sorted."""
    return sorted(path for path in folder.glob("*/*.md") if path.is_file())


def fingerprint(source: Path, formats: tuple[str, ...], shared: str) -> str:
    """A hash of everything one publication's outputs depend on: its folder, its config, and the shared assets."""
    config = _config_path(source)
    files = sorted(p for p in source.parent.rglob("*") if p.is_file()) + ([config] if config else [])
    return _digest(files, f"{shared}|{','.join(formats)}")


def shared_fingerprint() -> str:
    """A hash of what every publication depends on: builder version, code, templates, strings, CSS, fonts."""
    package = Path(__file__).resolve().parent  # its code and, under assets/, its templates, strings, CSS and fonts
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return _digest(files, cache.versions())


def _digest(files: list[Path], salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for path in files:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _config_path(source: Path) -> Path | None:
    from brochure.source.config import find_config

    return find_config(source.parent)


def build_one(source: Path, dist: Path, formats: tuple[str, ...], summarise: bool = False) -> Outcome:
    """Build one publication into dist/<id>/ (runs in a worker process); errors come back as text.
    With summarise, the outcome carries the readability summary of the publication the worker has just read."""
    from brochure.build import build

    try:
        built = build(source, None, formats, dist=dist)
    except BrochureError as err:
        return Outcome(str(source), None, str(err))
    except Exception as err:  # noqa: BLE001 - a builder bug in one publication must not stop the others or the catalog
        return Outcome(str(source), None, _internal_error(source, err))
    if not summarise:
        return Outcome(str(source), built.record)
    from brochure.checks.readability import summary_line

    return Outcome(str(source), built.record, readability=summary_line(built.publication))


def build_all(folder: Path, dist: Path, jobs: int, force: bool, formats: tuple[str, ...] = ALL_FORMATS, progress=None,  # type: ignore[no-untyped-def]
              summarise: bool = False) -> list[Outcome]:
    """Build what changed (or everything with force) with `jobs` processes; write the catalog; return outcomes."""
    manifest = _read_manifest(dist)
    before = dict(manifest)
    sources = find_sources(folder)
    clashes = _id_clashes(sources)
    sources = [s for s in sources if s not in clashes]
    shared = shared_fingerprint()
    prints = {str(s): fingerprint(s, formats, shared) for s in sources}
    todo = [s for s in sources if force or manifest.get(str(s), {}).get("hash") != prints[str(s)] or not _outputs_exist(dist, manifest[str(s)])]
    outcomes = [Outcome(str(s), manifest[str(s)]["record"], skipped=True) for s in sources if s not in todo]
    for outcome in outcomes:
        _report(progress, outcome)
    for source, message in clashes.items():
        outcomes.append(Outcome(str(source), None, message))
        _report(progress, outcomes[-1])
    if todo:
        outcomes += _run(todo, dist, jobs, formats, progress, summarise)
    for outcome in outcomes:
        if outcome.record is not None and not outcome.skipped:
            manifest[outcome.source] = {"hash": prints[outcome.source], "record": outcome.record}
    manifest = {key: value for key, value in manifest.items() if key in prints}
    if manifest != before or not all((dist / name).is_file() for name in CATALOG):
        _write_catalog(dist, [o.record for o in outcomes if o.record], manifest, folder)
    return sorted(outcomes, key=lambda o: o.source)


def _run(todo: list[Path], dist: Path, jobs: int, formats: tuple[str, ...], progress, summarise: bool) -> list[Outcome]:  # type: ignore[no-untyped-def]
    """Build the changed publications, in a process pool when there is more than one job."""
    if jobs <= 1 or len(todo) == 1:
        results = []
        for source in todo:
            results.append(build_one(source, dist, formats, summarise))
            _report(progress, results[-1])
        return results
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results = []
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
        futures = {pool.submit(build_one, source, dist, formats, summarise): source for source in todo}
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception as err:  # noqa: BLE001 - a worker that died (killed, out of memory) fails only its publication
                results.append(Outcome(str(futures[future]), None, _internal_error(futures[future], err)))
            _report(progress, results[-1])
    return results


def _id_clashes(sources: list[Path]) -> dict[Path, str]:
    """Sources that declare (or, by their file name, take) the id of another: none of them is built, since each would
    overwrite the other's editions in dist/ID/ and both would be in the catalog under one id."""
    from brochure.source.reader import declared_id

    by_id: dict[str, list[tuple[Path, int]]] = {}
    for source in sources:
        ident, line = declared_id(source)
        by_id.setdefault(ident, []).append((source, line))
    clashes = {}
    for ident, users in by_id.items():
        if len(users) > 1:
            for source, line in users:
                others = ", ".join(str(other.relative_to(source.parent.parent)) for other, _ in users if other != source)
                clashes[source] = f"{Location(source, line)}: id '{ident}' is also the id of {others}: give each publication its own id"
    return clashes


def _internal_error(source: Path, err: BaseException) -> str:
    """One line for a failure that is the builder's fault, not the source's: where, what, and whom to tell."""
    return f"{source}: internal error while building ({type(err).__name__}: {err}); please report it with this source"


def _report(progress, outcome: Outcome) -> None:  # type: ignore[no-untyped-def]
    if progress is not None:
        progress(outcome)


def _outputs_exist(dist: Path, entry: dict) -> bool:
    return all((dist / href).is_file() for href in entry.get("record", {}).get("files", []))


def _read_manifest(dist: Path) -> dict:
    try:
        return json.loads((dist / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_catalog(dist: Path, records: list[dict], manifest: dict, folder: Path) -> None:
    """dist/index.html, dist/catalog.xml and the manifest, written together."""
    from brochure.catalog.listing import catalog_files

    files = catalog_files(records, folder)
    files[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    from brochure.output import write_outputs

    write_outputs(dist, files)


def default_jobs() -> int:
    """All the machine's cores (as this process may use them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
