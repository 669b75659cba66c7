"""Single sign-on against a real OpenID Connect provider (authlib's authorization server, Flask, a thread):
discovery, code flow with PKCE, state and nonce, a signed ID token; the role from the claim or from
prefcenter; people who are neither staff nor given a role are refused; every outcome is audited."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from prefcenter.settings import StaffSettings
from prefcenter.staff import service, sso
from prefcenter.staff.session import COOKIE, read_session
from prefcenter.store.models_staff import StaffMember
from tests.staff.support import OPERATOR, add_person, new_email, staff_events
from tests.support.oidc_provider import running_provider

pytestmark = pytest.mark.postgres

CLIENT_ID, CLIENT_SECRET = "prefcenter-console", "provider-shared-secret"


@pytest.fixture
async def provider(api):
    known_agent, disabled = new_email(), new_email()
    users = {
        known_agent: {},
        "promoted-" + known_agent: {"groups": ["staff", "officer"]},
        "newcomer-" + known_agent: {"groups": ["analyst"]},
        "stranger-" + known_agent: {"groups": ["customers"]},
        disabled: {"groups": ["admin"]},
    }
    redirect_uri = api.settings.server.public_url + sso.CALLBACK_PATH
    with running_provider(CLIENT_ID, CLIENT_SECRET, redirect_uri, users) as running:
        before = api.ctx.settings
        api.ctx.settings = dataclasses.replace(
            before,
            staff=StaffSettings(
                oidc_issuer=running.issuer,
                oidc_client_id=CLIENT_ID,
                oidc_client_secret=CLIENT_SECRET,
                oidc_role_claim="groups",
            ),
        )
        running.known_agent, running.disabled = known_agent, disabled
        try:
            yield running
        finally:
            api.ctx.settings = before


async def sign_in(api, email: str, *, tamper_state: bool = False) -> httpx.Response:
    """What a browser does: start here, sign in at the provider, come back with the code."""
    api.client.cookies.clear()
    started = await api.client.get("/admin/sso/start")
    assert started.status_code == 302, started.text
    authorize = started.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"] and query["nonce"]
    assert query["state"] and query["client_id"] == [CLIENT_ID] and "openid" in query["scope"][0]
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(authorize + "&login_hint=" + quote(email))
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    params = parse_qs(back.query)
    if tamper_state:
        params["state"] = ["forged-" + params["state"][0]]
    return await api.client.get(back.path, params={k: v[0] for k, v in params.items()})


def session_cookie(response: httpx.Response) -> str:
    cookie = response.cookies.get(COOKIE)
    assert cookie, response.headers
    return cookie


async def test_staff_sign_in_with_the_role_assigned_here(api, provider):
    async with api.ctx.unit_of_work() as uow:
        member, _link = await service.add_staff(uow, OPERATOR, provider.known_agent, "Agent A", "agent")
    back = await sign_in(api, provider.known_agent)
    assert back.status_code == 303 and back.headers["location"] == "/admin"
    session = await read_session(api.ctx, session_cookie(back))
    assert (session.staff_id, session.role, session.method) == (member.id, "agent", "sso")
    signed = [e for e in await staff_events(api.ctx, member.id) if e.type == "staff.signed_in"]
    assert signed and signed[-1].actor_type == "staff" and '"method":"sso"' in signed[-1].data


async def test_the_role_claim_wins_and_a_person_with_a_role_gets_an_account(api, provider):
    staff_id, email, _token = await add_person(api.ctx, "agent", email="promoted-" + provider.known_agent)
    back = await sign_in(api, email)
    assert (await read_session(api.ctx, session_cookie(back))).role == "officer"

    newcomer = "newcomer-" + provider.known_agent
    back = await sign_in(api, newcomer)
    session = await read_session(api.ctx, session_cookie(back))
    assert session.role == "analyst"
    async with api.ctx.db.read_session() as db:
        made = await service.find_by_email(db, newcomer)
    assert made.id == session.staff_id and made.role == "analyst" and made.password_hash is None
    created = [e for e in await staff_events(api.ctx, made.id) if e.type == "staff.created"]
    assert created and created[0].actor_type == "staff" and '"via":"sso"' in created[0].data


async def test_neither_staff_nor_a_role_claim_is_refused(api, provider):
    stranger = "stranger-" + provider.known_agent
    back = await sign_in(api, stranger)
    assert back.status_code == 401 and COOKIE not in back.cookies
    async with api.ctx.db.read_session() as db:
        assert await service.find_by_email(db, stranger) is None
    failed = [e for e in await staff_events(api.ctx) if e.type == "staff.sign_in_failed"]
    assert '"reason":"not_staff"' in failed[-1].data and '"method":"sso"' in failed[-1].data


async def test_a_disabled_person_is_refused_whatever_the_claim(api, provider):
    staff_id, email, _token = await add_person(api.ctx, "agent", email=provider.disabled)
    async with api.ctx.unit_of_work() as uow:
        await service.disable_staff(uow, OPERATOR, staff_id)
    back = await sign_in(api, email)
    assert back.status_code == 401
    async with api.ctx.db.read_session() as db:
        assert (await db.get(StaffMember, staff_id)).role == "agent"


async def test_a_forged_state_a_missing_cookie_and_a_used_code_are_refused(api, provider):
    async with api.ctx.unit_of_work() as uow:
        await service.add_staff(uow, OPERATOR, provider.known_agent, "Agent A", "agent")
    assert (await sign_in(api, provider.known_agent, tamper_state=True)).status_code == 401

    api.client.cookies.clear()
    started = await api.client.get("/admin/sso/start")
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(
            started.headers["location"] + "&login_hint=" + quote(provider.known_agent)
        )
    callback = at_provider.headers["location"]
    back = urlsplit(callback)
    assert (await api.client.get(back.path + "?" + back.query)).status_code == 303
    replay = await api.client.get(back.path + "?" + back.query)  # the state cookie was cleared
    assert replay.status_code == 401
    api.client.cookies.set(sso.STATE_COOKIE, started.cookies[sso.STATE_COOKIE], path="/admin/sso")
    used = await api.client.get(back.path + "?" + back.query)  # the provider forgot the code
    assert used.status_code == 401


async def test_without_an_issuer_there_is_no_single_sign_on(api):
    assert (await api.client.get("/admin/sso/start")).status_code == 404
