"""Build every publication under a folder: skip what has not changed, build the rest in parallel, then the catalog.

Stopping is part of the build: Ctrl-C (SIGINT) or SIGTERM cancels the queue and ends the workers at once (Stopped,
exit status 128 + the signal), and a worker dies with the parent however the parent dies (a parent-death signal).
Every publication's folder in dist/ is replaced whole (output.replace_folder) and the manifest is written last, so a
build stopped at any moment leaves old or new copies, never a mixture, and the next build removes its leftovers.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from brochure import cache
from brochure.errors import BrochureError, Location

MANIFEST = ".manifest.json"
CATALOG = ("index.html", "catalog.xml")  # written from the manifest's records: current whenever the manifest is
ALL_FORMATS = ("pdf", "epub", "print", "kepub", "kindle", "large")


@dataclass(frozen=True)
class Outcome:
    """One publication's result: its catalog record when it built (or was current), else its error."""

    source: str
    record: dict | None
    error: str = ""
    skipped: bool = False
    readability: str = ""  # the build's one-line readability summary, when asked for


class Stopped(KeyboardInterrupt):
    """A folder build stopped by Ctrl-C (SIGINT) or SIGTERM: the queue cancelled, the workers ended. Its exit status
    is 128 + the signal's number; what it says is one line for the user."""

    def __init__(self, signum: int, built: int | None = None, total: int | None = None, dist: Path | None = None):
        super().__init__(signum)
        self.signum, self.built, self.total, self.dist = signum, built, total, dist

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        what = "interrupted" if self.signum == signal.SIGINT else f"stopped by {signal.Signals(self.signum).name}"
        done = f"{self.built} of {self.total} publications built; " if self.total is not None else ""
        return f"{what}: {done}{self.dist or 'the output folder'} keeps whole old or new copies"


def find_sources(folder: Path) -> list[Path]:
    """The Markdown sources of a publications folder: publications/<id>/<name>.md, sorted."""
    return sorted(path for path in folder.glob("*/*.md") if path.is_file())


def fingerprint(source: Path, formats: tuple[str, ...], shared: str) -> str:
    """A hash of everything one publication's outputs depend on: its folder, its configuration files, and the shared
    assets (files named relative to the publication's folder: the same wherever the folder is checked out)."""
    from brochure.source.config import config_files

    trusted, overlays = config_files(source.parent, source.parent.parent)
    files = _folder_files(source.parent) + [path for path in (trusted, *overlays) if path is not None]
    return _digest(sorted(set(files)), source.parent, f"{shared}|{','.join(formats)}")


MAX_FOLDER_DEPTH = 32  # a publication's folder is a few levels of images at most; deeper ones are not looked into
LARGE_FILE = 16_000_000  # past the largest image a build accepts: such a file is known by its size and time, never read


def _folder_files(folder: Path) -> list[Path]:
    """The files under folder, walked without recursion (a folder 1,100 levels deep ran out of stack) and without
    following symbolic links (a link is fingerprinted by where it points)."""
    found, pending = [], [(folder, 0)]
    while pending:
        current, depth = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if depth < MAX_FOLDER_DEPTH:
                    pending.append((Path(entry.path), depth + 1))
            elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
                found.append(Path(entry.path))
    return found


def shared_fingerprint() -> str:
    """A hash of what every publication depends on: builder version, code, templates, strings, CSS, fonts."""
    package = Path(__file__).resolve().parent  # its code and, under assets/, its templates, strings, CSS and fonts
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return _digest(files, package, cache.versions())


