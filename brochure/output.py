"""The only module that writes into the output folder: all files of a build land together, atomically.

Two ways in. `write_outputs(outdir, files)` writes into a folder the user chose (`-o out`, dist/ for the catalog, a
cache folder): each file staged beside its target and renamed into place, what else the folder holds left alone.
With `root` (a folder build writing dist/ID), the publication's folder is replaced as a whole: written complete into
`dist/.ID.<random>.part/` and exchanged with the old one in one step, so that its editions are all old or all new,
whenever the build is killed, and a reader never finds one missing.

What a killed build leaves (`.NAME.<random>.part` files and folders) is removed by the next writer in that folder, and
nothing else is: every writer holds a shared lock on the folder it writes in, and leftovers are removed only under an
exclusive one, so a build at work beside another never loses its staged files.
"""
from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from brochure.errors import BrochureError
from brochure.sandbox import is_inside

try:
    import fcntl
except ImportError:  # not POSIX: no locks, so no leftovers are removed (a live writer could not be told from a dead one)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.part")  # tempfile's names: the prefix ".NAME.", 8 random characters, ".part"


def write_outputs(outdir: Path, files: dict[str, bytes], root: Path | None = None) -> list[Path]:
    """Write each file to a temporary file beside its target, then rename all into place.

    Nothing is ever deleted but the builder's own temporary files (a killed build's too); a symlink where an output
    goes is replaced, never followed. With `root` (dist/ in a folder build), outdir is a publication's own folder: it
    must lie inside root, a symlink leading out included, and it is replaced as a whole (see replace_folder).
    """
    for name in files:
        if Path(name).name != name or name in (".", "..") or LEFTOVER.fullmatch(name):
            raise BrochureError(f"{outdir}: '{name}' is not a plain file name")
    if root is not None:
        return replace_folder(outdir, files, root)
    _make_folder(outdir)
    with _writing_in(outdir):
        return _write_beside(outdir, files)


def replace_folder(outdir: Path, files: dict[str, bytes], root: Path) -> list[Path]:
    """Make outdir hold the given files, all of them new at one instant: they are written into a fresh
    `.NAME.<random>.part/` beside it, which is then exchanged with outdir (Linux renameat2; elsewhere two renames,
    outdir missing for the time between them). Whatever else the old folder held, leftovers apart, is carried over as
    hard links, so only the files written are replaced; the old copy is removed after the exchange."""
    if not is_inside(outdir.resolve(), (root.resolve(),)):
        raise BrochureError(f"{outdir}: the output folder leads outside {root} (a symbolic link?)")
    parent = outdir.parent
    _make_folder(parent)
    with _writing_in(parent):
        staging = old = None
        try:
            staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{outdir.name}.", suffix=".part"))
            os.chmod(staging, 0o755)
            for name, data in sorted(files.items()):
                _write_new(staging / name, data)
            _carry_over(outdir, staging, files)
            _sync(staging)
            old = _swap(staging, outdir)
            _sync(parent)
        except OSError as err:
            raise BrochureError(f"{outdir}: cannot write the outputs: {err.strerror}") from None
        finally:
            for path in (staging, old):  # the new folder if the exchange was not reached, else the old copy
                if path is not None:
                    _remove(path)
    return [outdir / name for name in sorted(files)]


def remove_leftovers(folder: Path) -> None:
    """Remove what killed builds left in folder and in each folder inside it (`.NAME.<random>.part` files and
    folders), in each folder only while no writer is at work there; nothing else is touched."""
    try:
        inside = sorted(entry.path for entry in os.scandir(folder) if entry.is_dir(follow_symlinks=False) and not LEFTOVER.fullmatch(entry.name))
    except OSError:  # no output folder yet, or one that cannot be read: nothing of ours to remove
        return
    for each in [str(folder), *inside]:
        with _writing_in(Path(each)):
            pass


