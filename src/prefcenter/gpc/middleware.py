"""ASGI middleware: a customer's widget write with ``Sec-GPC: 1`` first honours GPC (see ``service``)."""

from __future__ import annotations

import re

import structlog
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from prefcenter.auth.principal import Principal
from prefcenter.errors import DomainError
from prefcenter.gpc.service import honour_gpc
from prefcenter.http.etag import etag, expected_revision
from prefcenter.store.models import Subject

log = structlog.get_logger("prefcenter.gpc")
_WRITE_PATH = re.compile(r"^/v1/subjects/([^/]+)/(preferences|consents(/[^/]+/withdraw)?)$")


def gpc_middleware(app):
    async def middleware(scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PATCH"):
            headers = dict(scope["headers"])
            principal = scope.get("user")
            match = _WRITE_PATH.match(scope["path"])
            ctx = scope["app"].state.ctx
            if (
                match
                and headers.get(b"sec-gpc", b"").strip() == b"1"
                and ctx.settings.widget.honour_gpc_header
                and isinstance(principal, Principal)
                and principal.kind == "subject"
                and principal.mode != "agent"  # an agent's browser is not the customer's
                and principal.subject_id == match.group(1)
            ):
                scope = await _honour(ctx, scope, principal, headers)
        await app(scope, receive, send)

    return middleware


async def _honour(ctx, scope, principal: Principal, headers: dict) -> dict:
    raw_if_match = headers.get(b"if-match")
    try:
        expected = expected_revision(raw_if_match.decode("latin-1")) if raw_if_match else None
        async with ctx.unit_of_work() as uow:
            topics = await honour_gpc(
                uow, principal.actor, principal.subject_id, principal.touchpoint or "web", expected
            )
            subject = await uow.session.get(Subject, principal.subject_id)
            revision = subject.revision if subject is not None else None
    except DomainError:
        return scope  # stale If-Match, erased subject, ...: the request itself answers
    if topics is None:
        return scope
    log.info("gpc.honoured", subject_id=principal.subject_id, topics=topics)
    if expected is not None and revision is not None and revision != expected:
        # The request's precondition held for the state it saw; the GPC step is part of this request.
        new_headers = [(k, v) for k, v in scope["headers"] if k != b"if-match"]
        new_headers.append((b"if-match", etag(revision).encode()))
        scope["headers"] = new_headers
        ScopeState.from_scope(scope).headers = Empty  # parsed headers are cached in the scope
    return scope
