"""``python -m servicekit.devrun [login | status | stop NAME | start NAME]``: ``make run``
with no argument; otherwise the ``make login`` / ``status`` / ``stop`` / ``start`` targets."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from servicekit.devrun.folder import DevFolder


def _interrupted_while_loading(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # nothing is started yet: nothing to stop, nothing to say


def _login(folder: DevFolder) -> int:
    from servicekit.devrun.run import login_lines
    from servicekit.devrun.secrets import SecretsFileInvalid, load_secrets

    try:
        secrets = load_secrets(folder.secrets)
    except SecretsFileInvalid as exc:
        print(f"make login: {exc}", file=sys.stderr)
        return 1
    if secrets is None:
        print("make login: no dev login yet: `make run` makes one", file=sys.stderr)
        return 1
    print("\n".join(login_lines(folder, secrets)))
    return 0


def _control(folder: DevFolder, command: str, words: list[str]) -> int:
    from servicekit.devrun.control import NotRunning, send
    from servicekit.devservices import DEV_SERVICES

    names = ", ".join(s.name for s in DEV_SERVICES)
    if command in ("stop", "start") and len(words) != 1:
        print(
            f"make {command}: say which service: make {command} SERVICE=sap (one of {names})",
            file=sys.stderr,
        )
        return 2
    try:
        ok, answer = send(folder.control, " ".join([command, *words]))
    except NotRunning:
        print(f"make {command}: make run is not running", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"make {command}: no answer from make run ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(answer, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    # A Ctrl-C while Python loads the modules below must not end in a traceback either.
    signal.signal(signal.SIGINT, _interrupted_while_loading)
    from servicekit.devrun.folder import DevFolder
    from servicekit.devrun.run import run

    folder = DevFolder.from_environment()
    if not argv:
        return run()
    command, words = argv[0], argv[1:]
    if command == "login" and not words:
        return _login(folder)
    if command in ("status", "stop", "start"):
        return _control(folder, command, words)
    print(
        "usage: python -m servicekit.devrun [login | status | stop NAME | start NAME]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
