"""Helpers shared by the tests and bench/run.py: the repository's apps, a netapps.toml for a
test, the environment and the running of a `netapps` subprocess, copies of app folders, and
running an app's migrations against a given database and looking at the result.

The app list (names, labels, folders, kinds, URL variables) is the repository's netapps.toml,
read through netapps itself (``netapps.config.load_project``): nothing here repeats it.
bench/run.py imports this module too (it puts tests/ on sys.path), so the benchmarks and the
tests set up configurations and subprocesses the same way.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Inspector, inspect, text
from sqlalchemy.engine import URL, make_url

from appdb.engine import make_engine
from netapps import settings
from netapps.config import App, Project, load_project

REPO = Path(__file__).resolve().parent.parent
REPO_CONFIG = REPO / settings.CONFIG_FILE
#: The virtual environment's scripts: this interpreter's folder (`make install` puts it in .venv).
BIN = Path(sys.executable).parent
NETAPPS = BIN / "netapps"


# -- the repository's apps, from its netapps.toml ----------------------------------------------
@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def _repo_project() -> Project:
    """The repository's netapps.toml as netapps reads it, whatever NETAPPS_CONFIG says."""
    with _environ(NETAPPS_CONFIG=str(REPO_CONFIG)):
        return load_project(REPO, environment=settings.DEFAULT_ENVIRONMENT)


#: The file as written (top-level settings, every app's section), for write_config.
REPO_SETTINGS: dict[str, Any] = settings.read_config(REPO_CONFIG)
APPS: dict[str, App] = {app.name: app for app in _repo_project().apps}
APP_FOLDERS = {name: app.folder for name, app in APPS.items()}


def revision_chain(app: str) -> list[str]:
    """An Alembic app's revision ids in order, base first (its migrations form one line):
    tests that add a revision of their own build on ``revision_chain(app)[-1]``, the head, so
    they keep working when the app gains migrations."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(APP_FOLDERS[app] / "alembic"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


LABELS = {name: app.label for name, app in APPS.items()}
KINDS = {name: app.kind for name, app in APPS.items()}
URL_ENVS = {name: app.url_env for name, app in APPS.items()}
ALEMBIC_APPS = tuple(name for name, app in APPS.items() if app.kind == "alembic")
#: The variables the repository's databases take a password from (``password_env``).
PASSWORD_ENVS = {
    str(database["password_env"])
    for app in APPS.values()
    for database in app.spec.get("database", {}).values()
    if "password_env" in database
}
#: What picks a database besides netapps.toml: never inherited by a subprocess (see below).
DATABASE_VARIABLES = {"DATABASE_URL", "NETAPPS_ENV", *URL_ENVS.values(), *PASSWORD_ENVS}


# -- a netapps.toml for a test -----------------------------------------------------------------
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_toml(path: Path, data: Mapping[str, Any]) -> Path:
    """A netapps.toml from ``data``: top-level keys, then one [table] per app and setting."""
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if key == "apps":
            for name, spec in table.items():
                lines.append(f"\n[apps.{name}]")
                lines += [f'"{k}" = {toml_value(v)}' for k, v in spec.items()]
        elif isinstance(table, dict):
            lines.append(f"\n[{key}]")
            lines += [f'"{k}" = {toml_value(v)}' for k, v in table.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    assert tomllib.loads(path.read_text()) == _plain(data), f"{path} does not say what was meant"
    return path


def _plain(value: Any) -> Any:
    """``value`` as TOML reads it back: paths as strings, tuples as lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value


