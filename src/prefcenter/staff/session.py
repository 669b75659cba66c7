"""A staff session: a short-lived signed token in an HttpOnly cookie, naming the person and their role.

The token has its own audience (``prefcenter-staff``), so it is never accepted as an API bearer token or as
an API client's admin session. The person is read again on every request: disabling them ends their
sessions at once. The role is the one granted at sign-in (single sign-on may grant it from a claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prefcenter.core.staff_rules import is_role
from prefcenter.errors import Unauthorized
from prefcenter.store.models_staff import StaffMember
from prefcenter.store.revoked_sessions import is_revoked, revoke_session
from prefcenter.store.unit_of_work import Actor

if TYPE_CHECKING:
    from prefcenter.context import AppContext

PURPOSE = "staff"
SESSION_TTL_SECONDS = 3600
COOKIE = "prefcenter_staff"
SECURE_COOKIE = "__Host-prefcenter_staff"


@dataclass(frozen=True)
class StaffSession:
    staff_id: str
    name: str
    role: str
    method: str  # password | sso
    session_id: str
    expires_at: datetime
    time_zone: str = "UTC"

    @property
    def actor(self) -> Actor:
        """Who the audit log names for what this person does: ``staff:<id>``."""
        return Actor("staff", self.staff_id)


def cookie_name(secure: bool) -> str:
    return SECURE_COOKIE if secure else COOKIE


def issue_session(ctx: AppContext, member: StaffMember, role: str, method: str) -> str:
    """The session token for a person who just signed in, with the role this sign-in granted."""
    return ctx.tokens.purpose_token(PURPOSE, member.id, SESSION_TTL_SECONDS, role=role, method=method)[0]


async def read_session(ctx: AppContext, token: str | None) -> StaffSession:
    """The session a cookie holds; Unauthorized when absent, forged, expired, signed out or the person disabled."""
    if not token:
        raise Unauthorized("sign in first")
    claims = ctx.tokens.verify_purpose(token, PURPOSE)
    staff_id, session_id, role = str(claims["sub"]), str(claims.get("jti") or ""), claims.get("role")
    async with ctx.db.read_session() as session:
        member = await session.get(StaffMember, staff_id)
        revoked = await is_revoked(session, session_id) if session_id else True
    if member is None or member.disabled or revoked or not is_role(role):
        raise Unauthorized("sign in again")
    return StaffSession(
        staff_id=member.id,
        name=member.name,
        role=str(role),
        method=str(claims.get("method") or "password"),
        session_id=session_id,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        time_zone=member.time_zone or "UTC",
    )


async def end_session(ctx: AppContext, signed_in: StaffSession) -> None:
    """Sign out on the server: the session's token is refused from now on, wherever it is presented, by every
    server process (kept in ``revoked_sessions`` until it expires anyway); ``staff.signed_out`` is audited."""
    async with ctx.unit_of_work() as uow:
        await revoke_session(uow.session, signed_in.session_id, signed_in.expires_at, uow.now)
        await uow.append_event(
            "staff.signed_out",
            actor=signed_in.actor,
            data={"staff_id": signed_in.staff_id, "method": signed_in.method},
        )
