"""Service settings from the environment (pydantic-settings).

Each app subclasses :class:`ServiceSettings` with its own prefix (``SAP_``, ``SERVICENOW_``,
``MULESOFT_``). Dev defaults just work on SQLite; no secret has a default anywhere: in dev a
missing JWT secret is generated at start (tokens then last as long as the process), in
production the service refuses to start without it.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from servicekit.devservices import DEV_SERVICES

#: Below this, an HMAC key is guessable offline from one token.
MIN_SECRET_LENGTH = 32
#: Where ``make run`` serves each service: its default port on 127.0.0.1.
DEV_PEER_PORTS = {service.name: service.default_port for service in DEV_SERVICES}


class ServiceSettings(BaseSettings):
    """Settings every service has; a subclass sets ``model_config``'s ``env_prefix``."""

    environment: Literal["dev", "production"] = Field(
        "dev", validation_alias=AliasChoices("NETAPPS_ENV")
    )
    host: str = "127.0.0.1"
    port: int = 8000
    #: HMAC key of the JWT access and refresh tokens.
    jwt_secret: SecretStr | None = None
    access_token_minutes: int = Field(15, gt=0)
    refresh_token_minutes: int = Field(60 * 12, gt=0)
    #: Browser origins allowed by CORS, comma-separated; none by default.
    cors_origins: str = ""
    #: SHA-256 hex digests of the API keys other services call this one with, comma-separated.
    service_key_hashes: str = ""
    #: Login attempts allowed per client address and per user name.
    login_rate_limit: str = "10/minute"
    #: Migrate the database (under netapps' lock) before serving instead of refusing.
    migrate_on_start: bool = Field(False, validation_alias=AliasChoices("MIGRATE_ON_START"))
    #: A first administrator, created when missing (in dev: its password is (re)set too).
    bootstrap_admin_username: str | None = None
    bootstrap_admin_password: SecretStr | None = None
    #: JSON log lines (production default) or readable key=value lines.
    log_json: bool | None = None
    log_level: str = "INFO"
    pool_size: int = Field(10, gt=0)
    #: HMAC key of the signed hops between the services (the same in all three), 32+
    #: characters. Without it this service neither sends nor accepts messages.
    hop_secret: SecretStr | None = None
    #: One hop key per pair of services: ``peer=secret`` pairs, comma-separated, each 32+
    #: characters; a pair's key is known to those two services only, so that one service
    #: cannot sign a message as another. A peer without a pair key uses ``HOP_SECRET``.
    hop_secrets: SecretStr | None = None
    #: How old a signed hop may be (seconds) before it is refused as a replay.
    hop_window_seconds: float = Field(300, gt=0)
    #: Where the other services listen: ``name=url`` pairs, comma-separated. Any not named:
    #: its ``make run`` port on 127.0.0.1, over HTTPS when this service serves HTTPS itself
    #: (as every service does under ``make run``), else plain HTTP.
    peers: str = ""
    #: Run the relay in this process (a replica that only serves requests can leave the
    #: delivery to others: the outbox is shared through the database).
    relay_enabled: bool = True
    relay_poll_seconds: float = Field(0.5, gt=0)
    relay_batch: int = Field(20, gt=0)
    relay_lease_seconds: float = Field(30, gt=0)
    relay_backoff_seconds: float = Field(1.0, gt=0)
    relay_backoff_max_seconds: float = Field(60, gt=0)
    relay_max_attempts: int = Field(10, gt=0)
    #: Serve HTTPS with this certificate (PEM, its chain after it) and key; plain HTTP when
    #: unset. ``make run`` sets them to its dev certificate.
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    #: The CA this service trusts when it calls the others (the dev CA under ``make run``);
    #: unset: the system's trust store.
    tls_ca_file: str | None = None

    @model_validator(mode="after")
    def _secrets_in_production(self) -> ServiceSettings:
        prefix = str(self.model_config.get("env_prefix", ""))
        if self.environment == "production":
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"{prefix}JWT_SECRET must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters in production"
                )
        hop = self.hop_secret.get_secret_value() if self.hop_secret else None
        if hop is not None and len(hop) < MIN_SECRET_LENGTH:
            raise ValueError(f"{prefix}HOP_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        for peer, key in self.pair_hop_keys.items():
            if len(key) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"{prefix}HOP_SECRETS: the key for {peer} must be at least "
                    f"{MIN_SECRET_LENGTH} characters"
                )
        if self.environment != "production" and self.jwt_secret is None:
            self.jwt_secret = SecretStr(secrets.token_urlsafe(48))
        return self

    @model_validator(mode="after")
    def _tls_pair(self) -> ServiceSettings:
        prefix = str(self.model_config.get("env_prefix", ""))
        if bool(self.tls_certfile) != bool(self.tls_keyfile):
            raise ValueError(f"{prefix}TLS_CERTFILE and {prefix}TLS_KEYFILE go together")
        return self

    @property
    def env_prefix(self) -> str:
        return str(self.model_config.get("env_prefix", ""))

    @property
    def hop_key(self) -> str | None:
        """The hop secret shared with peers that have no pair key, or None."""
        return self.hop_secret.get_secret_value() if self.hop_secret else None

    @property
    def pair_hop_keys(self) -> dict[str, str]:
        """The pair keys by peer name (``HOP_SECRETS``)."""
        keys: dict[str, str] = {}
        raw = self.hop_secrets.get_secret_value() if self.hop_secrets else ""
        for pair in raw.split(","):
            name, _, key = pair.partition("=")
            if name.strip() and key.strip():
                keys[name.strip()] = key.strip()
        return keys

    def hop_key_for(self, peer: str) -> str | None:
        """The key of the hops between this service and ``peer``; None: none configured."""
        return self.pair_hop_keys.get(peer) or self.hop_key

    @property
    def hops_configured(self) -> bool:
        return bool(self.hop_key or self.pair_hop_keys)

    @property
    def peer_urls(self) -> dict[str, str]:
        """The other services' base URLs by netapps name."""
        scheme = "https" if self.tls_certfile else "http"
        urls = {name: f"{scheme}://127.0.0.1:{port}" for name, port in DEV_PEER_PORTS.items()}
        for pair in self.peers.split(","):
            name, _, url = pair.partition("=")
            if name.strip() and url.strip():
                urls[name.strip()] = url.strip()
        return urls

    @property
    def secret(self) -> str:
        assert self.jwt_secret is not None  # set by the validator
        return self.jwt_secret.get_secret_value()

    @property
    def bootstrap_password(self) -> str:
        """The bootstrap administrator's password; empty when none is set."""
        return (
            self.bootstrap_admin_password.get_secret_value()
            if self.bootstrap_admin_password
            else ""
        )

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def service_keys(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.service_key_hashes.split(",") if h.strip())

    @property
    def json_logs(self) -> bool:
        return self.environment == "production" if self.log_json is None else self.log_json


def first_error_line(exc: Exception) -> str:
    """One line out of a pydantic ValidationError: what is wrong, without the input values
    (which may be secrets)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        for error in errors():
            message = str(error.get("msg", "invalid setting")).removeprefix("Value error, ")
            where = ".".join(str(p) for p in error.get("loc", ()))
            return f"{where}: {message}" if where else message
    return str(exc).splitlines()[0]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
