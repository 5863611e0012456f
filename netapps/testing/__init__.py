"""A fresh migrated database for every test, in milliseconds: each app's database is built once
per set of migration checksums (through netapps' own migrate path) and then cloned —
``CREATE DATABASE … TEMPLATE`` on PostgreSQL, a file copy on SQLite.

``cache`` is the Python API (:class:`TemplateCache`, :func:`migrated_database`), ``plugin``
the pytest plugin built on it (fixtures ``netapps_db`` and ``netapps_templates``); ``key``
says what a template depends on, ``build`` builds one, ``sqlite_templates`` and
``postgres_templates`` store and clone them, ``server`` finds a PostgreSQL server for tests.
"""

from __future__ import annotations

from netapps.testing.cache import TemplateCache, migrated_database
from netapps.testing.key import TemplateKey, template_key

__all__ = ["TemplateCache", "TemplateKey", "migrated_database", "template_key"]
