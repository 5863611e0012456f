"""The database engines netapps supports, chosen once from a URL through a registry.

Adding an engine is one new module here (a :class:`~netapps.engines.base.DatabaseEngine`
subclass with its ``name``) imported below, plus its tests. A URL of any other kind is refused
with one line before anything runs: no command acts on a database it cannot lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netapps.engines import postgresql, sqlite  # noqa: F401  (each registers its engine)
from netapps.engines.base import REGISTRY, DatabaseEngine
from netapps.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL


class UnsupportedEngine(UsageError):
    """A database of a kind netapps cannot lock, back up or inspect."""


def supported() -> str:
    return ", ".join(sorted(REGISTRY))


def engine_named(backend: str, *, what: str = "this database") -> DatabaseEngine:
    cls = REGISTRY.get(backend)
    if cls is None:
        raise UnsupportedEngine(
            f"{what}: netapps does not support {backend} databases (it supports {supported()}); "
            "point the URL at one of those"
        )
    return cls()


def engine_for(url: URL, *, what: str = "this database") -> DatabaseEngine:
    """The engine of ``url``'s kind of database, or UnsupportedEngine."""
    return engine_named(url.get_backend_name(), what=what)


def fast_engine(scheme: str) -> type[DatabaseEngine] | None:
    """The engine whose fast path reads URLs of ``scheme``; None: the full path answers."""
    for cls in REGISTRY.values():
        if scheme in cls.fast_schemes:
            return cls
    return None
