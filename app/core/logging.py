"""JSON logging for the API and the CLI, configured once per process."""

import logging
import sys
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

LOG_FORMAT = "%(levelname)s %(name)s %(message)s"
_RENAMES = {"levelname": "level", "name": "logger"}
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy", "fastapi")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the id of the request being served (or null)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach `request_id` (and drop uvicorn's ANSI-coloured duplicate message)."""
        record.__dict__.pop("color_message", None)
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record, uvicorn's included, as one JSON object per line to `stream`."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(
        JsonFormatter(LOG_FORMAT, rename_fields=_RENAMES, timestamp="time", json_ensure_ascii=False)
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _ROUTED_LOGGERS:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
    # uvicorn's access log duplicates our own request log line.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
