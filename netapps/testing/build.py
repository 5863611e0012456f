"""A template built the way a user's database is: ``netapps migrate`` on an empty database.

The executor takes the migration lock, runs each migration in its transaction and writes its
ledger row with the file's checksum, so a template (and every clone of it) holds exactly what
a real migration leaves. No backup: the database is empty when the run starts.
"""

from __future__ import annotations

from sqlalchemy.engine import URL

from netapps import executor
from netapps.config import App, Project, Target
from netapps.engines import engine_for
from netapps.sources import source_for
from netapps.sources.base import Source

#: Where a template's Target says its URL came from (shown in any error).
ORIGIN = "netapps.testing"


def target_for(project: Project, app: App, url: URL) -> Target:
    """``app``'s database at ``url``, as the command layer would see it."""
    engine = engine_for(url, what=app.name)
    prepared = engine.prepare_url(url, app.folder, what=app.name)
    return Target(app=app, url=prepared, source=ORIGIN, environment=project.environment)


def source_of(project: Project, app: App, engine: str) -> Source:
    """The app's migrations as netapps reads them (a SQL app's files depend on the engine)."""
    url = URL.create("sqlite") if engine == "sqlite" else URL.create("postgresql+psycopg")
    return source_for(Target(app=app, url=url, source=ORIGIN, environment=project.environment))


def migrate(project: Project, app: App, url: URL, revision: str | None) -> None:
    """Bring the empty database at ``url`` to ``revision`` (None: base) through netapps'
    executor; its error (a NetappsError with its exit code) is raised as is."""
    target = target_for(project, app, url)
    options = executor.MigrateOptions(destination=revision or "base", backup=False)
    result = executor.migrate(project, target, source_for(target), options)
    if result.error is not None:
        raise result.error
