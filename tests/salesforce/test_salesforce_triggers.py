"""Per-object triggers run in the write's transaction: they see the old and new values and
the actor, a refusal rolls the write back, and an unexpected failure is a Salesforce 500
without detail. A flow updates a WorkOrder as the system through the same function."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from salesforce_crm.api.services import records
from salesforce_crm.api.services.actors import SYSTEM
from salesforce_crm.api.services.triggers import (
    TRIGGERS,
    Event,
    Trigger,
    TriggerContext,
    TriggerRegistry,
)
from salesforce_crm.models import MESSAGING
from salesforce_support import API, RunningSalesforce
from sqlalchemy import func, insert, select

from servicekit.db import Database
from servicekit.domain import Conflict

SOBJECTS = f"{API}/sobjects"


@pytest.fixture
def registered() -> Iterator[list[tuple[str, Event, Trigger]]]:
    """Triggers a test registers, removed after it."""
    added: list[tuple[str, Event, Trigger]] = []
    yield added
    for name, event, trigger in added:
        TRIGGERS.unregister(name, event, trigger)


def register(
    added: list[tuple[str, Event, Trigger]], name: str, event: Event, trigger: Trigger
) -> None:
    TRIGGERS.register(name, event, trigger)
    added.append((name, event, trigger))


def outbox_count(sf: RunningSalesforce) -> int:
    database: Database = sf.client.app.state.database  # type: ignore[attr-defined]

    async def count() -> int:
        async with database.reader() as session:
            return int(
                (
                    await session.execute(select(func.count()).select_from(MESSAGING.outbox))
                ).scalar_one()
            )

    return int(sf.client.portal.call(count))  # type: ignore[union-attr]


def test_triggers_see_old_new_and_actor_and_write_in_the_same_transaction(
    sf: RunningSalesforce, registered: list[tuple[str, Event, Trigger]]
) -> None:
    seen: list[tuple[str, Any, Any, str]] = []

    async def remember(context: TriggerContext) -> None:
        seen.append((context.event, context.old, context.new, context.actor.username))
        if context.event == "after_insert":
            assert context.new is not None
            await context.session.execute(
                insert(MESSAGING.outbox).values(
                    message_id=f"m-{context.new['Id']}",
                    topic="test.work_order",
                    destination="sap",
                    correlation_id="c-1",
                    payload={"id": context.new["Id"]},
                )
            )

    async def stamp_before(context: TriggerContext) -> None:
        assert context.new is not None
        context.new["Description"] = "stamped by a trigger"

    for event in ("after_insert", "after_update", "after_delete"):
        register(registered, "WorkOrder", event, remember)  # type: ignore[arg-type]
    register(registered, "workorder", "before_insert", stamp_before)

    created = sf.client.post(f"{SOBJECTS}/WorkOrder", json={"Subject": "t"}, headers=sf.admin)
    order = created.json()["id"]
    sf.client.patch(f"{SOBJECTS}/WorkOrder/{order}", json={"Status": "On Hold"}, headers=sf.admin)
    sf.client.delete(f"{SOBJECTS}/WorkOrder/{order}", headers=sf.admin)

    events = [s[0] for s in seen]
    assert events == ["after_insert", "after_update", "after_delete"]
    inserted, updated, deleted = seen
    assert inserted[1] is None and inserted[2]["Description"] == "stamped by a trigger"
    assert updated[1]["Status"] == "New" and updated[2]["Status"] == "On Hold"
    assert deleted[1]["Id"] == order and deleted[2] is None
    assert {s[3] for s in seen} == {sf.credentials.username}
    assert outbox_count(sf) == 1


def test_a_trigger_that_refuses_rolls_the_write_back(
    sf: RunningSalesforce, registered: list[tuple[str, Event, Trigger]]
) -> None:
    async def refuse(context: TriggerContext) -> None:
        raise Conflict("work orders are frozen", error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION")

    register(registered, "WorkOrder", "after_insert", refuse)
    refused = sf.client.post(
        f"{SOBJECTS}/WorkOrder", json={"External_Id__c": "FROZEN"}, headers=sf.admin
    )
    assert refused.status_code == 400
    assert refused.json()[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    missing = sf.client.get(f"{SOBJECTS}/WorkOrder/External_Id__c/FROZEN", headers=sf.admin)
    assert missing.status_code == 404


def test_an_unexpected_failure_is_a_500_without_detail(
    sf: RunningSalesforce, registered: list[tuple[str, Event, Trigger]]
) -> None:
    async def broken(context: TriggerContext) -> None:
        raise RuntimeError("secret internals")

    register(registered, "Account", "after_insert", broken)
    answer = sf.client.post(f"{SOBJECTS}/Account", json={"Name": "boom"}, headers=sf.admin)
    assert answer.status_code == 500
    (error,) = answer.json()
    assert error["errorCode"] == "UNKNOWN_EXCEPTION" and "secret" not in answer.text


def test_a_flow_updates_a_work_order_as_the_system(sf: RunningSalesforce) -> None:
    order = sf.client.post(f"{SOBJECTS}/WorkOrder", json={"Subject": "f"}, headers=sf.admin)
    order_id = order.json()["id"]
    database: Database = sf.client.app.state.database  # type: ignore[attr-defined]

    async def report_back() -> None:
        work_order = records.sobject("WorkOrder")
        async with database.writer() as session:
            await records.update(
                session,
                work_order,
                records.row_id_of(work_order, order_id),
                {
                    "Status": "In Progress",
                    "SAP_Work_Order_Id__c": "4711",
                    "SAP_Status__c": "started",
                },
                SYSTEM,
            )
            await session.commit()

    sf.client.portal.call(report_back)  # type: ignore[union-attr]
    got = sf.client.get(f"{SOBJECTS}/WorkOrder/{order_id}", headers=sf.admin).json()
    assert (got["Status"], got["SAP_Work_Order_Id__c"]) == ("In Progress", "4711")
    assert got["LastModifiedById"] is None  # the system, not a user
    assert got["CreatedById"] is not None


def test_the_registry_refuses_unknown_events() -> None:
    registry = TriggerRegistry()
    with pytest.raises(ValueError, match="unknown trigger event"):
        registry.register("WorkOrder", "before_lunch", lambda context: None)  # type: ignore[arg-type]
