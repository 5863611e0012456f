"""Messages between the services: a transactional outbox, a relay that delivers it over
signed HTTP with retries, and an inbox that applies each message once.

- :mod:`.tables` — the ``outbox_messages`` and ``inbox_messages`` tables every app has.
- :mod:`.flows` — how an app declares its part in a flow: topics sent to whom, accepted from
  whom, and their handlers. servicekit itself knows no flow and no topic.
- :mod:`.outbox` — writes a message in the caller's own transaction, to its declared
  destination.
- :mod:`.signing` — HMAC signatures of a hop (method, path, timestamp, body) and their check.
- :mod:`.relay` — claims due messages, delivers them, backs off, marks them dead.
- :mod:`.inbox` — the receiving route: verifies, deduplicates, checks the sender, dispatches.
- :mod:`.admin` — administrators list dead messages and replay them.

This package's top level imports nothing, so that the models can use :mod:`.tables` without
the web stack.
"""
