"""The ``netapps`` console script: the no-op fast path first, the full CLI otherwise.

Kept apart from netapps.cli so that answering "everything is at head" imports neither Typer
nor SQLAlchemy nor Alembic (see netapps.fastpath).
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
    from netapps.cli import main as full_main

    return full_main(args, app_folder=app_folder)


def console_main() -> None:
    sys.exit(main())
