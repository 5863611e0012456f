"""SAP_clone's parts in the cross-app flows (topics sent and accepted, and their handlers)."""

from __future__ import annotations

from sap_clone.flows import password_reset
from servicekit.messaging.flows import FlowPart

PARTS: tuple[FlowPart, ...] = (password_reset.PART,)
