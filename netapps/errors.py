"""Errors a user can act on, each with the exit code the CLI documents.

Every error message is one line that says what is wrong and what to do; the CLI prints it
without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

# Exit codes, documented in the README. Scripts depend on them: never renumber.
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_MIGRATION_FAILED = 4
EXIT_CHECK_FAILED = 5
EXIT_LOCK_TIMEOUT = 6
EXIT_BACKUP = 7


class NetappsError(Exception):
    """An error with a one-line message meant for the user."""

    exit_code = EXIT_UNEXPECTED


class UsageError(NetappsError):
    """Bad input: unknown app or revision, malformed URL, bad configuration."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """netapps.toml or an environment variable says something netapps cannot use."""


class UnknownAppError(UsageError):
    pass


class RevisionError(UsageError):
    """An unknown, ambiguous or out-of-range revision."""


class UnreachableError(NetappsError):
    """The database cannot be reached: wrong host, credentials, missing driver or folder."""

    exit_code = EXIT_UNREACHABLE


class MigrationFailed(NetappsError):
    """A migration ran and failed; its transaction was rolled back."""

    exit_code = EXIT_MIGRATION_FAILED


class CheckFailed(NetappsError):
    """A check found something wrong (heads, drift, pending, edited migrations)."""

    exit_code = EXIT_CHECK_FAILED


class LockTimeout(NetappsError):
    """Another migrator held the database's migration lock for longer than allowed."""

    exit_code = EXIT_LOCK_TIMEOUT


class BackupError(NetappsError):
    """A backup could not be made, verified or restored, or a backup file cannot be restored
    here (no manifest, a failed checksum or integrity check, another app's, tenant's, engine's
    or database's); nothing was changed."""

    exit_code = EXIT_BACKUP
