"""``Idempotency-Key`` on writes: a request with a key runs at most once per caller and key; retries get
its answer.

The request runs inside one database transaction (``Database.request_transaction``): the key is claimed
in it, every unit of work of the handler joins it, and the answer is stored in it before it commits; only
then is the answer sent (a failure before that is answered instead, through ``http.problems``, e.g.
503 when the database went away). So a crash or a database outage anywhere leaves either nothing (the retry runs
cleanly) or the write together with its answer (the retry gets that answer): never a key stuck "in
progress". A 5xx answer rolls the request back (the retry runs again). A key reused with a different
request is refused (422); a retry that waits too long for the same key still running gets 409 with
Retry-After (the widget retries it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import msgspec

from prefcenter.http.problems import PROBLEM_MEDIA_TYPE, exception_answer, problem_body
from prefcenter.store.idempotency import IdempotencyKeys, KeyBusy
from prefcenter.store.models import IdempotencyRecord
from prefcenter.store.unit_of_work import utcnow

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
# Route option for POSTs that change nothing (batch and streamed consent checks): retrying them is already
# safe, and buffering a streamed campaign to replay it later would defeat streaming.
READ_ONLY_OPT = "read_only"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_KEPT_HEADERS = (b"content-type", b"etag", b"location", b"content-length")
# How long a retry waits for a request with the same key that is still running before answering 409.
WAIT_FOR_SAME_KEY_SECONDS = 10.0
IN_PROGRESS_RETRY_AFTER_SECONDS = 1

Problem = tuple[int, list, bytes]


@dataclass
class Answer:
    """A response as the app sent it, held back until the request's transaction has committed."""

    status: int = 500
    headers: list = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def kept_headers(self) -> dict[str, str]:
        """The headers a replay repeats."""
        return {k.decode(): v.decode() for k, v in self.headers if k.lower() in _KEPT_HEADERS}


def _problem(status: int, slug: str, title: str, detail: str, *extra_headers: tuple[bytes, bytes]) -> Problem:
    body = msgspec.json.encode(problem_body(status, slug, title, detail, None))
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    return status, headers, body


INVALID_KEY = _problem(
    400,
    "invalid-idempotency-key",
    "Invalid Idempotency-Key",
    "Idempotency-Key must be 1 to 200 visible ASCII characters",
)
KEY_REUSED = _problem(
    422,
    "idempotency-key-reused",
    "Idempotency-Key reused",
    "this Idempotency-Key was used for a different request",
)
IN_PROGRESS = _problem(
    409,
    "idempotency-in-progress",
    "Request in progress",
    "a request with this Idempotency-Key is still being processed; retry after a moment",
    (b"retry-after", str(IN_PROGRESS_RETRY_AFTER_SECONDS).encode()),
)


def _too_large(limit: int) -> Problem:
    return _problem(413, "payload-too-large", "The request is too large", f"the body exceeds {limit} bytes")


async def _send(send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _idempotency_key(scope) -> str | None:
    """The request's key, when it is a keyed write by an authenticated caller to a route that changes things."""
    if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
        return None
    raw_key = dict(scope["headers"]).get(b"idempotency-key")
    handler = scope.get("route_handler")
    read_only = handler is not None and handler.opt.get(READ_ONLY_OPT, False)
    if raw_key is None or scope.get("user") is None or read_only:
        return None
    return raw_key.decode("latin-1")


async def _read_body(receive, limit: int) -> bytes | Problem | None:
    """The whole body (it is hashed and replayed to the app), a 413 problem, or ``None`` if the client left."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _owner(principal) -> str:
    return f"{principal.kind}:{principal.client_id}:{principal.subject_id or ''}"[:100]


def _fingerprint(scope, body: bytes) -> str:
    parts = [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body]
    return hashlib.sha256(b"\n".join(parts)).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Problem:
    """The stored answer for a retry, or 422 when the key was used for another request."""
    if record.request_hash != fingerprint:
        return KEY_REUSED
    headers = [(k.encode(), v.encode()) for k, v in record.headers.items()]
    return record.status_code, [*headers, (b"idempotent-replayed", b"true")], record.body


async def _run_captured(app, scope, receive, body: bytes) -> Answer:
    """Run the app on the already-read body; keep its response instead of sending it."""
    answer = Answer()
    delivered = False

    async def replay_receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    async def capture(message) -> None:
        if message["type"] == "http.response.start":
            answer.status, answer.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.chunks.append(message.get("body", b""))

    await app(scope, replay_receive, capture)
    return answer


class IdempotencyMiddleware:
    """ASGI middleware for the API's routes: a keyed write runs once per caller and key (see the module)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        key = _idempotency_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _VALID_KEY.match(key):
            await _send(send, *INVALID_KEY)
            return
        body = await _read_body(receive, scope["app"].state.ctx.settings.server.max_body_bytes)
        if body is None:
            return
        if isinstance(body, tuple):
            await _send(send, *body)
            return
        try:
            answer = await self._run_once(scope, receive, key, body)
        except Exception as exc:  # noqa: BLE001 - nothing was sent yet; the app's own answer is void
            status, headers, problem = exception_answer(exc, scope["path"])
            answer = status, [*headers, (b"content-length", str(len(problem)).encode())], problem
        await _send(send, *answer)

    async def _run_once(self, scope, receive, key: str, body: bytes) -> Problem:
        """Claim the key, run the request and store its answer, all in one transaction; or the stored answer."""
        db = scope["app"].state.ctx.db
        owner, fingerprint = _owner(scope["user"]), _fingerprint(scope, body)
        async with db.request_transaction() as transaction:
            keys = IdempotencyKeys(transaction.session, db.dialect)
            try:
                record = await keys.claim(owner, key, fingerprint, utcnow(), WAIT_FOR_SAME_KEY_SECONDS)
            except KeyBusy:
                return IN_PROGRESS
            if record is not None:
                return _replay(record, fingerprint)
            answer = await _run_captured(self.app, scope, receive, body)
            if answer.status < 500:  # a failed attempt is rolled back, so a retry runs again
                await keys.record_answer(owner, key, answer.status, answer.kept_headers(), answer.body)
                await transaction.commit()
        return answer.status, answer.headers, answer.body
