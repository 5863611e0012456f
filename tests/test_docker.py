"""The container recipes, tested without a Docker engine.

The compose file and the Dockerfile are read as files: they parse, and everything they name
(build contexts, COPY sources, commands, variables, volumes) exists or is documented. The
entrypoint script is run as it is, outside Docker: four "replicas" at once against one fresh
PostgreSQL database and one SQLite file per other app migrate every revision exactly once
and all start their command; a failing migration stops the command from starting.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from support import APPS, REPO, free_port, netapps, run, subprocess_env, write_config

from netapps.config import App
from netapps.sources.alembic import AlembicSource
from netapps.sources.sql import SqlSource

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
ENV_EXAMPLE = REPO / ".env.example"
REPLICAS = 4

# Variables read by the images the compose file uses, not by this project's code.
POSTGRES_IMAGE_VARIABLES = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}
LIBPQ_VARIABLES = {"PGPASSWORD"}  # libpq, asyncpg and pg_dump all read it
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PGPASS", re.IGNORECASE)


# ------------------------------------------------------------------------------- helpers
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=VALUE list form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f".env.example: not KEY=VALUE: {line!r}"
        values[key.strip()] = value.strip()
    return values


def interpolate(value: str, values: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, from ``values``."""

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        if values.get(name):
            return values[name]
        if operator in ("-", ":-"):
            return str(argument)
        raise AssertionError(f"{match.group(0)} has no value in .env.example and no default")

    return INTERPOLATION.sub(one, value).replace("$$", "$")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    result = []
    for line in joined:
        word, _, rest = line.partition(" ")
        result.append((word.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def copy_sources(arguments: str) -> tuple[list[str], str, dict[str, str]]:
    words = shlex.split(arguments)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    return words[:-1], words[-1], flags


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule, closely enough for these paths: the last matching pattern wins."""
    ignored = False
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.strip("/")
        candidates = [body, body.removeprefix("**/")] if body.startswith("**/") else [body]
        if any(
            fnmatch.fnmatchcase(prefix, candidate)
            or (
                body.startswith("**/") and fnmatch.fnmatchcase(prefix.split("/")[-1], candidates[1])
            )
            for prefix in prefixes
            for candidate in candidates
        ):
            ignored = not negate
    return ignored


def dockerignore_patterns() -> list[str]:
    return [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def entrypoint_env(config: Path | None = None, **overrides: str) -> dict[str, str]:
    """A container's environment: netapps on PATH, MIGRATE_* only when ``overrides`` say."""
    env = subprocess_env(config, venv_on_path=True, **overrides)
    for name in ("MIGRATE_ON_START", "MIGRATE_ARGS"):
        if name not in overrides:
            env.pop(name, None)
    return env


def run_replicas(
    count: int, env: dict[str, str], workdir: Path, timeout: float = 240
) -> list[tuple[int, str]]:
    """Start ``count`` entrypoints at once; (exit code, stderr) of each, in order."""
    procs = []
    for n in range(count):
        err = (workdir / f"replica-{n}.err").open("w")
        out = (workdir / f"replica-{n}.out").open("w")
        command = [str(ENTRYPOINT), "sh", "-c", f"echo started > marker-{n}"]
        procs.append(
            (subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=err), out, err)
        )
    results = []
    deadline = time.monotonic() + timeout
    for n, (proc, out, err) in enumerate(procs):
        try:
            code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other, _, _ in procs:
                other.kill()
            raise
        finally:
            out.close()
            err.close()
        results.append((code, (workdir / f"replica-{n}.err").read_text()))
    return results


def up_rows(url: URL | str) -> dict[tuple[str, str], int]:
    """{(app, revision): number of 'up' rows} in the ledger of one database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT app, revision, COUNT(*) FROM netapps_migration_log "
                    "WHERE direction = 'up' GROUP BY app, revision"
                )
            ).all()
    finally:
        engine.dispose()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def revision_ids(app: App, dialect: str) -> set[str]:
    source = AlembicSource(app) if app.kind == "alembic" else SqlSource(app, dialect)
    return {r.id for r in source.revisions}


# ------------------------------------------------------------------- docker-compose.yml
def test_compose_parses_with_postgres_and_db_migrate() -> None:
    found = services()
    assert {"postgres", "db-migrate"} <= set(found)

    postgres = found["postgres"]
    assert str(postgres["image"]).startswith("postgres:15")
    check = postgres["healthcheck"]["test"]
    assert "pg_isready" in (check if isinstance(check, str) else " ".join(check))

    migrate = found["db-migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no", "db-migrate runs once"
    env = environment(migrate)
    assert env["NETAPPS_ENV"] == "production"
    # Every app's database is set for the container, not left to netapps.toml's defaults
    # (the SQLite files would land in the image's root-owned app folders).
    for app in APPS.values():
        assert app.url_env in env, f"db-migrate does not set {app.url_env}"


def test_compose_volumes_hold_the_sqlite_files_and_backups() -> None:
    data = compose()
    declared = set(data.get("volumes") or {})
    migrate = data["services"]["db-migrate"]
    mounts = {}
    for volume in migrate["volumes"]:
        source, target = str(volume).split(":")[:2]
        assert source in declared, f"db-migrate mounts {source}, which is not a named volume"
        mounts[target.rstrip("/")] = source
    env = environment(migrate)
    for app in APPS.values():
        url = env[app.url_env]
        if url.startswith("sqlite"):
            path = Path(url.split(":///", 1)[1])
            assert path.is_absolute(), f"{app.url_env}: {url} must be an absolute path"
            assert str(path.parent) in mounts, f"{url} is not on a named volume"
    # netapps writes backups to <root>/backups unless netapps.toml says otherwise; in the image
    # the root is /app.
    settings = tomllib.loads((REPO / "netapps.toml").read_text()).get("backups", {})
    backups_dir = (Path("/app") / settings.get("dir", "backups")).as_posix()
    assert backups_dir in mounts, f"backups ({backups_dir}) are not on a named volume"
    # The postgres data survives too.
    assert any(
        str(v).split(":")[0] in declared and "/var/lib/postgresql/data" in str(v)
        for v in data["services"]["postgres"]["volumes"]
    )


def test_compose_names_only_existing_builds_files_and_services() -> None:
    found = services()
    for name, service in found.items():
        build = service.get("build")
        if build is None:
            continue
        build = {"context": build} if isinstance(build, str) else build
        context = (REPO / build.get("context", ".")).resolve()
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        for source in (str(v).split(":")[0] for v in service.get("volumes", [])):
            if source.startswith((".", "/")):  # a bind mount
                assert (REPO / source).exists(), f"{name}: mounts {source}, which does not exist"
        for other, condition in (service.get("depends_on") or {}).items():
            assert other in found, f"{name} depends on {other}, which is not a service"
            assert condition["condition"] in (
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            )
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in found[other], f"{other} has no healthcheck to wait on"
    # The PostgreSQL host in SAP's URL is the postgres service.
    sap = environment(found["db-migrate"])["SAP_DATABASE_URL"]
    assert "@postgres:" in sap or "@postgres/" in sap


#: The services of the compose file and the console script each runs.
SERVICES = {
    "sap": "sap-clone-service",
    "integration-platform": "integration-platform-service",
    "servicenow": "servicenow-service",
    "salesforce": "salesforce-service",
}
#: The compose services' ports, as ``make run`` serves them too.
SERVICE_PORTS = {"sap": 4798, "integration-platform": 4797, "servicenow": 4780, "salesforce": 4799}
#: Console scripts of services written on another branch: until their module exists, the
#: compose file may name them ahead; from then on they must be in pyproject like the others.
PENDING_SCRIPTS = {"salesforce-service": "salesforce_crm.api"}


def test_compose_shows_an_app_waiting_for_db_migrate() -> None:
    waiting = [
        name
        for name, service in services().items()
        if (service.get("depends_on") or {}).get("db-migrate", {}).get("condition")
        == "service_completed_successfully"
    ]
    assert waiting, "no example service waits on db-migrate with service_completed_successfully"
    for name in waiting:
        if name not in SERVICES:
            assert services()[name].get("profiles"), (
                f"{name} is an example: keep it behind a profile"
            )


def test_compose_runs_the_four_services_after_db_migrate() -> None:
    found = services()
    for name, script in SERVICES.items():
        service = found[name]
        assert service["command"] == [script], name
        assert service["depends_on"]["db-migrate"]["condition"] == "service_completed_successfully"
        assert not service.get("profiles"), f"{name} is a real service, not an example"
        env = environment(service)
        assert env["NETAPPS_ENV"] == "production"
        prefix = next(k for k in env if k.endswith("_JWT_SECRET")).removesuffix("JWT_SECRET")
        assert env[f"{prefix}HOST"] == "0.0.0.0", f"{name} must listen outside its container"
        assert ":?" in env[f"{prefix}JWT_SECRET"], f"{name}: the JWT secret must be required"
        port = SERVICE_PORTS[name]
        assert service["ports"] == [f"{port}:{port}"], name
        # A hop key per pair, each required; a service holds only its own pairs' keys (the
        # platform's with every service, the others' with the platform).
        keys = dict(pair.split("=", 1) for pair in env[f"{prefix}HOP_SECRETS"].split(","))
        expected = {"mulesoft"} if name != "integration-platform" else set(APPS) - {"mulesoft"}
        assert set(keys) == expected, name
        assert all(key.startswith("${HOP_KEY_") and ":?" in key for key in keys.values()), name
        assert f"{prefix}HOP_SECRET" not in env, f"{name}: no key shared by all"
        peers = dict(pair.split("=", 1) for pair in env[f"{prefix}PEERS"].split(","))
        assert set(peers) == set(APPS), f"{name}: PEERS names the apps by netapps' names"
        assert sorted(peers.values()) == sorted(
            f"http://{other}:{SERVICE_PORTS[other]}" for other in SERVICES
        ), name
        # HTTPS from settings: certificate, key and CA paths, empty (plain HTTP) by default.
        for variable in ("TLS_CERTFILE", "TLS_KEYFILE", "TLS_CA_FILE"):
            assert env[f"{prefix}{variable}"] == f"${{{prefix}{variable}:-}}", (name, variable)
    exposed = " ".join(a for w, a in final_stage() if w == "EXPOSE").split()
    assert sorted(exposed) == sorted(str(p) for p in SERVICE_PORTS.values())


def test_compose_commands_exist() -> None:
    from typer.main import get_command

    from netapps.cli.app import cli

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    netapps = get_command(cli)
    for name, service in services().items():
        command = service.get("command")
        if command is None:
            continue
        words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
        if words[0] in ("python", "python3"):
            script = REPO / words[1]
            assert script.is_file(), f"{name}: {script} does not exist"
            continue
        pending = PENDING_SCRIPTS.get(words[0])
        if words[0] not in scripts and pending and importlib.util.find_spec(pending) is None:
            continue  # its service is not merged yet (and once it is, the check applies)
        assert words[0] in scripts, f"{name}: {words[0]} is not a console script of the project"
        if words[0] != "netapps":
            module, _, function = scripts[words[0]].partition(":")
            assert callable(getattr(importlib.import_module(module), function)), name
            continue
        subcommand = netapps.commands.get(words[1])  # type: ignore[attr-defined]
        assert subcommand is not None, f"{name}: netapps has no command {words[1]}"
        options = {opt for param in subcommand.params for opt in param.opts}
        for word in words[2:]:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{name}: netapps {words[1]} has no {word}"
    # The image's default command, too.
    cmd = [args for word, args in final_stage() if word == "CMD"]
    assert cmd, "the Dockerfile has no CMD"
    default = yaml.safe_load(cmd[-1])
    assert default[0] in scripts and default[1] in netapps.commands  # type: ignore[attr-defined]


def test_compose_variables_are_documented_or_read_by_something() -> None:
    text_ = COMPOSE.read_text()
    documented = env_example()
    for name in {match.group(1) for match in INTERPOLATION.finditer(text_)}:
        assert name in documented, f"docker-compose.yml uses ${{{name}}}: add it to .env.example"
    netapps_sources = "\n".join(p.read_text() for p in (REPO / "netapps").glob("*.py"))
    config = (REPO / "netapps.toml").read_text()
    entrypoint = ENTRYPOINT.read_text()
    settings_variables = service_settings_variables()
    for name, service in services().items():
        for key in environment(service):
            known = (
                key in settings_variables
                or f'"{key}"' in netapps_sources
                or f'"{key}"' in config
                or key in entrypoint
                or key in LIBPQ_VARIABLES
                or (
                    key in POSTGRES_IMAGE_VARIABLES
                    and str(service.get("image", "")).startswith("postgres")
                )
            )
            assert known, f"{name}: {key} is read by nothing (netapps, entrypoint, image, libpq)"
    # Every value resolves from .env.example alone: nothing is missing for `compose config`.
    for service in services().values():
        for value in environment(service).values():
            interpolate(value, documented)


def service_settings_variables() -> set[str]:
    """The environment variables the services' settings read (prefix + field, or alias): each
    app's own settings class where its service exists, else the fields every service has
    (``ServiceSettings``) under the app's prefix (its database variable's, ``SALESFORCE_``)."""
    from servicekit.devservices import DEV_SERVICES
    from servicekit.settings import ServiceSettings

    classes: dict[str, type[ServiceSettings]] = {}
    for app in APPS.values():
        classes[app.url_env.removesuffix("DATABASE_URL")] = ServiceSettings
    for service in DEV_SERVICES:
        spec = importlib.import_module(f"{service.module}.main").SPEC
        classes[service.prefix] = spec.settings_class
    names = set()
    for prefix, settings in classes.items():
        for field, info in settings.model_fields.items():
            alias = info.validation_alias
            choices = getattr(alias, "choices", None)
            names |= {str(c) for c in choices} if choices else {f"{prefix}{field}".upper()}
    return names


def test_compose_holds_no_literal_password() -> None:
    text_ = COMPOSE.read_text()
    for name, service in services().items():
        for key, value in environment(service).items():
            if key.endswith("HOP_SECRETS"):  # peer=key pairs: every key a ${VAR}
                for pair in value.split(","):
                    assert INTERPOLATION.fullmatch(pair.partition("=")[2]), (
                        f"{name}: {key}'s keys must be ${{VAR}}, not literals"
                    )
            elif SECRET_NAME.search(key):
                assert INTERPOLATION.fullmatch(value), (
                    f"{name}: {key} must be ${{VAR}}, not a literal"
                )
            # A URL may carry a password only as ${VAR}: mask interpolations, then look.
            masked = INTERPOLATION.sub("\x00", value)
            for url in re.findall(r"[a-z0-9+]+://[^\s\"']+", masked):
                credentials = url.split("://", 1)[1].rpartition("@")[0]
                if ":" in credentials:
                    secret = credentials.split(":", 1)[1]
                    assert secret == "\x00", f"{name}: {key} has a literal password in its URL"
    for key, value in env_example().items():
        if SECRET_NAME.search(key):
            assert value not in text_, (
                f"the value of {key} from .env.example is in the compose file"
            )


def test_env_example_has_placeholders_and_env_stays_private() -> None:
    values = env_example()
    assert "SAP_DB_PASSWORD" in values
    for key, value in values.items():
        if SECRET_NAME.search(key):
            assert "change" in value.lower(), f"{key} in .env.example must be a placeholder"
    gitignore = (REPO / ".gitignore").read_text().split()
    assert ".env" in gitignore
    patterns = dockerignore_patterns()
    assert dockerignored(".env", patterns), ".env must not reach the build context"
    # Nor make run's dev folder: its CA key, server key and kept secrets.
    assert ".dev/" in gitignore
    for kept in (".dev/secrets.env", ".dev/tls/ca-key.pem", ".dev/tls/server-key.pem"):
        assert dockerignored(kept, patterns), f"{kept} must not reach the build context"


# --------------------------------------------------------------------------- Dockerfile
def test_dockerfile_is_multi_stage_slim_non_root() -> None:
    instructions = dockerfile_instructions()
    stages = [args for word, args in instructions if word == "FROM"]
    assert len(stages) >= 2, "build in one stage, run in another"
    args = {
        a.split("=", 1)[0]: a.split("=", 1)[1] for w, a in instructions if w == "ARG" and "=" in a
    }
    final_from = shlex.split(stages[-1])[0]
    base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), final_from)
    assert base.startswith("python:3.11-slim"), base

    final = final_stage()
    runs = " ".join(a for w, a in final if w == "RUN")
    for tool in ("build-essential", "gcc", "g++", "make ", "libpq-dev"):
        assert tool not in runs, f"the final stage installs {tool.strip()}"
    users = [a for w, a in final if w == "USER"]
    assert users, "the final stage runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")

    copies = [copy_sources(a) for w, a in final if w == "COPY"]
    venv = [flags for _, _, flags in copies if flags.get("from")]
    assert venv, "the final stage takes the virtual environment from the builder"
    # The entrypoint is where ENTRYPOINT says, copied executable.
    entry = yaml.safe_load(next(a for w, a in final if w == "ENTRYPOINT"))
    workdir = next(a for w, a in reversed(final) if w == "WORKDIR")
    placed = {
        (Path(workdir) / dest).as_posix(): flags
        for sources, dest, flags in copies
        if not flags.get("from") and sources == ["docker/entrypoint.sh"]
    }
    assert entry[0] in placed, f"ENTRYPOINT {entry[0]} is not where entrypoint.sh is copied"
    mode = placed[entry[0]].get("chmod")
    assert (mode and int(mode, 8) & 0o111) or os.access(ENTRYPOINT, os.X_OK), "not executable"


def test_dockerfile_copy_sources_exist_and_reach_the_context() -> None:
    patterns = dockerignore_patterns()
    for word, arguments in dockerfile_instructions():
        if word not in ("COPY", "ADD"):
            continue
        sources, _, flags = copy_sources(arguments)
        if flags.get("from"):
            continue
        for source in sources:
            path = REPO / source
            assert path.exists(), f"COPY {source}: no such file in the build context"
            if source.rstrip("/") != ".":
                assert not dockerignored(source.rstrip("/"), patterns), (
                    f"{source} is .dockerignored"
                )


def test_dockerfile_copies_every_apps_migrations() -> None:
    """The final image holds what netapps reads for each app in netapps.toml."""
    patterns = dockerignore_patterns()
    copied: list[str] = []
    for word, arguments in final_stage():
        if word == "COPY":
            sources, _, flags = copy_sources(arguments)
            if not flags.get("from"):
                copied += [s.rstrip("/") for s in sources]
    needed = ["netapps.toml", "run_all_migrations.py"]
    for app in APPS.values():
        folder = app.folder.relative_to(REPO).as_posix()
        if app.kind == "alembic":
            needed += [f"{folder}/alembic.ini", f"{folder}/alembic"]
        else:
            needed.append(f"{folder}/migrations")
    for path in needed:
        assert path in copied, f"the final stage does not COPY {path}"
        for file in [REPO / path] if (REPO / path).is_file() else (REPO / path).rglob("*"):
            relative = file.relative_to(REPO).as_posix()
            if file.is_file() and "__pycache__" not in relative:
                assert not dockerignored(relative, patterns), f"{relative} is .dockerignored"


# ------------------------------------------------------------------------- entrypoint.sh
def test_entrypoint_is_posix_sh_and_executable() -> None:
    lines = ENTRYPOINT.read_text().splitlines()
    assert lines[0] == "#!/bin/sh"
    assert "set -eu" in lines
    assert os.access(ENTRYPOINT, os.X_OK), "chmod +x docker/entrypoint.sh"
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True)
    if shutil.which("shellcheck"):
        done = subprocess.run(
            ["shellcheck", "-s", "sh", str(ENTRYPOINT)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout


def test_entrypoint_runs_the_command_without_migrating_by_default(tmp_path: Path) -> None:
    env = entrypoint_env(PATH="/usr/bin:/bin")  # no netapps on PATH: it must not be needed
    done = run(
        [ENTRYPOINT, "sh", "-c", 'echo "$0 $1" > marker; exit 7', "a b", "c"], env=env, cwd=tmp_path
    )
    assert done.returncode == 7, "the command's exit code is the container's"
    assert (tmp_path / "marker").read_text() == "a b c\n", "arguments pass through unchanged"


def test_entrypoint_refuses_an_unknown_migrate_on_start(tmp_path: Path) -> None:
    env = entrypoint_env(MIGRATE_ON_START="ture")
    done = run([ENTRYPOINT, "sh", "-c", "echo started > marker"], env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "MIGRATE_ON_START" in done.stderr
    assert not (tmp_path / "marker").exists()


@pytest.fixture
def sqlite_urls(tmp_path: Path) -> dict[str, str]:
    """One SQLite file per non-SAP app, in tmp_path, shared by every replica."""
    data = tmp_path / "data"
    data.mkdir()
    return {
        app.url_env: f"sqlite:///{data / (app.name + '.db')}"
        for app in APPS.values()
        if app.name != "sap"
    }


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_four_replicas_migrate_every_database_exactly_once(
    driver: str, pg_database: URL, sqlite_urls: dict[str, str], tmp_path: Path
) -> None:
    sap_url = pg_database.set(drivername=f"postgresql+{driver}")
    env = entrypoint_env(
        write_config(tmp_path / "netapps.toml"),
        NETAPPS_ENV="production",
        SAP_DATABASE_URL=sap_url.render_as_string(hide_password=False),
        MIGRATE_ON_START="1",
        MIGRATE_ARGS="--lock-timeout 120",
        **sqlite_urls,
    )
    results = run_replicas(REPLICAS, env, tmp_path)

    for n, (code, stderr) in enumerate(results):
        assert code == 0, f"replica {n} exited {code}:\n{stderr}"
        assert "netapps migrate --lock-timeout 120" in stderr, "MIGRATE_ARGS reached netapps"
        assert (tmp_path / f"marker-{n}").read_text() == "started\n", f"replica {n} did not start"

    apps = {app.name: app for app in APPS.values()}
    databases: dict[str, URL | str] = {"sap": pg_database}
    for app in apps.values():
        if app.name != "sap":
            databases[app.name] = sqlite_urls[app.url_env]
    for name, url in databases.items():
        dialect = "postgresql" if name == "sap" else "sqlite"
        expected = revision_ids(apps[name], dialect)
        assert expected, f"{name} has no revisions to apply"
        rows = {rev: count for (app, rev), count in up_rows(url).items() if app == name}
        assert set(rows) == expected, f"{name}: applied {sorted(rows)}, expected {sorted(expected)}"
        twice = {rev: count for rev, count in rows.items() if count != 1}
        assert not twice, f"{name}: applied more than once: {twice}"

    # Nothing is pending afterwards, and no backup was needed (every database started empty).
    status = netapps("status", "--exit-code", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert not any((tmp_path / "backups").rglob("*.db")) and not any(
        (tmp_path / "backups").rglob("*.dump")
    )


def broken_app_config(tmp_path: Path) -> Path:
    """A config whose one app has a migration that fails half-way (and rolls back)."""
    folder = tmp_path / "broken"
    (folder / "migrations").mkdir(parents=True)
    (folder / "migrations" / "001_create_things.up.sql").write_text(
        "CREATE TABLE things (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    (folder / "migrations" / "001_create_things.down.sql").write_text("DROP TABLE things;\n")
    return write_config(
        tmp_path / "netapps.toml",
        ["broken"],
        folders={"broken": folder},
        app_settings={"broken": {"kind": "sql"}},
    )


def test_a_failing_migration_stops_every_replica_before_its_command(tmp_path: Path) -> None:
    env = entrypoint_env(
        broken_app_config(tmp_path),
        NETAPPS_ENV="dev",
        MIGRATE_ON_START="1",
    )
    results = run_replicas(2, env, tmp_path, timeout=120)
    for n, (code, stderr) in enumerate(results):
        assert code == 4, f"replica {n} exited {code}, expected 4 (migration failed):\n{stderr}"
        assert "not started" in stderr
        assert not (tmp_path / f"marker-{n}").exists(), f"replica {n} ran its command"
    assert up_rows(f"sqlite:///{tmp_path / 'broken' / 'broken.db'}") == {}


def test_an_unreachable_database_stops_the_command(
    tmp_path: Path, sqlite_urls: dict[str, str]
) -> None:
    env = entrypoint_env(
        write_config(tmp_path / "netapps.toml"),
        NETAPPS_ENV="production",
        SAP_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere",
        MIGRATE_ON_START="1",
        MIGRATE_ARGS="--lock-timeout 5",
        **sqlite_urls,
    )
    done = run([ENTRYPOINT, "sh", "-c", "echo started > marker"], env=env, cwd=tmp_path)
    assert done.returncode == 3, f"expected 3 (unreachable), got {done.returncode}:\n{done.stderr}"
    assert not (tmp_path / "marker").exists()


def test_entrypoint_fails_clearly_without_netapps_on_path(tmp_path: Path) -> None:
    env = entrypoint_env(MIGRATE_ON_START="1", PATH="/usr/bin:/bin")
    done = run([ENTRYPOINT, "sh", "-c", "echo started > marker"], env=env, cwd=tmp_path)
    if shutil.which("netapps", path="/usr/bin:/bin"):
        pytest.skip("netapps is installed system-wide here")
    assert done.returncode == 127
    assert "netapps is not on PATH" in done.stderr
    assert not (tmp_path / "marker").exists()
