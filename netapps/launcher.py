"""Start-up for the scripts users type (run_migrations.py, run_all_migrations.py).

Standard library only: it runs before the dependencies are known to be importable. When the
scripts are started with a Python that lacks them (``python3 run_migrations.py`` outside the
virtual environment), it re-runs them with the project's ``.venv`` Python if there is one.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REQUIRED = ("sqlalchemy", "alembic", "typer", "rich")


def find_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "netapps.toml").is_file():
            return folder
    return start


def ensure_dependencies(root: Path) -> None:
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if not missing:
        return
    venv = root / ".venv"
    venv_python = venv / "bin" / "python"
    # Compare environments, not executables: a venv's python is a symlink to the base one.
    if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    sys.stderr.write(
        f"error: missing Python packages ({', '.join(missing)}); run `make migrate` in {root} "
        "(it creates .venv) or `pip install -e .` there\n"
    )
    raise SystemExit(2)


def run(script: str, args: list[str]) -> int:
    """Entry point of run_migrations.py / run_all_migrations.py (``script`` is its __file__)."""
    here = Path(script).resolve().parent
    root = find_root(here)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    ensure_dependencies(root)
    from netapps.entry import main

    # One app's runner (its folder holds alembic.ini): DATABASE_URL applies to it, as the
    # guide says. The root's runner migrates every app.
    app_folder = here if (here / "alembic.ini").is_file() else None
    return main(["migrate", *args], app_folder=app_folder)
