"""API keys of the signed-in user (administrators see and revoke everyone's)."""

from __future__ import annotations

from fastapi import APIRouter, status

from integration_platform.api.deps import Builder
from integration_platform.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from integration_platform.api.services import api_keys
from servicekit.db import ReadSession, WriteSession
from servicekit.schemas import RowId

router = APIRouter(prefix="/api/api-keys", tags=["api keys"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate, principal: Builder, session: WriteSession
) -> ApiKeyCreated:
    key, new = await api_keys.create_key(session, principal, body.name)
    out = ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "key": new.key}
    )
    await session.commit()
    return out


@router.get("")
async def list_api_keys(principal: Builder, session: ReadSession) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in await api_keys.list_keys(session, principal)]


@router.post("/{key_id}/revoke")
async def revoke_api_key(key_id: RowId, principal: Builder, session: WriteSession) -> ApiKeyOut:
    key = await api_keys.revoke_key(session, principal, key_id)
    out = ApiKeyOut.model_validate(key)
    await session.commit()
    return out
