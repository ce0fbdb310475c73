"""The only module that writes into the output folder: all files of a build land together, atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from brochure.errors import BrochureError
from brochure.sandbox import is_inside


def write_outputs(outdir: Path, files: dict[str, bytes], root: Path | None = None) -> list[Path]:
    """Write each file to a temporary file beside its target, then rename all into place.

    Nothing is ever deleted but our own temporary files; a symlink where an output goes is replaced, never
    followed. With `root` (dist/ in a folder build), outdir must lie inside it, a symlink leading out included.
    """
    for name in files:
        if Path(name).name != name or name in (".", ".."):
            raise BrochureError(f"{outdir}: '{name}' is not a plain file name")
    if root is not None and not is_inside(outdir.resolve(), (root.resolve(),)):
        raise BrochureError(f"{outdir}: the output folder leads outside {root} (a symbolic link?)")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BrochureError(f"{outdir}: cannot create the output folder: {err.strerror}") from None
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in sorted(files.items()):
            target = outdir / name
            handle, temp_name = tempfile.mkstemp(dir=outdir, prefix=f".{name}.", suffix=".part")
            staged.append((Path(temp_name), target))
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temp_name, 0o644)
        for temp, target in staged:
            os.replace(temp, target)
    except OSError as err:
        raise BrochureError(f"{outdir}: cannot write the outputs: {err.strerror}") from None
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [target for _, target in staged]
