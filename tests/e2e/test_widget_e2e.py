"""The widget in Debian's Chromium against the real server: demo page, saves that persist, audit
history, agent and compact modes, a second subject unreachable, a cross-origin embed (CORS), retries."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.helpers import cell, loaded, of_type, save_and_wait

pytestmark = pytest.mark.e2e


async def test_demo_page_saves_and_keeps_choices_with_audit_history(server, page):
    await page.goto(server.url + "/")
    full = await loaded(page.locator("#pc-full"))
    await expect(page.locator("#pc-compact").locator('[data-pc="save"]')).to_have_text("Sign me up")
    await expect(page.locator("#pc-agent").locator('[data-pc="agent-banner"]')).to_contain_text("agent-42")
    await expect(cell(full, "offers", "email")).to_have_accessible_name("Offers and discounts by Email")

    await cell(full, "offers", "email").check()
    await cell(full, "offers", "sms").check()
    await cell(full, "product_updates", "push").uncheck()
    await full.locator("#pc-frequency").select_option("weekly")
    await save_and_wait(full)

    await page.reload()
    full = await loaded(page.locator("#pc-full"))
    await expect(cell(full, "offers", "email")).to_be_checked()
    await expect(cell(full, "offers", "sms")).to_be_checked()
    await expect(cell(full, "product_updates", "push")).not_to_be_checked()
    await expect(cell(full, "product_updates", "email")).to_be_checked()
    await expect(full.locator("#pc-frequency")).to_have_value("weekly")

    sid = server.demo_subject_id
    catalog = server.get("/v1/catalog").json()
    notice_version = next(t for t in catalog["topics"] if t["key"] == "offers")["notice"]["version"]
    consents = {c["topic"]: c for c in server.profile(sid)["consents"]}
    assert consents["offers"]["status"] == "granted"
    assert sorted(consents["offers"]["channels"]) == ["email", "sms"]
    assert consents["offers"]["notice_version"] == notice_version
    events = server.events(sid)
    granted = of_type(events, "consent.granted")[-1]
    assert granted["actor_type"] == "customer" and granted["actor_id"] == sid
    assert granted["touchpoint"] == "account"
    assert granted["data"]["method"] == "checkbox"
    assert granted["data"]["notice_version"] == notice_version and granted["data"]["notice_sha256"]
    pref = [e for e in of_type(events, "preference.set") if e["data"]["topic"] == "product_updates"][-1]
    assert pref["data"] == {**pref["data"], "channel": "push", "status": "opted_out"}
    assert of_type(events, "subject.settings_changed")[-1]["data"]["frequency"] == "weekly"


async def test_agent_mode_records_verbal_consent_by_the_agent(server, page):
    await page.goto(server.url + "/")
    agent = await loaded(page.locator("#pc-agent"))
    await cell(agent, "offers", "push").check()
    await save_and_wait(agent)

    granted = of_type(server.events(server.demo_subject_id), "consent.granted")[-1]
    assert granted["actor_type"] == "agent" and granted["actor_id"] == "agent-42"
    assert granted["touchpoint"] == "support"
    assert granted["data"]["method"] == "verbal"
    assert "push" in granted["data"]["channels"]


async def test_compact_mode_signs_up_from_the_signup_touchpoint(server, page):
    sid = server.new_subject()
    token = server.widget_token(sid, server.url, mode="compact", touchpoint="signup").json()["token"]
    html = (
        f'<!doctype html><html lang="en"><head><title>Sign up</title>'
        f'<script src="/widget/v1/prefcenter.js" data-api="{server.url}" async></script></head>'
        f'<body><main><prefcenter-preferences data-mode="compact" data-topics="offers" data-token="{token}">'
        f"</prefcenter-preferences></main></body></html>"
    )
    await page.route(
        server.url + "/signup-test", lambda route: route.fulfill(body=html, content_type="text/html")
    )
    await page.goto(server.url + "/signup-test")
    widget = page.locator("prefcenter-preferences")
    box = widget.locator('input[data-pc="compact-checkbox"][data-topic="offers"]')
    await expect(box).to_have_accessible_name("Offers and discounts by Email")
    await box.check()
    await save_and_wait(widget)
    granted = of_type(server.events(sid), "consent.granted")[-1]
    assert granted["touchpoint"] == "signup" and granted["actor_type"] == "customer"


async def test_a_second_subjects_data_is_unreachable_with_the_first_subjects_token(server, page):
    await page.goto(server.url + "/")
    token = await page.locator("#pc-full").get_attribute("data-token")
    other = server.new_subject(email="bob-e2e@example.com")
    own = server.demo_subject_id
    results = await page.evaluate(
        """async ([token, own, other]) => {
          const h = {Authorization: `Bearer ${token}`, "Content-Type": "application/json"};
          const call = async (method, path, body) =>
            (await fetch(path, {method, headers: h, body: body && JSON.stringify(body)})).status;
          return {
            ownProfile: await call("GET", `/v1/subjects/${own}/profile`),
            profile: await call("GET", `/v1/subjects/${other}/profile`),
            ownPreferenceCenter: await call("GET", `/v1/subjects/${own}/preference-center?locale=de`),
            preferenceCenter: await call("GET", `/v1/subjects/${other}/preference-center?locale=de`),
            subject: await call("GET", `/v1/subjects/${other}`),
            events: await call("GET", `/v1/subjects/${other}/events`),
            patch: await call("PATCH", `/v1/subjects/${other}/preferences`, {touchpoint: "web", do_not_contact: true}),
            grant: await call("POST", `/v1/subjects/${other}/consents`,
                              {topic: "offers", channels: ["email"], notice_version: 1, method: "checkbox", touchpoint: "web"}),
            mintForOther: await call("POST", `/v1/subjects/${other}/widget-tokens`, {}),
            lookup: await call("GET", `/v1/subjects?identity=email:bob-e2e@example.com`),
          };
        }""",
        [token, own, other],
    )
    assert results == {
        "ownProfile": 200,
        "profile": 404,
        "ownPreferenceCenter": 200,
        "preferenceCenter": 404,
        "subject": 404,
        "events": 404,
        "patch": 404,
        "grant": 404,
        "mintForOther": 403,
        "lookup": 403,
    }
    assert server.profile(other)["settings"]["do_not_contact"] is False
    assert server.profile(other)["consents"] == []


def _embed_page(server, token: str) -> str:
    sri = server.get("/widget/v1/prefcenter.js.sri").text.strip()
    return (
        '<!doctype html><html lang="en"><head><title>Shop account</title>'
        f'<script src="{server.url}/widget/v1/prefcenter.js" integrity="{sri}" crossorigin="anonymous" '
        f'data-api="{server.url}" data-touchpoint="account" async></script>'
        f'<script src="{server.url}/widget/v1/prefcenter.js" integrity="{sri}" crossorigin="anonymous" async></script>'
        "</head><body><main><h1>Your account</h1>"
        f'<prefcenter-preferences data-token="{token}"></prefcenter-preferences></main></body></html>'
    )


async def test_cross_origin_embed_works_only_from_allowed_origins(server, page_host, context):
    sid = server.new_subject()
    assert server.widget_token(sid, page_host.evil_origin).status_code == 403  # not configured
    shop_token = server.widget_token(sid, page_host.shop_origin).json()["token"]
    page_host.pages[f"/account-{sid}"] = _embed_page(server, shop_token)

    # Allowed origin: the bundle loads with SRI (loaded twice: harmless), CORS answers, saving works.
    shop = await context.new_page()
    await shop.goto(f"{page_host.shop_origin}/account-{sid}")
    widget = await loaded(shop.locator("prefcenter-preferences"))
    assert await shop.evaluate("customElements.get('prefcenter-preferences') !== undefined")
    await cell(widget, "offers", "email").check()
    await save_and_wait(widget)
    assert [c["topic"] for c in server.profile(sid)["consents"]] == ["offers"]

    # Another origin with the shop's token: CORS does not answer it, the widget reports an error.
    evil = await context.new_page()
    await evil.goto(f"{page_host.evil_origin}/account-{sid}")
    status = evil.locator("prefcenter-preferences").locator('[data-pc="status"]')
    await expect(status).to_have_attribute("data-state", "error", timeout=15_000)
    await expect(evil.locator("prefcenter-preferences").locator('[data-pc="cell"]')).to_have_count(0)


async def test_a_lost_response_is_retried_and_saved_exactly_once(server, page):
    sid = server.new_subject()
    await page.goto(server.manage_url(sid))
    widget = await loaded(page.locator("#pc-manage"))

    async def server_commits_but_response_is_lost(route):
        await route.fetch()  # the request reaches the server and is committed ...
        await route.abort("connectionreset")  # ... but the browser never sees the answer

    await page.route("**/v1/subjects/*/consents", server_commits_but_response_is_lost)
    await cell(widget, "offers", "sms").check()
    await widget.locator('[data-pc="save"]').click()
    status = widget.locator('[data-pc="status"]')
    await expect(status).to_have_attribute("data-state", "error", timeout=15_000)
    await expect(cell(widget, "offers", "sms")).to_be_checked()  # the choice is not lost

    await page.unroute("**/v1/subjects/*/consents")
    await widget.locator('[data-pc="retry"]').click()
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    # Every try carried the same Idempotency-Key: one consent, one event.
    assert len(of_type(server.events(sid), "consent.granted")) == 1
    await page.reload()
    await expect(cell(await loaded(page.locator("#pc-manage")), "offers", "sms")).to_be_checked()
