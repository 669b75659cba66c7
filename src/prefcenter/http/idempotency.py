"""``Idempotency-Key`` on writes: the first response is stored per caller and key and replayed on retries.

A key reused with a different request is refused (422); a retry while the first is still running gets 409.
"""

from __future__ import annotations

import hashlib
import re

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from prefcenter.http.problems import PROBLEM_MEDIA_TYPE, problem_body
from prefcenter.store.models import IdempotencyRecord
from prefcenter.store.unit_of_work import utcnow

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
# Route option for POSTs that change nothing (batch and streamed consent checks): retrying them is already
# safe, and buffering a streamed campaign to replay it later would defeat streaming.
READ_ONLY_OPT = "read_only"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_IN_PROGRESS = 0


_IN_FLIGHT = (
    409,
    "idempotency-in-progress",
    "Request in progress",
    "a request with this Idempotency-Key is still being processed",
)


def _problem(status: int, slug: str, title: str, detail: str) -> tuple[int, list, bytes]:
    body = msgspec.json.encode(problem_body(status, slug, title, detail, None))
    return (
        status,
        [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())],
        body,
    )


async def _send(send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def idempotency_middleware(app):
    async def middleware(scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await app(scope, receive, send)
            return
        raw_key = dict(scope["headers"]).get(b"idempotency-key")
        principal = scope.get("user")
        handler = scope.get("route_handler")
        read_only = handler is not None and handler.opt.get(READ_ONLY_OPT, False)
        if raw_key is None or principal is None or read_only:
            await app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _VALID_KEY.match(key):
            await _send(
                send,
                *_problem(
                    400,
                    "invalid-idempotency-key",
                    "Invalid Idempotency-Key",
                    "Idempotency-Key must be 1 to 200 visible ASCII characters",
                ),
            )
            return
        ctx = scope["app"].state.ctx
        limit = ctx.settings.server.max_body_bytes
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send(
                    send,
                    *_problem(
                        413,
                        "payload-too-large",
                        "The request is too large",
                        f"the body exceeds {limit} bytes",
                    ),
                )
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        owner = f"{principal.kind}:{principal.client_id}:{principal.subject_id or ''}"[:100]
        fingerprint = hashlib.sha256(
            b"\n".join(
                [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body]
            )
        ).hexdigest()

        async with ctx.db.write_session() as session:
            record = (
                await session.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
                    )
                )
            ).scalar_one_or_none()
            if record is None:
                session.add(
                    IdempotencyRecord(
                        owner=owner,
                        key=key,
                        request_hash=fingerprint,
                        status_code=_IN_PROGRESS,
                        body=b"",
                        headers={},
                        created_at=utcnow(),
                    )
                )
                try:
                    await session.flush()
                except IntegrityError:
                    record = None
                    await _send(
                        send,
                        *_problem(*_IN_FLIGHT),
                    )
                    return
        if record is not None:
            if record.request_hash != fingerprint:
                await _send(
                    send,
                    *_problem(
                        422,
                        "idempotency-key-reused",
                        "Idempotency-Key reused",
                        "this Idempotency-Key was used for a different request",
                    ),
                )
            elif record.status_code == _IN_PROGRESS:
                await _send(
                    send,
                    *_problem(*_IN_FLIGHT),
                )
            else:
                headers = [(k.encode(), v.encode()) for k, v in record.headers.items()]
                await _send(
                    send, record.status_code, [*headers, (b"idempotent-replayed", b"true")], record.body
                )
            return

        delivered = False

        async def replay_receive():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        response_headers: list = []
        response_body: list[bytes] = []

        async def capture(message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = message.get("headers", [])
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, replay_receive, capture)
        finally:
            async with ctx.db.write_session() as session:
                if status < 500:
                    kept = {
                        k.decode(): v.decode()
                        for k, v in response_headers
                        if k.lower() in (b"content-type", b"etag", b"location", b"content-length")
                    }
                    record = await session.get(IdempotencyRecord, (owner, key))
                    if record is not None:
                        record.status_code, record.body, record.headers = (
                            status,
                            b"".join(response_body),
                            kept,
                        )
                else:  # a failed attempt may be retried with the same key
                    await session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.owner == owner, IdempotencyRecord.key == key
                        )
                    )

    return middleware
