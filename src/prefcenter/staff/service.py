"""Staff accounts: add, list, disable, one-time set-password links, setting a password, enrolling TOTP, and
one's own time zone.

Every change is an audited event (``staff.*``) carrying the person's id, never their email or name (the log
is shared with downstream systems and kept for years). The CLI and ``/v1/staff`` both call these.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core import crypto, totp
from prefcenter.core.normalise import InvalidIdentity
from prefcenter.core.staff_rules import (
    LINK_TTL,
    is_role,
    link_token_hash,
    link_usable,
    needs_second_factor,
    new_link_token,
    normalise_staff_email,
)
from prefcenter.errors import Conflict, Gone, InvalidField, InvalidInput, NotFound
from prefcenter.staff.passwords import check_password_rules, hash_password
from prefcenter.staff.schemas import PasswordLinkRead, StaffRead
from prefcenter.store.models_staff import StaffLink, StaffMember
from prefcenter.store.unit_of_work import Actor, UnitOfWork

SET_PASSWORD_PATH = "/admin/set-password/"
_TOTP_AAD = b"prefcenter staff totp\x00"


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: datetime

    def read(self, staff_id: str, public_url: str) -> PasswordLinkRead:
        return PasswordLinkRead(
            staff_id=staff_id, url=set_password_url(public_url, self.token), expires_at=self.expires_at
        )


def set_password_url(public_url: str, token: str) -> str:
    return f"{public_url}{SET_PASSWORD_PATH}{token}"


def staff_actor(member: StaffMember) -> Actor:
    return Actor("staff", member.id)


def to_read(member: StaffMember) -> StaffRead:
    return StaffRead(
        id=member.id,
        email=member.email,
        name=member.name,
        role=member.role,  # type: ignore[arg-type]
        disabled=member.disabled,
        time_zone=member.time_zone,
        has_password=member.password_hash is not None,
        has_second_factor=member.totp_sealed is not None,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )


def _email(value: str) -> str:
    try:
        return normalise_staff_email(value)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc), reason="invalid_email") from None


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Paris", reason="invalid_time_zone"
        ) from None
    return value


async def find_by_email(session: AsyncSession, email: str) -> StaffMember | None:
    try:
        normalised = normalise_staff_email(email)
    except InvalidIdentity:
        return None
    return (
        await session.execute(select(StaffMember).where(StaffMember.email == normalised))
    ).scalar_one_or_none()


async def get_member(session: AsyncSession, ref: str) -> StaffMember:
    """A staff member by id, or by email (the CLI names people by email); NotFound otherwise."""
    member = await session.get(StaffMember, ref) if len(ref) <= 36 else None
    if member is None and "@" in ref:
        member = await find_by_email(session, ref)
    if member is None:
        raise NotFound(f"no staff member {ref}")
    return member


async def list_staff(session: AsyncSession) -> list[StaffMember]:
    return list(
        (
            await session.execute(select(StaffMember).order_by(StaffMember.created_at, StaffMember.email))
        ).scalars()
    )


async def add_staff(
    uow: UnitOfWork, actor: Actor, email: str, name: str, role: str, time_zone: str = "UTC"
) -> tuple[StaffMember, IssuedLink]:
    """A new person with no password yet, and the one-time link that lets them set one (24 hours)."""
    if not is_role(role):
        raise InvalidField("role", f"unknown role {role!r}")
    email = _email(email)
    if await find_by_email(uow.session, email) is not None:
        raise Conflict("a staff member with this email exists already")
    member = StaffMember(
        id=str(uuid.uuid4()),
        email=email,
        name=name.strip() or email,
        role=role,
        disabled=False,
        time_zone=_time_zone(time_zone),
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(member)
    await uow.session.flush()
    await uow.append_event("staff.created", actor=actor, data={"staff_id": member.id, "role": role})
    return member, await issue_password_link(uow, actor, member)


async def issue_password_link(uow: UnitOfWork, actor: Actor, member: StaffMember) -> IssuedLink:
    """A new one-time set-password link; links issued before it stop working (one live link per person)."""
    if member.disabled:
        raise Conflict("this staff member is disabled")
    for old in (
        await uow.session.execute(
            select(StaffLink).where(StaffLink.staff_id == member.id, StaffLink.used_at.is_(None))
        )
    ).scalars():
        old.used_at = uow.now
    token, token_hash = new_link_token()
    expires_at = uow.now + LINK_TTL
    uow.session.add(
        StaffLink(token_hash=token_hash, staff_id=member.id, expires_at=expires_at, created_at=uow.now)
    )
    await uow.append_event(
        "staff.password_link_issued",
        actor=actor,
        data={"staff_id": member.id, "expires_at": expires_at.isoformat()},
    )
    return IssuedLink(token, expires_at)


async def active_admins(session: AsyncSession, *, lock: bool = False) -> list[str]:
    statement = select(StaffMember.id).where(StaffMember.role == "admin", StaffMember.disabled.is_(False))
    if lock:  # two admins disabled at once on PostgreSQL: the second waits and sees the first
        statement = statement.with_for_update()
    return list((await session.execute(statement)).scalars())


async def disable_staff(uow: UnitOfWork, actor: Actor, ref: str) -> StaffMember:
    """Disable a person: no sign-in from now on. The last active admin cannot be disabled (Conflict)."""
    member = await get_member(uow.session, ref)
    if member.disabled:
        return member
    if member.role == "admin" and (await active_admins(uow.session, lock=True)) == [member.id]:
        raise Conflict("the last active admin cannot be disabled; make another admin first")
    member.disabled = True
    member.updated_at = uow.now
    for link in (
        await uow.session.execute(
            select(StaffLink).where(StaffLink.staff_id == member.id, StaffLink.used_at.is_(None))
        )
    ).scalars():
        link.used_at = uow.now
    await uow.append_event("staff.disabled", actor=actor, data={"staff_id": member.id})
    return member


async def set_time_zone(uow: UnitOfWork, actor: Actor, staff_id: str, time_zone: str) -> StaffMember:
    """The person's own time zone (an IANA name, checked with zoneinfo): the console shows every date in it.
    Audited (``staff.time_zone_changed``) when it changes."""
    member = await get_member(uow.session, staff_id)
    zone = _time_zone(time_zone)
    if member.time_zone == zone:
        return member
    before, member.time_zone, member.updated_at = member.time_zone, zone, uow.now
    await uow.append_event(
        "staff.time_zone_changed", actor=actor, data={"staff_id": member.id, "from": before, "to": zone}
    )
    return member


# --- second factor -------------------------------------------------------------------------------------------


def seal_totp_secret(uow: UnitOfWork, member: StaffMember, secret: bytes) -> None:
    member.totp_key_id = uow.keys.master_key_id
    member.totp_sealed = crypto.seal(uow.keys.master_key, secret, _TOTP_AAD + member.id.encode())
    member.totp_last_step = None


def totp_secret(keys, member: StaffMember) -> bytes | None:
    """The person's TOTP secret, unsealed with the master key that sealed it (current or previous)."""
    if member.totp_sealed is None or member.totp_key_id is None:
        return None
    return crypto.unseal(
        keys.master_key_by_id(member.totp_key_id), member.totp_sealed, _TOTP_AAD + member.id.encode()
    )


