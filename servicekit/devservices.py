"""The services ``make run`` serves: one entry per service, in one list.

Kept apart from :mod:`servicekit.devrun` (no imports beyond the standard library) because the
services' settings read their dev peers from it too: a service added here is started by
``make run`` and known to every other one as a peer, by this one line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DevService:
    """A service as ``make run`` starts it."""

    #: netapps' name of the app (also its name as a peer, and in ``make stop SERVICE=``).
    name: str
    label: str
    #: ``python -m MODULE`` serves it.
    module: str
    #: Its settings' environment prefix.
    prefix: str
    default_port: int
    #: The administrator ``make run`` creates (the dev login).
    login: str

    @property
    def port(self) -> int:
        """``<PREFIX>PORT`` when set (so that ``make run`` can run beside another), else the
        default."""
        return int(os.environ.get(f"{self.prefix}PORT", self.default_port))

    def url(self, scheme: str = "https") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"


#: Every dev service; a new one is one more entry.
DEV_SERVICES: tuple[DevService, ...] = (
    DevService("sap", "SAP_clone", "sap_clone.api", "SAP_", 4798, "admin"),
    DevService(
        "mulesoft",
        "Integration platform",
        "integration_platform.api",
        "MULESOFT_",
        4797,
        "admin@example.com",
    ),
    DevService(
        "servicenow", "ServiceNow", "servicenow.api", "SERVICENOW_", 4780, "admin@example.com"
    ),
    DevService(
        "salesforce", "Salesforce", "salesforce_crm.api", "SALESFORCE_", 4799, "admin@example.com"
    ),
)


def dev_service(name: str) -> DevService | None:
    return next((s for s in DEV_SERVICES if s.name == name), None)
