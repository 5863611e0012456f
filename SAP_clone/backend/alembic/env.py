"""Alembic environment for SAP_clone: the shared implementation lives in netapps."""

from netapps.alembic_env import run_alembic_env
from sap_clone.models import Base

run_alembic_env(Base.metadata)
