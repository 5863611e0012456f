"""Salesforce's parts in the cross-app flows (topics sent and accepted, and their handlers)."""

from __future__ import annotations

from salesforce_crm.flows import crm_work_order
from servicekit.messaging.flows import FlowPart

PARTS: tuple[FlowPart, ...] = (crm_work_order.PART,)
