"""Alembic environment for SAP_clone: the shared implementation lives in netapps."""

from sap_clone.models import Base

from netapps.runtime.env import run_alembic_env

run_alembic_env(Base.metadata)
