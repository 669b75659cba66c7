"""Building subjects with preferences and consents through the real API, for the check tests."""

from __future__ import annotations

import uuid


async def subject_with(
    api,
    *,
    email: str | None = None,
    prefs: list[tuple[str, str, str]] = (),
    do_not_contact: bool | None = None,
    consents: list[tuple[str, list[str]]] = (),
) -> dict:
    """A subject with an email identity, the given preferences and (granted, no double opt-in) consents."""
    email = email or f"p-{uuid.uuid4().hex[:12]}@example.com"
    subject = await api.new_subject(identities=[{"kind": "email", "value": email}])
    write = await api.headers("preferences:write")
    body: dict = {
        "touchpoint": "web",
        "items": [{"channel": c, "topic": t, "status": s} for c, t, s in prefs],
    }
    if do_not_contact is not None:
        body["do_not_contact"] = do_not_contact
    if prefs or do_not_contact is not None:
        r = await api.client.patch(f"/v1/subjects/{subject['id']}/preferences", json=body, headers=write)
        assert r.status_code == 200, r.text
    subject["consents"] = {}
    for topic, channels in consents:
        r = await api.client.post(
            f"/v1/subjects/{subject['id']}/consents",
            json={
                "topic": topic,
                "channels": channels,
                "notice_version": 1,
                "method": "checkbox",
                "touchpoint": "web",
            },
            headers=write,
        )
        assert r.status_code == 201, r.text
        subject["consents"][topic] = r.json()
    subject["email"] = email
    return subject
