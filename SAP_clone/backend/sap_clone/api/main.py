"""SAP_clone's service: its spec (routers, settings, bootstrap) and the ASGI app factory."""

from __future__ import annotations

from fastapi import FastAPI

from sap_clone.api.roles import ADMIN
from sap_clone.api.routers import (
    approvals,
    materials,
    modules,
    password_resets,
    tickets,
    users,
    work_orders,
)
from sap_clone.api.services.users import SapAccounts, ensure_admin
from sap_clone.api.settings import SapSettings
from sap_clone.flows import PARTS
from sap_clone.models import AUTH, MESSAGING, Base
from sap_clone.models.users import USER_ROLES
from servicekit.accounts import auth_router
from servicekit.db import Database
from servicekit.messaging.outbox import MessagingSpec
from servicekit.runner import serve
from servicekit.service import ServiceSpec
from servicekit.service import create_app as create_service_app
from servicekit.settings import ServiceSettings


async def bootstrap(db: Database, settings: ServiceSettings) -> None:
    password = settings.bootstrap_password
    if settings.bootstrap_admin_username and password:
        async with db.writer() as session:
            await ensure_admin(
                session,
                settings.bootstrap_admin_username,
                password,
                reset=settings.environment == "dev",
            )


SPEC = ServiceSpec(
    app="sap",
    title="SAP_clone",
    settings_class=SapSettings,
    metadata=Base.metadata,
    routers=[
        auth_router(SapAccounts(), USER_ROLES),
        users.router,
        tickets.router,
        modules.pm_router,
        modules.mm_router,
        modules.fi_router,
        materials.router,
        approvals.router,
        work_orders.router,
        password_resets.router,
    ],
    bootstrap=bootstrap,
    auth_tables=AUTH,
    messaging=MessagingSpec(tables=MESSAGING, parts=PARTS, admin_roles=(ADMIN,)),
)


def create_app(settings: SapSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)


def main() -> None:
    """Serves it under uvicorn (``python -m`` the package, or the console script)."""
    serve(SPEC)
