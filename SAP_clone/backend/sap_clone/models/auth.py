"""Schema ``core``: SAP_clone's refresh tokens and failed sign-ins, see
:mod:`servicekit.auth_tables`."""

from __future__ import annotations

from sap_clone.models.base import Base
from servicekit.auth_tables import define_auth_tables

AUTH = define_auth_tables(Base.metadata, schema="core")
