"""Staff helpers for tests: add a person, use their one-time link, read the staff events of the log."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from prefcenter.staff import service
from prefcenter.store.models import Event
from prefcenter.store.unit_of_work import Actor

OPERATOR = Actor("agent", "cli:test")
PASSWORD = "correct horse battery staple"


def new_email() -> str:
    return f"staff-{uuid.uuid4().hex[:10]}@example.com"


async def add_person(ctx, role: str = "agent", email: str | None = None) -> tuple[str, str, str]:
    """A new person: (id, email, one-time link token)."""
    email = email or new_email()
    async with ctx.unit_of_work() as uow:
        member, link = await service.add_staff(uow, OPERATOR, email, "Test Person", role)
        return member.id, email, link.token


async def add_with_password(ctx, role: str = "agent", **enrol) -> tuple[str, str]:
    staff_id, email, token = await add_person(ctx, role)
    async with ctx.unit_of_work() as uow:
        await service.set_password(uow, token, PASSWORD, require_mfa=ctx.settings.staff.require_mfa, **enrol)
    return staff_id, email


async def staff_events(ctx, staff_id: str | None = None) -> list[Event]:
    async with ctx.db.read_session() as session:
        rows = (
            await session.execute(select(Event).where(Event.type.like("staff.%")).order_by(Event.seq))
        ).scalars()
        return [e for e in rows if staff_id is None or e.actor_id == staff_id or staff_id in (e.data or "")]
