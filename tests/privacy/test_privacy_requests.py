"""The privacy center through the real app: filing, the code, the DSR it becomes (known person or not),
the throttle, and the messages that keep the person informed (receipt, extension, completion, download)."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select

from prefcenter.store.models_privacy import PrivacyRequest
from tests.conftest import close_api, open_api
from tests.dsr.support import drain, dsr_headers, get_request

API = "/public/v1/privacy-requests"


def _mails(api, to: str) -> list:
    directory = api.settings.var_dir / "mail"
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)  # in the order sent
    messages = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]
    return [m for m in messages if m["To"] == to]


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def _code(api, to: str) -> str:
    codes = [re.search(r"\b(\d{6})\b", _body(m)) for m in _mails(api, to)]
    return [c.group(1) for c in codes if c][-1]


async def _file(api, type: str, email: str, locale: str = "en", **extra) -> dict:
    r = await api.client.post(
        API, json={"type": type, "identity": f"email:{email}", "locale": locale, **extra}
    )
    assert r.status_code == 202, r.text
    return r.json()


async def _confirm(api, filed: dict, email: str) -> dict:
    r = await api.client.post(f"{API}/{filed['id']}/verify", json={"code": _code(api, email)})
    assert r.status_code == 200, r.text
    return r.json()


async def _row(api, request_id: str) -> PrivacyRequest:
    async with api.ctx.db.read_session() as session:
        return (
            await session.execute(select(PrivacyRequest).where(PrivacyRequest.id == request_id))
        ).scalar_one()


async def test_known_person_erasure_becomes_a_self_service_dsr_and_is_told_in_german(api):
    email = f"privacy-{uuid.uuid4().hex[:8]}@example.com"
    subject = await api.new_subject(identities=[{"kind": "email", "value": email}])
    filed = await _file(api, "erasure", email, "de")
    assert filed["status"] == "awaiting_code" and filed["code_sent_to"] == "email"
    assert "Bestätigungscode" in _mails(api, email)[0]["Subject"]
    await _confirm(api, filed, email)

    row = await _row(api, filed["id"])
    dsr = await get_request(api, row.dsr_request_id)
    assert dsr["source"] == "self_service" and dsr["subject_id"] == subject["id"]
    assert dsr["status"] == "verified" and dsr["type"] == "erasure"

    await drain(api)
    dsr = await get_request(api, row.dsr_request_id)
    assert dsr["status"] == "completed", dsr
    await drain(api)  # the sweep tells the person
    subjects = [m["Subject"] for m in _mails(api, email)]
    assert any("erhalten" in s for s in subjects) and any("erledigt" in s for s in subjects), subjects
    assert "gelöscht" in _body(_mails(api, email)[-1])
    row = await _row(api, filed["id"])
    assert row.sealed_address is None and row.wrapped_key is None and row.shredded_at is not None


async def test_the_same_answer_for_a_stranger_and_a_dsr_without_subject(api):
    known = f"known-{uuid.uuid4().hex[:8]}@example.com"
    await api.new_subject(identities=[{"kind": "email", "value": known}])
    stranger = f"stranger-{uuid.uuid4().hex[:8]}@example.com"
    a = await _file(api, "access", known)
    b = await _file(api, "access", stranger)
    assert a.keys() == b.keys() and {k: v for k, v in a.items() if k != "id"} == {
        k: v for k, v in b.items() if k != "id"
    }
    await _confirm(api, b, stranger)
    row = await _row(api, b["id"])
    dsr = await get_request(api, row.dsr_request_id)
    assert dsr["subject_id"] is None and dsr["status"] == "completed" and dsr["outcome"] == "no_data"
    assert dsr["source"] == "self_service"

    await drain(api)
    assert "hold no data about you" in _body(_mails(api, stranger)[-1])
    row = await _row(api, b["id"])
    # kept sealed as proof that we answered, for the documented period, then shredded
    assert row.sealed_address is not None and row.completion_sent_at is not None
    proof = timedelta(seconds=api.ctx.settings.dsr.no_data_proof_seconds)
    assert abs(row.shred_after - (row.completion_sent_at + proof)) < timedelta(minutes=1)


async def test_wrong_codes_are_counted_and_the_sixth_try_refused(api):
    email = f"wrong-{uuid.uuid4().hex[:8]}@example.com"
    filed = await _file(api, "objection", email)
    for _ in range(5):
        r = await api.client.post(f"{API}/{filed['id']}/verify", json={"code": "000000"})
        assert r.status_code in (400, 422) and r.headers["content-type"].startswith(
            "application/problem+json"
        )
    r = await api.client.post(f"{API}/{filed['id']}/verify", json={"code": _code(api, email)})
    assert r.status_code == 409, r.text
    r = await api.client.post(f"{API}/{uuid.uuid4()}/verify", json={"code": "123456"})
    assert r.status_code == 404


async def test_throttled_per_identity(api):
    email = f"throttle-{uuid.uuid4().hex[:8]}@example.com"
    for _ in range(api.ctx.settings.dsr.privacy_requests_per_identity):
        await _file(api, "access", email)
    r = await api.client.post(API, json={"type": "access", "identity": f"email:{email}"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    r = await api.client.post(API, json={"type": "access", "identity": "name:Ann"})
    assert r.status_code in (400, 422)


async def test_access_ends_on_the_download_page_with_a_letter(api):
    email = f"access-{uuid.uuid4().hex[:8]}@example.com"
    await api.new_subject(identities=[{"kind": "email", "value": email}])
    filed = await _file(api, "access", email)
    await _confirm(api, filed, email)
    await drain(api)
    await drain(api)
    done = _body(_mails(api, email)[-1])
    link = re.search(r"http\S+/privacy/downloads/\S+", done).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = await api.client.get("/" + path)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<form method="post"' in page.text
    again = await api.client.get("/" + path)  # a mail scanner opening the link uses nothing up
    assert again.status_code == 200
    r = await api.client.post("/" + path)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    letter = archive.read("README.md").decode()
    assert "Why we hold it" in letter and "Who received it" in letter and "How long we keep it" in letter
    assert "Where it came from" in letter
    assert json.loads(archive.read("export.json"))["identities"][0]["value"] == email
    used = await api.client.post("/" + path)
    assert used.status_code == 410 and "text/html" in used.headers["content-type"]
    forged = await api.client.get("/privacy/downloads/" + str(uuid.uuid4()) + ".x")
    assert forged.status_code == 404 and "text/html" in forged.headers["content-type"]


async def test_the_download_link_opens_the_moment_its_mail_is_sent(api, new_backend, monkeypatch):
    """The mail was sent inside the transaction that made its link: opened at once, the link did not exist
    yet ("This link can no longer be used", seen once in the browser test). It is committed first now."""
    api = await open_api(new_backend(api.engine))  # a database of its own: the filings count per address
    try:
        await _download_opens_as_sent(api, monkeypatch)
    finally:
        await close_api(api)


async def _download_opens_as_sent(api, monkeypatch) -> None:
    email = f"access-{uuid.uuid4().hex[:8]}@example.com"
    await api.new_subject(identities=[{"kind": "email", "value": email}])
    opened: list[int] = []
    send = api.ctx.sender.send

    async def send_then_open(message):
        await send(message)
        found = re.search(r"http\S+/privacy/downloads/\S+", message.text)
        if found:  # the person clicks as the mail arrives, while the sweep has not finished
            path = found.group(0).split("://", 1)[1].split("/", 1)[1]
            opened.append((await api.client.get("/" + path)).status_code)

    monkeypatch.setattr(api.ctx.sender, "send", send_then_open)
    filed = await _file(api, "access", email)
    await _confirm(api, filed, email)
    await drain(api)
    await drain(api)
    assert opened == [200]


async def test_an_extension_is_told_with_its_reason(api):
    email = f"extend-{uuid.uuid4().hex[:8]}@example.com"
    await api.new_subject(identities=[{"kind": "email", "value": email}])
    filed = await _file(api, "rectification", email, "fr", details="my surname is Dupont, not Dupond")
    await _confirm(api, filed, email)
    row = await _row(api, filed["id"])
    dsr = await get_request(api, row.dsr_request_id)
    assert any("Dupont" in (h["reason"] or "") for h in dsr["history"])
    await drain(api)
    r = await api.client.post(
        f"/v1/dsr-requests/{row.dsr_request_id}/extend",
        json={"months": 1, "reason": "we are checking the paper records"},
        headers=await dsr_headers(api),
    )
    assert r.status_code == 200, r.text
    await drain(api)
    last = _mails(api, email)[-1]
    assert "plus de temps" in last["Subject"] and "paper records" in _body(last)


async def test_a_phone_number_gets_its_code_by_text_message(api):
    r = await api.client.post(
        API, json={"type": "access", "identity": "phone:+4915112345678", "locale": "de"}
    )
    assert r.status_code == 202 and r.json()["code_sent_to"] == "phone"
    texts = [json.loads(p.read_text()) for p in (api.settings.var_dir / "sms").glob("*.json")]
    assert any(t["to"] == "+4915112345678" and "Bestätigungscode" in t["text"] for t in texts)


async def test_the_hosted_page(api):
    r = await api.client.get("/privacy", headers={"accept-language": "de"})
    assert r.status_code == 200 and 'lang="de"' in r.text and "<prefcenter-privacy-request" in r.text
    assert "/widget/v1/privacy.js" in r.text and 'integrity="sha384-' in r.text
    js = await api.client.get("/widget/v1/privacy.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
