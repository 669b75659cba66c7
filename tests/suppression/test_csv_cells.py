"""CSV injection: the plain suppression export neutralises formula cells but keeps phone numbers exact."""

from __future__ import annotations

import csv
import io
import uuid

from tests.checks.helpers import subject_with


async def _plain_csv(api, channel: str) -> list[dict]:
    r = await api.client.get(
        "/v1/suppressions",
        params={"channel": channel, "topic": "offers", "identities": "plain"},
        headers=await api.headers("consent:check", "preferences:read"),
    )
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text, newline="")))


async def test_formula_identities_are_neutralised_in_the_plain_export(api):
    tag = uuid.uuid4().hex[:8]
    hostile = [
        f"=cmd|'/c&calc'!a0-{tag}@evil.example",
        f"+cmd|'/c&calc'!a0-{tag}@evil.example",
        f"-2+3-{tag}@evil.example",
    ]
    for email in hostile:
        await subject_with(api, email=email, prefs=[("email", "*", "opted_out")])
    values = {row["value"] for row in await _plain_csv(api, "email")}
    for email in hostile:
        assert "'" + email in values  # a spreadsheet shows it as text, never runs it
        assert email not in values


async def test_phone_numbers_stay_exact_in_the_plain_export(api):
    number = "+4915" + str(uuid.uuid4().int)[:9]
    subject = await api.new_subject(identities=[{"kind": "phone", "value": number}])
    r = await api.client.patch(
        f"/v1/subjects/{subject['id']}/preferences",
        json={"touchpoint": "web", "items": [{"channel": "sms", "topic": "*", "status": "opted_out"}]},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    rows = await _plain_csv(api, "sms")
    assert {"kind": "phone", "value": number, "reason": "channel_opted_out"} in rows
