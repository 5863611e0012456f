"""The Python API: a fresh database of an app at any revision, cloned from a template.

    from netapps.testing import TemplateCache

    cache = TemplateCache(postgres="postgresql://postgres@127.0.0.1:5432/postgres")
    with cache.database("sap") as url:                    # SQLite, at head
        ...
    with cache.database("sap", engine="postgresql") as url:
        ...
    cache.close()

The first database of an app, revision and engine builds the template (netapps migrate on an
empty database, about a second); every later one is a clone (milliseconds). The template's key
(netapps.testing.key) is computed once per cache and app: a migration file edited between two
test sessions gives a new key, so the next session builds a new template.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

from netapps.config import Project, load_project
from netapps.errors import UsageError
from netapps.testing import build
from netapps.testing.key import TemplateKey, template_key
from netapps.testing.postgres_templates import PostgresTemplates
from netapps.testing.sqlite_templates import SqliteTemplates

ENGINES = ("sqlite", "postgresql")


class TemplateCache:
    """Templates and their clones for one project (by default the one ``netapps`` finds:
    ``NETAPPS_CONFIG`` or the netapps.toml above the current folder).

    ``cache_dir``: where SQLite templates live (default: see
    netapps.testing.sqlite_templates). ``postgres``: the URL of a PostgreSQL server's
    maintenance database (``postgresql://postgres@127.0.0.1:5432/postgres``) whose user may
    create databases; without it only SQLite databases can be made. ``clone_dir``: where
    SQLite clones go when no folder is given (default: a temporary folder removed at close).
    ``ahead``: on PostgreSQL, make the next clone of a template while the test runs and drop
    used ones behind it, on a thread of their own (netapps.testing.ahead); :meth:`close`
    drops what was made ahead and not used, and waits for the drops.
    """

    def __init__(
        self,
        project: Project | None = None,
        *,
        cache_dir: Path | None = None,
        postgres: URL | str | None = None,
        clone_dir: Path | None = None,
        ahead: bool = True,
    ) -> None:
        self.project = project if project is not None else load_project()
        self.sqlite = SqliteTemplates(cache_dir)
        self.postgres = (
            PostgresTemplates(make_url(postgres), ahead=ahead) if postgres is not None else None
        )
        self._clone_dir = clone_dir
        self._own_clone_dir: Path | None = None
        self._keys: dict[tuple[str, str, str], TemplateKey] = {}

    # -- templates ---------------------------------------------------------------------------
    def key(self, app: str, revision: str = "head", engine: str = "sqlite") -> TemplateKey:
        """The key of ``app`` at ``revision`` (as users type it: head, an id, a unique
        prefix) on ``engine``; computed once per cache."""
        if engine not in ENGINES:
            raise UsageError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
        memo = (app, revision, engine)
        if memo not in self._keys:
            found = self.project.find(app)
            source = build.source_of(self.project, found, engine)
            resolved = source.resolve(revision, ())
            self._keys[memo] = template_key(found, engine, resolved, source.revisions)
        return self._keys[memo]

    def _builder(self, key: TemplateKey) -> Callable[[URL], None]:
        """Builds ``key``'s template in the empty database it is given."""
        app = self.project.find(key.app)
        return lambda url: build.migrate(self.project, app, url, key.revision)

    def sqlite_template(self, app: str, revision: str = "head") -> Path:
        """The SQLite template file of ``app`` at ``revision``, built if missing."""
        key = self.key(app, revision, "sqlite")
        return self.sqlite.ensure(key, self._builder(key))

    def postgres_template(self, app: str, revision: str = "head") -> str:
        """The name of the PostgreSQL template database, built if missing."""
        key = self.key(app, revision, "postgresql")
        return self._server().ensure(key, self._builder(key))

    def _server(self) -> PostgresTemplates:
        if self.postgres is None:
            raise UsageError(
                "no PostgreSQL server given: pass TemplateCache(postgres=URL of its "
                "maintenance database), or --netapps-postgres URL to pytest"
            )
        return self.postgres

    # -- databases ---------------------------------------------------------------------------
    def create(
        self,
        app: str,
        revision: str = "head",
        engine: str = "sqlite",
        *,
        directory: Path | None = None,
    ) -> URL:
        """A new database of ``app`` at ``revision`` on ``engine``; the caller drops it
        (:meth:`drop`). SQLite files go into ``directory`` (default: the cache's clone
        folder), each under a new name."""
        if engine == "postgresql":
            server = self._server()
            template = self.postgres_template(app, revision)
            try:
                return server.clone(template)
            except psycopg.errors.InvalidCatalogName:
                # Dropped meanwhile by another process pruning its own stale templates.
                return server.clone(self.postgres_template(app, revision))
        folder = directory if directory is not None else self.clone_dir()
        destination = folder / f"{app}-{uuid.uuid4().hex[:12]}.db"
        try:
            return self.sqlite.clone(self.sqlite_template(app, revision), destination)
        except FileNotFoundError:
            # Pruned meanwhile by another process that built a newer template of the app.
            return self.sqlite.clone(self.sqlite_template(app, revision), destination)

    def drop(self, url: URL) -> None:
        """Remove a database :meth:`create` made (a SQLite file and its lock file; a
        PostgreSQL database, whoever is still connected to it: behind, unless ``ahead`` is
        off; :meth:`flush` waits for it)."""
        if url.get_backend_name() == "postgresql":
            self._server().drop_clone(url)
            return
        path = Path(str(url.database))
        for leftover in (path, path.with_name(path.name + ".migrate.lock")):
            leftover.unlink(missing_ok=True)

    @contextmanager
    def database(
        self,
        app: str,
        revision: str = "head",
        engine: str = "sqlite",
        *,
        directory: Path | None = None,
    ) -> Iterator[URL]:
        """:meth:`create`, dropped when the block ends."""
        url = self.create(app, revision, engine, directory=directory)
        try:
            yield url
        finally:
            self.drop(url)

    def flush(self) -> None:
        """Wait until every PostgreSQL database dropped so far is gone."""
        if self.postgres is not None:
            self.postgres.flush()

    def clone_dir(self) -> Path:
        if self._clone_dir is not None:
            return self._clone_dir
        if self._own_clone_dir is None:
            self._own_clone_dir = Path(tempfile.mkdtemp(prefix="netapps-testdb-"))
        return self._own_clone_dir

    def clear(self, app: str | None = None) -> list[str]:
        """Remove every template (of ``app``, or of every app): the cache folder's and, with a
        server, the server's; what was removed."""
        removed = [str(p) for p in self.sqlite.clear(app)]
        if self.postgres is not None:
            removed += self.postgres.clear(app)
        return removed

    def close(self) -> None:
        if self.postgres is not None:
            self.postgres.close()
        if self._own_clone_dir is not None:
            shutil.rmtree(self._own_clone_dir, ignore_errors=True)
            self._own_clone_dir = None


@contextmanager
def migrated_database(
    app: str,
    revision: str = "head",
    engine: str = "sqlite",
    *,
    project: Project | None = None,
    cache_dir: Path | None = None,
) -> Iterator[URL]:
    """One fresh database of ``app`` at ``revision``, dropped after the block. ``engine`` is
    ``"sqlite"`` or the URL of a PostgreSQL server's maintenance database. For many
    databases keep a :class:`TemplateCache` instead (one connection, keys computed once)."""
    postgres = None if engine == "sqlite" else engine
    cache = TemplateCache(project, cache_dir=cache_dir, postgres=postgres, ahead=False)
    try:
        with cache.database(app, revision, "sqlite" if postgres is None else "postgresql") as url:
            yield url
    finally:
        cache.close()
