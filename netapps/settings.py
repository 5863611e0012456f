"""The settings core: where netapps.toml is, which environment, which apps and tenants, and
which database URL each one uses. Standard library only.

Both readers of the settings build on this one module: netapps.config (the full
implementation, which parses URLs with SQLAlchemy) and netapps.fastpath (the no-op answer,
which imports nothing heavy). So the fast path cannot pick a different database from the full
path: precedence, tenants, password variables and relative SQLite paths are decided here once.

Rails' database.yml is the model: one file names every app and its database per environment,
``NETAPPS_ENV`` picks the environment, and environment variables override a URL without
editing a file. Passwords never live in the file: ``password_env`` names the variable.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netapps.errors import ConfigError
from netapps.tenants import read_tenants

CONFIG_FILE = "netapps.toml"
DEFAULT_ENVIRONMENT = "dev"
DEFAULT_ENVIRONMENTS = (DEFAULT_ENVIRONMENT, "production")

#: netapps' own tables, in every database it migrates.
LEDGER_TABLE = "netapps_migration_log"
ALEMBIC_VERSION_TABLE = "alembic_version"
SQL_VERSION_TABLE = "schema_version"

#: The keys an environment's database setting may hold.
DATABASE_KEYS = frozenset({"url", "password_env", "schema"})


def config_path(start: Path | None = None) -> Path:
    """netapps.toml: NETAPPS_CONFIG's, else the nearest one above ``start`` (default: the
    current directory), else the one of the checkout this package was installed from."""
    explicit = os.environ.get("NETAPPS_CONFIG")
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not path.is_file():
            raise ConfigError(f"NETAPPS_CONFIG names {path}, which is not a file")
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder / CONFIG_FILE
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / CONFIG_FILE).is_file():
        return package_root / CONFIG_FILE
    raise ConfigError(
        f"no {CONFIG_FILE} found in {here} or above; run from the Network-apps checkout "
        "or set NETAPPS_CONFIG"
    )


def read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file") from None


def environment(data: dict[str, Any], requested: str | None) -> str:
    """The environment in force: ``requested`` (--env), else NETAPPS_ENV, else dev."""
    env = requested or os.environ.get("NETAPPS_ENV") or DEFAULT_ENVIRONMENT
    known = set(data.get("environments", DEFAULT_ENVIRONMENTS))
    if env not in known:
        raise ConfigError(
            f"unknown environment '{env}' (NETAPPS_ENV); choose one of: " + ", ".join(sorted(known))
        )
    return env


def normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def app_names(name: str, label: str, aliases: Iterable[str]) -> set[str]:
    """Every name an app answers to: its key, its label and its aliases, normalised."""
    return {normalise(n) for n in (name, label, *aliases)}


def url_env(name: str, spec: dict[str, Any]) -> str:
    return str(spec.get("url_env", f"{name.upper()}_DATABASE_URL"))


def app_tenants(name: str, spec: dict[str, Any], root: Path) -> tuple[str, ...]:
    return read_tenants(name, spec, root)


@dataclass(frozen=True)
class DatabaseChoice:
    """The database one app (or one tenant) uses, before its URL is parsed."""

    text: str
    source: str
    schema: str | None
    #: The password from the environment's ``password_env`` variable, for a URL without one.
    password: str | None


def choose_database(
    name: str,
    spec: dict[str, Any],
    env: str,
    *,
    single_app: bool = False,
    tenant: str | None = None,
    tenants: tuple[str, ...] = (),
) -> DatabaseChoice:
    """Which database ``name`` (or its ``tenant``) uses in ``env``.

    Precedence: ``DATABASE_URL`` (only when one app is meant, as the guide says), then the
    app's own variable (``SAP_DATABASE_URL`` …), then netapps.toml for the environment.
    """
    variable = url_env(name, spec)
    databases: dict[str, Any] = spec.get("database", {})
    setting: dict[str, Any] = databases.get(env) or {}
    if single_app and os.environ.get("DATABASE_URL"):
        text, source = os.environ["DATABASE_URL"], "DATABASE_URL"
    elif os.environ.get(variable):
        text, source = os.environ[variable], variable
    elif env in databases:
        if "url" not in setting:
            raise ConfigError(f"{CONFIG_FILE}: app '{name}' has no url for '{env}'; add it")
        text, source = str(setting["url"]), f"{CONFIG_FILE} [{env}]"
    else:
        known = ", ".join(sorted(databases)) or "none"
        raise ConfigError(
            f"{name}: no database for environment '{env}' in {CONFIG_FILE} (it has: {known}); "
            f"set NETAPPS_ENV or {variable}"
        )
    schema = str(setting["schema"]) if setting.get("schema") else None
    if tenants and tenant is None:
        if not (single_app and len(tenants) == 1):
            raise ConfigError(f"{name} has {len(tenants)} tenants; name one as {name}:TENANT")
        tenant = tenants[0]
    if tenant is not None:
        if "{tenant}" not in str(setting.get("url", "")) + str(setting.get("schema", "")):
            raise ConfigError(
                f"{name} has tenants but neither its URL nor its schema for '{env}' contains "
                f"{{tenant}}; add it in {CONFIG_FILE}"
            )
        text = text.replace("{tenant}", tenant)
        schema = schema.replace("{tenant}", tenant) if schema else None
    elif "{tenant}" in text:
        raise ConfigError(f"{name}'s URL contains {{tenant}} but the app lists no tenants")
    password_env = setting.get("password_env")
    password = os.environ.get(str(password_env)) if password_env else None
    return DatabaseChoice(text=text, source=source, schema=schema, password=password or None)


def sqlite_file(database: str, folder: Path) -> Path:
    """A SQLite URL's file: relative paths mean "in the app's folder", from any directory."""
    path = Path(database).expanduser()
    return path if path.is_absolute() else (folder / path).resolve()


@dataclass(frozen=True)
class Timeouts:
    """How long a migration's statements may wait and run (PostgreSQL), and how often a
    migration that could not take a table lock in time is retried."""

    #: Seconds a statement may wait for a table lock; then its migration rolls back and is
    #: retried, instead of queueing every query of the app behind it.
    ddl_lock_timeout: float = 5.0
    #: Seconds one statement may run (0: no limit).
    statement_timeout: float = 1800.0
    #: How many times a migration is retried after a lock time-out.
    lock_retries: int = 5


TIMEOUT_KEYS = ("ddl_lock_timeout", "statement_timeout", "lock_retries")


def timeouts(project_settings: dict[str, Any], app_spec: dict[str, Any]) -> Timeouts:
    """``[migrations]`` in netapps.toml, overridden by the app's own keys of the same names."""
    values: dict[str, Any] = {}
    for scope, where in (
        (project_settings.get("migrations", {}), "[migrations]"),
        (app_spec, "app"),
    ):
        for key in TIMEOUT_KEYS:
            if key in scope:
                value = scope[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ConfigError(
                        f"{CONFIG_FILE}: {key} in {where} must be a number of seconds (or "
                        f"retries) of 0 or more, not {value!r}"
                    )
                values[key] = int(value) if key == "lock_retries" else float(value)
    return Timeouts(**values)
