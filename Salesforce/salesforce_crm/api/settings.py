"""Salesforce's settings: ``SALESFORCE_`` variables (``SALESFORCE_JWT_SECRET``, ...)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings

#: Salesforce's own limit on a REST request body is far above what a record needs; 10 MB
#: keeps a hostile body from filling memory.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class SalesforceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SALESFORCE_", extra="ignore")

    port: int = 4799
    #: A Salesforce session lasts hours, not minutes: clients keep one token.
    access_token_minutes: int = Field(120, gt=0)
    #: A connected app created (in dev: its secret reset) at start, running as the bootstrap
    #: administrator: its client id and secret. No default: both or neither.
    bootstrap_client_id: str | None = None
    bootstrap_client_secret: SecretStr | None = None
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0)

    @model_validator(mode="after")
    def _client_pair(self) -> SalesforceSettings:
        if bool(self.bootstrap_client_id) != bool(self.bootstrap_client_secret):
            raise ValueError(
                "SALESFORCE_BOOTSTRAP_CLIENT_ID and SALESFORCE_BOOTSTRAP_CLIENT_SECRET go together"
            )
        return self

    @property
    def bootstrap_secret(self) -> str:
        return (
            self.bootstrap_client_secret.get_secret_value() if self.bootstrap_client_secret else ""
        )
