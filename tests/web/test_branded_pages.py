"""Customer pages a company would ship, on SQLite and PostgreSQL: a site's branding (company name, logo,
accent colour) on the hosted preference page and the unsubscribe page, whose preferences these are (masked),
one heading, and the catalog's translated texts in the page's language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete

from prefcenter.store.models_sites import Site

BRANDING = {
    "company_name": "Nordwind Reisen",
    "logo_url": "https://cdn.nordwind.example/logo.svg",
    "accent_colour": "#0B57D0",
}


@pytest.fixture
async def branded(api):
    admin = await api.headers("admin")
    r = await api.client.put(
        "/v1/sites/travel",
        json={"name": "Travel", "origins": ["https://travel.nordwind.example"], "branding": BRANDING},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    api.ctx.origins.invalidate()
    yield api
    async with api.ctx.db.write_session() as session:
        await session.execute(delete(Site))
    api.ctx.origins.invalidate()


async def test_site_branding_is_stored_and_needs_aa_contrast(branded):
    api = branded
    admin = await api.headers("admin")
    got = (await api.client.get("/v1/sites/travel", headers=admin)).json()
    assert got["branding"] == {**BRANDING, "accent_colour": "#0b57d0"}
    too_light = {"name": "T", "origins": ["https://t.example"], "branding": {"accent_colour": "#ffcc00"}}
    r = await api.client.put("/v1/sites/pale", json=too_light, headers=admin)
    assert r.status_code == 422 and "WCAG AA" in r.json()["detail"], r.text
    r = await api.client.put(
        "/v1/sites/bad", json={**too_light, "branding": {"logo_url": "javascript:alert(1)"}}, headers=admin
    )
    assert r.status_code == 400
    # control characters and a BOM are refused, and the document's pattern says so (schemathesis found the
    # pattern's \s meaning less in JavaScript than in Python: \x1c-\x1f, \x85)
    document = (await api.client.get("/schema/openapi.json")).json()
    pattern = document["components"]["schemas"]["SiteBranding"]["properties"]["logo_url"]["anyOf"][0][
        "pattern"
    ]
    for odd in ("\x1c", "\x85", "\ufeff", "\x7f"):
        logo = f"https://cdn.example/logo{odd}.svg"
        r = await api.client.put(
            "/v1/sites/bad", json={**too_light, "branding": {"logo_url": logo}}, headers=admin
        )
        assert r.status_code == 400, (odd, r.text)
        assert re.search(pattern, logo) is None
    plain = await api.client.put(
        "/v1/sites/plain", json={"name": "P", "origins": ["https://p.example"]}, headers=admin
    )
    assert plain.json()["branding"] is None


async def test_hosted_page_is_branded_says_whose_and_has_one_heading(branded):
    api = branded
    subject = await api.new_subject(identities=[{"kind": "email", "value": "greta.holm@example.com"}])
    writer = await api.headers("preferences:write")
    r = await api.client.post(f"/v1/subjects/{subject['id']}/manage-links?site=travel", headers=writer)
    assert r.status_code == 201, r.text
    page = await api.client.get("/p/" + r.json()["token"], headers={"Accept-Language": "de-DE"})
    assert page.status_code == 200
    html = page.text
    assert re.findall(r"<h1>(.*?)</h1>", html) == ["Nordwind Reisen"]
    assert "Einstellungen für g***@e***.com" in html and "greta.holm" not in html
    assert 'src="https://cdn.nordwind.example/logo.svg"' in html and 'alt="Nordwind Reisen"' in html
    assert "https://cdn.nordwind.example" in page.headers["content-security-policy"]
    assert "--pc-accent:#0b57d0" in html and 'data-locale="de"' in html and '<html lang="de">' in html
    # the widget's own heading is the only "preferences" heading: the page does not repeat it
    assert "your communication preferences" not in html.lower().replace("<title>", "")[html.find("<body") :]
    assert (
        await api.client.post(f"/v1/subjects/{subject['id']}/manage-links?site=nowhere", headers=writer)
    ).status_code == 404


async def test_unsubscribe_page_names_the_company_and_shows_translated_names(branded):
    api = branded
    admin = await api.headers("admin")
    r = await api.client.put(
        "/v1/catalog/channels/email",
        json={"name": "Email", "translations": {"de": {"name": "E-Mail"}}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    subject = await api.new_subject()
    r = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "subjects": [subject["id"]], "site": "travel"},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    url = r.json()["items"][0]["url"]
    assert "?" not in url  # the site is signed inside the token
    path = url[url.index("/u/") :]
    page = await api.client.get(path, headers={"Accept-Language": "de"})
    assert page.status_code == 200, page.text
    assert "Nachrichten von Nordwind Reisen" in page.text
    assert "alle Nachrichten nicht mehr per E-Mail erhalten?" in page.text
    assert '<button class="primary" type="submit">Abmelden</button>' in page.text
    assert 'action="' + path + '"' in page.text
    done = await api.client.post(
        path, data={"List-Unsubscribe": "One-Click"}, headers={"Accept-Language": "de"}
    )
    assert done.status_code == 200 and done.headers["x-unsubscribe-status"] == "unsubscribed"
    await api.client.put("/v1/catalog/channels/email", json={"name": "Email"}, headers=admin)
