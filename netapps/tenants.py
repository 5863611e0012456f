"""Which tenants an app has: ``tenants = [...]`` and/or ``tenants_file = "path"`` in its
netapps.toml section. Standard library only: the no-op fast path reads them too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from netapps.errors import ConfigError

#: What a tenant name may be (README "Many databases per app"): it becomes part of a file
#: or schema name, so a letter, digit or _ first, then letters, digits, _ and -, 63 at most
#: (PostgreSQL's limit for a name). Nothing else: no spaces, no control characters.
_TENANT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}")


def check_tenant_name(app: str, name: str, where: str) -> None:
    """A usage error (exit 2) unless ``name`` is in the set above; ``where`` names its source."""
    if not _TENANT_NAME.fullmatch(name):
        raise ConfigError(
            f"{app}: tenant name {name!r} ({where}) is not allowed: a letter, digit or _ first, "
            "then letters, digits, _ and -, at most 63 (it becomes a file or schema name)"
        )


def read_tenants(app: str, spec: dict[str, Any], root: Path) -> tuple[str, ...]:
    """``tenants = [...]`` or ``tenants_file = "path"`` (one name a line, # comments)."""
    names: list[tuple[str, str]] = [
        (str(t), "tenants in netapps.toml") for t in spec.get("tenants", [])
    ]
    if "tenants_file" in spec:
        path = (root / str(spec["tenants_file"])).resolve()
        if not path.is_file():
            raise ConfigError(
                f"{app}: tenants_file {path} does not exist; create it or fix the path"
            )
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.append((line, str(path)))
    for name, where in names:
        check_tenant_name(app, name, where)
    if len({name for name, _where in names}) != len(names):
        raise ConfigError(f"{app}: a tenant is listed twice; list each once")
    return tuple(name for name, _where in names)
