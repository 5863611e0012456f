"""The integration platform's settings: ``MULESOFT_`` variables (``MULESOFT_JWT_SECRET``, ...),
the prefix of its netapps app (``MULESOFT_DATABASE_URL``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class IntegrationPlatformSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MULESOFT_", extra="ignore")

    port: int = 4797
