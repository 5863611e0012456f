"""Builds a service: a FastAPI app on the app's migrated database, with the shared
middleware, error handlers, health and readiness routes, and the startup checks.

Startup never creates tables. It checks that the database is at the head of the app's
migrations and refuses to serve otherwise, unless ``MIGRATE_ON_START=1`` lets it migrate first
(through netapps, under its migration lock).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError

from servicekit import migrations
from servicekit.auth import PUBLIC, SERVICE_ROLE, ApiKeyResolver, Principal
from servicekit.auth_tables import AuthTables
from servicekit.db import Database
from servicekit.errors import RETRY_AFTER_SECONDS, install_error_handlers, problem_response
from servicekit.logging import configure_logging
from servicekit.messaging import inbox
from servicekit.messaging.admin import outbox_admin_router
from servicekit.messaging.outbox import SESSION_OUTBOX, MessagingSpec, Outbox
from servicekit.messaging.relay import Relay, RelayOptions
from servicekit.middleware import install_middleware
from servicekit.ratelimit import LoginLimiter
from servicekit.security import TokenService, api_key_digest, digest_in
from servicekit.settings import ServiceSettings

log = structlog.get_logger("servicekit.service")


class ServiceRefused(Exception):
    """The service must not serve: one line that says why and what to do."""


class ConfigurationRefused(ServiceRefused):
    """The settings do not allow serving (exit code 2, as for any bad setting)."""


def check_messaging(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Outside dev, a service that takes part in flows refuses to start without hop keys: it
    would accept requests whose messages could never travel."""
    if spec.messaging is None or settings.environment == "dev" or settings.hops_configured:
        return
    raise ConfigurationRefused(
        f"{spec.app}: set {settings.env_prefix}HOP_SECRETS (one key per peer): without it "
        "this service can neither send nor accept the flows' messages"
    )


@dataclass(frozen=True)
class ServiceSpec:
    """What one service is: its netapps app, its models, its routers and its settings."""

    app: str  # the netapps name: sap, servicenow, mulesoft
    title: str
    settings_class: type[ServiceSettings]
    metadata: MetaData
    routers: Sequence[APIRouter]
    #: Creates or (in dev) resets the bootstrap administrator: (session factory, settings).
    bootstrap: Callable[[Database, ServiceSettings], Awaitable[None]] | None = None
    #: How an X-API-Key is resolved; default: the configured service key digests.
    api_key_resolver: ApiKeyResolver | None = None
    #: Its messages to and from the other services (outbox, relay, inbox), if any.
    messaging: MessagingSpec | None = None
    #: Last touches on the app once built (a vendor-shaped API's own error mapping and
    #: middleware, say): called at the end of create_app.
    configure: Callable[[FastAPI], None] | None = None
    #: Its refresh tokens and failed sign-ins (rotation, revocation, a rate limit shared by
    #: replicas); without them refresh tokens are not recorded and failures are counted in
    #: the process's memory.
    auth_tables: AuthTables | None = None


async def configured_service_keys(request: Request, key: str) -> Principal | None:
    """A key whose SHA-256 is in ``<PREFIX>SERVICE_KEY_HASHES``: a service caller."""
    settings: ServiceSettings = request.app.state.settings
    if not digest_in(key, settings.service_keys):
        return None
    return Principal(api_key_digest(key)[:12], "service", frozenset({SERVICE_ROLE}), "service")


async def prepare_database(spec: ServiceSpec, settings: ServiceSettings, db: Database) -> None:
    """Refuse (ServiceRefused) unless the database is at head; migrate first if allowed."""
    heads = migrations.expected_heads(db.info)
    if settings.migrate_on_start:
        current = await migrations.current_revisions(db.engine, db.info)
        if current != heads:
            code, output = await to_thread.run_sync(migrations.migrate, spec.app)
            if code != 0:
                last = output.strip().splitlines()[-1:] or [f"exit code {code}"]
                raise ServiceRefused(f"{spec.app}: migrating on start failed: {last[0]}")
    try:
        current = await migrations.current_revisions(db.engine, db.info)
    except Exception as exc:
        raise ServiceRefused(
            f"{spec.app}: cannot reach the database {db.info.display_url} "
            f"({type(exc).__name__}); check {spec.app.upper()}_DATABASE_URL and that it runs"
        ) from None
    if current != heads:
        raise ServiceRefused(migrations.behind_message(db.info, current, heads))


