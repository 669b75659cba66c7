"""A lean ASGI path for exactly ``GET /v1/consent-checks`` (the hot single check), inside the CORS wrapper.

Why it exists: measured in one process (docs/performance.md), the Litestar route answers a check in about
three times the time of this path (its routing, middleware stack, guards, signature model and response
object cost more than the check's own read and decision), and no setting of the route closes that gap.

It is built only from public pieces and does what the Litestar route does by calling the same functions:
the query string parsed as Litestar parses it (``urllib.parse.parse_qsl`` with Litestar's arguments;
``litestar.Request(scope).query_params`` gives the same pairs, a test holds them equal, but building the
request's connection state and ``MultiDict`` doubled the parsing cost), the two headers it reads from the
ASGI scope (the first of each, as ``Headers.get`` gives them: building Litestar's ``Headers`` cost more than
all the rest of the parsing), ``auth.guards.authenticate`` (bearer token through ``TokenIssuer.principal``
and its cache) and ``auth.guards.check_access`` (the scope rule), ``http.rate_limit.take_token`` (the same per-client buckets), the route's documented query
parameters from the app's own OpenAPI document (``http.strict_query``), ``checks.service.check_one``, the
msgspec encoding of ``ConsentCheckRead``, and ``http.request_context`` (request id + one access line).

Anything it does not answer itself falls through to Litestar, which stays the reference: another path or
method, a query that is not exactly the documented parameters within their documented lengths and patterns, a missing,
invalid or wrongly scoped token, a rate-limited client (refusing takes no token, so Litestar refuses the
same way). None of those has a side effect before falling through. After the rate limiter took its
token, a malformed subject (422), a database that is away (503, or 507 for a full disk) or an unexpected
error (500) is answered here with the same problem bodies (``http.problems``). A test checks both
paths give the same bytes, statuses and headers.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

from prefcenter.auth.guards import authenticate, check_access
from prefcenter.checks import service
from prefcenter.errors import DomainError
from prefcenter.http.problems import exception_answer
from prefcenter.http.rate_limit import take_token
from prefcenter.http.request_context import request_context_middleware
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import utcnow

PATH = "/v1/consent-checks"
SCOPE = "consent:check"
_JSON = (b"content-type", b"application/json")
_encode = msgspec.json.encode


def _limits(app) -> dict[str, tuple[int, int, re.Pattern[str] | None]]:
    """name -> (min length, max length, pattern) of the route's documented query parameters (all required)."""
    operation = app.openapi_schema.paths[PATH].get
    limits = {}
    for p in operation.parameters or []:
        if getattr(p, "param_in", None) != "query" or not p.required:
            raise RuntimeError(f"{PATH}: unexpected parameter {p.name}; update checks/fast_path.py")
        pattern = re.compile(p.schema.pattern) if p.schema.pattern else None
        limits[p.name] = (p.schema.min_length or 0, p.schema.max_length or 1 << 30, pattern)
    return limits


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query string's (name, value) pairs in order, exactly as Litestar parses a route's query
    (litestar/_parsers.py: the latin-1 text through ``parse_qsl``, blank values kept, ``&`` only)."""
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, separator="&")


def consent_check_fast_path(litestar_app) -> ASGIApp:
    """Wrap ``litestar_app.asgi_handler``: serve the hot single check, hand everything else on."""
    handler = litestar_app.asgi_handler
    state = litestar_app.state
    ctx = state.ctx
    limits: dict[str, tuple[int, int, re.Pattern[str] | None]] | None = None

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        subject, channel, topic = scope["prefcenter.check"]
        status, headers = 200, [_JSON]
        try:
            result = await service.check_one(
                projection_reader(ctx.db), ctx.keys.pepper, utcnow(), subject, channel, topic
            )
            body = _encode(result)
        except Exception as exc:  # noqa: BLE001 - the same answers as Litestar's handlers (http/problems.py)
            status, headers, body = exception_answer(exc, PATH)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    answer_with_context = request_context_middleware(answer)

    async def fast_path(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal limits
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            await handler(scope, receive, send)
            return
        if limits is None:
            limits = _limits(litestar_app)
        pairs = query_pairs(scope.get("query_string", b""))
        values = dict(pairs)
        if len(pairs) != len(limits) or values.keys() != limits.keys():
            await handler(scope, receive, send)  # unknown, repeated or missing parameters: Litestar's 400
            return
        for name, (low, high, pattern) in limits.items():
            value = values[name]
            if not low <= len(value) <= high or (pattern is not None and not pattern.search(value)):
                await handler(scope, receive, send)
                return
        authorization = origin = None
        for name, value in scope["headers"]:  # the first of each, as Litestar's Headers.get (cheaper)
            if name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"origin" and origin is None:
                origin = value.decode("latin-1")
        try:
            principal = authenticate(authorization or "", origin, ctx.tokens)
            check_access(principal, SCOPE)
            take_token(state, principal)
        except DomainError:
            await handler(scope, receive, send)  # 401 / 403 / 429: nothing taken; Litestar answers
            return
        scope["prefcenter.check"] = (values["subject"], values["channel"], values["topic"])
        await answer_with_context(scope, receive, send)

    return fast_path
