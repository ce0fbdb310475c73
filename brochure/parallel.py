"""One edition laid out beside another: `start(work)` runs work in a forked child of this build and returns a
function that waits for its result. The child shares everything the parent has read and imported (the
publication, WeasyPrint), so on a machine of two cores or more the print edition and the download PDF are laid
out at the same time after one import. Where forking would only add cost, the work runs here, at once: one
core, a folder build's worker (its pool already keeps every core busy), or a platform without fork.
"""
from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import TypeVar

from brochure.errors import BrochureError

T = TypeVar("T")

_allowed = True


def forbid() -> None:
    """Lay out one edition after another in this process (a folder build's workers call it)."""
    global _allowed
    _allowed = False


def _worthwhile() -> bool:
    if not _allowed or not hasattr(os, "fork"):
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2


def start(work: Callable[[], T]) -> Callable[[], T]:
    """Run work beside this process; the returned function waits for it and returns its result, or raises what it
    raised (a BrochureError keeps its location)."""
    if not _worthwhile():
        result = work()
        return lambda: result
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send back the result or the error, leave without any clean-up of the parent's
        os.close(read)
        code = 0
        try:
            payload = _pickled(work)
            with os.fdopen(write, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child into the parent's code
            code = 1
        finally:
            os._exit(code)
    os.close(write)

    def wait() -> T:
        with os.fdopen(read, "rb") as results:
            payload = results.read()
        _, status = os.waitpid(pid, 0)
        if not payload:
            raise BrochureError(f"an edition's layout process ended without a result (exit status {os.waitstatus_to_exitcode(status)})")
        kind, value = pickle.loads(payload)  # noqa: S301 - our own child's bytes, through our own pipe
        if kind == "error":
            raise value
        return value

    return wait


def _pickled(work: Callable[[], object]) -> bytes:
    try:
        return pickle.dumps(("result", work()))
    except BaseException as err:  # noqa: BLE001 - sent to the parent, which raises it
        try:
            return pickle.dumps(("error", err))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled: its type and text
            return pickle.dumps(("error", RuntimeError(f"{type(err).__name__}: {err}")))
