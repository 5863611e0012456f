"""ServiceNow's settings: ``SERVICENOW_`` variables (``SERVICENOW_JWT_SECRET``, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class ServiceNowSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICENOW_", extra="ignore")

    port: int = 4780
