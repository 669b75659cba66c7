"""Password sign-in for staff: throttled, argon2id off the event loop, one answer for every failure.

The throttle (auth/throttle.py) counts failures per (``staff:<email>``, client address) and per address, the
same rule as API clients. An unknown email, a wrong password, a disabled account and a wrong code all answer
the same 401 after the same work (one read, one argon2id check, one audit event), so the answer never says
whether someone is staff. A right password asks for the TOTP code when the person enrolled one; a code signs
in once (its time step is remembered).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import or_, update

from prefcenter.auth import throttle
from prefcenter.core import totp
from prefcenter.core.staff_rules import needs_second_factor
from prefcenter.errors import Forbidden, Unauthorized
from prefcenter.staff.passwords import password_matches
from prefcenter.staff.service import find_by_email, staff_actor, totp_secret
from prefcenter.store.models_staff import StaffMember
from prefcenter.store.unit_of_work import Actor

if TYPE_CHECKING:
    from prefcenter.context import AppContext

WRONG = "the email, password or code is wrong"


class SecondFactorRequired(Unauthorized):
    """The password was right; the person's TOTP code is needed too."""

    slug, title = "second-factor-required", "A second factor is required"


class SecondFactorNotEnrolled(Forbidden):
    """PREFCENTER_REQUIRE_MFA=1 and an admin or officer without a second factor: a new link enrols one."""

    slug, title = "second-factor-not-enrolled", "A second factor must be enrolled first"


async def record_failure(ctx: AppContext, member: StaffMember | None, method: str, reason: str) -> None:
    """``staff.sign_in_failed``: the person's id when the email is staff, else no id (the email is not logged)."""
    actor = staff_actor(member) if member is not None else Actor("staff", None)
    data = {"method": method, "reason": reason}
    if member is not None:
        data["staff_id"] = member.id
    async with ctx.unit_of_work() as uow:
        await uow.append_event("staff.sign_in_failed", actor=actor, data=data)


async def record_sign_in(ctx: AppContext, member: StaffMember, method: str, **data: object) -> None:
    async with ctx.unit_of_work() as uow:
        await uow.append_event(
            "staff.signed_in",
            actor=staff_actor(member),
            data={"staff_id": member.id, "method": method, **data},
        )


async def sign_in_with_password(
    ctx: AppContext, email: str, password: str, code: str | None, address: str | None
) -> StaffMember:
    """The signed-in person, or Unauthorized / SecondFactorRequired / RateLimited (from the throttle)."""
    attempt = await throttle.admit(ctx, "staff:" + email.strip().lower()[:254], address)
    async with ctx.db.read_session() as session:
        member = await find_by_email(session, email)
    right = await password_matches(member.password_hash if member is not None else None, password)
    if member is None or member.disabled or not right:
        await throttle.failed(ctx, attempt)
        reason = "unknown_account" if member is None else "disabled" if member.disabled else "password"
        await record_failure(ctx, member, "password", reason)
        raise Unauthorized(WRONG)
    secret = totp_secret(ctx.keys, member)
    if secret is None:
        if needs_second_factor(member.role, require_mfa=ctx.settings.staff.require_mfa):
            await record_failure(ctx, member, "password", "second_factor_not_enrolled")
            raise SecondFactorNotEnrolled(
                "your role needs a second factor: ask an admin for a new set-password link"
            )
    else:
        if not code:
            raise SecondFactorRequired("enter the code from your authenticator app", second_factor="totp")
        step = totp.accepts(secret, code, time.time(), after_step=member.totp_last_step)
        if step is None or not await _use_step(ctx, member, step):
            await throttle.failed(ctx, attempt)
            await record_failure(ctx, member, "password", "second_factor")
            raise Unauthorized(WRONG)
    await throttle.succeeded(ctx, attempt)
    await record_sign_in(ctx, member, "password", second_factor=secret is not None)
    return member


async def _use_step(ctx: AppContext, member: StaffMember, step: int) -> bool:
    """Remember the code's time step; False when another sign-in used this step (or a later one) first."""
    async with ctx.db.write_session() as session:
        result = await session.execute(
            update(StaffMember)
            .where(
                StaffMember.id == member.id,
                or_(StaffMember.totp_last_step.is_(None), StaffMember.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
    return result.rowcount == 1
