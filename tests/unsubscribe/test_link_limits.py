"""An unsubscribe link does one thing for a limited time: its pages hand out no other credential (no manage
link, no subject token) and it expires (``PREFCENTER_UNSUBSCRIBE_LINK_DAYS``); links minted before expiry
existed (version 1) expire by their age too."""

from __future__ import annotations

import re
import struct
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from prefcenter.settings import SettingsError, widget_settings_from_env
from prefcenter.unsubscribe import service
from prefcenter.unsubscribe.tokens import DAY_SECONDS, DOMAIN, LEGACY_VERSION, UnsubscribeTokens, _b64
from tests.checks.helpers import subject_with

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


async def _link(api, subject_id: str, topic: str = "offers") -> dict:
    r = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "topic": topic, "subjects": [subject_id]},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def _allowed(api, subject_id: str, topic: str = "offers") -> bool:
    r = await api.client.get(
        "/v1/consent-checks",
        params={"subject": subject_id, "channel": "email", "topic": topic},
        headers=await api.headers("consent:check"),
    )
    return r.json()["allowed"]


def _targets(html: str) -> set[str]:
    return set(re.findall(r'(?:href|action|src)="([^"]*)"', html))


async def test_unsubscribe_pages_hand_out_no_other_credential(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    link = await _link(api, s["id"])
    path = _path(link["url"])
    for answer in (
        await api.client.get(path),
        await api.client.post(path, data=ONE_CLICK),
        await api.client.post(path, data=ONE_CLICK),  # the replay's page too
    ):
        assert answer.status_code == 200, answer.text
        html = answer.text
        assert "/p/" not in html and JWT.search(html) is None, html
        assert "data-token" not in html and "<script" not in html
        assert _targets(html) <= {path}, _targets(html)  # the only place it leads: its own one-click POST
    assert await _allowed(api, s["id"]) is False


async def test_minted_links_say_when_they_expire(api):
    s = await subject_with(api)
    link = await _link(api, s["id"])
    expires = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    lifetime = timedelta(days=api.settings.widget.unsubscribe_link_days)
    assert api.settings.widget.unsubscribe_link_days >= 60
    assert abs(expires - (datetime.now(UTC) + lifetime)) < timedelta(minutes=1)


async def test_an_expired_link_answers_410_and_changes_nothing(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    lifetime_ms = api.settings.widget.unsubscribe_link_days * DAY_SECONDS * 1000
    tokens = service.tokens(api.ctx)
    now_ms = time.time_ns() // 1_000_000
    expired, _ = tokens.mint(s["id"], "email", "offers", issued_at_ms=now_ms - lifetime_ms - 1000)
    nearly, _ = tokens.mint(s["id"], "email", "offers", issued_at_ms=now_ms - lifetime_ms + 60_000)

    page = await api.client.get(f"/u/{expired}", headers={"Accept-Language": "de"})
    assert page.status_code == 410 and 'lang="de"' in page.text and "abgelaufen" in page.text
    assert 'method="post"' not in page.text
    r = await api.client.post(f"/u/{expired}", data=ONE_CLICK)
    assert r.status_code == 410 and "x-unsubscribe-status" not in r.headers
    assert "more recent message" in r.text
    assert await _allowed(api, s["id"]) is True  # nothing was recorded

    r = await api.client.post(f"/u/{nearly}", data=ONE_CLICK)  # a minute before expiry: still works
    assert r.status_code == 200 and r.headers["x-unsubscribe-status"] == "unsubscribed"
    assert await _allowed(api, s["id"]) is False


def _legacy_token(signing_key: bytes, subject_id: str, channel: str, topic: str, issued_at: int) -> str:
    """A version 1 link as minted before links expired (issue time in seconds, no expiry)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    ch, tp = channel.encode(), topic.encode()
    payload = (
        bytes([LEGACY_VERSION])
        + uuid.UUID(subject_id).bytes
        + bytes([len(ch)])
        + ch
        + bytes([len(tp)])
        + tp
        + struct.pack(">I", issued_at)
    )
    signature = Ed25519PrivateKey.from_private_bytes(signing_key).sign(DOMAIN[LEGACY_VERSION] + payload)
    return _b64(payload + signature)


async def test_links_minted_before_expiry_existed_expire_by_their_age(api):
    s = await subject_with(api, consents=[("offers", ["email"]), ("newsletter", ["email"])])
    key = api.ctx.keys.signing_key
    lifetime = api.settings.widget.unsubscribe_link_days * DAY_SECONDS
    old = _legacy_token(key, s["id"], "email", "offers", int(time.time()) - lifetime - 10)
    recent = _legacy_token(key, s["id"], "email", "offers", int(time.time()) - 3600)

    assert (await api.client.get(f"/u/{old}")).status_code == 410
    assert (await api.client.post(f"/u/{old}", data=ONE_CLICK)).status_code == 410
    assert await _allowed(api, s["id"]) is True
    r = await api.client.post(f"/u/{recent}", data=ONE_CLICK)
    assert r.status_code == 200 and r.headers["x-unsubscribe-status"] == "unsubscribed"
    assert await _allowed(api, s["id"]) is False


def test_a_token_expires_at_its_expiry_and_not_before():
    tokens = UnsubscribeTokens(bytes(32), 60)
    subject = str(uuid.uuid4())
    token, expires = tokens.mint(subject, "email", "offers", issued_at_ms=1_700_000_000_000)
    assert expires == 1_700_000_000 + 60 * DAY_SECONDS
    claim = tokens.verify(token, now=expires - 1)
    assert (claim.subject_id, claim.channel, claim.topic) == (subject, "email", "offers")
    assert claim.issued_at_ms == 1_700_000_000_000
    with pytest.raises(Exception) as refused:
        tokens.verify(token, now=expires)
    assert getattr(refused.value, "status", None) == 410
    # the expiry is signed: another installation's key, or any changed byte, is a link that is not valid
    with pytest.raises(Exception) as other:
        UnsubscribeTokens(bytes([1]) * 32, 60).verify(token, now=expires - 1)
    assert getattr(other.value, "status", None) == 404


def test_the_link_lifetime_is_configurable(monkeypatch):
    monkeypatch.delenv("PREFCENTER_UNSUBSCRIBE_LINK_DAYS", raising=False)
    assert widget_settings_from_env().unsubscribe_link_days >= 60
    monkeypatch.setenv("PREFCENTER_UNSUBSCRIBE_LINK_DAYS", "120")
    assert widget_settings_from_env().unsubscribe_link_days == 120
    for bad in ("0", "-5", "soon"):
        monkeypatch.setenv("PREFCENTER_UNSUBSCRIBE_LINK_DAYS", bad)
        with pytest.raises(SettingsError):
            widget_settings_from_env()
