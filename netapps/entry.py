"""The ``netapps`` console script: the no-op fast path first, the full CLI otherwise.

Kept apart from netapps.cli so that answering "everything is at head" (netapps.fastpath) and
building empty databases from the replay cache (netapps.replay) import neither Typer nor
SQLAlchemy nor Alembic.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None, *, app_folder: Path | None = None) -> int:
    """``app_folder``: an app's run_migrations.py, for which ``migrate`` means that app."""
    args = sys.argv[1:] if argv is None else argv
    from netapps.fastpath import answer

    code = answer(args, app_folder=app_folder)
    if code is not None:
        return code
    # Empty databases built from the replay cache (netapps.replay), still without SQLAlchemy.
    from netapps.replay import answer as replay

    code = replay(args, app_folder=app_folder)
    if code is not None:
        return code
    from netapps.cli import main as full_main

    return full_main(args, app_folder=app_folder)


def console_main() -> None:
    sys.exit(main())
