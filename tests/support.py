"""Helpers for tests: run an app's migrations against a given database, look at the result."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Inspector, inspect
from sqlalchemy.engine import URL

from appdb.engine import make_engine

REPO = Path(__file__).resolve().parent.parent
APP_FOLDERS = {
    "sap": REPO / "SAP_clone/backend",
    "mulesoft": REPO / "Mulesoft-Application/Inte-platform/platform-backend",
    "servicenow": REPO / "serviceNow/backend",
    "salesforce": REPO / "Salesforce",
}
ALEMBIC_APPS = ("sap", "mulesoft", "servicenow")


@contextmanager
def _database_url(url: URL) -> Iterator[None]:
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old


def alembic_config(app: str) -> Config:
    return Config(str(APP_FOLDERS[app] / "alembic.ini"))


def upgrade(app: str, url: URL, revision: str = "head") -> None:
    """``alembic upgrade REV`` in the app's folder, against ``url`` (as DATABASE_URL)."""
    with _database_url(url):
        command.upgrade(alembic_config(app), revision)


def downgrade(app: str, url: URL, revision: str = "base") -> None:
    with _database_url(url):
        command.downgrade(alembic_config(app), revision)


def table(url: URL, qualified: str) -> tuple[str | None, str]:
    """(schema, name) of ``core.tickets`` as the database holds it: SQLite maps schemas away."""
    schema, _, name = qualified.rpartition(".")
    if url.get_backend_name() == "sqlite":
        return None, name
    return (schema or None), name


@contextmanager
def connect(url: URL, schemas: tuple[str, ...] = ()) -> Iterator[Connection]:
    """A sync connection; ``schemas`` are mapped away on SQLite, as the apps do."""
    engine = make_engine(url, schemas=schemas)
    assert not hasattr(engine, "sync_engine"), "tests use sync URLs"
    try:
        with engine.connect() as conn:  # type: ignore[union-attr]
            yield conn
    finally:
        engine.dispose()  # type: ignore[union-attr]


@contextmanager
def inspector(url: URL) -> Iterator[Inspector]:
    with connect(url) as conn:
        yield inspect(conn)


LABELS = {
    "sap": "SAP_clone",
    "mulesoft": "Mulesoft",
    "servicenow": "ServiceNow",
    "salesforce": "Salesforce",
}
KINDS = {"sap": "alembic", "mulesoft": "alembic", "servicenow": "alembic", "salesforce": "sql"}


def write_config(
    path: Path, folders: dict[str, Path], backups: Path, urls: dict[str, str] | None = None
) -> Path:
    """A netapps.toml naming ``folders`` (absolute), with backups written under ``backups``."""
    lines = ['environments = ["dev", "production"]', "", "[backups]", f'dir = "{backups}"', ""]
    for app, folder in folders.items():
        url = (urls or {}).get(app, f"sqlite:///./{app}.db")
        lines += [
            f"[apps.{app}]",
            f'label = "{LABELS.get(app, app)}"',
            f'folder = "{folder}"',
            f'kind = "{KINDS.get(app, "alembic")}"',
            f'url_env = "{app.upper()}_DATABASE_URL"',
            f'database.dev = {{ url = "{url}" }}',
            f'database.production = {{ url = "{url}" }}',
            "",
        ]
    path.write_text("\n".join(lines))
    return path


def copy_app(app: str, destination: Path) -> Path:
    """A copy of an app's folder (migrations, models, alembic.ini) that a test may change."""
    import shutil

    target = destination / APP_FOLDERS[app].name
    shutil.copytree(
        APP_FOLDERS[app],
        target,
        ignore=shutil.ignore_patterns("*.db", "*.lock", "__pycache__", "backups"),
    )
    return target
