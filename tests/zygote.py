"""A pre-imported command line for the suite: imports the CLI and the libraries a build loads, then forks one child
per request, which runs `python -m brochure ARGS` as a fresh process would (its own working folder, stdout and stderr
files, exit status), without paying ~1.5 s of imports each time. The suite starts the CLI some two hundred times.

Only calls that keep the suite's environment come here (conftest.run_cli sends a call with its own environment, such
as another font configuration, to a real new interpreter). Nothing is built in this process before it forks: each
child starts with no publication, configuration or font state, as a new process does.

Protocol, one JSON line each way: {"args", "cwd", "stdout", "stderr", "env"} in; {"pid"} when the child starts, then
{"code"} when it ends.
"""
from __future__ import annotations

import json
import os
import sys


def preload() -> None:
    import pikepdf  # noqa: F401
    import pypdfium2  # noqa: F401

    import brochure.build  # noqa: F401 - the imports are the point
    import brochure.checks.preflight  # noqa: F401
    import brochure.cli  # noqa: F401
    import brochure.editions.epub  # noqa: F401
    import brochure.editions.pdf  # noqa: F401
    import brochure.editions.press  # noqa: F401


def child(request: dict) -> int:
    """In the forked child: become `python -m brochure ARGS` and return its exit status."""
    os.environ.clear()  # the caller's environment now, not the one this process started with
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, name in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = [sys.argv[0], *request["args"]]
    os.setpgid(0, 0)  # its own process group, as a new process started by the test would be killable on its own
    from brochure import cli

    try:
        code = cli.main(request["args"])
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - what python -m would print and exit 1 with
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def main() -> None:
    preload()
    requests, replies = sys.stdin, sys.stdout
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            requests.close()
            code = 1
            try:
                code = child(request)
            finally:
                os._exit(code)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        replies.write(json.dumps({"code": code}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
