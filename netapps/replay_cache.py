"""The replay cache: what an empty → head run executed, per app, engine and set of migration
checksums, so that the next empty database of that app is built by replaying it with the plain
driver (netapps.replay) instead of importing SQLAlchemy, Alembic and the app's migrations.

Where: ``$NETAPPS_REPLAY_CACHE`` if set, else ``$XDG_CACHE_HOME/netapps/replay``, else
``~/.cache/netapps/replay``; ``NETAPPS_REPLAY=0`` turns replaying (and recording) off. One
JSON file per key, named by the key: a SHA-256 over the app, its kind, the engine and driver,
every migration file's checksum (so editing, adding or removing a file changes the key), the
checksums of the app's ``alembic/env.py`` and ``alembic.ini``, and the versions of netapps,
SQLAlchemy and Alembic. A file is written atomically (temporary name, then rename) with mode
0600, and holds a keyed MAC of its own body (HMAC-SHA256 with the installation's key,
netapps.signing): a truncated, corrupt or stale file is ignored (the full path runs and writes
it again); one that is edited, forged, another user's, or writable by others (or in a folder
others can write) is refused with one warning line, and the full path runs. Deleting the
folder is always safe.

Standard library only: the replay reads this without importing SQLAlchemy.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netapps import __version__, signing
from netapps.sources import revisions, sql_files

#: Bumped whenever the file's layout or the meaning of a recording changes.
FORMAT = 3
#: Engines whose recordings the replay can run, by URL scheme: the plain driver must be the
#: one the recording was made with (same placeholders, same parameter types).
REPLAYABLE_SCHEMES = {
    "sqlite": "sqlite3",
    "sqlite+pysqlite": "sqlite3",
    "sqlite+aiosqlite": "sqlite3",
    "postgresql+psycopg": "psycopg",
}


def replay_scheme(scheme: str) -> str | None:
    """The cache's name for a URL scheme whose recordings the replay can run ("sqlite" for
    every SQLite driver: all are sqlite3 underneath), else None. A bare ``postgresql`` is
    psycopg2 to SQLAlchemy: only the explicit ``postgresql+psycopg`` is psycopg."""
    if scheme not in REPLAYABLE_SCHEMES:
        return None
    return "sqlite" if scheme.startswith("sqlite") else scheme


class Unsupported(Exception):
    """A value or a situation a recording cannot hold: nothing is cached."""


def enabled() -> bool:
    return os.environ.get("NETAPPS_REPLAY", "1") not in ("0", "false", "no", "off")


def cache_folder() -> Path:
    if os.environ.get("NETAPPS_REPLAY_CACHE"):
        return Path(os.environ["NETAPPS_REPLAY_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netapps" / "replay"


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "-"


def _library_version(name: str) -> str:
    """A library's version from its installed metadata folder name (importing it, or
    importlib.metadata, would cost what the replay saves)."""
    import sys

    for entry in sys.path:
        try:
            for child in os.scandir(entry or "."):
                lowered = child.name.lower()
                if lowered.startswith(f"{name}-") and lowered.endswith(".dist-info"):
                    return child.name[len(name) + 1 : -len(".dist-info")]
        except OSError:
            continue
    return "?"


def _code_digest() -> str:
    """The sources of appdb and of netapps' re-exports of it, which migrations import: an
    edited column type renders other DDL, so it makes another recording."""
    package = Path(__file__).resolve().parent
    files = sorted((package.parent / "appdb").glob("*.py"))
    files += [package / "ops.py", package / "model_types.py"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(_file_digest(path).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Chain:
    """An app's migration files as the cache key sees them: every revision with its checksum,
    in file order, and its one head (None: several heads, not a case for the replay)."""

    revisions: tuple[tuple[str, str], ...]
    head: str | None


def read_chain(kind: str, folder: Path, engine: str) -> Chain:
    if kind == "alembic":
        revs = revisions.read_alembic_folder(folder / "alembic" / "versions", ids_only=True)
        heads = revisions.heads_of(revs)
        entries = tuple(
            (r.id, f"{r.checksum}:{','.join(sorted(r.parents))}:{','.join(sorted(r.dependencies))}")
            for r in revs
        )
        return Chain(entries, heads[0] if len(heads) == 1 else None)
    migrations = sql_files.discover(folder / "migrations", engine)
    entries = tuple((m.version, f"{m.checksum}:{m.pair_checksum}") for m in migrations)
    return Chain(entries, migrations[-1].version if migrations else None)


def cache_key(
    app: str,
    kind: str,
    folder: Path,
    engine: str,
    scheme: str,
    chain: Chain,
    *,
    in_schema: bool = False,
) -> str:
    """``in_schema``: the recording of a build in a PostgreSQL schema of its own (a schema
    tenant, reached through its search_path), kept apart from a whole database's."""
    parts: dict[str, Any] = {
        "format": FORMAT,
        "netapps": __version__,
        "app": app,
        "kind": kind,
        "engine": engine,
        "driver": REPLAYABLE_SCHEMES.get(scheme, scheme),
        "revisions": list(chain.revisions),
        "head": chain.head,
    }
    if in_schema:
        parts["in_schema"] = True
    if kind == "alembic":
        # What the revision files import to build their DDL (replay_record._IMPORTABLE).
        parts["appdb"] = _code_digest()
        parts["env.py"] = _file_digest(folder / "alembic" / "env.py")
        parts["alembic.ini"] = _file_digest(folder / "alembic.ini")
        parts["sqlalchemy"] = _library_version("sqlalchemy")
        parts["alembic"] = _library_version("alembic")
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# -- parameter values, as JSON ----------------------------------------------------------------
def encode_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    raise Unsupported(f"a parameter of type {type(value).__name__}")


