"""Reading GDPR requests: one with its history, downstream outcomes and export; lists filtered and
cursor-paged, newest first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core.cursors import decode_cursor, encode_cursor
from prefcenter.dsr.actions import FINAL, OPEN
from prefcenter.dsr.lifecycle import get_request
from prefcenter.dsr.schemas import DsrPage, DsrRead, ExportInfo, HistoryRead, SystemOutcome
from prefcenter.store.models_dsr import DownstreamSystem, DsrExport, DsrHistory, DsrRequest, DsrSystemTask
from prefcenter.store.unit_of_work import utcnow


def _summary(req: DsrRequest, now: datetime) -> DsrRead:
    return DsrRead(
        id=req.id,
        type=req.type,
        subject_id=req.subject_id,
        addressed_by=req.addressed_by,
        status=req.status,
        outcome=req.outcome,
        received_at=req.received_at,
        due_at=req.due_at,
        overdue=req.status in OPEN and req.due_at < now,
        extended_months=req.extended_months,
        extension_reason=req.extension_reason,
        verified_at=req.verified_at,
        verification_method=req.verification_method,
        completed_at=req.completed_at,
        duplicates=req.duplicates,
        last_error=req.last_error,
        source=req.source,  # type: ignore[arg-type]
    )


async def read_request(session: AsyncSession, request_id: str) -> DsrRead:
    req = await get_request(session, request_id)
    out = _summary(req, utcnow())
    history = (
        await session.execute(
            select(DsrHistory).where(DsrHistory.request_id == req.id).order_by(DsrHistory.id)
        )
    ).scalars()
    out.history = [
        HistoryRead(
            at=h.at,
            action=h.action,
            from_status=h.from_status,
            to_status=h.to_status,
            actor_type=h.actor_type,
            actor_id=h.actor_id,
            reason=h.reason,
        )
        for h in history
    ]
    tasks = await session.execute(
        select(DsrSystemTask, DownstreamSystem.name)
        .join(DownstreamSystem, DownstreamSystem.id == DsrSystemTask.system_id)
        .where(DsrSystemTask.request_id == req.id)
        .order_by(DownstreamSystem.name)
    )
    out.systems = [
        SystemOutcome(
            system_id=t.system_id,
            system_name=name,
            status=t.status,
            detail=t.detail,
            resolved_at=t.resolved_at,
        )
        for t, name in tasks.all()
    ]
    export = (
        await session.execute(select(DsrExport).where(DsrExport.request_id == req.id))
    ).scalar_one_or_none()
    if export is not None:
        out.export = ExportInfo(
            id=export.id,
            schema_version=export.schema_version,
            size_bytes=export.size_bytes,
            created_at=export.created_at,
            expires_at=export.expires_at,
        )
    return out


def _request_cursor(req: DsrRequest) -> str:
    return encode_cursor(f"{req.received_at.isoformat()}|{req.id}")


def _received_and_id(text: str) -> tuple[datetime, str]:
    at, _, rid = text.partition("|")
    return datetime.fromisoformat(at), rid


async def list_requests(
    session: AsyncSession,
    *,
    status: str | None = None,
    type: str | None = None,
    overdue: bool | None = None,
    subject_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> DsrPage:
    now = utcnow()
    statement = select(DsrRequest)
    if status:
        statement = statement.where(DsrRequest.status == status)
    if type:
        statement = statement.where(DsrRequest.type == type)
    if subject_id:
        statement = statement.where(DsrRequest.subject_id == subject_id)
    if overdue is True:
        statement = statement.where(DsrRequest.status.in_(OPEN), DsrRequest.due_at < now)
    elif overdue is False:
        statement = statement.where(or_(DsrRequest.status.in_(FINAL), DsrRequest.due_at >= now))
    if cursor:
        at, rid = decode_cursor(cursor, _received_and_id)
        statement = statement.where(
            or_(DsrRequest.received_at < at, and_(DsrRequest.received_at == at, DsrRequest.id < rid))
        )
    rows = (
        (
            await session.execute(
                statement.order_by(DsrRequest.received_at.desc(), DsrRequest.id.desc()).limit(limit + 1)
            )
        )
        .scalars()
        .all()
    )
    items = [_summary(r, now) for r in rows[:limit]]
    return DsrPage(items=items, next_cursor=_request_cursor(rows[limit - 1]) if len(rows) > limit else None)
