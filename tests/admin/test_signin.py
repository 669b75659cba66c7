"""Signing in to the console as a person: the session cookie, the TOTP step, enrolment under required MFA,
single sign-on's button, refusals, and what the cookie is not. Signing in with an API client's secret is gone."""

from __future__ import annotations

import dataclasses
import re
import time

from prefcenter.core import totp
from prefcenter.staff import service
from tests.admin.support import browser_client, csrf_of, sign_in, signed_in
from tests.staff.support import PASSWORD, add_person, add_with_password, staff_events


def pending_of(html: str) -> str:
    match = re.search(r'name="pending" value="([^"]+)"', html)
    assert match, "the page has no code step"
    return match.group(1)


async def test_sign_in_sets_a_strict_http_only_cookie_and_shows_the_dashboard(api):
    staff_id, email = await add_with_password(api.ctx, "officer")
    async with browser_client(api) as client:
        r = await client.get("/admin")
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        r = await client.get("/admin/dsr?status=received")
        assert r.status_code == 303
        assert r.headers["location"] == "/admin/login?next=%2Fadmin%2Fdsr%3Fstatus%3Dreceived"

        page = await client.get("/admin/login")
        assert page.status_code == 200 and '<label for="password">' in page.text
        assert "client_secret" not in page.text and "single sign-on" not in page.text  # SSO not configured
        r = await sign_in(client, email.upper(), next="/admin/dsr?status=received")
        assert r.status_code == 303 and r.headers["location"] == "/admin/dsr?status=received"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("prefcenter_staff=")  # plain HTTP: no __Host- prefix
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=strict" in lowered and "path=/admin" in lowered

        r = await client.get("/admin")
        assert r.status_code == 200
        assert "Open GDPR requests" in r.text and "Test Person" in r.text and "(officer)" in r.text
        assert r.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]

        # The session token is not an API bearer token.
        token = client.cookies["prefcenter_staff"]
        r = await client.get("/v1/dsr-requests", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401

        # Sign out clears the cookie; the pages ask for a sign-in again.
        r = await client.post("/admin/logout", data={"csrf": csrf_of((await client.get("/admin")).text)})
        assert r.status_code == 303 and r.headers["location"] == "/admin/login?signed_out=1"
        assert "prefcenter_staff" not in client.cookies
        assert (await client.get("/admin")).status_code == 303
    types = [e.type for e in await staff_events(api.ctx, staff_id)]
    assert types[-2:] == ["staff.signed_in", "staff.signed_out"]


async def test_an_api_client_secret_no_longer_signs_in(api):
    client_id, secret = await api.new_client("admin")
    async with browser_client(api) as client:
        r = await client.post("/admin/login", data={"client_id": client_id, "client_secret": secret})
        assert r.status_code == 401 and "set-cookie" not in r.headers
        assert (await client.get("/admin")).status_code == 303


async def test_the_next_path_never_leaves_admin(api):
    _staff_id, email = await add_with_password(api.ctx, "officer")
    async with browser_client(api) as client:
        for target in ("https://evil.example/", "//evil.example/admin", "/v1/dsr-requests"):
            r = await sign_in(client, email, next=target)
            assert r.status_code == 303 and r.headers["location"] == "/admin", target


async def test_wrong_password_unknown_email_and_disabled_person_are_refused_alike(api):
    _staff_id, email = await add_with_password(api.ctx, "admin")
    disabled_id, disabled_email = await add_with_password(api.ctx, "agent")
    async with api.ctx.unit_of_work() as uow:
        await service.disable_staff(
            uow, service.staff_actor(await service.get_member(uow.session, email)), disabled_id
        )
    async with browser_client(api) as client:
        for who, password in (
            (email, PASSWORD + "x"),
            ("nobody@example.com", PASSWORD),
            (disabled_email, PASSWORD),
        ):
            r = await sign_in(client, who, password)
            assert r.status_code == 401, who
            assert "Sign-in failed: the email or password is not right." in r.text
            assert "set-cookie" not in r.headers
        assert (await client.get("/admin")).status_code == 303


async def test_a_person_with_a_second_factor_gives_a_code(api):
    secret = totp.new_secret()
    staff_id, email = await add_with_password(
        api.ctx, "officer", totp_secret_given=secret, totp_code=totp.code_at(secret, time.time())
    )
    async with browser_client(api) as client:
        r = await sign_in(client, email)
        assert r.status_code == 200 and "Enter your code" in r.text and "set-cookie" not in r.headers
        pending = pending_of(r.text)
        r = await client.post("/admin/login/code", data={"pending": pending, "code": "000000"})
        assert r.status_code == 401 and "the code is not right" in r.text and "set-cookie" not in r.headers
        # the code the enrolment used was spent: the next step's code signs in
        code = totp.code_at(secret, time.time() + 30)
        r = await client.post("/admin/login/code", data={"pending": pending_of(r.text), "code": code})
        assert r.status_code == 303, r.text
        assert (await client.get("/admin")).status_code == 200
        r = await client.post("/admin/login/code", data={"pending": "forged", "code": code})
        assert r.status_code == 401 and "Start again" in r.text
    events = await staff_events(api.ctx, staff_id)
    assert events[-1].type == "staff.signed_in" and '"second_factor":true' in events[-1].data.replace(" ", "")


async def test_required_mfa_enrols_a_second_factor_at_sign_in(api):
    before = api.ctx.settings
    api.ctx.settings = dataclasses.replace(before, staff=dataclasses.replace(before.staff, require_mfa=True))
    try:
        staff_id, email = await add_with_password(api.ctx, "agent")  # agents need none
        async with api.ctx.unit_of_work() as uow:
            member = await service.get_member(uow.session, staff_id)
            member.role = "admin"  # promoted since: must enrol now
        async with browser_client(api) as client:
            r = await sign_in(client, email)
            assert r.status_code == 200 and "Enrol a second factor" in r.text and "otpauth://totp/" in r.text
            secret = totp.secret_from_text(re.search(r'id="totp-secret">([A-Z2-7]+)<', r.text).group(1))
            r = await client.post(
                "/admin/login/code",
                data={"pending": pending_of(r.text), "code": totp.code_at(secret, time.time())},
            )
            assert r.status_code == 303, r.text
        types = [e.type for e in await staff_events(api.ctx, staff_id)]
        assert "staff.second_factor_enrolled" in types and types[-1] == "staff.signed_in"
        async with browser_client(api) as client:  # the next sign-in asks for a code
            r = await sign_in(client, email)
            assert r.status_code == 200 and "Enter your code" in r.text
    finally:
        api.ctx.settings = before


async def test_the_set_password_page_sets_a_password_once_with_an_optional_second_factor(api):
    staff_id, email, token = await add_person(api.ctx, "agent")
    async with browser_client(api) as client:
        page = await client.get(f"/admin/set-password/{token}")
        assert page.status_code == 200 and email in page.text and "(optional)" in page.text
        secret_text = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text).group(1)
        r = await client.post(
            f"/admin/set-password/{token}", data={"password": PASSWORD, "password_again": PASSWORD + "!"}
        )
        assert r.status_code == 400 and "not the same" in r.text
        code = totp.code_at(totp.secret_from_text(secret_text), time.time())
        r = await client.post(
            f"/admin/set-password/{token}",
            data={"password": PASSWORD, "password_again": PASSWORD, "secret": secret_text, "code": code},
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/login?done=password"
        assert (await client.get(f"/admin/set-password/{token}")).status_code == 410  # once
        r = await sign_in(client, email)
        assert r.status_code == 200 and "Enter your code" in r.text
    async with api.ctx.db.read_session() as session:
        assert service.to_read(await service.get_member(session, staff_id)).has_second_factor


async def test_single_sign_on_is_offered_when_configured(api):
    before = api.ctx.settings
    sso = dataclasses.replace(
        before.staff, oidc_issuer="https://id.example", oidc_client_id="c", oidc_client_secret="s"
    )
    api.ctx.settings = dataclasses.replace(before, staff=sso)
    try:
        async with browser_client(api) as client:
            page = (await client.get("/admin/login")).text
            assert '<a class="button" href="/admin/sso/start">Sign in with single sign-on</a>' in page
    finally:
        api.ctx.settings = before


async def test_a_forged_or_foreign_cookie_is_no_session(api):
    async with browser_client(api) as client:
        api_token = await api.token("admin")  # a real API token: another audience
        for value in ("garbage", api_token):
            client.cookies.set("prefcenter_staff", value, domain="testserver.local", path="/admin")
            r = await client.get("/admin")
            assert r.status_code == 303 and r.headers["location"] == "/admin/login"


async def test_a_disabled_person_loses_their_session_at_once(api):
    async with signed_in(api, "officer") as officer:
        await officer.page("/admin")
        async with api.ctx.unit_of_work() as uow:
            await service.disable_staff(
                uow,
                service.staff_actor(await service.get_member(uow.session, officer.staff_id)),
                officer.staff_id,
            )
        r = await officer.client.get("/admin")
        assert r.status_code == 303


async def test_csrf_is_required_on_every_form(api):
    async with signed_in(api, "officer") as officer, signed_in(api, "admin") as admin:
        s = await api.new_subject()
        for who, action, data in (
            (officer, "/admin/logout", {}),
            (officer, "/admin/audit/checkpoint", {}),
            (officer, "/admin/dsr/new", {"type": "access", "subject_id": s["id"]}),
            (admin, "/admin/staff", {"email": "csrf-test@example.com", "name": "X", "role": "agent"}),
            (admin, f"/admin/staff/{officer.staff_id}/disable", {}),
            (admin, f"/admin/staff/{officer.staff_id}/password-link", {}),
        ):
            r = await who.client.post(action, data=data)
            assert r.status_code == 403, action
            assert "Form expired" in r.text
            r = await who.client.post(action, data={**data, "csrf": "0" * 64})
            assert r.status_code == 403, action
        r = await api.client.get(
            f"/v1/dsr-requests?subject_id={s['id']}", headers=await api.headers("dsr:manage")
        )
        assert r.json()["items"] == []
        assert (await officer.client.get("/admin")).status_code == 200  # still signed in
