"""GDPR requests through the admin pages: each action goes through the DSR service and shows in the history."""

from __future__ import annotations

import re

from prefcenter.dsr import intake
from prefcenter.store.unit_of_work import SYSTEM
from tests.admin.support import request_id_from, signed_in
from tests.dsr.support import get_request


async def _new_request(officer, **fields) -> str:
    r = await officer.submit("/admin/dsr/new", "/admin/dsr/new", **fields)
    return request_id_from(r)


async def test_create_verify_note_extend_and_cancel(api):
    s = await api.new_subject(identities=[{"kind": "email", "value": "admin-pages-a@example.com"}])
    async with signed_in(api, "officer") as officer:
        form = await officer.page("/admin/dsr/new")
        assert '<label for="identity">' in form and '<option value="erasure">' in form

        rid = await _new_request(officer, type="access", identity="email:Admin-Pages-A@example.com")
        detail = await officer.page(f"/admin/dsr/{rid}?done=created")
        assert (
            "The request was recorded." in detail
            and "named them by their email" in detail
            and "a***@e***.com" in detail
        )
        req = await get_request(api, rid)
        assert req["status"] == "received" and req["subject_id"] == s["id"]
        assert (
            req["history"][0]["actor_type"] == "staff" and req["history"][0]["actor_id"] == officer.staff_id
        )

        # A second one of the same type is linked, not created.
        r = await officer.submit("/admin/dsr/new", "/admin/dsr/new", type="access", subject_id=s["id"])
        assert r.headers["location"] == f"/admin/dsr/{rid}?done=linked"

        page = f"/admin/dsr/{rid}"
        r = await officer.submit(page, f"{page}/verify", note="passport checked at the desk")
        assert r.status_code == 303 and r.headers["location"] == f"{page}?done=verified"
        req = await get_request(api, rid)
        assert req["status"] == "verified" and req["verification_method"] == "officer"
        verified = req["history"][-1]
        assert verified["to_status"] == "verified" and verified["reason"] == "passport checked at the desk"
        assert (verified["actor_type"], verified["actor_id"]) == ("staff", officer.staff_id)

        r = await officer.submit(page, f"{page}/note", note="called the customer back")
        assert r.headers["location"] == f"{page}?done=noted"
        r = await officer.submit(page, f"{page}/extend", months="2", reason="complex request")
        assert r.headers["location"] == f"{page}?done=extended"
        req = await get_request(api, rid)
        assert req["extended_months"] == 2 and req["extension_reason"] == "complex request"

        html = await officer.page(page)
        for text in (
            "passport checked at the desk",
            "called the customer back",
            "+2 month(s): complex request",
        ):
            assert text in html
        assert 'action="/admin/dsr/' + rid + '/extend"' not in html  # extended once: the form is gone

        # A second extension is refused by the service, shown on the page.
        r = await officer.submit(page, f"{page}/extend", months="1", reason="again")
        assert r.status_code == 409 and "it can be extended once" in r.text

        r = await officer.submit(page, f"{page}/cancel", reason="withdrawn by the customer")
        assert r.headers["location"] == f"{page}?done=cancelled"
        req = await get_request(api, rid)
        assert req["status"] == "rejected" and req["outcome"] == "cancelled"
        assert req["history"][-1]["reason"] == "cancelled: withdrawn by the customer"

    # Every status change is in the hash-chained log with the officer as actor.
    events = (
        await api.client.get(
            f"/v1/subjects/{s['id']}/events", params={"limit": 200}, headers=await api.admin()
        )
    ).json()["items"]
    mine = [e for e in events if e["type"].startswith("dsr.") and e["data"].get("request_id") == rid]
    assert {e["type"] for e in mine} >= {"dsr.received", "dsr.status_changed", "dsr.extended"}
    assert all((e["actor_type"], e["actor_id"]) == ("staff", officer.staff_id) for e in mine)


async def test_retry_a_failed_request_and_complete_a_rectification(api):
    from prefcenter.dsr import lifecycle

    s = await api.new_subject()
    async with signed_in(api, "officer") as officer:
        rid = await _new_request(officer, type="erasure", subject_id=s["id"])
        await officer.submit(f"/admin/dsr/{rid}", f"/admin/dsr/{rid}/verify", note="known customer")
        await lifecycle.mark_failed(api.ctx, rid, "downstream blew up")
        page = await officer.page(f"/admin/dsr/{rid}")
        assert "downstream blew up" in page and f'action="/admin/dsr/{rid}/retry"' in page
        r = await officer.submit(f"/admin/dsr/{rid}", f"/admin/dsr/{rid}/retry")
        assert r.headers["location"] == f"/admin/dsr/{rid}?done=retried"
        req = await get_request(api, rid)
        assert req["status"] == "verified" and req["history"][-1]["reason"] == "retried by an officer"

        # Retrying something that did not fail is refused with the service's reason.
        r = await officer.submit(f"/admin/dsr/{rid}", f"/admin/dsr/{rid}/retry")
        assert r.status_code == 409 and "only a failed request can be retried" in r.text

        t = await api.new_subject()
        rid = await _new_request(officer, type="rectification", external_id=t["external_id"])
        await officer.submit(f"/admin/dsr/{rid}", f"/admin/dsr/{rid}/verify", note="ID at the counter")
        from tests.dsr.support import drain

        await drain(api)
        assert (await get_request(api, rid))["status"] == "in_progress"
        r = await officer.submit(f"/admin/dsr/{rid}", f"/admin/dsr/{rid}/complete", note="address corrected")
        assert r.headers["location"] == f"/admin/dsr/{rid}?done=completed"
        req = await get_request(api, rid)
        assert req["status"] == "completed" and req["outcome"] == "rectified"