def write_config(
    path: Path,
    apps: Iterable[str] | None = None,
    *,
    backups: Path | None = None,
    folders: Mapping[str, Path] | None = None,
    urls: Mapping[str, str | Mapping[str, str]] | None = None,
    app_settings: Mapping[str, Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """A netapps.toml for a test, written at ``path``, that never points into the repository
    for anything it writes.

    ``apps`` (default: every app of the repository) keep their section of the repository's
    netapps.toml (label, aliases, kind, URL variable, database per environment), with the
    folder made absolute, or ``folders[app]`` instead (a copy; any other name is an app of the
    test's own, kind alembic unless ``app_settings`` says otherwise). ``urls[app]`` (a URL, or
    a database setting such as ``{"url": ..., "schema": "tenant_{tenant}"}``) replaces the
    app's database in every environment; an app of the test's own defaults to
    ``sqlite:///./APP.db`` in its folder. ``app_settings[app]`` adds keys to its section
    (``tenants``, ``tenants_file``, ...), ``extra`` top-level settings and sections. Backups
    go to ``backups`` (default: ``backups`` beside the file).
    """
    folders, urls, app_settings = folders or {}, urls or {}, app_settings or {}
    data: dict[str, Any] = {k: copy.deepcopy(v) for k, v in REPO_SETTINGS.items() if k != "apps"}
    data.update(extra or {})
    data["backups"] = {
        **data.get("backups", {}),
        "dir": str(backups if backups is not None else path.parent / "backups"),
    }
    environments = data.get("environments", list(settings.DEFAULT_ENVIRONMENTS))
    sections: dict[str, dict[str, Any]] = {}
    for name in APPS if apps is None else apps:
        if name in APPS:
            spec = copy.deepcopy(APPS[name].spec)
            spec["folder"] = str(folders.get(name, APPS[name].folder))
        else:
            spec = {"folder": str(folders[name]), "kind": "alembic"}
            spec["database"] = {env: {"url": f"sqlite:///./{name}.db"} for env in environments}
        if name in urls:
            given = urls[name]
            database = {"url": given} if isinstance(given, str) else dict(given)
            spec["database"] = {env: dict(database) for env in environments}
        spec.update(app_settings.get(name, {}))
        sections[name] = spec
    data["apps"] = sections
    return write_toml(path, data)


def copy_app(app: str, destination: Path) -> Path:
    """A copy of an app's folder (migrations, models, alembic.ini) that a test may change:
    ``destination``/FOLDER_NAME, without databases, locks, caches or backups."""
    target = destination / APP_FOLDERS[app].name
    shutil.copytree(
        APP_FOLDERS[app],
        target,
        ignore=shutil.ignore_patterns("*.db", "*.lock", "__pycache__", ".mypy_cache", "backups"),
    )
    return target


# -- subprocesses -------------------------------------------------------------------------------
def subprocess_env(
    config: Path | None = None, *, venv_on_path: bool = False, **extra: str
) -> dict[str, str]:
    """The environment of a subprocess: this one's, without anything that picks a database
    besides netapps.toml (every ``*_DATABASE_URL``, the repository's password variables,
    ``DATABASE_URL``, ``NETAPPS_ENV``) unless ``extra`` gives it; ``NETAPPS_CONFIG`` naming
    ``config`` (None: the current one, under pytest the session's test config); wide Rich
    tables (``COLUMNS=200``); with ``venv_on_path``, the virtual environment's scripts first on
    PATH, as after ``source .venv/bin/activate``. ``extra`` comes last and wins."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in DATABASE_VARIABLES and not k.endswith("_DATABASE_URL")
    }
    if config is not None:
        env["NETAPPS_CONFIG"] = str(config)
    if venv_on_path:
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}"
    env["COLUMNS"] = "200"  # Rich tables wrap to the terminal; keep rows on one line
    env.update(extra)
    return env


def run(
    argv: Sequence[str | Path],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float | None = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to completion, output captured, stdin not a terminal."""
    return subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def netapps(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, timeout: float | None = 120
) -> subprocess.CompletedProcess[str]:
    """The installed `netapps` console script, as a user or a container runs it."""
    return run([NETAPPS, *args], env=env, cwd=cwd, timeout=timeout)


def start_netapps(
    *args: str, env: Mapping[str, str], capture: bool = False
) -> subprocess.Popen[str]:
    """`netapps` started in the background (several at once, or one to kill)."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [str(NETAPPS), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        text=True,
    )


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def url_text(url: URL | str) -> str:
    """A URL as a subprocess or a netapps.toml needs it: with its password."""
    return url if isinstance(url, str) else url.render_as_string(hide_password=False)


# -- migrations against a given database, and what it holds ----------------------------------
@contextmanager
def _database_url(url: URL) -> Iterator[None]:
    with _environ(DATABASE_URL=url.render_as_string(hide_password=False)):
        yield


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
def connect(url: URL | str, schemas: tuple[str, ...] = ()) -> Iterator[Connection]:
    """A sync connection; ``schemas`` are mapped away on SQLite, as the apps do."""
    engine = make_engine(make_url(url), schemas=schemas)
    assert not hasattr(engine, "sync_engine"), "tests use sync URLs"
    try:
        with engine.connect() as conn:  # type: ignore[union-attr]
            yield conn
    finally:
        engine.dispose()  # type: ignore[union-attr]


@contextmanager
def inspector(url: URL | str) -> Iterator[Inspector]:
    with connect(url) as conn:
        yield inspect(conn)


def tables(url: URL | str) -> set[str]:
    """User-visible tables (``schema.table`` outside public on PostgreSQL)."""
    with inspector(url) as insp:
        if insp.dialect.name == "sqlite":
            return set(insp.get_table_names())
        found: set[str] = set()
        for schema in insp.get_schema_names():
            if schema in ("information_schema", "pg_catalog") or schema.startswith("pg_"):
                continue
            prefix = "" if schema == "public" else f"{schema}."
            found |= {prefix + t for t in insp.get_table_names(schema=schema)}
        return found


def execute(url: URL | str, *statements: str) -> None:
    """Run ``statements`` in one transaction."""
    with connect(url) as conn:
        for statement in statements:
            conn.execute(text(statement))
        conn.commit()


def alembic_app(folder: Path, env_py: str, revisions: Mapping[str, str]) -> Path:
    """A small Alembic app of a test's own in ``folder``: the repository's alembic.ini, the
    given env.py, and ``revisions`` (file stem -> source) in its versions folder."""
    versions = folder / "alembic" / "versions"
    versions.mkdir(parents=True)
    (folder / "alembic.ini").write_text((APP_FOLDERS["servicenow"] / "alembic.ini").read_text())
    (folder / "alembic" / "env.py").write_text(env_py)
    for stem, source in revisions.items():
        (versions / f"{stem}.py").write_text(source)
    return folder


def pg_conninfo(url: URL) -> str:
    """libpq's connection string of a PostgreSQL URL (for psycopg, without SQLAlchemy)."""
    return f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
