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
    """Parse ``text`` as a SQLAlchemy URL; ``what`` names where it came from for the error."""
    try:
        url = make_url(text.strip())
        url.port  # noqa: B018  (a non-numeric port fails here, not later)
    except (ArgumentError, ValueError):
        raise UsageError(
            f"{what}: cannot parse database URL {mask_text(text)!r}; "
            "expected dialect+driver://user@host:port/database or sqlite:///path.db"
        ) from None
    check_dialect(url, what=what)
    return url


def mask(url: URL) -> str:
    """The URL as text with its password replaced by ***."""
    return url.render_as_string(hide_password=True)


def mask_text(text: str) -> str:
    """Mask a password in URL-like text that may not even parse."""
    scheme, sep, rest = text.partition("://")
    if not sep or "@" not in rest:
        return text
    credentials, _, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"


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
