"""The flows' contracts: each app declares its own half of every topic (what it sends to
whom, what it accepts from whom); the halves must meet, or a message would be sent that
nobody accepts, or accepted from a sender that never sends it."""

from __future__ import annotations

from typing import Any

import pytest

from servicekit.messaging.flows import FlowDeclarationError, FlowPart, Receive, Routes, Send

SERVICES = {
    "sap": "sap_clone.api.main",
    "mulesoft": "integration_platform.api.main",
    "salesforce": "salesforce_crm.api.main",
    "servicenow": "servicenow.api.main",
}


def _routes() -> dict[str, Routes]:
    routes = {}
    for name, module in SERVICES.items():
        spec = __import__(module, fromlist=["SPEC"]).SPEC
        assert spec.app == name and spec.messaging is not None
        routes[name] = spec.messaging.routes
    return routes


def test_every_topic_sent_has_one_receiver_expecting_that_sender() -> None:
    routes = _routes()
    sent = 0
    for name, own in routes.items():
        for topic, send in own.sends.items():
            receiver = routes[send.to].receives.get(topic)
            assert receiver is not None, f"{name} sends {topic} to {send.to}, which ignores it"
            assert receiver.sender == name, (topic, receiver.sender, name)
            sent += 1
    assert sent >= 6  # the password reset's six at least


def test_every_topic_received_is_sent_by_its_declared_sender() -> None:
    routes = _routes()
    for name, own in routes.items():
        for topic, receive in own.receives.items():
            sender = routes[receive.sender].sends.get(topic)
            assert sender is not None and sender.to == name, (name, topic, receive.sender)


async def _nothing(*_: Any) -> None:
    return None


def test_a_topic_claimed_twice_by_one_app_is_refused_at_start() -> None:
    part = FlowPart("a", sends=(Send("x.sent", to="b"),))
    with pytest.raises(FlowDeclarationError, match="sent twice"):
        Routes.of([part, FlowPart("b", sends=(Send("x.sent", to="c"),))])
    received = FlowPart("a", receives=(Receive("x.got", sender="b", handler=_nothing),))
    with pytest.raises(FlowDeclarationError, match="received twice"):
        Routes.of([received, received])
