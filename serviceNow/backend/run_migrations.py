#!/usr/bin/env python3
"""Bring this app's database to head: `python3 run_migrations.py` (docs/MIGRATIONS_GUIDE.md)."""

import sys
from pathlib import Path

for _folder in Path(__file__).resolve().parents:
    if (_folder / "netapps.toml").is_file():
        sys.path.insert(0, str(_folder))
        break

from netapps.launcher import run  # noqa: E402

if __name__ == "__main__":
    sys.exit(run(__file__, sys.argv[1:]))
