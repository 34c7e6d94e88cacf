"""Pure ASGI middleware: request ids, the access log, body size limits, last-resort 500s."""

import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import internal_error_response, problem
from app.core.logging import request_id_var

logger = logging.getLogger("app.access")

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def _incoming_request_id(scope: Scope) -> str:
    """The caller's X-Request-ID if it is short and safe, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _SANE_REQUEST_ID.fullmatch(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Give every request an id (echoed as X-Request-ID), log it once, and catch crashes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request with its id in the log context."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        cut_short = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the last resort: anything no handler took
            response = internal_error_response(Request(scope), exc)  # logs it with the id
            if response_started:
                # Too late for a 500 (e.g. an export failing mid-stream). Returning without
                # finishing the body makes the server close the connection, so the client
                # sees a cut-short response; the traceback is logged once, with the id, and
                # the access line says the body was cut short.
                cut_short = True
                return
            await response(scope, receive, send_with_id)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    **({"cut_short": True} if cut_short else {}),
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413, counting what is streamed, not what is claimed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, cutting it off once its body grows too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException, so FastAPI's body parsing re-raises it untouched.
                    raise StarletteHTTPException(413, self._detail())
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return (
            f"The request body is larger than {self.max_bytes} bytes; send fewer tasks per "
            "bulk call, or import big files with `app-cli tasks import`."
        )

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, self._detail(), headers={"Connection": "close"})
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
