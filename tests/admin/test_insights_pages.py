"""/admin/insights through the real app on both engines: who may see it (analysts, officers, admins; never
agents), the charts as SVG with their tables, and each chart's CSV download."""

from __future__ import annotations

import csv
import io
import re

from prefcenter.admin.insights_pages import PLANS
from prefcenter.insights import service as insights
from tests.admin.support import signed_in


async def _some_feedback(api, answers: int = 6) -> None:
    headers = await api.headers("feedback:write")
    for n in range(answers):
        body = {"metric": "csat", "score": 3 + n % 3, "channel": "email", "touchpoint": "email_link"}
        r = await api.client.post("/v1/feedback", json=body, headers=headers)
        assert r.status_code == 201, r.text


async def test_analysts_officers_and_admins_see_the_charts(api):
    await _some_feedback(api)
    await insights.fold_new_events(api.ctx)
    for role in ("analyst", "officer", "admin"):
        async with signed_in(api, role) as staff:
            html = await staff.page("/admin/insights?interval=week")
            assert (
                '<a href="/admin/insights" aria-current="page">Insights</a>' in html
                or "/admin/insights" in html
            )
            assert html.count('<section class="insight"') == len(PLANS)
            assert html.count("Nothing to show for these dates.") < len(
                PLANS
            )  # the feedback charts are drawn
            assert 'role="img"' in html and "<desc id=" in html
            assert "Customer satisfaction (CSAT, share scoring 4-5)" in html
            assert "<polyline" in html or "<circle" in html
            assert re.search(
                r'<a href="/admin/insights/csv/feedback\?from=[0-9-]+&amp;to=[0-9-]+&amp;interval=week"', html
            )
            assert "<caption>" in html and '<th scope="col">csat</th>' in html
            assert (
                "People by preferred channel" in html and "Consents expiring within 90 days by topic" in html
            )


async def test_an_agent_is_refused(api):
    async with signed_in(api, "agent") as staff:
        await staff.page("/admin/insights", status=403)
        await staff.page("/admin/insights/csv/feedback", status=403)
        home = await staff.page("/admin")
        assert "/admin/insights" not in home


async def test_the_csv_download_is_the_apis_series(api):
    await _some_feedback(api)
    async with signed_in(api, "analyst") as staff:
        r = await staff.client.get("/admin/insights/csv/feedback", params={"group_by": "channel"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["period", "group", "responses", "csat", "nps", "ces"]
        email = [row for row in rows[1:] if row[1] == "email"]
        assert email and all(int(row[2]) >= 1 for row in email)
        assert (await staff.client.get("/admin/insights/csv/nothing")).status_code == 404
        bad = await staff.client.get("/admin/insights/csv/feedback", params={"group_by": "topic"})
        assert bad.status_code in (400, 422)


async def test_signed_out_goes_to_the_sign_in_page(api):
    from tests.admin.support import browser_client

    async with browser_client(api) as client:
        r = await client.get("/admin/insights")
        assert r.status_code in (302, 303, 401) or "login" in r.text
