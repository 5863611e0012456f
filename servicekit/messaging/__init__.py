"""Messages between the services: a transactional outbox, a relay that delivers it over
signed HTTP with retries, and an inbox that applies each message once.

- :mod:`.tables` — the ``outbox_messages`` and ``inbox_messages`` tables every app has.
- :mod:`.outbox` — writes a message in the caller's own transaction.
- :mod:`.signing` — HMAC signatures of a hop (method, path, timestamp, body) and their check.
- :mod:`.relay` — claims due messages, delivers them, backs off, marks them dead.
- :mod:`.inbox` — the receiving route: verifies, deduplicates, dispatches to a handler.
- :mod:`.admin` — administrators list dead messages and replay them.

This package's top level imports nothing, so that the models can use :mod:`.tables` without
the web stack.
"""
