"""Alembic environment for ServiceNow: the shared implementation lives in netapps."""

from servicenow.models import Base

from netapps.runtime.env import run_alembic_env

run_alembic_env(Base.metadata)