def _check_enrolment(secret: bytes | None, code: str | None, now: float) -> bytes:
    if secret is None or code is None:
        raise InvalidField(
            "totp_code", "a second factor is required for this role: scan the secret and enter a code"
        )
    if totp.accepts(secret, code, now) is None:
        raise InvalidField("totp_code", "the code does not match the secret; check the device's clock")
    return secret


# --- one-time links ------------------------------------------------------------------------------------------


async def link_holder(uow: UnitOfWork, token: str) -> tuple[StaffLink, StaffMember]:
    """The link and its person, or Gone (used, expired, unknown, or the person was disabled)."""
    link = (
        await uow.session.get(StaffLink, link_token_hash(token), with_for_update=True)
        if 0 < len(token) <= 200
        else None
    )
    if link is None or not link_usable(link.expires_at, link.used_at, uow.now):
        raise Gone("this link was used, has expired or does not exist; ask an admin for a new one")
    member = await uow.session.get(StaffMember, link.staff_id)
    if member is None or member.disabled:
        raise Gone("this link was used, has expired or does not exist; ask an admin for a new one")
    return link, member


async def set_password(
    uow: UnitOfWork,
    token: str,
    password: str,
    *,
    require_mfa: bool,
    totp_secret_given: bytes | None = None,
    totp_code: str | None = None,
) -> StaffMember:
    """Use a one-time link: set the person's password (and enrol TOTP when given, or when their role must)."""
    link, member = await link_holder(uow, token)
    check_password_rules(password)
    must_enrol = needs_second_factor(member.role, require_mfa=require_mfa) and member.totp_sealed is None
    if must_enrol or totp_secret_given is not None:
        seal_totp_secret(uow, member, _check_enrolment(totp_secret_given, totp_code, uow.now.timestamp()))
    link.used_at = uow.now
    member.password_hash = await hash_password(password)
    member.updated_at = uow.now
    await uow.append_event(
        "staff.password_set",
        actor=staff_actor(member),
        data={"staff_id": member.id, "second_factor": member.totp_sealed is not None},
    )
    return member
