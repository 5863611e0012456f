"""ServiceNow's service: its spec (routers, settings, bootstrap) and the ASGI app factory."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.accounts import auth_router
from servicekit.db import Database
from servicekit.email_users import EmailAccounts, users_router
from servicekit.messaging.outbox import MessagingSpec
from servicekit.runner import serve
from servicekit.service import ServiceSpec
from servicekit.service import create_app as create_service_app
from servicekit.settings import ServiceSettings
from servicenow.api.deps import ADMIN, ADMIN_RULE, ROLES
from servicenow.api.routers import password_resets, table_api, tickets
from servicenow.api.settings import ServiceNowSettings
from servicenow.flows import PARTS
from servicenow.models import AUTH, MESSAGING, Base, User

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


SPEC = ServiceSpec(
    app="servicenow",
    title="ServiceNow",
    settings_class=ServiceNowSettings,
    metadata=Base.metadata,
    routers=[
        auth_router(ACCOUNTS, ROLES),
        users_router(ACCOUNTS, ROLES, ADMIN_RULE),
        tickets.router,
        table_api.router,
        password_resets.router,
    ],
    bootstrap=bootstrap,
    auth_tables=AUTH,
    messaging=MessagingSpec(tables=MESSAGING, parts=PARTS, admin_roles=(ADMIN,)),
)


def create_app(settings: ServiceNowSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)


def main() -> None:
    """Serves it under uvicorn (``python -m`` the package, or the console script)."""
    serve(SPEC)
