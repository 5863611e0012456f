"""The flows the integration platform carries: each module is one flow's part (its topics,
handlers and how a run ends); :mod:`.runs` is what every flow's run has."""

from __future__ import annotations

from integration_platform.api.deps import ADMIN
from integration_platform.flows import crm_work_order, password_reset, runs
from integration_platform.models import MESSAGING
from servicekit.messaging.flows import FlowPart
from servicekit.messaging.outbox import MessagingSpec

PARTS: tuple[FlowPart, ...] = (password_reset.PART, crm_work_order.PART)
MESSAGING_SPEC = MessagingSpec(
    tables=MESSAGING, parts=PARTS, on_outcome=runs.record_delivery, admin_roles=(ADMIN,)
)