async def test_bad_forms_are_explained_not_saved(api):
    s = await api.new_subject()
    async with signed_in(api, "officer") as officer:
        r = await officer.submit(
            "/admin/dsr/new",
            "/admin/dsr/new",
            type="access",
            subject_id=s["id"],
            external_id=s["external_id"],
        )
        assert (
            r.status_code == 422 and "Fill in exactly one of Subject id, External id or Identity." in r.text
        )
        r = await officer.submit("/admin/dsr/new", "/admin/dsr/new", type="nonsense", subject_id=s["id"])
        assert r.status_code == 400 and "Type of request is not one of the choices offered." in r.text
        r = await officer.submit("/admin/dsr/new", "/admin/dsr/new", type="access", identity="nonsense")
        assert r.status_code == 400 and "Identity is not in the expected form (kind:value, e.g." in r.text
        assert "Expected `" not in r.text and "regex" not in r.text  # msgspec's wording is for programs
        r = await officer.submit(
            "/admin/dsr/new", "/admin/dsr/new", type="access", identity="email:nobody-here@example.com"
        )
        assert r.status_code == 404 and "no subject has this email" in r.text

        rid = await _new_request(officer, type="objection", subject_id=s["id"])
        page = f"/admin/dsr/{rid}"
        r = await officer.submit(page, f"{page}/verify", note="")
        assert r.status_code == 422 and "give a note on how identity was checked" in r.text
        r = await officer.submit(page, f"{page}/extend", months="3", reason="too long")
        assert r.status_code == 422 and "1 or 2 months" in r.text
        r = await officer.submit(page, f"{page}/frobnicate")
        assert r.status_code == 404
        assert (await get_request(api, rid))["status"] == "received"
        await officer.page("/admin/dsr/00000000-0000-0000-0000-000000000000", status=404)
        await officer.page("/admin/dsr/not-a-uuid", status=404)


async def test_officer_text_is_escaped(api):
    s = await api.new_subject()
    note = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    async with signed_in(api, "officer") as officer:
        rid = await _new_request(officer, type="access", subject_id=s["id"], note=note)
        page = f"/admin/dsr/{rid}"
        await officer.submit(page, f"{page}/verify", note=note)
        html = await officer.page(page)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
        # A refused form keeps what was typed, escaped.
        r = await officer.submit("/admin/dsr/new", "/admin/dsr/new", type="access", external_id=note)
        assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text


async def test_list_filters_overdue_and_paging(api):
    from sqlalchemy import update

    from prefcenter.store.models_dsr import DsrRequest
    from prefcenter.store.unit_of_work import utcnow

    async with signed_in(api, "officer") as officer:
        ids = []
        for _ in range(3):
            s = await api.new_subject()
            ids.append(await _new_request(officer, type="portability", subject_id=s["id"]))
        async with api.ctx.db.write_session() as session:
            from datetime import timedelta

            await session.execute(
                update(DsrRequest).where(DsrRequest.id == ids[0]).values(due_at=utcnow() - timedelta(days=1))
            )
        html = await officer.page("/admin/dsr?type=portability&overdue=yes")
        assert f"/admin/dsr/{ids[0]}" in html and f"/admin/dsr/{ids[1]}" not in html
        assert 'class="overdue"' in html and '<th scope="col">Due</th>' in html
        html = await officer.page("/admin/dsr?type=portability&status=received&overdue=no")
        assert f"/admin/dsr/{ids[0]}" not in html and f"/admin/dsr/{ids[1]}" in html

        dashboard = await officer.page("/admin")
        assert f"/admin/dsr/{ids[0]}" in dashboard and "overdue" in dashboard

        # Cursor paging through the whole list, 2 a page, keeps the filters.
        seen, path, pages = [], "/admin/dsr?type=portability&limit=2", 0
        while path:
            html = await officer.page(path)
            seen += re.findall(r'href="/admin/dsr/([0-9a-f-]{36})"', html)
            nxt = re.search(r'href="(/admin/dsr\?[^"]*cursor=[^"]+)">Next page', html)
            path = nxt.group(1).replace("&amp;", "&") if nxt else None
            pages += 1
            if path:
                assert "type=portability" in path and "limit=2" in path
        assert set(ids) <= set(seen) and len(seen) == len(set(seen)) and pages >= 2

        await officer.page("/admin/dsr?status=bogus", status=422)
        await officer.page("/admin/dsr?cursor=%%%", status=422)


async def test_a_request_about_someone_we_hold_no_data_about_shows_a_dash(api):
    """A verified self-service request about an unknown person has no subject: a dash and "no data held"
    on the list and the detail page, never "None"."""
    async with api.ctx.unit_of_work() as uow:
        req = await intake.record_without_subject(
            uow, SYSTEM, "access", "email", source="self_service", why="the code was confirmed"
        )
    async with signed_in(api, "officer") as officer:
        for html in (
            await officer.page("/admin/dsr?status=completed"),
            await officer.page(f"/admin/dsr/{req.id}"),
        ):
            assert req.id[:8] in html
            assert "None" not in html and "no data held" in html
