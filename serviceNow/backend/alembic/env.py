"""Alembic environment for ServiceNow: the shared implementation lives in netapps."""

from netapps.alembic_env import run_alembic_env
from servicenow.models import Base

run_alembic_env(Base.metadata)
