"""The integration platform's outbox and inbox: see :mod:`servicekit.messaging.tables`."""

from __future__ import annotations

from servicekit.messaging.tables import define_messaging_tables

from .base import Base

MESSAGING = define_messaging_tables(Base.metadata)
