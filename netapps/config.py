"""The project as the full implementation sees it: apps, and each database as a Target with a
parsed SQLAlchemy URL. What netapps.toml and the environment say is read by netapps.settings,
which the no-op fast path shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import URL

from netapps import settings
from netapps.engines import engine_for
from netapps.engines.base import DatabaseEngine
from netapps.errors import ConfigError, UnknownAppError
from netapps.settings import CONFIG_FILE
from netapps.tenants import check_tenant_name
from netapps.urls import mask, parse_url

Kind = Literal["alembic", "sql"]


@dataclass(frozen=True)
class App:
    """One application of the monorepo and where its migrations live."""

    name: str
    label: str
    folder: Path
    kind: Kind
    url_env: str
    aliases: tuple[str, ...] = ()
    #: The app's section of netapps.toml, as read (netapps.settings interprets it).
    spec: dict[str, Any] = field(default_factory=dict, compare=False)
    #: Several databases (or PostgreSQL schemas) of the same app, one per tenant: its URL or
    #: schema setting contains ``{tenant}``. Not part of the app's identity: comparing or
    #: hashing a Target (which holds its App) must not cost a pass over 10,000 tenant names.
    tenants: tuple[str, ...] = field(default=(), compare=False)

    @cached_property
    def tenant_set(self) -> frozenset[str]:
        """The tenants, for a membership test in constant time."""
        return frozenset(self.tenants)

    def matches(self, text: str) -> bool:
        return settings.normalise(text) in settings.app_names(self.name, self.label, self.aliases)


@dataclass(frozen=True)
class Target:
    """One database an app is migrated in, and where its URL came from."""

    app: App
    url: URL
    source: str
    environment: str
    tenant: str | None = None
    #: A PostgreSQL schema holding this tenant's tables (its search_path), if any.
    schema: str | None = None

    @property
    def engine(self) -> DatabaseEngine:
        """What differs by kind of database (lock, backups, schemas): netapps.engines."""
        return engine_for(self.url, what=self.app.name)

    @property
    def display_url(self) -> str:
        shown = mask(self.url)
        return f"{shown} (schema {self.schema})" if self.schema else shown

    @property
    def name(self) -> str:
        """The app, and the tenant when there are several databases: ``servicenow:acme``."""
        return f"{self.app.name}:{self.tenant}" if self.tenant else self.app.name


@dataclass(frozen=True)
class Project:
    root: Path
    environment: str
    apps: tuple[App, ...]
    settings: dict[str, Any] = field(default_factory=dict, compare=False)

    def find(self, name: str) -> App:
        for app in self.apps:
            if app.matches(name):
                return app
        known = ", ".join(a.name for a in self.apps)
        raise UnknownAppError(f"unknown app {name!r}; known apps: {known}")

    def targets(self, names: list[str] | None) -> list[Target]:
        """Every database of the named apps (all apps by default); ``app:tenant`` names one."""
        chosen: list[Target] = []
        # Named twice (``servicenow servicenow:acme``): once. A set, not ``in chosen``: with
        # thousands of tenants that list scan made choosing quadratic.
        seen: set[tuple[str, str | None]] = set()
        for name in names or [a.name for a in self.apps]:
            app_name, _, tenant = name.partition(":")
            app = self.find(app_name)
            if tenant:
                check_tenant_name(app.name, tenant, "on the command line")
                if tenant not in app.tenant_set:
                    raise UnknownAppError(f"{app.name} has no tenant '{tenant}'")
                wanted: tuple[str | None, ...] = (tenant,)
            else:
                wanted = app.tenants or (None,)
            for each in wanted:
                if (app.name, each) not in seen:
                    seen.add((app.name, each))
                    chosen.append(self.target(app, tenant=each))
        self._refuse_shared(chosen)
        return chosen

    def _refuse_shared(self, chosen: list[Target]) -> None:
        """Two apps (or tenants) on one database or schema would share its version table,
        lock and ledger: refused before anything runs, whichever of them is named."""
        from netapps.errors import NetappsError

        built = {t.name: t for t in chosen}  # each database is parsed once, not twice
        identities = {t.name: t.engine.identity(t) for t in chosen}
        users: dict[str, set[str]] = {}
        for app in self.apps:
            for tenant in app.tenants or (None,):
                name = f"{app.name}:{tenant}" if tenant else app.name
                identity = identities.get(name)
                if identity is None:
                    try:
                        target = built.get(name) or self.target(app, tenant=tenant)
                    except NetappsError:
                        continue  # its own error is reported when it is named
                    identity = target.engine.identity(target)
                users.setdefault(identity, set()).add(name)
        for target in chosen:
            sharing = users.get(identities[target.name], set()) - {target.name}
            if sharing:
                owner = sorted(sharing)[0]
                raise ConfigError(
                    f"{target.name} and {owner} use the same database ({target.display_url}); "
                    "give each app (and tenant) its own database or schema"
                )

    def app_for_folder(self, folder: Path) -> App:
        folder = folder.resolve()
        for app in self.apps:
            if app.folder == folder:
                return app
        raise ConfigError(f"{folder} is not the folder of any app in {self.root / CONFIG_FILE}")

    def target(self, app: App, *, single_app: bool = False, tenant: str | None = None) -> Target:
        """The database ``app`` (or its ``tenant``) uses now (see settings.choose_database)."""
        choice = settings.choose_database(
            app.name,
            app.spec,
            self.environment,
            single_app=single_app,
            tenant=tenant,
            tenants=app.tenants,
        )
        if tenant is None and app.tenants:
            tenant = app.tenants[0]
        what = f"{app.name} ({choice.source})"
        url = parse_url(choice.text, what=what)
        engine = engine_for(url, what=what)  # an unsupported kind is refused before anything runs
        # The environment's password variable fills in a URL that has none, wherever the URL
        # came from (an override without a password still gets it).
        if choice.password and url.password is None:
            url = url.set(password=choice.password)
        url = engine.prepare_url(url, app.folder, what=what)
        return Target(
            app=app,
            url=url,
            source=choice.source,
            environment=self.environment,
            tenant=tenant,
            schema=choice.schema,
        )


def find_root(start: Path | None = None) -> Path:
    """The folder holding netapps.toml (see settings.config_path)."""
    return settings.config_path(start).parent


def load_project(start: Path | None = None, environment: str | None = None) -> Project:
    path = settings.config_path(start)
    root = path.parent
    data = settings.read_config(path)
    env = settings.environment(data, environment)
    apps: list[App] = []
    for name, spec in data.get("apps", {}).items():
        try:
            kind = spec["kind"]
            if kind not in ("alembic", "sql"):
                raise ConfigError(f"{path}: app '{name}' has kind '{kind}'; use alembic or sql")
            apps.append(
                App(
                    name=name,
                    label=spec.get("label", name),
                    folder=(root / spec["folder"]).resolve(),
                    kind=kind,
                    url_env=settings.url_env(name, spec),
                    aliases=tuple(spec.get("aliases", ())),
                    spec=dict(spec),
                    tenants=settings.app_tenants(name, spec, root),
                )
            )
        except KeyError as exc:
            raise ConfigError(f"{path}: app '{name}' lacks the key {exc}; add it") from None
    extra = {k: v for k, v in data.items() if k not in ("apps", "environments")}
    return Project(root=root, environment=env, apps=tuple(apps), settings=extra)
