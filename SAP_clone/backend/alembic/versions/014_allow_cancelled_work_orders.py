"""Allow the flow status ``cancelled`` on CRM work orders and their history

A work order the CRM cancels (or a maintenance engineer cancels before it starts) ends in
``cancelled``; 008's CHECK constraints did not allow it. The new constraints allow a superset
of the old values, so every existing row satisfies them by construction.

PostgreSQL: each constraint is dropped and added again NOT VALID: no scan of the table under
its lock, and new and updated rows are checked all the same. It is left NOT VALID on purpose:
validating could not find a violating row (the old constraint held for all of them). SQLite
has no ALTER CONSTRAINT: the tables are rebuilt (batch mode).

The downgrade puts the old constraints back, validated: it fails, changing nothing, while a
row is ``cancelled`` (decide what those orders become first).

Revision ID: 014_allow_cancelled_work_orders
Revises: 013_unique_reset_correlation_ids
Create Date: 2026-12-08 03:30:00
"""

from collections.abc import Sequence

from alembic import op

from netapps.ops import dialect_name

revision: str = "014_allow_cancelled_work_orders"
down_revision: str | Sequence[str] | None = "013_unique_reset_correlation_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = (
    "received",
    "pending_material_check",
    "materials_available",
    "materials_shortage",
    "purchase_requested",
    "purchase_approved",
    "purchase_rejected",
    "ready_to_proceed",
    "in_progress",
    "completed",
)
NEW_STATUSES = (*OLD_STATUSES, "cancelled")
#: (table, column, constraint) of every flow-status column.
CHECKS = (
    ("crm_work_orders", "flow_status", "ck_crm_work_orders_flow_status"),
    ("work_order_flow_history", "from_status", "ck_work_order_flow_history_from_status"),
    ("work_order_flow_history", "to_status", "ck_work_order_flow_history_to_status"),
)


def _condition(column: str, statuses: tuple[str, ...]) -> str:
    values = ", ".join(f"'{s}'" for s in statuses)
    return f"{column} IN ({values})"


def _replace_checks(statuses: tuple[str, ...], validate: bool) -> None:
    if dialect_name() == "sqlite":
        for table in dict.fromkeys(t for t, _c, _n in CHECKS):
            with op.batch_alter_table(table, recreate="always") as batch:
                for _t, column, name in (c for c in CHECKS if c[0] == table):
                    batch.drop_constraint(op.f(name), type_="check")
                    batch.create_check_constraint(op.f(name), _condition(column, statuses))
        return
    for table, column, name in CHECKS:
        qualified = f"pm.{table}"
        op.execute(f"ALTER TABLE {qualified} DROP CONSTRAINT {name}")
        not_valid = "" if validate else " NOT VALID"
        op.execute(
            f"ALTER TABLE {qualified} ADD CONSTRAINT {name} "
            f"CHECK ({_condition(column, statuses)}){not_valid}"
        )


def upgrade() -> None:
    _replace_checks(NEW_STATUSES, validate=False)


def downgrade() -> None:
    _replace_checks(OLD_STATUSES, validate=True)
