"""SAP_clone's outbox and inbox (default schema): see :mod:`servicekit.messaging.tables`."""

from __future__ import annotations

from sap_clone.models.base import Base
from servicekit.messaging.tables import define_messaging_tables

MESSAGING = define_messaging_tables(Base.metadata)
