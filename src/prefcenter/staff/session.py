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
from prefcenter.store.models_auth import RevokedSession
from prefcenter.store.models_staff import StaffMember

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
        revoked = await session.get(RevokedSession, session_id) if session_id else None
    if member is None or member.disabled or revoked is not None or not session_id or not is_role(role):
        raise Unauthorized("sign in again")
    return StaffSession(
        staff_id=member.id,
        name=member.name,
        role=str(role),
        method=str(claims.get("method") or "password"),
        session_id=session_id,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )
