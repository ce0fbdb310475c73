"""watch(source, ...): build a publication, serve a live preview, rebuild on every change until Ctrl-C."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

from brochure.assets import STYLES, TEMPLATES
from brochure.authoring.preview import Preview, Status, serve
from brochure.errors import BrochureError
from brochure.source.config import find_config


def watch(source: Path, outdir: Path, formats: tuple[str, ...], port: int) -> int:
    """Build now and after every change to the publication's folder, its brochure.yaml, the styles or the templates.

    A failed build is reported in one line and on the preview page; the watcher carries on until Ctrl-C or SIGTERM.
    """
    if not source.is_file():
        raise BrochureError(f"{source}: no such file")
    import watchfiles

    preview = serve(outdir, Status(str(source)), port)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(f"preview: {preview.url} (Ctrl-C to stop)", flush=True)
        _rebuild(source, outdir, formats, preview)
        config = find_config(source.parent.resolve())
        watched = [source.parent, STYLES, TEMPLATES] + ([config] if config else [])
        for _changes in watchfiles.watch(*watched, watch_filter=_filter(outdir.resolve()), raise_interrupt=True):
            _rebuild(source, outdir, formats, preview)
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
    return 0


def _rebuild(source: Path, outdir: Path, formats: tuple[str, ...], preview: Preview) -> None:
    """One build; its files or its one-line error become the preview's status."""
    from brochure.build import build

    generation = preview.status.generation + 1
    try:
        built = build(source, outdir, formats)
    except BrochureError as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        preview.status = Status(str(source), generation, preview.status.title, preview.status.files, str(err))
        return
    files = tuple((path.name, path.stat().st_size) for path in built.paths)
    preview.status = Status(str(source), generation, built.publication.metadata.title, files)
    print(f"built {generation}: {', '.join(name for name, _ in files)}", flush=True)


def _filter(ignored: Path):  # type: ignore[no-untyped-def]
    """watchfiles' default filter, minus anything inside the output folder (our own writes)."""
    import watchfiles

    default = watchfiles.DefaultFilter()

    def relevant(change, path: str) -> bool:  # type: ignore[no-untyped-def]
        return default(change, path) and not Path(path).resolve().is_relative_to(ignored)

    return relevant


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the watcher as Ctrl-C does."""
    raise KeyboardInterrupt
