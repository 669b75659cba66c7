"""The translated catalog in the widget, in Debian's Chromium against the real server: German and French topic,
group, channel and notice texts; a text without a translation in the default language; a consent given in
German records the German notice's version, language and hash."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.helpers import cell, loaded, of_type

pytestmark = pytest.mark.e2e

GERMAN_NOTICE = "Wir senden Ihnen persönliche Angebote auf Grundlage Ihrer Einkäufe."
FRENCH_NOTICE = "Nous vous envoyons des offres personnelles selon vos achats."


def _translate_catalog(server) -> None:
    def put(path: str, body: dict) -> None:
        r = httpx.put(server.url + path, json=body, headers=server.headers())
        assert r.status_code == 200, r.text

    put(
        "/v1/catalog/groups/marketing",
        {"name": "Marketing", "translations": {"de": {"name": "Werbung"}, "fr": {"name": "Publicité"}}},
    )
    put(
        "/v1/catalog/topics/offers",
        {
            "name": "Offers and discounts",
            "legal_basis": "consent",
            "channels": ["email", "sms", "phone", "push"],
            "description": "Personal offers and discounts.",
            "group_key": "marketing",
            "consent_lifetime_days": 365,
            "honour_gpc": True,
            "translations": {
                "de": {"name": "Angebote und Rabatte", "description": "Persönliche Angebote."},
                "fr": {"name": "Offres et remises", "description": "Des offres personnelles."},
            },
        },
    )
    put(
        "/v1/catalog/channels/email",
        {"name": "Email", "translations": {"de": {"name": "E-Mail"}, "fr": {"name": "Courriel"}}},
    )
    for locale, text in (("de", GERMAN_NOTICE), ("fr", FRENCH_NOTICE)):
        r = server.post("/v1/catalog/topics/offers/notices", json={"text": text, "locale": locale})
        assert r.status_code == 201, r.text


async def _open_widget(server, page, locale: str, subject_id: str):
    token = server.widget_token(subject_id, server.url).json()["token"]
    html = (
        f'<!doctype html><html lang="{locale}"><head><title>Preferences</title>'
        f'<script src="/widget/v1/prefcenter.js" data-api="{server.url}" async></script></head>'
        f'<body><main><prefcenter-preferences data-locale="{locale}" data-token="{token}">'
        f"</prefcenter-preferences></main></body></html>"
    )
    path = f"/catalog-{locale}-test"
    await page.route(server.url + path, lambda route: route.fulfill(body=html, content_type="text/html"))
    await page.goto(server.url + path)
    return await loaded(page.locator("prefcenter-preferences"))


async def test_translated_catalog_shows_in_german_and_french(server, page):
    _translate_catalog(server)
    sid = server.new_subject()

    german = await _open_widget(server, page, "de", sid)
    await expect(cell(german, "offers", "email")).to_have_accessible_name("Angebote und Rabatte per E-Mail")
    await expect(german).to_contain_text("Werbung")
    await expect(german).to_contain_text(GERMAN_NOTICE)
    await expect(german).to_contain_text("Newsletter")  # no German texts: the default ones
    await cell(german, "offers", "email").check()
    await german.locator('[data-pc="save"]').click()
    status = german.locator('[data-pc="status"]')
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("Gespeichert")

    consent = next(c for c in server.profile(sid)["consents"] if c["topic"] == "offers")
    granted = of_type(server.events(sid), "consent.granted")[-1]
    assert granted["data"]["locale"] == "de"
    assert granted["data"]["notice_sha256"] == hashlib.sha256(GERMAN_NOTICE.encode()).hexdigest()
    assert consent["notice_version"] == 1

    french = await _open_widget(server, page, "fr", server.new_subject())
    await expect(french).to_contain_text("Offres et remises")
    await expect(french).to_contain_text("Publicité")
    await expect(french).to_contain_text(FRENCH_NOTICE)
    await expect(french).to_contain_text("Courriel")
