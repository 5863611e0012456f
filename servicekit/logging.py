"""Structured logs: structlog on top of the standard library, one line per event.

Every line carries the request's correlation id (bound in :mod:`servicekit.middleware`).
JSON lines in production, readable key=value lines in dev. Nothing here logs request or
response bodies, headers or parameters: that is where passwords, tokens and keys travel.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_configured: tuple[bool, str] | None = None

#: C0 and C1 control characters and DEL: a NUL, a newline or an escape sequence in a value
#: (a request path, say) would cut, forge or recolour a log line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_control(value: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def escape_control_characters(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: every text value of the event with its control characters
    written as ``\\xNN``, so one event is one line whatever a caller sent."""
    for key, value in event.items():
        if isinstance(value, str) and _CONTROL.search(value):
            event[key] = escape_control(value)
    return event


#: What every line gets, from structlog and from the standard library's loggers alike.
_SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def line_formatter(json_lines: bool) -> logging.Formatter:
    """How a record becomes one line: JSON or key=value, control characters escaped."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            escape_control_characters,
            renderer,
        ],
    )


def configure_logging(json_lines: bool, level: str = "INFO") -> None:
    global _configured
    if _configured == (json_lines, level):
        return
    _configured = (json_lines, level)
    structlog.configure(
        # filter_by_level first: an event below the level costs nothing more.
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(line_formatter(json_lines))
    handler.set_name("servicekit")
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "servicekit"] + [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log repeats ours without the correlation id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
