"""Per-request context: a request id bound to every log line, echoed in ``X-Request-ID``, and one access line."""

from __future__ import annotations

import os
import re
import time

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from prefcenter import logs

_VALID_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
_bind = structlog.contextvars.bind_contextvars
_clear = structlog.contextvars.clear_contextvars


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                request_id = incoming if _VALID_ID.match(incoming) else None
                break
        if request_id is None:
            request_id = os.urandom(16).hex()  # 128 random bits, like the uuid4 hex it replaces
        id_header = (b"x-request-id", request_id.encode())
        _clear()
        _bind(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            logs.access_log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            _clear()

    return middleware
