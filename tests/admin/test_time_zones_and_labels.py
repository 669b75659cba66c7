"""Console pages people can work in (issue 11 item 7): each person's own time zone (``/admin/me``, audited,
shown on ``/admin/staff``) used for every date; readable labels instead of stored codes; a GDPR request's
person shown by masked identity and external id with a link; an identity revealed once, after a redirect."""

from __future__ import annotations

import json
import re
import uuid

from prefcenter.admin.revealed_once import COOKIE
from tests.admin.support import csrf_of, request_id_from, signed_in
from tests.staff.support import staff_events

DATE_IN_UTC = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


async def _request_for_a_person(api, officer) -> tuple[dict, str]:
    email = f"zone-{uuid.uuid4().hex[:8]}@example.com"
    subject = await api.new_subject(identities=[{"kind": "email", "value": email}])
    r = await officer.submit("/admin/dsr/new", "/admin/dsr/new", type="access", subject_id=subject["id"])
    return subject, request_id_from(r)


async def test_a_staff_member_sets_their_time_zone_and_every_page_shows_dates_in_it(api):
    async with signed_in(api, "officer") as officer:
        subject, rid = await _request_for_a_person(api, officer)
        assert DATE_IN_UTC.search(await officer.page(f"/admin/dsr/{rid}"))  # the default is UTC

        settings = await officer.page("/admin/me")
        assert '<select id="time_zone" name="time_zone"' in settings
        assert '<option value="UTC" selected>' in settings and '<option value="Asia/Tokyo">' in settings
        assert 'href="/admin/me" aria-current="page"' in settings  # linked from every page's header
        r = await officer.submit("/admin/me", "/admin/me", time_zone="Asia/Tokyo")
        assert r.status_code == 303 and r.headers["location"] == "/admin/me?done=saved"
        saved = await officer.page("/admin/me?done=saved")
        assert "Your time zone is saved." in saved and '<option value="Asia/Tokyo" selected>' in saved

        assert (await officer.submit("/admin/audit", "/admin/audit/checkpoint")).status_code == 303
        for path in (f"/admin/dsr/{rid}", "/admin/dsr", f"/admin/subjects/{subject['id']}", "/admin/audit"):
            html = await officer.page(path)
            assert " JST" in html, path
            assert not DATE_IN_UTC.search(html), path
        assert not DATE_IN_UTC.search(await officer.page("/admin"))

        # Not a time zone: refused beside the field, nothing saved, nothing audited.
        for wrong in ("Mars/Olympus_Mons", "../../etc/passwd", ""):
            r = await officer.submit("/admin/me", "/admin/me", time_zone=wrong)
            assert 400 <= r.status_code < 500 and 'aria-describedby="zone-error"' in r.text, wrong
            assert "Unknown time zone" in r.text
        # Saving the same zone again changes nothing and records nothing.
        await officer.submit("/admin/me", "/admin/me", time_zone="Asia/Tokyo")

        changes = [
            e for e in await staff_events(api.ctx, officer.staff_id) if e.type == "staff.time_zone_changed"
        ]
        assert len(changes) == 1
        assert (changes[0].actor_type, changes[0].actor_id) == ("staff", officer.staff_id)
        data = changes[0].data if isinstance(changes[0].data, dict) else json.loads(changes[0].data)
        assert data == {"staff_id": officer.staff_id, "from": "UTC", "to": "Asia/Tokyo"}

        r = await officer.client.post("/admin/me", data={"time_zone": "Europe/Paris"})  # no CSRF token
        assert r.status_code == 403

    async with signed_in(api, "analyst") as analyst:  # every role has its own settings
        assert "Your settings" in await analyst.page("/admin/me")
        r = await analyst.submit("/admin/me", "/admin/me", time_zone="America/Sao_Paulo")
        assert r.status_code == 303

    async with signed_in(api, "admin") as admin:  # admins see each person's time zone
        staff_page = await admin.page("/admin/staff")
        assert '<th scope="col">Time zone</th>' in staff_page
        assert "Asia/Tokyo" in staff_page and "America/Sao Paulo" in staff_page


async def test_gdpr_request_pages_show_labels_and_people_not_codes_and_uuids(api):
    async with signed_in(api, "officer") as officer:
        subject, rid = await _request_for_a_person(api, officer)
        sid = subject["id"]
        page = f"/admin/dsr/{rid}"
        r = await officer.submit(page, f"{page}/verify", note="passport checked")
        assert r.status_code == 303

        listing = await officer.page("/admin/dsr?type=access")
        link = f'<a href="/admin/subjects/{sid}">z***@e***.com</a>'
        assert link in listing and f"external id {subject['external_id']}" in listing
        assert f"<code>{sid}</code>" not in listing
        assert '<option value="waiting_on_systems">Waiting on systems</option>' in listing
        assert '<option value="access" selected>Access</option>' in listing
        row = re.search(rf'<tr[^>]*><th scope="row"><a href="/admin/dsr/{rid}">.*?</tr>', listing).group(0)
        assert "<td>Access</td>" in row and ">Verified</span>" in row

        detail = await officer.page(page)
        assert "<h1>Access request" in detail and link in detail
        assert "named them by subject id" in detail and "<dd>Admin</dd>" in detail  # filed in the console
        assert "by officer" in detail  # verified by an officer
        assert re.search(r"<td>Status</td><td>Received</td><td>Verified</td><td>[^<]+ \(staff\)</td>", detail)
        assert "staff:" not in detail  # the history names people, not actor codes

        form = await officer.page("/admin/dsr/new")
        assert '<option value="rectification">Rectification</option>' in form
        assert '<option value="pos">Point of sale</option>' in form

        dashboard = await officer.page("/admin")
        assert "</span> Waiting on systems</li>" in dashboard and "</span> In progress</li>" in dashboard


async def test_a_revealed_identity_crosses_the_redirect_once_and_only_for_its_session(api):
    email = f"once-{uuid.uuid4().hex[:8]}@example.com"
    subject = await api.new_subject(identities=[{"kind": "email", "value": email}])
    sid = subject["id"]
    async with signed_in(api, "officer") as first, signed_in(api, "officer") as second:
        html = await first.page(f"/admin/subjects/{sid}")
        action = re.search(r'action="(/admin/subjects/[^"]+/reveal)"', html).group(1)
        r = await first.client.post(action, data={"csrf": csrf_of(html), "reason": "caller confirmed"})
        assert r.status_code == 303
        set_cookie = r.headers["set-cookie"]
        assert email not in set_cookie  # sealed, not readable in the cookie
        for attribute in ("HttpOnly", "SameSite=Strict", f"Path=/admin/subjects/{sid}", "Max-Age=60"):
            assert attribute.lower() in set_cookie.lower(), attribute
        handed = r.cookies[COOKIE]

        # Another officer's session cannot open it (it is sealed for the session that revealed).
        second.client.cookies.set(COOKIE, handed, domain="testserver.local", path=f"/admin/subjects/{sid}")
        assert email not in await second.page(f"/admin/subjects/{sid}")

        # Nor does it show on another person's page.
        other = await api.new_subject(identities=[{"kind": "email", "value": f"x-{email}"}])
        first.client.cookies.set(
            COOKIE, handed, domain="testserver.local", path=f"/admin/subjects/{other['id']}"
        )
        assert email not in await first.page(f"/admin/subjects/{other['id']}")

        shown = await first.client.get(f"/admin/subjects/{sid}")
        assert email in shown.text
        assert "max-age=0" in shown.headers["set-cookie"].lower()  # deleted by the answer that shows it
        assert email not in await first.page(f"/admin/subjects/{sid}")
