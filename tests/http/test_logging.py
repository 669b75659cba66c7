"""Logs carry a request id on every line and no personal data: no emails, phone numbers or IP addresses."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from prefcenter.logs import configure_logging, scrub_text
from prefcenter.settings import LogSettings


def test_scrub_text_removes_personal_data():
    text = "ann@example.com called from +49 151 12345678 at 203.0.113.9 and 2001:db8::1:2:3"
    scrubbed = scrub_text(text)
    for secret in ("ann@example.com", "12345678", "203.0.113.9", "2001:db8"):
        assert secret not in scrubbed


@pytest.fixture
def captured_logs():
    buffer = io.StringIO()
    configure_logging(LogSettings(format="json", level="DEBUG"), stream=buffer)
    yield buffer
    configure_logging(LogSettings(format="json", level="INFO"))


async def test_request_logs_have_request_ids_and_no_personal_data(api, captured_logs):
    email = f"private.person.{uuid.uuid4().hex[:6]}@example.org"
    phone = "+44 7700 900123"
    h = await api.headers("preferences:write", "preferences:read")
    subject = await api.new_subject(
        identities=[{"kind": "email", "value": email}, {"kind": "phone", "value": phone}]
    )
    await api.client.get("/v1/subjects", params={"identity": f"email:{email}"}, headers=h)
    await api.client.post(
        "/v1/subjects", json={"identities": [{"kind": "email", "value": email}]}, headers=h
    )  # 409
    await api.client.post(
        "/v1/subjects", json={"identities": [{"kind": "email", "value": "broken@"}]}, headers=h
    )  # 422
    await api.client.post(
        f"/v1/subjects/{subject['id']}/consents",
        json={
            "topic": "offers",
            "channels": ["email"],
            "notice_version": 1,
            "method": "checkbox",
            "touchpoint": "web",
            "evidence": {"ip": "198.51.100.23", "user_agent": "Mozilla/5.0"},
        },
        headers={**h, "X-Request-ID": "trace-abcdef123"},
    )
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.strip()]
    request_lines = [line for line in lines if line.get("event") == "request"]
    assert len(request_lines) >= 4
    assert all(line.get("request_id") for line in request_lines)
    assert any(line["request_id"] == "trace-abcdef123" for line in request_lines)
    text = captured_logs.getvalue()
    for secret in (email, "7700 900123", "+447700900123", "198.51.100.23", "broken@"):
        assert secret not in text, secret
