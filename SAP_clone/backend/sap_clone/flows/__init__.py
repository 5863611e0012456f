"""SAP_clone's parts in the cross-app flows (topics sent and accepted, and their handlers)."""

from __future__ import annotations

from sap_clone.flows import crm_work_order, password_reset
from servicekit.messaging.flows import FlowPart

PARTS: tuple[FlowPart, ...] = (password_reset.PART, crm_work_order.PART)
