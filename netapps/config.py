"""netapps.toml and the environment: which apps exist and which database each one uses.

Rails' database.yml is the model: one file names every app and its database per environment,
``NETAPPS_ENV`` picks the environment, and environment variables override a URL without
editing a file. Passwords never live in the file: ``password_env`` names the variable.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import URL

from netapps.errors import ConfigError, UnknownAppError
from netapps.tenants import read_tenants
from netapps.urls import check_reachable_path, mask, parse_url, resolve_sqlite

CONFIG_FILE = "netapps.toml"
DEFAULT_ENVIRONMENT = "dev"
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
    databases: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)
    #: Several databases (or PostgreSQL schemas) of the same app, one per tenant: its URL or
    #: schema setting contains ``{tenant}``.
    tenants: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        wanted = text.strip().lower().replace("-", "_")
        names = {self.name, self.label, *self.aliases}
        return wanted in {n.lower().replace("-", "_") for n in names}


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
        raise UnknownAppError(f"unknown app '{name}'; known apps: {known}")

    def targets(self, names: list[str] | None) -> list[Target]:
        """Every database of the named apps (all apps by default); ``app:tenant`` names one."""
        chosen: list[Target] = []
        for name in names or [a.name for a in self.apps]:
            app_name, _, tenant = name.partition(":")
            app = self.find(app_name)
            if tenant:
                if tenant not in app.tenants:
                    raise UnknownAppError(f"{app.name} has no tenant '{tenant}'")
                found = [self.target(app, tenant=tenant)]
            else:
                found = [self.target(app, tenant=t) for t in app.tenants] or [self.target(app)]
            chosen.extend(t for t in found if t not in chosen)
        return chosen

    def app_for_folder(self, folder: Path) -> App:
        folder = folder.resolve()
        for app in self.apps:
            if app.folder == folder:
                return app
        raise ConfigError(f"{folder} is not the folder of any app in {self.root / CONFIG_FILE}")

    def target(self, app: App, *, single_app: bool = False, tenant: str | None = None) -> Target:
        """The database ``app`` uses now.

        Precedence: ``DATABASE_URL`` (only when one app is meant, as the guide says), then the
        app's own variable (``SAP_DATABASE_URL`` …), then netapps.toml for the environment.
        """
        source: str
        text: str | None = None
        if single_app and os.environ.get("DATABASE_URL"):
            text, source = os.environ["DATABASE_URL"], "DATABASE_URL"
        elif os.environ.get(app.url_env):
            text, source = os.environ[app.url_env], app.url_env
        else:
            setting = app.databases.get(self.environment)
            if setting is None:
                envs = ", ".join(sorted(app.databases)) or "none"
                raise ConfigError(
                    f"{app.name}: no database for environment '{self.environment}' in "
                    f"{CONFIG_FILE} (it has: {envs}); set NETAPPS_ENV or {app.url_env}"
                )
            text = str(setting["url"])
            source = f"{CONFIG_FILE} [{self.environment}]"
        setting = app.databases.get(self.environment, {})
        schema = setting.get("schema")
        if app.tenants and tenant is None:
            tenant = app.tenants[0] if single_app and len(app.tenants) == 1 else None
            if tenant is None:
                raise ConfigError(
                    f"{app.name} has {len(app.tenants)} tenants; name one as {app.name}:TENANT"
                )
        if tenant is not None:
            text = text.replace("{tenant}", tenant)
            schema = str(schema).replace("{tenant}", tenant) if schema else None
            if "{tenant}" not in str(setting.get("url", "")) + str(setting.get("schema", "")):
                raise ConfigError(
                    f"{app.name} has tenants but neither its URL nor its schema for "
                    f"'{self.environment}' contains {{tenant}}; add it in {CONFIG_FILE}"
                )
        elif "{tenant}" in text:
            raise ConfigError(f"{app.name}'s URL contains {{tenant}} but the app lists no tenants")
        url = parse_url(text, what=f"{app.name} ({source})")
        # The environment's password variable fills in a URL that has none, wherever the URL
        # came from (an override without a password still gets it).
        password_env = app.databases.get(self.environment, {}).get("password_env")
        if password_env and url.password is None and os.environ.get(str(password_env)):
            url = url.set(password=os.environ[str(password_env)])
        url = resolve_sqlite(url, app.folder)
        check_reachable_path(url, app=app.name)
        return Target(
            app=app,
            url=url,
            source=source,
            environment=self.environment,
            tenant=tenant,
            schema=str(schema) if schema else None,
        )


def find_root(start: Path | None = None) -> Path:
    """The folder holding netapps.toml: NETAPPS_CONFIG's, or the nearest above ``start``."""
    explicit = os.environ.get("NETAPPS_CONFIG")
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"NETAPPS_CONFIG names {path}, which is not a file")
        return path.parent
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    # Installed code run from elsewhere still knows the repository it was installed from.
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / CONFIG_FILE).is_file():
        return package_root
    raise ConfigError(
        f"no {CONFIG_FILE} found in {here} or above; run from the Network-apps checkout "
        "or set NETAPPS_CONFIG"
    )


def load_project(start: Path | None = None, environment: str | None = None) -> Project:
    root = find_root(start)
    config_path = (
        Path(os.environ["NETAPPS_CONFIG"]).resolve()
        if os.environ.get("NETAPPS_CONFIG")
        else root / CONFIG_FILE
    )
    try:
        data = tomllib.loads(config_path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML ({exc}); fix the file") from None
    env = environment or os.environ.get("NETAPPS_ENV") or DEFAULT_ENVIRONMENT
    known_envs = set(data.get("environments", [DEFAULT_ENVIRONMENT, "production"]))
    if env not in known_envs:
        raise ConfigError(
            f"unknown environment '{env}' (NETAPPS_ENV); choose one of: "
            + ", ".join(sorted(known_envs))
        )
    apps: list[App] = []
    for name, spec in data.get("apps", {}).items():
        try:
            kind = spec["kind"]
            if kind not in ("alembic", "sql"):
                raise ConfigError(
                    f"{config_path}: app '{name}' has kind '{kind}'; use alembic or sql"
                )
            apps.append(
                App(
                    name=name,
                    label=spec.get("label", name),
                    folder=(root / spec["folder"]).resolve(),
                    kind=kind,
                    url_env=spec.get("url_env", f"{name.upper()}_DATABASE_URL"),
                    aliases=tuple(spec.get("aliases", ())),
                    databases=dict(spec.get("database", {})),
                    tenants=read_tenants(name, spec, root),
                )
            )
        except KeyError as exc:
            raise ConfigError(f"{config_path}: app '{name}' lacks the key {exc}; add it") from None
    settings = {k: v for k, v in data.items() if k not in ("apps", "environments")}
    return Project(root=root, environment=env, apps=tuple(apps), settings=settings)
