"""The audit trail of SAP's writes outside tickets.

Tickets have their table of audit entries; the other writes record who did them in their own
rows where the model has a column for it (``performed_by``, ``requested_by``, ``decided_by``,
a work order's history) and, for every write, one structured ``audit`` log line with the
actor, the action, the record and what changed (never a secret: these records hold none).
"""

from __future__ import annotations

from typing import Any

import structlog

from servicekit.auth import Principal

log = structlog.get_logger("sap_clone.audit")


def record(actor: Principal, action: str, entity: str, entity_id: str, **changes: Any) -> None:
    log.info(
        "audit",
        action=action,
        entity=entity,
        entity_id=entity_id,
        actor=actor.name,
        actor_kind=actor.kind,
        **changes,
    )
