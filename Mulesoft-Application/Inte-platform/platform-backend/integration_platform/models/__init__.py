"""The integration platform's tables (docs/SCHEMAS.md, "Mulesoft-Application")."""

from .accounts import ApiKey, User
from .auth import AUTH
from .base import Base
from .integrations import ApiEndpoint, Connector, Integration, IntegrationLog
from .messaging import MESSAGING
from .workflows import (
    FlowRun,
    PasswordResetTicket,
    SalesforceCase,
    UserCreationApproval,
    WorkOrderFlow,
)

__all__ = [
    "AUTH",
    "MESSAGING",
    "ApiEndpoint",
    "ApiKey",
    "Base",
    "Connector",
    "FlowRun",
    "Integration",
    "IntegrationLog",
    "PasswordResetTicket",
    "SalesforceCase",
    "User",
    "UserCreationApproval",
    "WorkOrderFlow",
]
