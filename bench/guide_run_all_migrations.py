#!/usr/bin/env python3
"""A faithful copy of the guide's approach, used as the baseline of bench/run.py.

docs/MIGRATIONS_GUIDE.md's ``run_all_migrations.py`` starts one Python process, which runs
``alembic upgrade head`` in each Alembic app's folder as a subprocess, one after another,
then prints a summary and exits non-zero if any failed. The guide covers the three Alembic
apps (SAP_clone, Mulesoft, ServiceNow); it has no Salesforce. This script does exactly that,
with the ``alembic`` of the virtual environment it is started with. Which database each app
uses comes from the environment (NETAPPS_CONFIG), as for a user typing ``alembic`` there.

Usage: python bench/guide_run_all_migrations.py [APP_FOLDER ...]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APPS = {
    "SAP_clone": REPO / "SAP_clone/backend",
    "Mulesoft": REPO / "Mulesoft-Application/Inte-platform/platform-backend",
    "ServiceNow": REPO / "serviceNow/backend",
}
ALEMBIC = Path(sys.executable).parent / "alembic"


def main(argv: list[str]) -> int:
    folders = {Path(a).name: Path(a) for a in argv} if argv else APPS
    results: dict[str, bool] = {}
    for name, folder in folders.items():
        print(f"=== {name}: alembic upgrade head ===", flush=True)
        proc = subprocess.run([str(ALEMBIC), "upgrade", "head"], cwd=folder)
        results[name] = proc.returncode == 0
    print("=== summary ===")
    for name, ok in results.items():
        print(f"{name}: {'ok' if ok else 'FAILED'}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
