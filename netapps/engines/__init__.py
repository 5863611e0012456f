"""The database engines netapps supports, chosen once from a URL through a registry.

Each module of this package is one engine, named after the URL's backend name
(``postgresql.py`` serves ``postgresql+psycopg://…``) and holding one
:class:`~netapps.engines.base.DatabaseEngine` subclass. Adding an engine is one new module
here, plus its tests. A module is imported only when a URL of its kind is met, so the no-op
fast path pays for the engines it uses and no other. A URL of any other kind is refused with
one line before anything runs: no command acts on a database it cannot lock.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from netapps.engines.base import REGISTRY, DatabaseEngine
from netapps.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

_NOT_ENGINES = frozenset({"__init__", "base"})


class UnsupportedEngine(UsageError):
    """A database of a kind netapps cannot lock, back up or inspect."""


@cache
def names() -> tuple[str, ...]:
    """Every engine this package holds, by backend name."""
    found = (p.stem for p in Path(__file__).parent.glob("*.py") if p.stem not in _NOT_ENGINES)
    return tuple(sorted(found))


def engine_class(backend: str) -> type[DatabaseEngine] | None:
    """The engine serving ``backend``, its module imported on first use; None if none does."""
    if backend not in REGISTRY and backend in names():
        importlib.import_module(f"{__name__}.{backend}")
    return REGISTRY.get(backend)


def engine_named(backend: str, *, what: str = "this database") -> DatabaseEngine:
    cls = engine_class(backend)
    if cls is None:
        raise UnsupportedEngine(
            f"{what}: netapps does not support {backend} databases (it supports "
            f"{', '.join(names())}); point the URL at one of those"
        )
    return cls()


def engine_for(url: URL, *, what: str = "this database") -> DatabaseEngine:
    """The engine of ``url``'s kind of database, or UnsupportedEngine."""
    return engine_named(url.get_backend_name(), what=what)


def fast_engine(scheme: str) -> type[DatabaseEngine] | None:
    """The engine whose fast path reads URLs of ``scheme``; None: the full path answers."""
    cls = engine_class(scheme.partition("+")[0])
    return cls if cls is not None and scheme in cls.fast_schemes else None
