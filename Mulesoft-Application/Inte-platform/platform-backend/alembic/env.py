"""Alembic environment for Mulesoft: the shared implementation lives in netapps."""

from integration_platform.models import Base

from netapps.runtime.env import run_alembic_env

run_alembic_env(Base.metadata)
