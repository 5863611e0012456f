"""The ``netapps`` console script: the no-op fast path first, the full CLI otherwise.

Kept apart from netapps.cli so that answering "everything is at head" imports neither Typer
nor SQLAlchemy nor Alembic (see netapps.fastpath).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from netapps.fastpath import answer

    code = answer(args)
    if code is not None:
        return code
    from netapps.cli import main as full_main

    return full_main(args)


def console_main() -> None:
    sys.exit(main())
