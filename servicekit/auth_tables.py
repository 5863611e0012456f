"""The two tables behind sign-in every service has, defined once on each app's metadata.

``refresh_tokens``: every refresh token handed out, by its id (the JWT's ``jti``), with its
family (the tokens that descend from one login by rotation). A refresh uses a token once: a
token presented a second time means it was copied, and its whole family is revoked.
``login_failures``: failed sign-ins per client address and per name, in the database so
that every replica of a service counts the same attempts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Index, Integer, MetaData, String, Table

from appdb.types import UTCDateTime

TOKEN_ID_LENGTH = 32
LIMIT_KEY_LENGTH = 300


@dataclass(frozen=True)
class AuthTables:
    refresh_tokens: Table
    login_failures: Table


def define_auth_tables(metadata: MetaData, schema: str | None = None) -> AuthTables:
    """Adds both tables to ``metadata`` (the app's models, in ``schema``) and returns them."""
    refresh_tokens = Table(
        "refresh_tokens",
        metadata,
        Column("token_id", String(TOKEN_ID_LENGTH), primary_key=True),
        Column("family_id", String(TOKEN_ID_LENGTH), nullable=False, index=True),
        Column("user_id", Integer, nullable=False, index=True),
        Column("issued_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        #: When it was exchanged for a new pair; a second exchange is a reuse.
        Column("used_at", UTCDateTime),
        Column("revoked_at", UTCDateTime),
        schema=schema,
    )
    login_failures = Table(
        "login_failures",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        #: ``ip:<address>`` or ``user:<name in lower case>``.
        Column("limit_key", String(LIMIT_KEY_LENGTH), nullable=False),
        Column("failed_at", UTCDateTime, nullable=False),
        Index("ix_login_failures_limit_key_failed_at", "limit_key", "failed_at"),
        schema=schema,
    )
    return AuthTables(refresh_tokens, login_failures)
