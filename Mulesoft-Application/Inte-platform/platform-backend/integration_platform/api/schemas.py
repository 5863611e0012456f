"""Request and response bodies of the integration platform's API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from servicekit.schemas import ORMModel

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
IntegrationStatus = Literal["draft", "deployed", "stopped", "error"]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)


class ApiKeyOut(ORMModel):
    id: int
    name: str
    key_prefix: str
    user_id: int
    is_active: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash")


class IntegrationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=10_000)
    flow_config: dict[str, Any] = Field(default_factory=dict)


class IntegrationOut(ORMModel):
    id: int
    name: str
    description: str | None
    flow_config: dict[str, Any]
    status: str
    owner_id: int
    created_at: dt.datetime
    updated_at: dt.datetime


class LogCreate(BaseModel):
    level: LogLevel = "INFO"
    message: str = Field(min_length=1, max_length=10_000)


class LogOut(ORMModel):
    id: int
    integration_id: int
    level: str
    message: str
    correlation_id: str | None
    logged_at: dt.datetime
