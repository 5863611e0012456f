"""The password-reset flow's messages: topic names and who sends each to whom.

ServiceNow ──requested──▶ integration platform ──open──▶ SAP
ServiceNow ◀─progress──── integration platform
           integration platform ◀──opened / outcome── SAP
ServiceNow ◀─resolved──── integration platform

Every message carries the flow's correlation id (SAP's idempotency key for its ticket). No
message ever carries a password: the temporary one is shown to SAP's administrator only.
"""

from __future__ import annotations

SAP = "sap"
MULESOFT = "mulesoft"
SERVICENOW = "servicenow"

FLOW = "password_reset"
#: ServiceNow → platform: {servicenow_ticket_id, username, requester_name, requester_email,
#: reason, priority}
RESET_REQUESTED = "password_reset.requested"
#: platform → SAP: the same fields: open a reset ticket.
RESET_OPEN = "password_reset.open"
#: platform → ServiceNow: {status: "in_progress"}
RESET_PROGRESS = "password_reset.progress"
#: SAP → platform: {sap_ticket_id}
RESET_OPENED = "password_reset.opened"
#: SAP → platform: {outcome: "completed" | "rejected", reason, sap_ticket_id}
RESET_OUTCOME = "password_reset.outcome"
#: platform → ServiceNow: {outcome: "completed" | "rejected", reason, sap_ticket_id}
RESET_RESOLVED = "password_reset.resolved"