def create_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    """The service's ASGI app. ``settings`` default to the environment's."""
    settings = settings or spec.settings_class()
    configure_logging(settings.json_logs, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_messaging(spec, settings)
        outbox = getattr(app.state, "outbox", None)
        db = Database(
            migrations.app_database(spec.app, spec.metadata),
            settings.pool_size,
            session_info={SESSION_OUTBOX: outbox} if outbox is not None else None,
        )
        try:
            await prepare_database(spec, settings, db)
            if spec.bootstrap is not None:
                try:
                    await spec.bootstrap(db, settings)
                except IntegrityError:
                    # Another replica starting at the same moment made the administrator
                    # first: this time it is found.
                    await spec.bootstrap(db, settings)
        except BaseException:
            await db.dispose()
            raise
        app.state.database = db
        app.state.heads = migrations.expected_heads(db.info)
        relay_task = start_relay(spec, settings, db)
        log.info(
            "service_started",
            service=spec.app,
            database=db.info.display_url,
            relay=relay_task is not None,
        )
        try:
            yield
        finally:
            if relay_task is not None:
                relay_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay_task
            await db.dispose()

    app = FastAPI(
        title=spec.title,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = spec.app
    app.state.tokens = TokenService(
        settings.secret, spec.app, settings.access_token_minutes, settings.refresh_token_minutes
    )
    app.state.auth_tables = spec.auth_tables
    app.state.login_limiter = LoginLimiter(
        settings.login_rate_limit,
        spec.auth_tables.login_failures if spec.auth_tables is not None else None,
    )
    app.state.api_key_resolver = spec.api_key_resolver or configured_service_keys
    install_error_handlers(app)
    install_middleware(app, settings.allowed_origins)
    app.include_router(health_router)
    for router in spec.routers:
        app.include_router(router)
    if spec.messaging is not None:
        app.state.messaging = spec.messaging
        app.state.outbox = Outbox(
            spec.messaging, spec.app, settings.hop_key_for, f"{settings.env_prefix}HOP_SECRETS"
        )
        app.include_router(inbox.router)
        app.include_router(outbox_admin_router(*spec.messaging.admin_roles))
    if spec.configure is not None:
        spec.configure(app)
    return app


def start_relay(
    spec: ServiceSpec, settings: ServiceSettings, db: Database
) -> asyncio.Task[None] | None:
    """The relay of this process, when the service has messages and hops are configured."""
    if spec.messaging is None or not settings.relay_enabled:
        return None
    if not settings.hops_configured:
        log.warning(
            "relay_not_started",
            reason=f"set {settings.env_prefix}HOP_SECRET to exchange messages with the others",
        )
        return None
    options = RelayOptions(
        poll_seconds=settings.relay_poll_seconds,
        batch=settings.relay_batch,
        lease_seconds=settings.relay_lease_seconds,
        backoff_seconds=settings.relay_backoff_seconds,
        backoff_max_seconds=settings.relay_backoff_max_seconds,
        max_attempts=settings.relay_max_attempts,
        ca_file=settings.tls_ca_file,
    )
    relay = Relay(db, spec.messaging, spec.app, settings.hop_key_for, settings.peer_urls, options)
    return asyncio.create_task(relay.run(), name=f"{spec.app}-relay")


health_router = APIRouter(tags=["health"], dependencies=[Depends(PUBLIC)])


@health_router.get("/health", summary="The process is alive")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get("/ready", summary="The database answers and is at head", response_model=None)
async def ready(request: Request) -> dict[str, Any] | JSONResponse:
    db: Database = request.app.state.database
    heads: tuple[str, ...] = request.app.state.heads
    try:
        current = await migrations.current_revisions(db.engine, db.info) or ()
    except Exception as exc:
        return problem_response(
            request,
            503,
            f"the database cannot be reached ({type(exc).__name__})",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    if current != heads:
        return problem_response(
            request, 503, f"the database is at {', '.join(current) or 'no revision'}, not at head"
        )
    return {"status": "ready", "revision": ", ".join(current)}
