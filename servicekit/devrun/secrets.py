"""The dev secrets: the administrators' password, each service's JWT secret, one hop key per
pair of services and Salesforce's connected app, made at the first ``make run`` and kept in a
0600 file so that the login (and every token and message in flight) survives a restart.

The file is ``KEY=VALUE`` lines. A service added later gets its secrets appended at the next
run; nothing already there changes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from servicekit.devservices import DevService
from servicekit.security import generate_password

PASSWORD_KEY = "ADMIN_PASSWORD"
#: Salesforce's bootstrap connected app (the OAuth client simple-salesforce signs in with).
CLIENT_ID_KEY = "SALESFORCE_CLIENT_ID"
CLIENT_SECRET_KEY = "SALESFORCE_CLIENT_SECRET"


class SecretsFileInvalid(Exception):
    """The secrets file cannot be read as ``KEY=VALUE`` lines."""


@dataclass(frozen=True)
class DevSecrets:
    values: dict[str, str]

    @property
    def admin_password(self) -> str:
        return self.values[PASSWORD_KEY]

    def hop_secrets(self, service: DevService, services: tuple[DevService, ...]) -> str:
        """``service``'s ``HOP_SECRETS``: the key it shares with each of the others."""
        return ",".join(
            f"{peer.name}={self.values[hop_key(service, peer)]}"
            for peer in services
            if peer.name != service.name
        )

    @property
    def salesforce_client(self) -> tuple[str, str]:
        return self.values[CLIENT_ID_KEY], self.values[CLIENT_SECRET_KEY]

    def jwt_secret(self, service: DevService) -> str:
        return self.values[jwt_key(service)]


def jwt_key(service: DevService) -> str:
    return f"{service.prefix}JWT_SECRET"


def hop_key(a: DevService, b: DevService) -> str:
    """The entry of the key services ``a`` and ``b`` share (the same whichever comes first)."""
    first, second = sorted((a.name, b.name))
    return f"HOP_KEY_{first.upper()}_{second.upper()}"


def _pairs(services: tuple[DevService, ...]) -> list[tuple[DevService, DevService]]:
    return [(a, b) for i, a in enumerate(services) for b in services[i + 1 :]]


def _client_id() -> str:
    # Shaped like Salesforce's consumer keys; not a secret (the secret is the other half).
    return f"3MVG9dev{secrets.token_hex(16)}"


def _read(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            # The line itself may hold a secret: say where, not what.
            raise SecretsFileInvalid(f"{path}: line {number} is not KEY=VALUE")
        values[key.strip()] = value.strip()
    return values


def _write(path: Path, values: dict[str, str]) -> None:
    """Written 0600 from the start and swapped in whole: never readable by others, never
    half-written."""
    lines = [
        "# make run's dev secrets (git-ignored). Delete this file for new ones at the next run.",
        *(f"{key}={value}" for key, value in values.items()),
    ]
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _random_secret() -> str:
    return secrets.token_urlsafe(48)


def load_secrets(path: Path) -> DevSecrets | None:
    """What the file holds; None when there is none yet."""
    if not path.is_file():
        return None
    return DevSecrets(_read(path))


def ensure_secrets(path: Path, services: tuple[DevService, ...]) -> DevSecrets:
    """The secrets in ``path``, made when missing (the whole file, or one entry), kept
    otherwise; the file left 0600."""
    existing = _read(path) if path.is_file() else {}
    wanted: dict[str, Callable[[], str]] = {
        PASSWORD_KEY: generate_password,
        CLIENT_ID_KEY: _client_id,
        CLIENT_SECRET_KEY: _random_secret,
        **{jwt_key(s): _random_secret for s in services},
        **{
            hop_key(a, b): _random_secret for i, a in enumerate(services) for b in services[i + 1 :]
        },
    }
    values = dict(existing)
    for key, make in wanted.items():
        values.setdefault(key, make())
    if values != existing:
        _write(path, values)
    else:
        path.chmod(0o600)
    return DevSecrets(values)
