"""The integration platform's tables (docs/SCHEMAS.md, "Mulesoft-Application")."""

from .accounts import ApiKey, User
from .base import Base
from .integrations import ApiEndpoint, Connector, Integration, IntegrationLog
from .workflows import PasswordResetTicket, SalesforceCase, UserCreationApproval

__all__ = [
    "ApiEndpoint",
    "ApiKey",
    "Base",
    "Connector",
    "Integration",
    "IntegrationLog",
    "PasswordResetTicket",
    "SalesforceCase",
    "User",
    "UserCreationApproval",
]
