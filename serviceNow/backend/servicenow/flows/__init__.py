"""ServiceNow's parts in the cross-app flows (topics sent and accepted, and their handlers)."""

from __future__ import annotations

from servicekit.messaging.flows import FlowPart
from servicenow.flows import password_reset

PARTS: tuple[FlowPart, ...] = (password_reset.PART,)
