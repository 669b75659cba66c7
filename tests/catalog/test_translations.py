"""Catalog translations and service messages over HTTP on SQLite and PostgreSQL: per-locale texts on channels,
topics and groups, notices per locale with their own versions, ``GET /v1/catalog?locale=``, the fallback to the
default locale, the translation gaps, a consent's locale and notice hash, and the refused service-message opt-out."""

from __future__ import annotations

import hashlib

from prefcenter.catalog.service import translation_gaps


async def _catalog(api, locale: str | None = None) -> dict:
    params = {"locale": locale} if locale else {}
    r = await api.client.get("/v1/catalog", params=params, headers=await api.headers("preferences:read"))
    assert r.status_code == 200, r.text
    return r.json()


def _topic(catalog: dict, key: str) -> dict:
    return next(t for t in catalog["topics"] if t["key"] == key)


async def test_translated_texts_and_notices_with_fallback(api):
    admin = await api.admin()
    r = await api.client.put(
        "/v1/catalog/groups/marketing",
        json={
            "name": "Marketing",
            "translations": {"de": {"name": "Werbung"}, "fr": {"name": "Marketing FR"}},
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = await api.client.put(
        "/v1/catalog/topics/offers",
        json={
            "name": "Offers and discounts",
            "legal_basis": "consent",
            "channels": ["email", "sms", "phone", "push"],
            "description": "Personal offers and discounts.",
            "group_key": "marketing",
            "consent_lifetime_days": 365,
            "honour_gpc": True,
            "translations": {"de": {"name": "Angebote und Rabatte", "description": "Persönliche Angebote."}},
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["translations"]["de"]["name"] == "Angebote und Rabatte"
    r = await api.client.put(
        "/v1/catalog/channels/email",
        json={"name": "Email", "translations": {"de": {"name": "E-Mail"}}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    german_text = "Wir senden Ihnen persönliche Angebote."
    r = await api.client.post(
        "/v1/catalog/topics/offers/notices", json={"text": german_text, "locale": "de"}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["locale"] == "de"  # each locale numbers its own versions

    german = await _catalog(api, "de")
    assert german["locale"] == "de"
    offers = _topic(german, "offers")
    assert (offers["name"], offers["group"]) == ("Angebote und Rabatte", "Werbung")
    assert offers["notice"]["text"] == german_text and offers["notice"]["locale"] == "de"
    assert next(c for c in german["channels"] if c["key"] == "email")["name"] == "E-Mail"
    # no German texts for the newsletter: the default locale's, notice included
    newsletter = _topic(german, "newsletter")
    assert newsletter["name"] == "Newsletter" and newsletter["notice"]["locale"] == "en"
    english = await _catalog(api)
    assert _topic(english, "offers")["name"] == "Offers and discounts"
    assert _topic(english, "offers")["notice"]["locale"] == "en"
    assert _topic(await _catalog(api, "fr"), "offers")["group"] == "Marketing FR"

    subject = await api.new_subject()
    r = await api.client.post(
        f"/v1/subjects/{subject['id']}/consents",
        json={
            "topic": "offers",
            "channels": ["email"],
            "notice_version": 1,
            "notice_locale": "de",
            "method": "checkbox",
            "touchpoint": "web",
        },
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["locale"] == "de"
    assert r.json()["notice_sha256"] == hashlib.sha256(german_text.encode()).hexdigest()

    async with api.ctx.db.read_session() as session:
        gaps = {(g.locale, g.kind, g.key) for g in await translation_gaps(session)}
    assert ("de", "notice", "offers") not in gaps and ("de", "topic", "offers") not in gaps
    assert ("de", "notice", "newsletter") in gaps and ("fr", "topic", "offers") in gaps
    assert ("de", "channel", "sms") in gaps and ("de", "channel", "email") not in gaps


async def test_a_service_message_keeps_one_channel_and_takes_no_topic_opt_out(api):
    catalog = await _catalog(api)
    assert _topic(catalog, "billing")["optional"] is False  # contract: a service message by default
    assert _topic(catalog, "offers")["optional"] is True
    subject = await api.new_subject()
    write = await api.headers("preferences:write")

    async def save(*items):
        return await api.client.patch(
            f"/v1/subjects/{subject['id']}/preferences",
            json={
                "touchpoint": "web",
                "items": [dict(zip(("channel", "topic", "status"), i, strict=True)) for i in items],
            },
            headers=write,
        )

    r = await save(
        ("email", "billing", "opted_out"), ("sms", "billing", "opted_out"), ("post", "billing", "opted_out")
    )
    assert r.status_code == 422 and r.json()["type"].endswith("/service-message"), r.text
    assert (await save(("email", "billing", "opted_out"), ("sms", "billing", "opted_out"))).status_code == 200
    r = await save(("post", "billing", "opted_out"))
    assert r.status_code == 422 and "keep at least one" in r.json()["detail"]
    assert (await save(("sms", "offers", "opted_out"))).status_code == 200


async def test_only_contract_or_legal_obligation_topics_are_service_messages(api):
    r = await api.client.put(
        "/v1/catalog/topics/tips",
        json={"name": "Tips", "legal_basis": "consent", "channels": ["email"], "optional": False},
        headers=await api.admin(),
    )
    assert r.status_code == 422 and "always optional" in r.json()["detail"]
