"""The Salesforce service: its spec (routers, settings, bootstrap) and the ASGI app factory."""

from __future__ import annotations

from fastapi import FastAPI

from salesforce_crm.api import errors
from salesforce_crm.api.routers import admin, composite, oauth, query, sobjects
from salesforce_crm.api.services import accounts
from salesforce_crm.api.services.actors import ADMIN
from salesforce_crm.api.settings import SalesforceSettings
from salesforce_crm.flows import PARTS
from salesforce_crm.models import MESSAGING, METADATA
from servicekit.db import Database
from servicekit.messaging.outbox import MessagingSpec
from servicekit.runner import serve
from servicekit.service import ServiceSpec
from servicekit.service import create_app as create_service_app
from servicekit.settings import ServiceSettings


async def bootstrap(db: Database, settings: ServiceSettings) -> None:
    """The bootstrap System Administrator and connected app, when configured (in dev their
    passwords and secret are set again at every start)."""
    assert isinstance(settings, SalesforceSettings)
    password = settings.bootstrap_password
    if not (settings.bootstrap_admin_username and password):
        return
    reset = settings.environment == "dev"
    async with db.writer() as session:
        admin_id = await accounts.ensure_admin(
            session, settings.bootstrap_admin_username, password, reset=reset
        )
        if settings.bootstrap_client_id and settings.bootstrap_secret:
            await accounts.ensure_connected_app(
                session,
                settings.bootstrap_client_id,
                settings.bootstrap_secret,
                admin_id,
                reset=reset,
            )
        await session.commit()


def configure(app: FastAPI) -> None:
    settings: SalesforceSettings = app.state.settings
    errors.install(app, settings.max_body_bytes)


SPEC = ServiceSpec(
    app="salesforce",
    title="Salesforce",
    settings_class=SalesforceSettings,
    metadata=METADATA,
    routers=[
        oauth.router,
        query.router,
        composite.router,
        sobjects.router,
        admin.router,
    ],
    bootstrap=bootstrap,
    configure=configure,
    messaging=MessagingSpec(tables=MESSAGING, parts=PARTS, admin_roles=(ADMIN,)),
)


def create_app(settings: SalesforceSettings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)


def main() -> None:
    """Serves it under uvicorn (``python -m salesforce_crm.api`` or ``salesforce-service``)."""
    serve(SPEC)