def _digest(files: list[Path], base: Path, salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for path in files:
        digest.update(os.path.relpath(path, base).encode())
        digest.update(_content_key(path))
    return digest.hexdigest()


def _content_key(path: Path) -> bytes:
    """What stands for a file's content: its bytes, read in blocks; a link's target; a large file's size and time."""
    try:
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            return b"link:" + os.readlink(path).encode(errors="surrogateescape")
        if not stat.S_ISREG(status.st_mode) or status.st_size > LARGE_FILE:
            return f"stat:{status.st_mode}:{status.st_size}:{status.st_mtime_ns}".encode()
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return digest.digest()
    except OSError as err:
        return f"unreadable:{err.errno}".encode()


def build_one(source: Path, dist: Path, formats: tuple[str, ...], summarise: bool = False) -> Outcome:
    """Build one publication into dist/<id>/ (runs in a worker process); errors come back as text.
    With summarise, the outcome carries the readability summary of the publication the worker has just read."""
    from brochure.build import build

    try:
        built = build(source, None, formats, dist=dist, root=source.parent.parent)  # the folder being built
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
    """Build what changed (or everything with force) with `jobs` processes; write the catalog; return outcomes.
    Ctrl-C or SIGTERM raises Stopped, once the queue is cancelled and the workers have ended."""
    with _stopped_by_signals():
        return _build_all(folder, dist, jobs, force, formats, progress, summarise)


def _build_all(folder: Path, dist: Path, jobs: int, force: bool, formats: tuple[str, ...], progress, summarise: bool) -> list[Outcome]:  # type: ignore[no-untyped-def]
    from brochure.output import remove_leftovers

    remove_leftovers(dist)
    stored = _read_json(dist / MANIFEST)
    manifest = _valid_entries(stored)
    sources = find_sources(folder)
    keys = {str(s): manifest_key(s, folder) for s in sources}
    clashes = _id_clashes(sources)
    clashes.update({source: message for source, message in _unknown_originals(sources).items() if source not in clashes})
    sources = [s for s in sources if s not in clashes]
    shared = shared_fingerprint()
    prints = {keys[str(s)]: fingerprint(s, formats, shared) for s in sources}

    def current(source: Path) -> bool:
        entry = manifest.get(keys[str(source)])
        return entry is not None and entry["hash"] == prints[keys[str(source)]] and _outputs_exist(dist, entry)

    todo = [s for s in sources if force or not current(s)]
    outcomes = [Outcome(str(s), manifest[keys[str(s)]]["record"], skipped=True) for s in sources if s not in todo]
    for outcome in outcomes:
        _report(progress, outcome)
    for source, message in clashes.items():
        outcomes.append(Outcome(str(source), None, message))
        _report(progress, outcomes[-1])
    if todo:
        outcomes += _run(todo, dist, jobs, formats, progress, summarise)
    for outcome in outcomes:
        if outcome.record is not None and not outcome.skipped:
            key = keys[outcome.source]
            manifest[key] = {"hash": prints[key], "record": {**outcome.record, "source": key}}  # no path of this machine
    manifest = {key: value for key, value in manifest.items() if key in prints}
    if manifest != stored or not all((dist / name).is_file() for name in CATALOG):
        _write_catalog(dist, [o.record for o in outcomes if o.record], manifest, folder)
    return sorted(outcomes, key=lambda o: o.source)


def manifest_key(source: Path, folder: Path) -> str:
    """A source's name in the manifest: its path inside the publications folder ("pml/pml.md")."""
    return source.relative_to(folder).as_posix()


def _run(todo: list[Path], dist: Path, jobs: int, formats: tuple[str, ...], progress, summarise: bool) -> list[Outcome]:  # type: ignore[no-untyped-def]
    """Build the changed publications, in a process pool when there is more than one job; Stopped on a signal."""
    results: list[Outcome] = []
    try:
        if jobs <= 1 or len(todo) == 1:
            for source in todo:
                results.append(build_one(source, dist, formats, summarise))
                _report(progress, results[-1])
        else:
            _run_pool(todo, dist, min(jobs, len(todo)), formats, progress, summarise, results)
    except KeyboardInterrupt as stop:
        built = sum(1 for result in results if result.record is not None)
        raise Stopped(getattr(stop, "signum", signal.SIGINT), built, len(todo), dist) from None
    return results


def _run_pool(todo: list[Path], dist: Path, jobs: int, formats: tuple[str, ...], progress, summarise: bool,  # type: ignore[no-untyped-def]
              results: list[Outcome]) -> None:
    """Build in `jobs` worker processes, appending each outcome to results as it comes; on any exception (a
    signal's Stopped above all) cancel the queue and end the workers before passing it on."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Forked, and by this thread (the fork method launches every worker from submit()): the parent-death signal is
    # tied to the thread that forked, and the workers must not outlive it.
    context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(build_one, source, dist, formats, summarise): source for source in todo}
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception as err:  # noqa: BLE001 - a worker that died (killed, out of memory) fails only its publication
                results.append(Outcome(str(futures[future]), None, _internal_error(futures[future], err)))
            _report(progress, results[-1])
    except BaseException:
        _end_workers(pool)
        raise
    pool.shutdown()


def _end_workers(pool) -> None:  # type: ignore[no-untyped-def]
    """Cancel the queued builds and end the running ones now: SIGTERM, then SIGKILL for a worker still alive a second
    later. (Python 3.14's pool.terminate_workers() does this; before it, the workers are only in pool._processes.)"""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(1)
        if process.is_alive():
            process.kill()
            process.join(1)


def _start_worker(parent: int) -> None:
    """A worker's first step: die with the parent; leave Ctrl-C to the parent (it ends the workers itself, and a
    terminal sends SIGINT to the whole process group); die on SIGTERM without a word."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    from brochure import parallel

    parallel.forbid()  # the pool keeps every core busy already: a worker lays its editions out one after another


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Have Linux send this process SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG, through ctypes: the standard
    library has no binding), then exit at once if the parent died before that took effect (this process has been
    handed to another parent then, so getppid() is no longer `parent`). Elsewhere nothing: the parent still ends its
    workers on SIGINT and SIGTERM, though not when it is killed."""
    if sys.platform != "linux":
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While a folder build runs, SIGINT and SIGTERM raise Stopped in the main thread (once: a second signal while
    stopping is ignored). A signal not handled at all now (ignored, say by nohup) stays so; off the main thread,
    signals cannot be handled and nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def stop(signum: int, frame) -> None:  # type: ignore[no-untyped-def]
        if os.getpid() != owner:  # a worker forked a moment ago, before its initializer reset this handler
            os._exit(128 + signum)
        for each in previous:
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    previous = {signum: handler for signum, handler in previous.items() if handler is not signal.SIG_IGN}
    for signum in previous:
        signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


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


def _unknown_originals(sources: list[Path]) -> dict[Path, str]:
    """Sources whose translation_of names no publication of the folder: an error at that line (the catalog could not
    pair the editions, nor the back cover name the original)."""
    from brochure.source.reader import declared_id, declared_translation

    known = {declared_id(source)[0] for source in sources}
    unknown = {}
    for source in sources:
        original, line = declared_translation(source)
        if original and original not in known:
            unknown[source] = f"{Location(source, line)}: translation_of '{original}' is the id of no publication in this folder"
    return unknown


def _internal_error(source: Path, err: BaseException) -> str:
    """One line for a failure that is the builder's fault, not the source's: where, what, and whom to tell."""
    return f"{source}: internal error while building ({type(err).__name__}: {err}); please report it with this source"


def _report(progress, outcome: Outcome) -> None:  # type: ignore[no-untyped-def]
    if progress is not None:
        progress(outcome)


def _outputs_exist(dist: Path, entry: dict) -> bool:
    return all((dist / href).is_file() for href in entry.get("record", {}).get("files", []))


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _valid_entries(stored: object) -> dict:
    """The manifest's entries {"pml/pml.md": {"hash": ..., "record": {...}}}; any other shape (an older builder's
    absolute paths as keys, a damaged file) is left out, so that those publications are rebuilt."""
    if not isinstance(stored, dict):
        return {}
    return {key: entry for key, entry in stored.items()
            if not os.path.isabs(key) and isinstance(entry, dict) and isinstance(entry.get("hash"), str)
            and isinstance(entry.get("record"), dict) and isinstance(entry["record"].get("files", []), list)}


def _write_catalog(dist: Path, records: list[dict], manifest: dict, folder: Path) -> None:
    """dist/index.html and dist/catalog.xml, then the manifest: it says the catalog is current, so it goes last."""
    from brochure.catalog.listing import catalog_files
    from brochure.output import write_outputs

    write_outputs(dist, catalog_files(records, folder))
    write_outputs(dist, {MANIFEST: json.dumps(manifest, indent=1, sort_keys=True).encode()})


def default_jobs() -> int:
    """All the machine's cores (as this process may use them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
