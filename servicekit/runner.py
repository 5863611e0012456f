"""Serves one service under uvicorn: ``python -m sap_clone.api`` and the like.

The settings and the database are checked before uvicorn starts, so that a refusal is one
line on stderr and a non-zero exit (uvicorn would print a traceback for a failed lifespan).
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from pydantic import ValidationError

from servicekit import migrations
from servicekit.db import Database
from servicekit.service import (
    ConfigurationRefused,
    ServiceRefused,
    ServiceSpec,
    check_messaging,
    create_app,
    prepare_database,
)
from servicekit.settings import ServiceSettings, first_error_line

#: Exit codes, as netapps uses them.
EXIT_CONFIG = 2
EXIT_NOT_AT_HEAD = 5


def _refuse(app: str, message: str, code: int) -> None:
    print(f"{app}: refusing to start: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


async def _check(spec: ServiceSpec, settings: ServiceSettings) -> None:
    db = Database(migrations.app_database(spec.app, spec.metadata), pool_size=1)
    try:
        await prepare_database(spec, settings, db)
    finally:
        await db.dispose()


def serve(spec: ServiceSpec) -> None:
    try:
        settings = spec.settings_class()
    except ValidationError as exc:
        _refuse(spec.app, first_error_line(exc), EXIT_CONFIG)
        return
    try:
        check_messaging(spec, settings)
    except ConfigurationRefused as exc:
        _refuse(spec.app, str(exc).removeprefix(f"{spec.app}: "), EXIT_CONFIG)
    try:
        asyncio.run(_check(spec, settings))
    except ServiceRefused as exc:
        message = str(exc).removeprefix(f"{spec.app}: ")
        _refuse(spec.app, message, EXIT_NOT_AT_HEAD)
    except Exception as exc:  # a configuration netapps rejects (unknown app, bad URL, ...)
        _refuse(spec.app, str(exc).splitlines()[0] if str(exc) else type(exc).__name__, EXIT_CONFIG)
    # The check above already migrated when asked to; the lifespan only re-checks.
    settings = settings.model_copy(update={"migrate_on_start": False})
    uvicorn.run(
        create_app(spec, settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
    )
