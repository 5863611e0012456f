"""The platform's refresh tokens and failed sign-ins: see :mod:`servicekit.auth_tables`."""

from __future__ import annotations

from servicekit.auth_tables import define_auth_tables

from .base import Base

AUTH = define_auth_tables(Base.metadata)
