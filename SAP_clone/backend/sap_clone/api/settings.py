"""SAP_clone's settings: ``SAP_`` variables (``SAP_JWT_SECRET``, ``SAP_PORT``, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SapSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SAP_", extra="ignore")

    port: int = 4798
