"""The ``netapps`` command line: ``app`` parses and calls netapps.commands, ``report`` draws
tables and JSON, ``tables`` holds the table contents (standard library only: the no-op fast
path draws them too, so importing this package imports nothing heavy)."""

from __future__ import annotations

from pathlib import Path


def main(argv: list[str] | None = None, *, app_folder: Path | None = None) -> int:
    """Run the full command line; the exit code."""
    from netapps.cli.app import main as run

    return run(argv, app_folder=app_folder)