def _write_beside(outdir: Path, files: dict[str, bytes]) -> list[Path]:
    """Each file staged as `.NAME.<random>.part` in outdir, then all renamed into place, in name order (a file that
    must land after the others, like the manifest, is written by a second call)."""
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


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BrochureError(f"{folder}: cannot create the output folder: {err.strerror}") from None


def _write_new(path: Path, data: bytes) -> None:
    """A new file (never through a symlink), flushed to the disk."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(path, 0o644)


def _carry_over(old: Path, new: Path, written: dict[str, bytes]) -> None:
    """Hard links in new to what the folder old holds besides the files being written and the builder's leftovers
    (copies where a hard link is refused). Nothing when old is missing or not a folder (a symlink is not followed)."""
    try:
        if not stat.S_ISDIR(os.lstat(old).st_mode):
            return
        names = sorted(os.listdir(old))
    except FileNotFoundError:
        return
    for name in names:
        if name in written or LEFTOVER.fullmatch(name):
            continue
        source, target = old / name, new / name
        try:
            if stat.S_ISDIR(os.lstat(source).st_mode):
                shutil.copytree(source, target, symlinks=True, copy_function=_link)
            else:
                _link(str(source), str(target))
        except FileNotFoundError:  # removed meanwhile by someone else
            continue


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:  # another filesystem's rules (protected hard links, no hard links at all): a copy
        shutil.copy2(source, target, follow_symlinks=False)


def _swap(new: Path, target: Path) -> Path | None:
    """Put the folder new at target; return where the old target now is (None when there was none)."""
    try:
        if _exchange(new, target):
            return new
    except FileNotFoundError:  # no old folder: a plain rename
        os.rename(new, target)
        return None
    if not os.path.lexists(target):
        os.rename(new, target)
        return None
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
    os.replace(target, aside)  # from here to the next rename, target is missing: the price of no atomic exchange
    os.rename(new, target)
    return aside


AT_FDCWD = -100
RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step: Linux's renameat2(RENAME_EXCHANGE), through ctypes, since the standard
    library has no binding for it. False where the system or the filesystem cannot; OSError otherwise (FileNotFoundError
    when either path is missing)."""
    function = _renameat2()
    if function is None:
        return False
    import ctypes

    if function(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


@cache
def _renameat2():  # type: ignore[no-untyped-def]
    """glibc's renameat2 (2.28 and later), or None."""
    if sys.platform != "linux":
        return None
    import ctypes

    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is not None:
        function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
        function.restype = ctypes.c_int
    return function


def _sync(folder: Path) -> None:
    """Flush a folder's entries (the names just renamed) to the disk."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextlib.contextmanager
def _writing_in(folder: Path) -> Iterator[None]:
    """Hold a shared lock on folder while writing in it, having first removed the leftovers of killed builds if no
    other writer holds one (then an exclusive lock is to be had)."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # writing will fail and say why
        yield
        return
    try:
        if _lock(handle, exclusive=True):
            _remove_leftovers_in(folder)
        _lock(handle, exclusive=False)
        yield
    finally:
        os.close(handle)


def _lock(handle: int, exclusive: bool) -> bool:
    """flock: an exclusive lock if free at once (True), or a shared one, waited for. False without locks (not POSIX, or a
    filesystem without them): then leftovers stay, rather than risk removing a live writer's files."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except OSError:  # BlockingIOError: another writer is at work here, and its staged files are not leftovers
        return False
    return True


def _remove_leftovers_in(folder: Path) -> None:
    """Remove the `.NAME.<random>.part` files and folders in folder (the caller holds its exclusive lock)."""
    try:
        entries = [entry for entry in os.scandir(folder) if LEFTOVER.fullmatch(entry.name)]
    except OSError:
        return
    for entry in entries:
        _remove(Path(entry.path))


def _remove(path: Path) -> None:
    """Remove a file, a symlink (not what it leads to) or a folder tree of ours; a failure is only logged."""
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        log.debug("could not remove %s: %s", path, err)
