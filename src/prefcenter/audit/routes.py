from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter, QueryParameter

from prefcenter.audit import service
from prefcenter.audit.schemas import EventPage, LogEventPage, VerificationRead
from prefcenter.auth.guards import ensure_subject_access, requires
from prefcenter.context import AppContext
from prefcenter.subjects.service import get_subject
from prefcenter.vocabulary import CURSOR_PATTERN, SINGLE_LINE_PATTERN


def _verification_read(v: service.Verification) -> VerificationRead:
    return VerificationRead(
        ok=v.ok,
        events_checked=v.events_checked,
        head_seq=v.head_seq,
        head_hash=v.head_hash,
        checkpoints_checked=v.checkpoints_checked,
        first_bad_seq=v.first_bad_seq,
        problem=v.problem,
        verified_at=datetime.now(UTC),
    )


class SubjectEventsController(Controller):
    path = "/v1/subjects/{subject_id:str}/events"
    tags = ["audit"]

    @get("/", operation_id="listSubjectEvents", guards=[requires("preferences:read", subject_token=True)])
    async def list_events(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: Annotated[
            str,
            Parameter(description="The subject's prefcenter id", max_length=36, pattern=SINGLE_LINE_PATTERN),
        ],
        cursor: Annotated[
            str | None,
            Parameter(
                description="next_cursor from the previous page", max_length=100, pattern=CURSOR_PATTERN
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=service.MAX_PAGE, description="Page size")] = 100,
    ) -> EventPage:
        """A subject's audit history, oldest first, cursor-paginated.

        With a subject token: only what the person may see (no staff notes, no internal DSR steps)."""
        ensure_subject_access(request.user, subject_id)
        async with ctx.db.read_session() as session:
            await get_subject(session, subject_id)
            return await service.subject_history(
                session, subject_id, cursor, limit, for_subject=request.user.kind == "subject"
            )


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["audit"]
    guards = [requires("audit:read")]

    @get("/events", operation_id="searchAuditLog")
    async def search(
        self,
        ctx: AppContext,
        actor: Annotated[
            str | None,
            Parameter(
                description="Who acted: `customer`, `agent`, `client`, `staff`, `system`, or one of them "
                "with an id, e.g. `client:crm` or `staff:<id>`",
                max_length=108,
                pattern=service.ACTOR_PATTERN,
            ),
        ] = None,
        event_type: Annotated[
            str | None,
            QueryParameter(
                name="type",
                description="Event type, e.g. `consent.granted`",
                max_length=60,
                pattern=service.EVENT_TYPE_PATTERN,
            ),
        ] = None,
        subject_id: Annotated[
            str | None,
            Parameter(description="Only this subject's events", max_length=36, pattern=SINGLE_LINE_PATTERN),
        ] = None,
        since: Annotated[
            str | None,
            QueryParameter(
                name="from",
                description="From this instant, inclusive (RFC 3339, or a date: midnight UTC)",
                max_length=40,
                pattern=service.INSTANT_PATTERN,
            ),
        ] = None,
        until: Annotated[
            str | None,
            QueryParameter(
                name="to",
                description="Up to this instant, exclusive (RFC 3339, or a date: midnight UTC)",
                max_length=40,
                pattern=service.INSTANT_PATTERN,
            ),
        ] = None,
        cursor: Annotated[
            str | None,
            Parameter(
                description="next_cursor from the previous page", max_length=100, pattern=CURSOR_PATTERN
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=service.MAX_PAGE, description="Page size")] = 100,
    ) -> LogEventPage:
        """Search the whole audit log by actor, event type, subject and time, newest first, cursor-paginated.

        Sealed personal fields are never decrypted here (`has_sealed` says an event holds some)."""
        where = service.LogFilter(
            actor=actor, type=event_type, subject_id=subject_id, since=since, until=until
        )
        async with ctx.db.read_session() as session:
            return await service.search_log(session, where, cursor, limit)

    @get("/verification", operation_id="verifyAuditLog")
    async def verify(self, ctx: AppContext) -> VerificationRead:
        """Verify the whole hash chain and every signed checkpoint now."""
        async with ctx.db.read_session() as session:
            return _verification_read(await service.verify_log(session, ctx.keys))

    @post("/checkpoints", operation_id="createCheckpoint", status_code=200)
    async def checkpoint(self, ctx: AppContext) -> VerificationRead:
        """Sign a checkpoint of the current head (no-op when it is signed already), then verify."""
        async with ctx.unit_of_work() as uow:
            await uow.checkpoint_now()
        async with ctx.db.read_session() as session:
            return _verification_read(await service.verify_log(session, ctx.keys))
