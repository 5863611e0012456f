"""Where the repository's parts are, for tests that read them."""

from __future__ import annotations

from support import APP_FOLDERS

SALESFORCE_MIGRATIONS = APP_FOLDERS["salesforce"] / "migrations"
