"""Signing in and out of the admin pages: the session cookie, refusals, and what the cookie is not."""

from __future__ import annotations

from tests.admin.support import browser_client, csrf_of, signed_in


async def test_sign_in_sets_a_strict_http_only_cookie_and_shows_the_dashboard(api):
    client_id, secret = await api.new_client("dsr:manage")
    async with browser_client(api) as client:
        r = await client.get("/admin")
        assert r.status_code == 303 and r.headers["location"] == "/admin/login"
        r = await client.get("/admin/dsr?status=received")
        assert r.status_code == 303
        assert r.headers["location"] == "/admin/login?next=%2Fadmin%2Fdsr%3Fstatus%3Dreceived"

        page = await client.get("/admin/login")
        assert page.status_code == 200 and '<label for="client_secret">' in page.text
        r = await client.post(
            "/admin/login",
            data={"client_id": client_id, "client_secret": secret, "next": "/admin/dsr?status=received"},
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/dsr?status=received"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("prefcenter_admin=")  # plain HTTP: no __Host- prefix
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=strict" in lowered and "path=/admin" in lowered

        r = await client.get("/admin")
        assert r.status_code == 200
        assert "Open GDPR requests" in r.text and client_id in r.text
        assert r.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]

        # The session token is not an API bearer token.
        token = client.cookies["prefcenter_admin"]
        r = await client.get("/v1/dsr-requests", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401

        # Sign out clears the cookie; the pages ask for a sign-in again.
        r = await client.post("/admin/logout", data={"csrf": csrf_of((await client.get("/admin")).text)})
        assert r.status_code == 303 and r.headers["location"] == "/admin/login?signed_out=1"
        assert "prefcenter_admin" not in client.cookies
        assert (await client.get("/admin")).status_code == 303


async def test_the_next_path_never_leaves_admin(api):
    client_id, secret = await api.new_client("audit:read")
    async with browser_client(api) as client:
        for target in ("https://evil.example/", "//evil.example/admin", "/v1/dsr-requests"):
            r = await client.post(
                "/admin/login", data={"client_id": client_id, "client_secret": secret, "next": target}
            )
            assert r.status_code == 303 and r.headers["location"] == "/admin", target


async def test_wrong_secret_unknown_client_and_disabled_client_are_refused_alike(api):
    client_id, secret = await api.new_client("admin")
    disabled_id, disabled_secret = await api.new_client("admin")
    from prefcenter.auth.clients import disable_client

    async with api.ctx.unit_of_work() as uow:
        await disable_client(uow, disabled_id)
    async with browser_client(api) as client:
        for cid, sec in ((client_id, secret + "x"), ("no-such-client", secret), (disabled_id, disabled_secret)):
            r = await client.post("/admin/login", data={"client_id": cid, "client_secret": sec})
            assert r.status_code == 401, cid
            assert "Sign-in failed: the client id or secret is not right." in r.text
            assert "set-cookie" not in r.headers
        assert (await client.get("/admin")).status_code == 303


async def test_a_client_without_an_officer_scope_cannot_sign_in(api):
    client_id, secret = await api.new_client("preferences:read", "consent:check")
    async with browser_client(api) as client:
        r = await client.post("/admin/login", data={"client_id": client_id, "client_secret": secret})
        assert r.status_code == 403
        assert "needs the scope dsr:manage, audit:read or admin" in r.text
        assert "set-cookie" not in r.headers


async def test_a_forged_or_foreign_cookie_is_no_session(api):
    async with browser_client(api) as client:
        api_token = await api.token("admin")  # a real API token: another audience
        for value in ("garbage", api_token):
            client.cookies.set("prefcenter_admin", value, domain="testserver.local", path="/admin")
            r = await client.get("/admin")
            assert r.status_code == 303 and r.headers["location"] == "/admin/login"


async def test_a_disabled_client_loses_its_session_at_once(api):
    from prefcenter.auth.clients import disable_client

    async with signed_in(api, "dsr:manage") as officer:
        await officer.page("/admin")
        async with api.ctx.unit_of_work() as uow:
            await disable_client(uow, officer.client_id)
        r = await officer.client.get("/admin")
        assert r.status_code == 303


async def test_csrf_is_required_on_every_form(api):
    async with signed_in(api, "admin") as officer:
        s = await api.new_subject()
        for action, data in (
            ("/admin/logout", {}),
            ("/admin/audit/checkpoint", {}),
            ("/admin/dsr/new", {"type": "access", "subject_id": s["id"]}),
        ):
            r = await officer.client.post(action, data=data)
            assert r.status_code == 403, action
            assert "Form expired" in r.text
            r = await officer.client.post(action, data={**data, "csrf": "0" * 64})
            assert r.status_code == 403, action
        r = await api.client.get(f"/v1/dsr-requests?subject_id={s['id']}", headers=await api.headers("dsr:manage"))
        assert r.json()["items"] == []
        assert (await officer.client.get("/admin")).status_code == 200  # still signed in
