"""Alembic environment for Mulesoft: the shared implementation lives in netapps."""

from netapps.alembic_env import run_alembic_env
from integration_platform.models import Base

run_alembic_env(Base.metadata)
