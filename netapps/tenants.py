"""Which tenants an app has: ``tenants = [...]`` and/or ``tenants_file = "path"`` in its
netapps.toml section. Standard library only: the no-op fast path reads them too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from netapps.errors import ConfigError

_TENANT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$")


def read_tenants(app: str, spec: dict[str, Any], root: Path) -> tuple[str, ...]:
    """``tenants = [...]`` or ``tenants_file = "path"`` (one name a line, # comments)."""
    names: list[str] = [str(t) for t in spec.get("tenants", [])]
    if "tenants_file" in spec:
        path = (root / str(spec["tenants_file"])).resolve()
        if not path.is_file():
            raise ConfigError(
                f"{app}: tenants_file {path} does not exist; create it or fix the path"
            )
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line)
    for name in names:
        if not _TENANT_NAME.match(name):
            raise ConfigError(
                f"{app}: tenant name {name!r} may hold only letters, digits, _ and - "
                "(it becomes a file or schema name)"
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"{app}: a tenant is listed twice; list each once")
    return tuple(names)
