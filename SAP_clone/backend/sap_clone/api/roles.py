"""SAP_clone's roles and the module each opens."""

from __future__ import annotations

from servicekit.auth import SERVICE_ROLE, Principal

ADMIN = "Admin"
MAINTENANCE_ENGINEER = "Maintenance_Engineer"
STORE_MANAGER = "Store_Manager"
FINANCE_OFFICER = "Finance_Officer"

#: The module a role works in; Admin and services see every module.
MODULE_OF_ROLE = {MAINTENANCE_ENGINEER: "PM", STORE_MANAGER: "MM", FINANCE_OFFICER: "FI"}
ALL_MODULES = frozenset({"PM", "MM", "FI"})
TICKET_ROLES = (ADMIN, MAINTENANCE_ENGINEER, STORE_MANAGER, FINANCE_OFFICER, SERVICE_ROLE)


def modules_of(principal: Principal) -> frozenset[str]:
    if ADMIN in principal.roles or SERVICE_ROLE in principal.roles:
        return ALL_MODULES
    return frozenset(MODULE_OF_ROLE[r] for r in principal.roles if r in MODULE_OF_ROLE)
