"""The integration platform's roles and the rules its routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from servicekit.auth import Principal, allow

ADMIN, DEVELOPER, VIEWER = "admin", "developer", "viewer"
ROLES = (ADMIN, DEVELOPER, VIEWER)

ADMIN_RULE = allow(ADMIN)
Builder = Annotated[Principal, Depends(allow(ADMIN, DEVELOPER))]
Reader = Annotated[Principal, Depends(allow(ADMIN, DEVELOPER, VIEWER))]
