"""CORS for browsers: answers only the allowed origins (``PREFCENTER_CORS_ORIGINS`` and every site's).

Wraps the whole app (outside Litestar's exception handling) so error responses — 401, 403, 429 — carry
the CORS headers too and the widget can read them. A preflight (``OPTIONS`` with
``Access-Control-Request-Method``) from an allowed origin is answered here, before authentication;
any other origin gets no CORS headers at all, so the browser refuses the call. A response that sets
``Access-Control-Allow-Origin`` itself (the widget bundle: ``*``) is left as it is.
"""

from __future__ import annotations

from typing import Protocol

from litestar.types import ASGIApp, Message, Receive, Scope, Send

ALLOW_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
# Litestar's CORS defaults (accept, accept-language, content-language, content-type) plus ours.
ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-language",
    "content-type",
    "idempotency-key",
    "if-match",
    "x-request-id",
)
EXPOSE_HEADERS = ("etag", "retry-after", "x-request-id")
MAX_AGE_SECONDS = 600


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _with_vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    vary = [v for k, v in headers if k.lower() == b"vary"]
    if any(b"origin" in v.lower() or v.strip() == b"*" for v in vary):
        return headers
    if not vary:
        return [*headers, (b"vary", b"Origin")]
    return [(k, v + b", Origin") if k.lower() == b"vary" else (k, v) for k, v in headers]


async def _send_plain(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def preflight_failures(method: str, requested_headers: str | None) -> list[str]:
    """What a preflight asks for beyond what we allow (empty: allowed)."""
    failures = []
    if method.upper() not in ALLOW_METHODS:
        failures.append("method")
    requested = {h.strip().lower() for h in (requested_headers or "").split(",") if h.strip()}
    if requested - set(ALLOW_HEADERS):
        failures.append("headers")
    return failures


class AllowsOrigins(Protocol):
    """What CORS asks of the origin allow list (the sites area's ``OriginAllowList``, held by the context)."""

    async def allows(self, origin: str) -> bool: ...


def cors_middleware(app: ASGIApp, allow_list: AllowsOrigins) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:
            await app(scope, receive, send)
            return
        allowed = await allow_list.allows(origin)
        requested_method = _header(scope, b"access-control-request-method")
        if allowed and scope["method"] == "OPTIONS" and requested_method is not None:
            failures = preflight_failures(requested_method, _header(scope, b"access-control-request-headers"))
            if failures:
                text = f"Disallowed CORS {', '.join(failures)}".encode()
                await _send_plain(
                    send, 400, [(b"content-type", b"text/plain; charset=utf-8"), (b"vary", b"Origin")], text
                )
                return
            await _send_plain(
                send,
                204,
                [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-methods", ", ".join(ALLOW_METHODS).encode()),
                    (b"access-control-allow-headers", ", ".join(ALLOW_HEADERS).encode()),
                    (b"access-control-max-age", str(MAX_AGE_SECONDS).encode()),
                    (b"vary", b"Origin"),
                ],
            )
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"access-control-allow-origin" for k, _ in headers):
                    headers = _with_vary_origin(headers)
                    if allowed:
                        headers += [
                            (b"access-control-allow-origin", origin.encode("latin-1")),
                            (b"access-control-expose-headers", ", ".join(EXPOSE_HEADERS).encode()),
                        ]
                    message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_cors)

    return middleware
