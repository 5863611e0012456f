"""Database URLs: parsing with a clear error, masking and driver checks. What a URL means for
one kind of database (a SQLite file's path, say) is its engine's business (netapps.engines)."""

from __future__ import annotations

import importlib.util

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from netapps.errors import UnreachableError, UsageError

# The module each driver imports, and the package that provides it.
_DRIVER_PACKAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("postgresql", "psycopg"): ("psycopg", "psycopg[binary]"),
    ("postgresql", "psycopg_async"): ("psycopg", "psycopg[binary]"),
    ("postgresql", "psycopg2"): ("psycopg2", "psycopg2-binary"),
    ("postgresql", "asyncpg"): ("asyncpg", "asyncpg"),
    ("sqlite", "pysqlite"): ("sqlite3", "(Python's sqlite3 module)"),
    ("sqlite", "aiosqlite"): ("aiosqlite", "aiosqlite"),
    ("mysql", "pymysql"): ("pymysql", "pymysql"),
    ("mysql", "mysqldb"): ("MySQLdb", "mysqlclient"),
}


def parse_url(text: str, *, what: str) -> URL:
    """Parse ``text`` as a SQLAlchemy URL; ``what`` names where it came from for the error.

    A URL that does not parse, or parses in a way that could misplace a password (an
    unencoded ``@``, a mistyped ``://`` that turns the credentials into a database name), is
    refused without being shown: it may hold a password that masking cannot find."""
    refused = UsageError(
        f"{what}: cannot parse the database URL unambiguously (not shown: it may hold a "
        "password); write it as dialect+driver://user:password@host:port/database, with "
        "special characters in the password percent-encoded (@ as %40, / as %2F), or "
        "sqlite:///path.db"
    )
    text = text.strip()
    _scheme, separator, rest = text.partition("://")
    try:
        url = make_url(text)
        url.port  # noqa: B018  (a non-numeric port fails here, not later)
    except (ArgumentError, ValueError):
        raise refused from None
    if not separator:
        raise refused
    if url.get_backend_name() != "sqlite":
        before_query = rest.partition("?")[0]
        ambiguous = before_query.count("@") > 1 or (
            "@" in before_query and url.username is None and url.password is None
        )
        if ambiguous or "@" in (url.host or "") or "@" in (url.database or ""):
            raise refused
    check_dialect(url, what=what)
    return url


#: Query parameters that carry a secret (libpq's and the drivers' spellings).
SECRET_PARAMETERS = frozenset({"password", "passwd", "pwd", "sslpassword"})


def secrets(url: URL) -> list[str]:
    """Every secret the URL holds: its password, and passwords given as query parameters."""
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if key.lower() in SECRET_PARAMETERS:
            found += [value] if isinstance(value, str) else list(value)
    return [s for s in found if s]


def mask(url: URL) -> str:
    """The URL as text with its password (and password parameters) replaced by ***."""
    hidden = {k: "***" for k in url.query if k.lower() in SECRET_PARAMETERS}
    if hidden:
        url = url.update_query_dict(hidden)
    return url.render_as_string(hide_password=True)


def driver_name(url: URL) -> str:
    """The driver, as SQLAlchemy itself chooses it: a bare ``postgresql://`` means the
    dialect's default driver (psycopg 3 since SQLAlchemy 2.1), not a guess of ours."""
    return str(url.get_dialect().driver)


def check_dialect(url: URL, *, what: str) -> None:
    """An unknown dialect (``postgres://``) is a typo in the URL, not a package to install."""
    from sqlalchemy.exc import NoSuchModuleError

    try:
        url.get_dialect()
    except NoSuchModuleError:
        backend = url.get_backend_name()
        hint = (
            "postgresql" if backend in ("postgres", "pg", "psql") else "sqlite, postgresql or mysql"
        )
        raise UsageError(
            f"{what}: unknown database dialect '{url.drivername}' in {mask(url)}; use {hint}"
        ) from None


def check_driver(url: URL, *, app: str) -> None:
    """Fail with the package to install when the URL's driver is not importable."""
    key = (url.get_backend_name(), driver_name(url))
    module, package = _DRIVER_PACKAGES.get(key, (key[1], key[1]))
    if importlib.util.find_spec(module) is None:
        raise UnreachableError(
            f"{app}: the database driver '{key[1]}' for {mask(url)} is not installed; "
            f"run: pip install {package}"
        )
