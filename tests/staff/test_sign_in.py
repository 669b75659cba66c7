"""Password sign-in on both engines: one-time links, the uniform refusal, the throttle, TOTP, required MFA,
and the audit events (actor staff:<id>)."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from prefcenter.core import totp
from prefcenter.errors import Gone, InvalidField, RateLimited, Unauthorized
from prefcenter.settings import StaffSettings
from prefcenter.staff import service
from prefcenter.staff.session import issue_session, read_session
from prefcenter.staff.sign_in import SecondFactorNotEnrolled, SecondFactorRequired, sign_in_with_password
from prefcenter.store.models_staff import StaffMember
from tests.staff.support import OPERATOR, PASSWORD, add_person, add_with_password, staff_events

pytestmark = pytest.mark.postgres


def address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


async def test_a_link_sets_the_password_once(api):
    ctx = api.ctx
    staff_id, email, token = await add_person(ctx)
    async with ctx.unit_of_work() as uow:
        with pytest.raises(InvalidField):
            await service.set_password(uow, token, "short", require_mfa=False)
    async with ctx.unit_of_work() as uow:
        await service.set_password(uow, token, PASSWORD, require_mfa=False)
    with pytest.raises(Gone):
        async with ctx.unit_of_work() as uow:
            await service.set_password(uow, token, PASSWORD, require_mfa=False)
    with pytest.raises(Gone):
        async with ctx.unit_of_work() as uow:
            await service.set_password(uow, "made-up-token", PASSWORD, require_mfa=False)
    async with ctx.db.read_session() as session:
        stored = (await session.get(StaffMember, staff_id)).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    member = await sign_in_with_password(ctx, email.upper(), PASSWORD, None, address())
    assert member.id == staff_id
    events = await staff_events(ctx, staff_id)
    assert [e.type for e in events][-2:] == ["staff.password_set", "staff.signed_in"]
    assert all(e.actor_type == "staff" and e.actor_id == staff_id for e in events[-2:])


async def test_an_expired_link_is_gone(api):
    ctx = api.ctx
    _staff_id, _email, token = await add_person(ctx)
    async with ctx.unit_of_work() as uow:
        link, _member = await service.link_holder(uow, token)
        link.expires_at = uow.now
    with pytest.raises(Gone):
        async with ctx.unit_of_work() as uow:
            await service.set_password(uow, token, PASSWORD, require_mfa=False)


async def test_every_failure_gets_the_same_answer_and_is_audited(api):
    ctx = api.ctx
    staff_id, email = await add_with_password(ctx)
    disabled_id, disabled_email = await add_with_password(ctx)
    async with ctx.unit_of_work() as uow:
        await service.disable_staff(uow, OPERATOR, disabled_id)
    answers = []
    for who, password in [
        (email, "wrong password!!"),
        ("nobody-" + email, PASSWORD),
        (disabled_email, PASSWORD),
    ]:
        with pytest.raises(Unauthorized) as refused:
            await sign_in_with_password(ctx, who, password, None, address())
        answers.append((type(refused.value), refused.value.detail, refused.value.extra))
    assert len(set(map(repr, answers))) == 1
    failed = [e for e in await staff_events(ctx) if e.type == "staff.sign_in_failed"]
    mine = [e for e in failed if e.actor_id == staff_id]
    assert mine and '"reason":"password"' in mine[-1].data
    assert any(e.actor_id is None and '"reason":"unknown_account"' in e.data for e in failed)
    assert any(e.actor_id == disabled_id and '"reason":"disabled"' in e.data for e in failed)
    assert all("@" not in e.data for e in failed)  # no email in the log


async def test_failures_are_throttled_per_person_and_address(api):
    ctx = api.ctx
    _staff_id, email = await add_with_password(ctx)
    here, elsewhere = address(), address()
    for _ in range(ctx.settings.sign_in.max_failures):
        with pytest.raises(Unauthorized):
            await sign_in_with_password(ctx, email, "not the password", None, here)
    with pytest.raises(RateLimited):
        await sign_in_with_password(ctx, email, PASSWORD, None, here)  # locked: even the right password
    assert (await sign_in_with_password(ctx, email, PASSWORD, None, elsewhere)).email == email


async def test_totp_is_asked_once_enrolled_and_a_code_works_once(api):
    ctx = api.ctx
    secret = totp.new_secret()
    code = totp.code_at(secret, time.time())
    staff_id, email = await add_with_password(ctx, totp_secret_given=secret, totp_code=code)
    with pytest.raises(SecondFactorRequired):
        await sign_in_with_password(ctx, email, PASSWORD, None, address())
    with pytest.raises(Unauthorized):
        await sign_in_with_password(
            ctx, email, PASSWORD, "000000" if code != "000000" else "111111", address()
        )
    fresh = totp.code_at(secret, time.time())
    assert (await sign_in_with_password(ctx, email, PASSWORD, fresh, address())).id == staff_id
    with pytest.raises(Unauthorized):
        await sign_in_with_password(ctx, email, PASSWORD, fresh, address())  # replayed
    async with ctx.db.read_session() as session:
        member = await session.get(StaffMember, staff_id)
    assert secret not in member.totp_sealed and service.totp_secret(ctx.keys, member) == secret


async def test_required_mfa_makes_admins_and_officers_enrol(api):
    ctx = api.ctx
    before = ctx.settings
    ctx.settings = dataclasses.replace(before, staff=StaffSettings(require_mfa=True))
    try:
        _id, _email, token = await add_person(ctx, "officer")
        with pytest.raises(InvalidField):
            async with ctx.unit_of_work() as uow:
                await service.set_password(uow, token, PASSWORD, require_mfa=True)
        secret = totp.new_secret()
        async with ctx.unit_of_work() as uow:
            await service.set_password(
                uow,
                token,
                PASSWORD,
                require_mfa=True,
                totp_secret_given=secret,
                totp_code=totp.code_at(secret, time.time()),
            )
        agent_id, agent_email = await add_with_password(ctx, "agent")
        assert (await sign_in_with_password(ctx, agent_email, PASSWORD, None, address())).id == agent_id
    finally:
        ctx.settings = before
    # an admin who set a password before MFA was required must enrol before signing in again
    _admin_id, admin_email = await add_with_password(ctx, "admin")
    ctx.settings = dataclasses.replace(before, staff=StaffSettings(require_mfa=True))
    try:
        with pytest.raises(SecondFactorNotEnrolled):
            await sign_in_with_password(ctx, admin_email, PASSWORD, None, address())
    finally:
        ctx.settings = before


async def test_a_session_ends_when_the_person_is_disabled(api):
    ctx = api.ctx
    staff_id, email = await add_with_password(ctx, "analyst")
    member = await sign_in_with_password(ctx, email, PASSWORD, None, address())
    token = issue_session(ctx, member, member.role, "password")
    assert (await read_session(ctx, token)).role == "analyst"
    async with ctx.unit_of_work() as uow:
        await service.disable_staff(uow, OPERATOR, staff_id)
    with pytest.raises(Unauthorized):
        await read_session(ctx, token)
    with pytest.raises(Unauthorized):
        await read_session(ctx, ctx.tokens.purpose_token("admin", staff_id, 60)[0])
