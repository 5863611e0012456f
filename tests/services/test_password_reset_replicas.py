"""Production shape: two replicas of each service on PostgreSQL, 200 password resets at
once. Relays of different replicas claim outbox rows with FOR UPDATE SKIP LOCKED; every flow
must complete exactly once: one SAP ticket, one reset record, one succeeded run, one work
note and one resolution per request, every message delivered once and applied once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flow_support import FlowCluster, drive_resets, flow_cluster, scalar
from services_support import APPS
from sqlalchemy.engine import URL

REQUESTS = 200
REPLICAS = 2
#: Connections per process (twice that at most): six processes stay well under PostgreSQL's
#: 100, which other test databases share.
POOL_SIZE = 4


@pytest.fixture(scope="module")
def replicas(
    module_databases: Callable[[str], URL],
    tmp_path_factory: pytest.TempPathFactory,
    _test_config: Path,
) -> Iterator[FlowCluster]:
    urls = {name: module_databases("postgresql") for name in APPS}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETAPPS_CONFIG", str(_test_config))
        with flow_cluster(
            urls, tmp_path_factory.mktemp("replica-logs"), REPLICAS, pool_size=POOL_SIZE
        ) as started:
            yield started


def test_200_concurrent_resets_on_replicas_complete_exactly_once(replicas: FlowCluster) -> None:
    seen = asyncio.run(drive_resets(replicas, REQUESTS, timeout=180))
    assert len(seen.opened_at) == REQUESTS
    assert len(seen.to_sap_ticket) == REQUESTS
    sap, mule, sn = (replicas.urls[name] for name in ("sap", "mulesoft", "servicenow"))
    checks = {
        "SAP tickets": (sap, "SELECT count(*) FROM password_reset_tickets"),
        "SAP completed tickets": (
            sap,
            "SELECT count(DISTINCT correlation_id) FROM password_reset_tickets "
            "WHERE status = 'completed'",
        ),
        "platform reset records": (mule, "SELECT count(*) FROM password_reset_tickets"),
        "platform runs succeeded": (
            mule,
            "SELECT count(*) FROM flow_runs WHERE status = 'succeeded'",
        ),
        "platform resets that updated ServiceNow": (
            mule,
            "SELECT count(*) FROM password_reset_tickets WHERE servicenow_updated",
        ),
        "ServiceNow tickets resolved": (
            sn,
            "SELECT count(*) FROM tickets WHERE status = 'resolved' AND correlation_id IS NOT NULL",
        ),
        "ServiceNow work notes": (sn, "SELECT count(*) FROM work_notes"),
        "ServiceNow tickets with one note": (
            sn,
            "SELECT count(*) FROM (SELECT ticket_id FROM work_notes GROUP BY ticket_id "
            "HAVING count(*) = 1) AS one",
        ),
    }
    counts = {what: scalar(url, sql) for what, (url, sql) in checks.items()}
    assert counts == {what: REQUESTS for what in checks}, counts
    # Each app's messages: all delivered, and each applied once where it arrived.
    sent = {
        name: scalar(replicas.urls[name], "SELECT count(*) FROM outbox_messages") for name in APPS
    }
    pending = {
        name: scalar(
            replicas.urls[name], "SELECT count(*) FROM outbox_messages WHERE status <> 'delivered'"
        )
        for name in APPS
    }
    received = {
        name: scalar(replicas.urls[name], "SELECT count(*) FROM inbox_messages") for name in APPS
    }
    assert pending == {name: 0 for name in APPS}, pending
    # ServiceNow sends 1 per flow (requested); the platform 3 (open, progress, resolved);
    # SAP 2 (opened, outcome). What one sends, another receives, once.
    assert sent == {"servicenow": REQUESTS, "mulesoft": 3 * REQUESTS, "sap": 2 * REQUESTS}, sent
    assert received == {
        "mulesoft": sent["servicenow"] + sent["sap"],
        "sap": REQUESTS,
        "servicenow": 2 * REQUESTS,
    }, received