_DECODERS: dict[str, Any] = {
    "$bytes": base64.b64decode,
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$decimal": decimal.Decimal,
    "$uuid": uuid.UUID,
}


def decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return _DECODERS[tag](text)
    return value


def encode_params(params: Any) -> Any:
    """One statement's parameters: None (none passed), a list (positional) or a dict."""
    if params is None:
        return None
    if isinstance(params, dict):
        return {"named": {str(k): encode_value(v) for k, v in params.items()}}
    if isinstance(params, (list, tuple)):
        return {"positional": [encode_value(v) for v in params]}
    raise Unsupported(f"parameters of type {type(params).__name__}")


def decode_params(params: Any) -> Any:
    if params is None:
        return None
    if "named" in params:
        return {k: decode_value(v) for k, v in params["named"].items()}
    return tuple(decode_value(v) for v in params["positional"])


# -- the file ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    sql: str
    #: None, or the encoded parameters (a list of them for executemany).
    params: Any
    many: bool
    #: Ran outside any transaction (an autocommit block, a no-transaction file).
    autocommit: bool
    #: The position (or name) of the parameter holding the step's duration in milliseconds
    #: (the SQL kind's version row), filled in at replay time.
    elapsed_param: int | str | None = None


@dataclass(frozen=True)
class RecordedStep:
    revision: str
    checksum: str  # what the ledger row records
    #: Statements run since the previous step's ledger row, up to this one's.
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Recording:
    key: str
    app: str
    engine: str
    head: str
    #: Non-system schemas the empty database had (PostgreSQL): the replay needs the same.
    schemas: tuple[str, ...]
    #: Steps a production run without --allow-destructive refuses; None: not looked for (the
    #: analysis costs a first build in dev up to a second; production runs it anyway).
    destructive: tuple[str, ...] | None
    steps: tuple[RecordedStep, ...]


def _to_json(recording: Recording) -> dict[str, Any]:
    return {
        "key": recording.key,
        "app": recording.app,
        "engine": recording.engine,
        "head": recording.head,
        "schemas": list(recording.schemas),
        "destructive": None if recording.destructive is None else list(recording.destructive),
        "steps": [
            {
                "revision": s.revision,
                "checksum": s.checksum,
                "statements": [
                    [st.sql, st.params, st.many, st.autocommit, st.elapsed_param]
                    for st in s.statements
                ],
            }
            for s in recording.steps
        ],
    }


def _from_json(data: dict[str, Any]) -> Recording:
    return Recording(
        key=str(data["key"]),
        app=str(data["app"]),
        engine=str(data["engine"]),
        head=str(data["head"]),
        schemas=tuple(str(s) for s in data["schemas"]),
        destructive=None
        if data["destructive"] is None
        else tuple(str(s) for s in data["destructive"]),
        steps=tuple(
            RecordedStep(
                revision=str(s["revision"]),
                checksum=str(s["checksum"]),
                statements=tuple(
                    Statement(str(sql), params, bool(many), bool(auto), elapsed)
                    for sql, params, many, auto, elapsed in s["statements"]
                ),
            )
            for s in data["steps"]
        ),
    )


#: (No LIKE pattern: a % would be read as a placeholder by psycopg.)
#: Whether a database holds nothing at all (no table, view or sequence anywhere it could):
#: the only state a recording is made from and replayed onto.
EMPTY_QUERIES = {
    "sqlite": "SELECT count(*) FROM sqlite_master",
    "postgresql": (
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname <> 'information_schema' AND substr(n.nspname, 1, 3) <> 'pg_' "
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
    ),
}
#: Whether the schema of the search_path holds any relation: a schema tenant's whole
#: database (the other schemas are the other tenants'). A schema that does not exist yet
#: (current_schema() is then null) holds none.
EMPTY_SCHEMA_QUERY = (
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')"
)
#: The non-system schemas of an empty database (SQLite has none).
SCHEMA_QUERIES = {
    "postgresql": (
        "SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' "
        "AND substr(nspname, 1, 3) <> 'pg_' ORDER BY nspname"
    ),
}


def path_for(key: str) -> Path:
    return cache_folder() / f"{key}.json"


def save(recording: Recording) -> Path | None:
    """Write the recording with its MAC; None (nothing written) where a recording could not
    be trusted when read back: a folder others can write, a key that cannot be used."""
    body = json.dumps(_to_json(recording), sort_keys=True)
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        signing.check_folder(folder)
        mac = signing.mac(signing.installation_key(), body.encode())
    except signing.Untrusted:
        return None  # the replay says so, once, when it finds no usable recording
    document = json.dumps({"format": FORMAT, "mac": mac, "body": body})
    path = path_for(recording.key)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(document)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def load(key: str, *, warn: bool = True) -> Recording | None:
    """The recording of ``key``, or None if there is none or it is not a sound one. A file
    that is there but cannot be trusted (another user's, writable by others, in a folder
    others can write, or whose MAC does not match this installation's key) is refused with
    one warning line naming it, unless ``warn`` is False."""
    path = path_for(key)
    try:
        with open(path, encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            text = handle.read()
    except OSError:
        return None
    try:
        document = json.loads(text)
        body = document["body"]
        if document["format"] != FORMAT:
            return None  # another netapps version's layout: recorded again
        signing.check_private(path, info)
        if not signing.verify(signing.installation_key(), body.encode(), document.get("mac")):
            raise signing.Untrusted(
                "its MAC does not match this installation's key (edited, or not made here)"
            )
        recording = _from_json(json.loads(body))
    except signing.Untrusted as exc:
        if warn:
            sys.stderr.write(
                f"warning: ignoring replay recording {path}: {exc}; migrating without it\n"
            )
        return None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return recording if recording.key == key else None
