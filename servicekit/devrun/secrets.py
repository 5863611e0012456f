"""The dev secrets: the administrators' password, each service's JWT secret and the hop
secret, made at the first ``make run`` and kept in a 0600 file so that the login (and every
token and message in flight) survives a restart.

The file is ``KEY=VALUE`` lines. A service added later gets its JWT secret appended at the
next run; nothing already there changes.
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
HOP_KEY = "HOP_SECRET"


class SecretsFileInvalid(Exception):
    """The secrets file cannot be read as ``KEY=VALUE`` lines."""


@dataclass(frozen=True)
class DevSecrets:
    values: dict[str, str]

    @property
    def admin_password(self) -> str:
        return self.values[PASSWORD_KEY]

    @property
    def hop_secret(self) -> str:
        return self.values[HOP_KEY]

    def jwt_secret(self, service: DevService) -> str:
        return self.values[jwt_key(service)]


def jwt_key(service: DevService) -> str:
    return f"{service.prefix}JWT_SECRET"


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
        HOP_KEY: _random_secret,
        **{jwt_key(s): _random_secret for s in services},
    }
    values = dict(existing)
    for key, make in wanted.items():
        values.setdefault(key, make())
    if values != existing:
        _write(path, values)
    else:
        path.chmod(0o600)
    return DevSecrets(values)
