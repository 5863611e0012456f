"""``/api/admin/connected-apps``: a System Administrator creates and lists connected apps
(problem+json, as the other services' admin routes). The consumer secret is in the create
answer only; the list never shows it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from salesforce_crm.api.services import accounts, records
from salesforce_crm.api.services.actors import ADMIN, Actor
from salesforce_crm.sobjects import ids
from servicekit.auth import Principal, allow
from servicekit.db import ReadSession, WriteSession
from servicekit.domain import Invalid

router = APIRouter(prefix="/api/admin/connected-apps", tags=["salesforce admin"])
Admin = Annotated[Principal, Depends(allow(ADMIN))]


class NewConnectedApp(BaseModel):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[^\x00]*$")
    #: The User id (15 or 18 characters) client_credentials tokens act as; none: that grant
    #: is refused for this app.
    run_as_user_id: str | None = Field(None, min_length=15, max_length=18)


def _shown(app: accounts.ConnectedApp) -> dict[str, Any]:
    return {
        "id": app.id,
        "name": app.name,
        "consumer_key": app.consumer_key,
        "run_as_user_id": ids.encode("005", app.run_as_user_id) if app.run_as_user_id else None,
        "is_active": app.is_active,
    }


def _actor(principal: Principal) -> Actor:
    return Actor(int(principal.subject), principal.name, ADMIN)


@router.post("", status_code=201, summary="Create a connected app (its secret shown once)")
async def create(body: NewConnectedApp, principal: Admin, session: WriteSession) -> dict[str, Any]:
    run_as = None
    if body.run_as_user_id is not None:
        try:
            run_as = records.row_id_of(records.sobject("User"), body.run_as_user_id)
        except Exception:
            raise Invalid("run_as_user_id is not a User id", fields=("run_as_user_id",)) from None
    app, secret = await accounts.create_connected_app(session, body.name, run_as, _actor(principal))
    await session.commit()
    return {**_shown(app), "consumer_secret": secret}


@router.get("", summary="The connected apps (without secrets)")
async def list_apps(principal: Admin, session: ReadSession) -> list[dict[str, Any]]:
    return [_shown(a) for a in await accounts.list_connected_apps(session)]
