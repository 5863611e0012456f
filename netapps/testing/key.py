"""What a migrated database depends on, as one digest: the key its template is stored under.

Two databases built from the same inputs are the same, so one built once can be cloned for
every test. The inputs are everything that changes what a migration run leaves behind:

- the app, its kind, the engine (SQLite maps SAP's schemas away) and the revision it is at;
- every migration file's checksum, as netapps computes it for the ledger (an edited, added or
  removed migration changes the key, whichever revision is asked for);
- the app's ``alembic.ini`` and ``alembic/env.py`` (where the version table lives, what runs
  around the migrations);
- the code the migrations and netapps' migrate path run: every ``.py`` file of the ``netapps``
  and ``appdb`` packages (migrations import ``netapps.ops`` and ``appdb.ops``; the ledger rows
  carry netapps' version), and netapps' version itself;
- on SQLite, the version of the SQLite library that writes the file.

Anything else (the time of the build, who built it) differs between any two builds anyway.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import appdb
import netapps
from netapps.config import App
from netapps.sources.revisions import Revision, checksum

#: Bump when the way a template is built or keyed changes (old templates are then stale).
KEY_FORMAT = "1"
#: Characters of the digest in a template's name (48 bits: collisions are not a concern).
NAME_DIGITS = 12


@dataclass(frozen=True)
class TemplateKey:
    """One template: an app at a revision on an engine, and the digest of its inputs."""

    app: str
    engine: str
    #: The revision id the template is at; None for base (an empty, versioned database).
    revision: str | None
    digest: str

    @property
    def short(self) -> str:
        return self.digest[:NAME_DIGITS]


@cache
def code_digest() -> str:
    """The netapps and appdb packages' sources, read once per process."""
    digest = hashlib.sha256()
    for package in (netapps, appdb):
        root = Path(package.__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{path.relative_to(root.parent)}\0".encode())
            digest.update(checksum(path.read_bytes()).encode())
    return digest.hexdigest()


def _app_files(app: App) -> Iterable[tuple[str, str]]:
    """(name, checksum) of the app's files around its migrations (Alembic apps only)."""
    for name in ("alembic.ini", "alembic/env.py"):
        path = app.folder / name
        if path.is_file():
            yield name, checksum(path.read_bytes())


def template_key(
    app: App, engine: str, revision: str | None, revisions: Iterable[Revision]
) -> TemplateKey:
    """The key of ``app`` at ``revision`` on ``engine``, given its migrations (all of them)."""
    parts = [
        f"format={KEY_FORMAT}",
        f"netapps={netapps.__version__}",
        f"code={code_digest()}",
        f"app={app.name}",
        f"kind={app.kind}",
        f"engine={engine}",
        f"revision={revision or ''}",
    ]
    if engine == "sqlite":
        parts.append(f"sqlite={sqlite3.sqlite_version}")
    parts += [f"file {name}={digest}" for name, digest in _app_files(app)]
    parts += sorted(f"migration {r.id}={r.checksum}" for r in revisions)
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return TemplateKey(app=app.name, engine=engine, revision=revision, digest=digest)
