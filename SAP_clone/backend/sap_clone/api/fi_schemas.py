"""Request and response bodies of the FI approval routes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from sap_clone.api.fields import Comment
from servicekit.schemas import ORMModel

Decision = Literal["pending", "approved", "rejected"]


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Comment | None = None


class RejectBody(BaseModel):
    """A rejection says why: the reason travels to the work order (and the CRM)."""

    model_config = ConfigDict(extra="forbid")
    comment: Comment


class ApprovalOut(ORMModel):
    approval_id: str
    cost_center_id: str
    ticket_id: str | None
    amount: Decimal
    justification: str
    decision: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    comments: str | None
