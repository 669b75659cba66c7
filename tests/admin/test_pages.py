"""The dashboard, audit, catalog and systems pages, and what each officer's scopes let them see."""

from __future__ import annotations

import httpx

from tests.admin.support import csrf_of, signed_in


async def test_each_page_shows_only_what_the_scopes_allow(api):
    async with signed_in(api, "dsr:manage") as officer:
        html = await officer.page("/admin")
        assert "Open GDPR requests" in html
        assert "Audit log</h2>" not in html and "Webhook deliveries" not in html
        assert 'href="/admin/audit"' not in html and 'href="/admin/systems"' not in html
        for path in ("/admin/audit", "/admin/systems"):
            denied = await officer.page(path, status=403)
            assert "Not allowed" in denied and "needs the scope" in denied
        r = await officer.client.post("/admin/audit/checkpoint", data={"csrf": csrf_of(html)})
        assert r.status_code == 403
        await officer.page("/admin/catalog")

    async with signed_in(api, "audit:read") as officer:
        html = await officer.page("/admin")
        assert "Audit log</h2>" in html and "Open GDPR requests" not in html
        assert 'href="/admin/dsr"' not in html
        for path in ("/admin/dsr", "/admin/dsr/new", "/admin/systems"):
            await officer.page(path, status=403)
        r = await officer.client.post("/admin/dsr/new", data={"csrf": csrf_of(html), "type": "access"})
        assert r.status_code == 403

    async with signed_in(api, "admin") as officer:  # admin holds every scope, as in the API
        html = await officer.page("/admin")
        for text in ("Open GDPR requests", "Audit log</h2>", "Webhook deliveries"):
            assert text in html
        for path in ("/admin/dsr", "/admin/audit", "/admin/catalog", "/admin/systems"):
            await officer.page(path)


async def test_audit_page_verifies_and_signs_a_checkpoint(api):
    headers = await api.headers("audit:read")  # makes its client (an event) before the checkpoint
    await api.new_subject()  # at least one event after the last checkpoint
    async with signed_in(api, "audit:read") as officer:
        html = await officer.page("/admin/audit")
        assert "intact" in html and "events and" in html
        r = await officer.submit("/admin/audit", "/admin/audit/checkpoint")
        assert r.status_code == 303 and r.headers["location"] == "/admin/audit?done=checkpoint"
        html = await officer.page("/admin/audit?done=checkpoint")
        assert "A checkpoint of the current head is signed." in html
        r = await api.client.get("/v1/audit/verification", headers=headers)
        head = r.json()["head_seq"]
        assert f'<th scope="row">{head}</th>' in html


async def test_a_broken_chain_is_shown_with_its_first_bad_seq(api, new_backend):
    from sqlalchemy import text

    from prefcenter.store.models import Event
    from tests.conftest import close_api, open_api

    other = await open_api(new_backend(api.engine))  # a database of its own to tamper with
    try:
        await other.new_subject()
        drop = "events_no_update" if other.engine == "sqlite" else "events_append_only ON events"
        async with other.ctx.db.write_session() as session:
            await session.execute(text(f"DROP TRIGGER {drop}"))
            first = await session.get(Event, 2)
            first.hash = "0" * 64
        async with signed_in(other, "audit:read") as officer:
            html = await officer.page("/admin")
            assert "BROKEN" in html and "First bad event: seq 2" in html
    finally:
        await close_api(other)


async def test_catalog_page_lists_channels_topics_and_notices(api):
    async with signed_in(api, "dsr:manage") as officer:
        html = await officer.page("/admin/catalog")
    for text in ("<caption>Channels</caption>", "Push notifications", "Offers and discounts", "legitimate_interest",
                 "730 days", "We send you our newsletter about once a month"):
        assert text in html
    assert '<th scope="col">Legal basis</th>' in html


async def test_systems_page_shows_dead_lettered_deliveries(api):
    from prefcenter.webhooks import outbox
    from tests.dsr.support import drain

    admin = await api.admin()
    r = await api.client.post(
        "/v1/downstream-systems",
        json={"name": "Broken <CRM>", "url": "http://127.0.0.1:9/hook", "event_types": ["subject.*"]},
        headers=admin,
    )
    assert r.status_code in (200, 201), r.text
    await api.new_subject()
    await outbox.fan_out(api.ctx)
    await drain(api, webhook_max_attempts=1)
    async with signed_in(api, "admin") as officer:
        html = await officer.page("/admin/systems")
        assert "Broken &lt;CRM&gt;" in html and "dead-lettered" in html and "subject.created" in html
        dashboard = await officer.page("/admin")
        assert "dead-lettered" in dashboard and 'class="tag bad">0 dead' not in dashboard
    # the database is shared with other tests: take the broken system out of later fan-outs
    disabled = await api.client.post(f"/v1/downstream-systems/{r.json()['id']}/disable", headers=admin)
    assert disabled.status_code == 200, disabled.text


async def test_over_https_the_cookie_is_host_prefixed_and_secure(api):
    client_id, secret = await api.new_client("dsr:manage")
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as client:
        r = await client.post("/admin/login", data={"client_id": client_id, "client_secret": secret})
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-prefcenter_admin=")
        lowered = cookie.lower()
        assert "secure" in lowered and "path=/;" in lowered + ";" and "domain" not in lowered
        assert (await client.get("/admin")).status_code == 200


async def test_admin_pages_are_not_in_the_api_contract(api):
    schema = (await api.client.get("/schema/openapi.json")).json()
    assert not [p for p in schema["paths"] if p.startswith("/admin")]
