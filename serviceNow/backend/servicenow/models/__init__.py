"""The service desk's tables (docs/SCHEMAS.md, "serviceNow")."""

from .assignment import AssignmentGroup, AssignmentGroupMember, CategoryAssignmentMapping
from .base import Base
from .knowledge import Incident, KnowledgeArticle, ServiceCatalogItem
from .notifications import Notification
from .sla import SlaDefinition, TicketSla
from .tickets import Approval, Ticket
from .users import User
from .work_notes import WorkNote

__all__ = [
    "Approval",
    "AssignmentGroup",
    "AssignmentGroupMember",
    "Base",
    "CategoryAssignmentMapping",
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
