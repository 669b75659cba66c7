"""Password sign-in for staff: throttled, argon2id off the event loop, one answer for every failure.

The throttle (auth/throttle.py) counts failures per (``staff:<email>``, client address) and per address, the
same rule as API clients. An unknown email, a wrong password, a disabled account and a wrong code all answer
the same 401 after the same work (one read, one argon2id check, one audit event), so the answer never says
whether someone is staff. A right password asks for the TOTP code when the person enrolled one; a code signs
in once (its time step is remembered).

The console asks in two steps: a right password without a code answers ``SecondFactorRequired`` (or
``SecondFactorNotEnrolled``) carrying a short-lived signed *pending* token for the person; the code step
(``sign_in_with_code``) takes that token and a code, through the same throttle. A person whose role must have a
second factor and has none enrols one in that step: the pending token carries the new secret they were shown.
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
from prefcenter.staff.service import find_by_email, seal_totp_secret, staff_actor, totp_secret
from prefcenter.store.models_staff import StaffMember
from prefcenter.store.unit_of_work import Actor

if TYPE_CHECKING:
    from prefcenter.context import AppContext

WRONG = "the email, password or code is wrong"
PENDING_PURPOSE = "staff-second-factor"
PENDING_TTL_SECONDS = 300


class SecondFactorRequired(Unauthorized):
    """The password was right; the person's TOTP code is needed too."""

    slug, title = "second-factor-required", "A second factor is required"
    staff_id: str | None = None  # the person, for the console's code step (never in the problem answer)


class SecondFactorNotEnrolled(Forbidden):
    """PREFCENTER_REQUIRE_MFA=1 and an admin or officer without a second factor: a new link enrols one (the
    console enrols one in its code step)."""

    slug, title = "second-factor-not-enrolled", "A second factor must be enrolled first"
    staff_id: str | None = None


def pending_token(ctx: AppContext, staff_id: str, enrol_secret: bytes | None = None) -> str:
    """Five minutes to give the code step, after a right password; with the secret to enrol when one must be."""
    extra = {"enrol": totp.secret_text(enrol_secret)} if enrol_secret is not None else {}
    return ctx.tokens.purpose_token(PENDING_PURPOSE, staff_id, PENDING_TTL_SECONDS, **extra)[0]


def pending_enrolment(ctx: AppContext, token: str) -> bytes | None:
    """The secret a pending token asks its person to enrol (None: they have one); Unauthorized when expired."""
    enrol = ctx.tokens.verify_purpose(token, PENDING_PURPOSE).get("enrol")
    return totp.secret_from_text(enrol) if isinstance(enrol, str) else None


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
            refused = SecondFactorNotEnrolled(
                "your role needs a second factor: ask an admin for a new set-password link"
            )
            refused.staff_id = member.id
            raise refused
    else:
        if not code:
            asked = SecondFactorRequired("enter the code from your authenticator app", second_factor="totp")
            asked.staff_id = member.id
            raise asked
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


async def sign_in_with_code(ctx: AppContext, pending: str, code: str, address: str | None) -> StaffMember:
    """The console's code step: the person a pending token names, signed in by their TOTP code (enrolling the
    pending token's secret first when it carries one). Unauthorized for an expired token, a disabled person or
    a wrong code (counted by the throttle like a wrong password); RateLimited from the throttle."""
    claims = ctx.tokens.verify_purpose(pending, PENDING_PURPOSE)
    enrol = totp.secret_from_text(claims["enrol"]) if isinstance(claims.get("enrol"), str) else None
    async with ctx.db.read_session() as session:
        member = await session.get(StaffMember, str(claims["sub"]))
    if member is None:
        raise Unauthorized(WRONG)
    attempt = await throttle.admit(ctx, "staff:" + member.email, address)
    secret = enrol if enrol is not None else totp_secret(ctx.keys, member)
    enrolled_meanwhile = enrol is not None and member.totp_sealed is not None
    step = totp.accepts(secret, code, time.time(), after_step=member.totp_last_step) if secret else None
    if member.disabled or step is None or enrolled_meanwhile:
        await throttle.failed(ctx, attempt)
        await record_failure(ctx, member, "password", "disabled" if member.disabled else "second_factor")
        raise Unauthorized(WRONG)
    if enrol is not None:
        async with ctx.unit_of_work() as uow:
            stored = await uow.session.get(StaffMember, member.id, with_for_update=True)
            seal_totp_secret(uow, stored, enrol)
            stored.totp_last_step = step
            stored.updated_at = uow.now
            await uow.append_event(
                "staff.second_factor_enrolled", actor=staff_actor(stored), data={"staff_id": stored.id}
            )
    elif not await _use_step(ctx, member, step):
        await throttle.failed(ctx, attempt)
        await record_failure(ctx, member, "password", "second_factor")
        raise Unauthorized(WRONG)
    await throttle.succeeded(ctx, attempt)
    await record_sign_in(ctx, member, "password", second_factor=True)
    return member
