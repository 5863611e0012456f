"""Users (Admin only): list, create (active or pending approval), get, disable, activate, set a
password. No self-registration."""

from __future__ import annotations

from fastapi import APIRouter, status

from sap_clone.api.deps import AdminOnly, ReadSession, WriteSession
from sap_clone.api.schemas import PasswordSet, UserCreate, UserOut
from sap_clone.api.services import users
from servicekit.schemas import Limit, Offset, RowId

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("")
async def list_users(
    _: AdminOnly, session: ReadSession, limit: Limit = 100, offset: Offset = 0
) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await users.list_users(session, limit, offset)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _: AdminOnly, session: WriteSession) -> UserOut:
    user = await users.create_user(session, body)
    out = UserOut.model_validate(user)
    await session.commit()
    return out


@router.get("/{user_id}")
async def get_user(user_id: RowId, _: AdminOnly, session: ReadSession) -> UserOut:
    return UserOut.model_validate(await users.get_user(session, user_id))


@router.post("/{user_id}/disable")
async def disable_user(user_id: RowId, admin: AdminOnly, session: WriteSession) -> UserOut:
    user = await users.disable_user(session, user_id, admin)
    out = UserOut.model_validate(user)
    await session.commit()
    return out


@router.post("/{user_id}/activate")
async def activate_user(user_id: RowId, _: AdminOnly, session: WriteSession) -> UserOut:
    user = await users.activate_user(session, user_id)
    out = UserOut.model_validate(user)
    await session.commit()
    return out


@router.put("/{user_id}/password")
async def set_password(
    user_id: RowId, body: PasswordSet, _: AdminOnly, session: WriteSession
) -> UserOut:
    user = await users.set_password(session, user_id, body)
    out = UserOut.model_validate(user)
    await session.commit()
    return out
