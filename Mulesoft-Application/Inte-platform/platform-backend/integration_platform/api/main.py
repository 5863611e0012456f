"""The integration platform's service: its spec and the ASGI app factory."""

from __future__ import annotations

from fastapi import FastAPI

from integration_platform.api.deps import ADMIN, ADMIN_RULE, ROLES
from integration_platform.api.routers import api_keys, flows, integrations
from integration_platform.api.services.api_keys import resolve_key
from integration_platform.api.settings import IntegrationPlatformSettings
from integration_platform.flows import MESSAGING_SPEC, runs
from integration_platform.models import AUTH, Base, User
from servicekit.accounts import auth_router
from servicekit.db import Database
from servicekit.email_users import EmailAccounts, users_router
from servicekit.runner import serve
from servicekit.service import ServiceSpec
from servicekit.service import create_app as create_service_app
from servicekit.settings import ServiceSettings

ACCOUNTS = EmailAccounts(User, AUTH)


async def bootstrap(db: Database, settings: ServiceSettings) -> None:
    password = settings.bootstrap_password
    if settings.bootstrap_admin_username and password:
        async with db.writer() as session:
            await ACCOUNTS.ensure_admin(
                session,
                settings.bootstrap_admin_username,
                password,
                ADMIN,
                reset=settings.environment == "dev",
            )
            await session.commit()
    async with db.writer() as session:
        # Made once here rather than by the first messages, which may arrive all at once.
        if await runs.ensure_integrations(session):
            await session.commit()


SPEC = ServiceSpec(
    app="mulesoft",
    title="Integration platform",
    settings_class=IntegrationPlatformSettings,
    metadata=Base.metadata,
    routers=[
        auth_router(ACCOUNTS, ROLES),
        users_router(ACCOUNTS, ROLES, ADMIN_RULE),
        api_keys.router,
        integrations.router,
        integrations.logs_router,
        flows.router,
    ],
    bootstrap=bootstrap,
    auth_tables=AUTH,
    # Keys are the platform's own (api_keys table), owned by its users.
    api_key_resolver=resolve_key,
    messaging=MESSAGING_SPEC,
)


def create_app(settings: IntegrationPlatformSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)


def main() -> None:
    """Serves it under uvicorn (``python -m`` the package, or the console script)."""
    serve(SPEC)
