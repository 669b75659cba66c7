"""The staff console's person pages: find a person, the single customer view, reveal, the agent workspace."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from sqlalchemy import select

from prefcenter.store.models import Event
from tests.admin.support import csrf_of, signed_in


def _email() -> str:
    return f"ann-{uuid.uuid4().hex[:8]}@Example.com"


async def _person(api, **body) -> tuple[dict, str, str]:
    email = _email()
    phone = f"+4915{uuid.uuid4().int % 10**9:09d}"
    subject = await api.new_subject(
        identities=[{"kind": "email", "value": email}, {"kind": "phone", "value": phone}], **body
    )
    return subject, email, phone


async def _events(api, subject_id: str, prefix: str) -> list[Event]:
    async with api.ctx.db.read_session() as session:
        rows = await session.execute(
            select(Event)
            .where(Event.subject_id == subject_id, Event.type.like(f"{prefix}%"))
            .order_by(Event.seq)
        )
        return list(rows.scalars())


async def test_find_a_person_by_email_phone_external_id_and_subject_id(api):
    subject, email, phone = await _person(api)
    async with signed_in(api, "agent") as agent:
        home = await agent.page("/admin")
        assert 'action="/admin/subjects"' in home  # the search box is on every page
        for query in (email.upper(), phone, subject["external_id"], subject["id"], f"email:{email}"):
            html = await agent.page(f"/admin/subjects?q={quote(query)}")
            assert f'href="/admin/subjects/{subject["id"]}"' in html, query
            assert "1 person found" in html
            assert "a***@e***.com" in html  # identities shown masked
            if query == subject["external_id"]:
                assert email.lower() not in html and phone not in html
        html = await agent.page("/admin/subjects?q=" + quote(email[:-1]))  # exact only
        assert "0 people found" in html and "Nobody matches" in html


async def test_the_single_customer_view_is_logged_and_masks_identities(api):
    subject, email, _phone = await _person(api)
    sid = subject["id"]
    r = await api.client.post(
        f"/v1/subjects/{sid}/interactions",
        json={
            "channel": "chat",
            "touchpoint": "support",
            "direction": "inbound",
            "topic": "billing",
            "summary": "Charged twice in March",
            "outcome": "transferred",
        },
        headers=await api.headers("interactions:write"),
    )
    assert r.status_code == 201, r.text
    async with signed_in(api, "agent") as agent:
        html = await agent.page(f"/admin/subjects/{sid}")
        assert email.lower() not in html and email not in html
        assert "a***@e***.com" in html
        assert "Charged twice in March" in html and "Transferred" in html
        assert "GDPR requests" not in html  # agents see no DSRs
        assert "/reveal" not in html  # agents may not reveal
        viewed = await _events(api, sid, "staff.subject_viewed")
        assert [(e.actor_type, e.actor_id) for e in viewed] == [("staff", agent.staff_id)]
        r = await agent.client.get(f"/admin/subjects/{sid}?channel=sms")
        assert "Charged twice in March" in r.text  # contacts table still lists it
        assert r.text.count("<td>Contact</td>") == 0  # the timeline filtered it out
        r = await agent.client.get(f"/admin/subjects/{sid}?channel=chat&touchpoint=support")
        assert r.text.count("<td>Contact</td>") == 1
        r = await agent.client.post(
            f"/admin/subjects/{sid}/identities/{uuid.uuid4()}/reveal",
            data={"csrf": csrf_of(html), "reason": "curious"},
        )
        assert r.status_code == 403
    async with signed_in(api, "analyst") as analyst:
        await analyst.page(f"/admin/subjects/{sid}", status=403)
        await analyst.page(f"/admin/subjects?q={email}", status=403)


async def test_an_officer_reveals_an_identity_with_a_reason_audited(api):
    subject, email, _phone = await _person(api)
    sid = subject["id"]
    async with signed_in(api, "officer") as officer:
        html = await officer.page(f"/admin/subjects/{sid}")
        assert "GDPR requests" in html and "Legal hold" in html
        action = re.search(r'>Email</th><td>[^<]*</td><td>\s*<form[^>]* action="([^"]+/reveal)"', html).group(
            1
        )
        r = await officer.client.post(action, data={"csrf": csrf_of(html), "reason": ""})
        assert r.status_code == 422
        r = await officer.client.post(
            action, data={"csrf": csrf_of(html), "reason": "Caller asked to confirm"}
        )
        # POST-redirect-GET: the answer is a redirect (a reload never reveals again) and the value is not in it.
        assert r.status_code == 303 and r.headers["location"] == f"/admin/subjects/{sid}#revealed"
        assert email.lower() not in r.text and email.lower() not in r.headers["location"]
        r = await officer.client.get(f"/admin/subjects/{sid}")
        assert r.status_code == 200 and email.lower() in r.text and 'id="revealed"' in r.text
        assert r.headers["cache-control"] == "no-store"
        again = await officer.page(f"/admin/subjects/{sid}")  # a reload: shown once, gone now
        assert email.lower() not in again and 'id="revealed"' not in again
        revealed = await _events(api, sid, "staff.identity_revealed")
        assert len(revealed) == 1 and revealed[0].actor_id == officer.staff_id
        assert revealed[0].sealed is not None and b"Caller" not in revealed[0].sealed
        listed = await api.client.get(
            f"/v1/audit/events?actor=staff:{officer.staff_id}", headers=await api.headers("audit:read")
        )
        assert "staff.identity_revealed" in [e["type"] for e in listed.json()["items"]]


async def test_the_agent_workspace_records_as_the_staff_member(api):
    subject, _email_, _phone = await _person(api)
    sid = subject["id"]
    async with signed_in(api, "agent") as agent:
        page = f"/admin/subjects/{sid}"
        r = await agent.submit(
            page,
            f"{page}/interactions",
            channel="phone",
            touchpoint="support",
            direction="inbound",
            topic="billing",
            summary="Wants fewer emails",
            outcome="resolved",
            handle_seconds="125",
        )
        assert r.status_code == 303 and r.headers["location"].startswith(page)
        r = await agent.submit(
            page,
            f"{page}/preferences",
            topic="newsletter",
            channel="email",
            status="opted_out",
            touchpoint="support",
            reason="Asked on the phone",
        )
        assert r.status_code == 303, r.text
        r = await agent.submit(
            page,
            f"{page}/preferences",
            topic="newsletter",
            channel="email",
            status="opted_in",
            touchpoint="support",
            reason="",
        )
        assert r.status_code == 422
        html = await agent.page(page)
        assert "Wants fewer emails" in html and "2 min 5 s" in html
        topic = re.search(r'<select id="consent-topic" name="topic"><option value="([a-z_\-]+)"', html).group(
            1
        )
        channel = re.search(r'name="channels" value="([a-z_\-]+)"', html).group(1)
        r = await agent.client.post(
            f"{page}/consents",
            data={
                "csrf": csrf_of(html),
                "topic": topic,
                "channels": channel,
                "touchpoint": "support",
                "reason": "Said yes on the phone",
            },
        )
        # Post/redirect/get: a reload shows the page again (with the receipt) and records nothing twice.
        assert r.status_code == 303, r.text[:3000]
        shown = await agent.client.get(r.headers["location"])
        assert shown.status_code == 200 and "Consent receipt (signed):" in shown.text
        again = await agent.client.get(r.headers["location"])
        assert "Consent receipt (signed):" in again.text
        events = [e for e in await _events(api, sid, "") if e.actor_type == "staff"]
        types = {e.type for e in events}
        assert {"interaction.recorded", "preference.set"} <= types
        assert types & {"consent.granted", "consent.pending_confirmation"}
        assert all(e.actor_id == agent.staff_id for e in events)
        granted = [e for e in events if e.type.startswith("consent.")]
        assert len(granted) == 1 and '"method":"verbal"' in granted[0].data


async def test_a_refused_workspace_form_comes_back_filled_in_with_its_error(api):
    subject, _email_, _phone = await _person(api)
    sid = subject["id"]
    async with signed_in(api, "agent") as agent:
        page = f"/admin/subjects/{sid}"
        r = await agent.submit(
            page,
            f"{page}/preferences",
            topic="newsletter",
            channel="email",
            status="opted_out",
            frequency="weekly",
            touchpoint="account",
            reason="",
        )
        assert r.status_code == 422
        assert "The preference change was not recorded: give the reason" in r.text
        assert 'aria-describedby="preference-error"' in r.text and 'id="preference-error"' in r.text
        assert (
            '<option value="weekly" selected>' in r.text and '<option value="opted_out" selected>' in r.text
        )
        assert '<option value="account" selected>' in r.text
        assert "Find another person" in r.text  # the single customer view, not the shared error page
        r = await agent.submit(
            page,
            f"{page}/interactions",
            channel="chat",
            touchpoint="support",
            direction="inbound",
            summary="Asked about the bill",
            handle_seconds="ten",
        )
        assert (
            r.status_code == 422
            and "The contact was not recorded: Handle time must be a whole number" in r.text
        )
        assert ">Asked about the bill</textarea>" in r.text
        r = await agent.submit(
            page,
            f"{page}/interactions",
            channel="chat",
            touchpoint="support",
            direction="inbound",
            topic="Bad Topic",
        )
        assert r.status_code == 422 and "Topic is not in the expected form (one word in lower case" in r.text
        assert "Expected `" not in r.text and "regex" not in r.text  # msgspec's wording is for programs
        r = await agent.submit(
            page, f"{page}/consents", topic="newsletter", touchpoint="support", reason="Said yes"
        )
        assert r.status_code == 422 and "choose at least one channel" in r.text
        assert 'value="Said yes"' in r.text
        assert [
            e
            for e in await _events(api, sid, "")
            if e.actor_type == "staff" and e.type != "staff.subject_viewed"
        ] == []


async def test_earlier_consents_show_their_signed_receipt(api):
    subject, _email_, _phone = await _person(api)
    sid = subject["id"]
    catalog = (await api.client.get("/v1/catalog", headers=await api.admin())).json()
    topic = next(t for t in catalog["topics"] if t["legal_basis"] == "consent" and t.get("notice"))
    r = await api.client.post(
        f"/v1/subjects/{sid}/consents",
        json={
            "topic": topic["key"],
            "channels": topic["channels"][:1],
            "notice_version": topic["notice"]["version"],
            "method": "checkbox",
            "touchpoint": "web",
        },
        headers=await api.admin(),
    )
    assert r.status_code == 201, r.text
    answered = r.json()["receipt"]
    async with signed_in(api, "agent") as agent:
        html = await agent.page(f"/admin/subjects/{sid}")
        assert "Signed receipt" in html and f"<code>{answered}</code>" in html  # the same token, issued again
