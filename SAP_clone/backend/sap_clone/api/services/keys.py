"""Keys of the records SAP writes: a prefix, the day, and a random part.

Random rather than numbered: two writers never wait for each other to number a stock movement
or a work order (tickets are numbered; they lock their day's prefix to do it). 48 random bits a
day keep a collision out of reach (one in millions at a hundred thousand keys a day), and a
collision would be a primary-key conflict, not a silent overwrite.
"""

from __future__ import annotations

import datetime as dt
import secrets


def new_key(prefix: str) -> str:
    """``WO-20261208-3F9A1C2B7D40``."""
    return f"{prefix}-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(6).upper()}"
