"""The service desk's tables (docs/SCHEMAS.md, "serviceNow")."""

from .assignment import AssignmentGroup, AssignmentGroupMember, CategoryAssignmentMapping
from .auth import AUTH
from .base import Base
from .knowledge import Incident, KnowledgeArticle, ServiceCatalogItem
from .messaging import MESSAGING
from .notifications import Notification
from .sla import SlaDefinition, TicketSla
from .tickets import Approval, IdempotencyKey, Ticket
from .users import User
from .work_notes import WorkNote

__all__ = [
    "AUTH",
    "MESSAGING",
    "Approval",
    "AssignmentGroup",
    "AssignmentGroupMember",
    "Base",
    "CategoryAssignmentMapping",
    "IdempotencyKey",
    "Incident",
    "KnowledgeArticle",
    "Notification",
    "ServiceCatalogItem",
    "SlaDefinition",
    "Ticket",
    "TicketSla",
    "User",
    "WorkNote",
]
