"""Who is acting: the signed-in user of a request, or the system (a flow)."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "System Administrator"
STANDARD = "Standard User"
INTEGRATION = "Integration User"


@dataclass(frozen=True)
class Actor:
    """A user (``user_id``) with a profile; the system has no user id."""

    user_id: int | None
    username: str
    profile: str

    @property
    def is_admin(self) -> bool:
        return self.profile == ADMIN


#: The integration's own writes (a flow updating a WorkOrder with SAP's status): audit
#: fields stay empty rather than naming a user who did not act.
SYSTEM = Actor(None, "system", INTEGRATION)
