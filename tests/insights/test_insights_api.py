"""GET /v1/insights/{metric} through the real app on both engines, on a database of its own: the rollups
folded by the worker's sweep, state at each period's end, groups under the minimum size kept with null
figures, CSV with empty cells, the scope, refused groupings, the site a widget token's events record, and
DSR figures per source."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from prefcenter.insights.service import fold_new_events, recount_reach
from prefcenter.store.insight_rollups import REACH_TOOK
from prefcenter.store.models import Event, Meta
from prefcenter.store.models_insights import InsightReach
from prefcenter.store.unit_of_work import utcnow
from tests.conftest import close_api, open_api
from tests.dsr.support import drain, get_request, verified_request

TODAY = datetime.now(UTC).date()
RANGE = {"from": (TODAY - timedelta(days=3)).isoformat(), "to": (TODAY + timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module")
async def fresh(api, new_backend):
    harness = await open_api(new_backend(api.engine))  # counts start from nothing
    yield harness
    await close_api(harness)


async def _fold(api) -> None:
    while await fold_new_events(api.ctx, limit=7):  # small batches: the watermark moves between them
        pass


async def _set(
    api, subject_id: str, status: str, topic: str = "newsletter", touchpoint: str = "web", headers=None
):
    r = await api.client.patch(
        f"/v1/subjects/{subject_id}/preferences",
        json={"touchpoint": touchpoint, "items": [{"channel": "email", "topic": topic, "status": status}]},
        headers=headers or await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text


async def _insight(api, metric: str, **params) -> dict:
    r = await api.client.get(
        f"/v1/insights/{metric}",
        params={**RANGE, "interval": "day", **params},
        headers=await api.headers("insights:read"),
    )
    assert r.status_code == 200, r.text
    return r.json()


def _today(series: dict) -> dict:
    return {row["group"]: row["figures"] for row in series["rows"] if row["period"] == TODAY.isoformat()}


async def test_consent_rates_state_at_the_period_end_and_small_groups_suppressed(fresh):
    people = [(await fresh.new_subject())["id"] for _ in range(7)]
    for sid in people[:6]:
        await _set(fresh, sid, "opted_in")
    await _set(fresh, people[6], "opted_out", touchpoint="support")
    await _set(fresh, people[0], "opted_out", touchpoint="support")  # a change moves a person between groups
    for sid in people[:2]:
        await _set(fresh, sid, "opted_in", topic="offers")
    await _fold(fresh)

    by_topic = _today(await _insight(fresh, "consent-rates", group_by="topic"))
    assert by_topic["newsletter"] == {"subjects": 7, "opted_in": 5, "opted_out": 2, "opt_in_rate": 5 / 7}
    assert by_topic["offers"] == {"subjects": None, "opted_in": None, "opted_out": None, "opt_in_rate": None}

    by_touchpoint = _today(await _insight(fresh, "consent-rates", group_by="touchpoint"))
    assert by_touchpoint["web"]["subjects"] == 7 and by_touchpoint["web"]["opted_in"] == 7
    assert by_touchpoint["support"]["subjects"] is None  # two people: under the minimum of 5

    r = await fresh.client.get(
        "/v1/insights/consent-rates",
        params={**RANGE, "interval": "day", "group_by": "topic", "format": "csv"},
        headers=await fresh.headers("insights:read"),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["period", "group", "subjects", "opted_in", "opted_out", "opt_in_rate"]
    assert [TODAY.isoformat(), "offers", "", "", "", ""] in rows

    before = await _insight(fresh, "consent-rates", **{"from": RANGE["from"], "to": TODAY.isoformat()})
    assert all(row["figures"]["subjects"] in (None, 0) for row in before["rows"])  # nothing before today

    collection = _today(await _insight(fresh, "collection", group_by="touchpoint"))
    assert collection["web"]["changes"] == 8 and collection["web"]["opted_in"] == 8
    assert collection["support"]["changes"] is None

    assert await recount_reach(fresh.ctx, force=True) >= 1
    reach = _today(await _insight(fresh, "reach"))
    assert reach["email/newsletter"]["subjects"] is None  # nobody here has an email address: under 5


async def test_a_slow_recount_waits_in_proportion_before_the_next(api):
    """The reachable audience is recounted every PREFCENTER_INSIGHTS_REACH_EVERY seconds, or, when the last
    recount took long (a large audience), after RECOUNT_SHARE times its duration: never more than a small
    share of a core however many people there are."""
    assert await recount_reach(api.ctx, force=True) >= 1
    every = api.ctx.settings.insights.reach_every_seconds
    async with api.ctx.db.write_session() as session:
        # the last count started longer ago than the interval
        await session.execute(
            update(InsightReach).values(counted_at=utcnow() - timedelta(seconds=every + 60))
        )
        await session.execute(update(Meta).where(Meta.key == REACH_TOOK).values(value="0.5"))
    assert await recount_reach(api.ctx) >= 1  # quick last time: due again
    async with api.ctx.db.write_session() as session:
        await session.execute(
            update(InsightReach).values(counted_at=utcnow() - timedelta(seconds=every + 60))
        )
        await session.execute(update(Meta).where(Meta.key == REACH_TOOK).values(value=str(every)))
    assert await recount_reach(api.ctx) == 0  # took `every` seconds last time: waits RECOUNT_SHARE times that
    assert await recount_reach(api.ctx, force=True) >= 1


async def test_scope_and_refused_groupings(api):
    r = await api.client.get("/v1/insights/consent-rates", headers=await api.headers("audit:read"))
    assert r.status_code == 403
    r = await api.client.get(
        "/v1/insights/feedback", params={"group_by": "source"}, headers=await api.headers("insights:read")
    )
    assert r.status_code == 422 and "grouped by" in r.json()["detail"]
    r = await api.client.get("/v1/insights/nothing", headers=await api.headers("insights:read"))
    assert r.status_code in (400, 404)


async def test_a_widget_tokens_site_is_recorded_and_grouped_by(fresh):
    r = await fresh.client.put(
        "/v1/sites/shop-de",
        json={"name": "Shop DE", "origins": ["https://shop.example.de"]},
        headers=await fresh.admin(),
    )
    assert r.status_code in (200, 201), r.text
    people = [(await fresh.new_subject())["id"] for _ in range(5)]
    for sid in people:
        r = await fresh.client.post(
            f"/v1/subjects/{sid}/widget-tokens",
            json={"origin": "https://shop.example.de", "site": "shop-de"},
            headers=await fresh.headers("preferences:write"),
        )
        assert r.status_code == 201, r.text
        await _set(
            fresh,
            sid,
            "opted_in",
            topic="offers",
            headers={"Authorization": f"Bearer {r.json()['token']}", "Origin": "https://shop.example.de"},
        )
    async with fresh.ctx.db.read_session() as session:
        sites = (
            (
                await session.execute(
                    select(Event.site).where(Event.subject_id.in_(people), Event.type == "preference.set")
                )
            )
            .scalars()
            .all()
        )
    assert sites == ["shop-de"] * 5
    await _fold(fresh)
    by_site = _today(await _insight(fresh, "consent-rates", group_by="site"))
    assert by_site["shop-de"] == {"subjects": 5, "opted_in": 5, "opted_out": 0, "opt_in_rate": 1.0}
    r = await fresh.client.get("/v1/audit/verification", headers=await fresh.headers("audit:read"))
    assert r.json()["ok"] is True  # the site is hashed into the chain and verifies


async def test_dsr_figures_per_source(fresh):
    for _ in range(5):
        sid = (await fresh.new_subject())["id"]
        r = await fresh.client.post(
            "/v1/dsr-requests",
            json={"type": "access", "subject_id": sid},
            headers=await fresh.headers("dsr:manage"),
        )
        assert r.status_code == 201, r.text
        assert r.json()["source"] == "api"
    dsr = _today(await _insight(fresh, "dsr", group_by="source"))
    assert dsr["api"]["requests"] == 5 and dsr["api"]["open"] == 5 and dsr["api"]["overdue"] == 0
    assert dsr["api"]["median_days"] is None  # none completed yet


async def test_feedback_scores_per_metric_and_small_groups(fresh):
    answers = [
        ("csat", 5),
        ("csat", 4),
        ("csat", 2),
        ("csat", 5),
        ("csat", 1),
        ("nps", 10),
        ("nps", 3),
        ("ces", 6),
    ]
    for metric, score in answers:
        r = await fresh.client.post(
            "/v1/feedback",
            json={"metric": metric, "score": score, "channel": "email", "touchpoint": "web"},
            headers=await fresh.headers("feedback:write"),
        )
        assert r.status_code == 201, r.text
    total = _today(await _insight(fresh, "feedback"))[None]
    assert total["responses"] == 8 and total["csat"] == 3 / 5 and total["nps"] == 0.0 and total["ces"] == 6.0
    by_metric = _today(await _insight(fresh, "feedback", group_by="metric"))
    assert by_metric["csat"]["responses"] == 5 and by_metric["csat"]["csat"] == 3 / 5
    assert by_metric["nps"] == {"responses": None, "csat": None, "nps": None, "ces": None}
    r = await fresh.client.get(
        "/v1/insights/feedback",
        params={**RANGE, "interval": "day", "format": "csv"},
        headers=await fresh.headers("insights:read"),
    )
    assert r.text.splitlines()[0] == "period,group,responses,csat,nps,ces"


async def test_dates_near_the_calendars_ends_are_refused_not_a_server_error(api):
    """`to=0001-01-05` (the default start would lie before year 1) and a month range up to 9999 overflowed."""
    headers = await api.headers("insights:read")
    for query in ("to=0001-01-05", "from=9999-12-30&to=9999-12-31", "from=1000-01-01&to=9999-12-31"):
        r = await api.client.get(f"/v1/insights/consent-rates?{query}", headers=headers)
        assert r.status_code == 422, (query, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


async def _contact(api, subject_id: str, **body) -> str:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/interactions",
        json={"touchpoint": "support", "direction": "inbound", **body},
        headers=await api.headers("interactions:write"),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_service_figures_from_the_rollup_follow_ups_switches_and_erasure(fresh):
    """AHT, FCR (a resolved first contact followed on the same topic within 7 days is not resolved),
    channel switches, the minimum group in distinct people, and an erased person's contacts leaving."""
    people = [(await fresh.new_subject())["id"] for _ in range(6)]
    for sid in people[:5]:  # five resolved first contacts on the phone
        await _contact(fresh, sid, channel="phone", topic="billing", outcome="resolved", handle_seconds=100)
    # person 0 comes back on the same topic by chat: their first contact is no longer resolved, a switch
    first_of_0 = await _contact(fresh, people[0], channel="phone", topic="delivery", outcome="resolved")
    await _contact(
        fresh, people[0], channel="chat", topic="billing", continues=first_of_0, handle_seconds=400
    )
    # person 1 comes back on another topic: their billing contact stays resolved
    await _contact(fresh, people[1], channel="phone", topic="returns", outcome="follow_up", handle_seconds=40)
    gone = await _contact(
        fresh, people[5], channel="phone", topic="billing", outcome="resolved", handle_seconds=9
    )
    await _contact(fresh, people[5], channel="chat", topic="billing", continues=gone)
    await _fold(fresh)

    total = _today(await _insight(fresh, "service"))[None]
    # phone: 5 billing (resolved; person 0's then followed) + delivery (0, resolved) + returns (1) + person 5's
    assert total["interactions"] == 10 and total["first_contacts"] == 8 and total["channel_switches"] == 2
    assert total["aht_seconds"] == (5 * 100 + 400 + 40 + 9) / 8
    # resolved and not followed within 7 days: people 1-4's billing; person 0's delivery (no later delivery
    # contact); person 5's billing was followed on the same topic
    assert total["fcr"] == 5 / 8
    by_channel = _today(await _insight(fresh, "service", group_by="channel"))
    assert by_channel["phone"]["interactions"] == 8 and by_channel["phone"]["fcr"] == 5 / 8
    assert by_channel["chat"] == dict.fromkeys(
        ["interactions", "aht_seconds", "first_contacts", "fcr", "channel_switches"]
    )  # two people: under the minimum

    req = await verified_request(fresh, people[5], "erasure")
    await drain(fresh)
    assert (await get_request(fresh, req["id"]))["outcome"] == "erased"
    await _fold(fresh)
    total = _today(await _insight(fresh, "service"))[None]
    assert total["interactions"] == 8 and total["first_contacts"] == 7 and total["fcr"] == 5 / 7
    assert total["channel_switches"] == 1 and total["aht_seconds"] == (5 * 100 + 400 + 40) / 7
    weekly = await _insight(fresh, "service", interval="week")
    assert sum(row["figures"]["interactions"] or 0 for row in weekly["rows"]) == 8


@pytest.fixture
async def counted(api, new_backend):
    """A database of its own with a minimum group of 1: every count of the recount is visible exactly."""
    settings = new_backend(api.engine)
    settings = dataclasses.replace(settings, insights=dataclasses.replace(settings.insights, min_group=1))
    harness = await open_api(settings)
    yield harness
    await close_api(harness)


async def _snapshot(api) -> dict:
    await recount_reach(api.ctx, force=True)
    out = {}
    for metric, group in (
        ("reach", None),
        ("audience", None),
        ("audience", "preferred_channel"),
        ("audience", "do_not_contact"),
        ("expiring", "topic"),
    ):
        series = await _insight(api, metric, **({"group_by": group} if group else {}))
        assert series["as_of"] and len({row["period"] for row in series["rows"]}) <= 1
        out[(metric, group)] = {row["group"]: row["figures"] for row in series["rows"]}
    return out


def _figure(snapshot: dict, metric: str, group_by: str | None, group: str | None, figure: str) -> int:
    return (snapshot[(metric, group_by)].get(group) or {}).get(figure) or 0


async def test_reach_audience_and_expiring_follow_the_decision_function(counted):
    """Reach: people a channel reaches (an identity of its kind; everyone for post), of them those
    ``decide`` allows now (do-not-contact, legal basis, consent). Audience: people per preferred channel
    and the "contact me about nothing" share. Expiring: granted consents ending within 30 and 90 days."""
    api = counted
    before = await _snapshot(api)
    h = await api.headers("preferences:write")
    a = (await api.new_subject(identities=[{"kind": "email", "value": "reach-a@example.com"}]))["id"]
    b = (
        await api.new_subject(
            identities=[
                {"kind": "email", "value": "reach-b@example.com"},
                {"kind": "phone", "value": "+4915112345678"},
            ]
        )
    )["id"]
    c = (await api.new_subject(identities=[{"kind": "email", "value": "reach-c@example.com"}]))["id"]
    await api.new_subject()  # a fourth person, with no address at all
    grant = {"topic": "offers", "notice_version": 1, "method": "checkbox", "touchpoint": "web"}
    for sid, channels in ((b, ["email", "sms"]), (c, ["email"])):
        r = await api.client.post(
            f"/v1/subjects/{sid}/consents", json={**grant, "channels": channels}, headers=h
        )
        assert r.status_code == 201, r.text
    # a catalog edit: offers granted from now on last 20 days (a's consent expires within 30 days)
    topic = (await api.client.get("/v1/catalog", headers=await api.headers("preferences:read"))).json()
    offers = next(t for t in topic["topics"] if t["key"] == "offers")
    r = await api.client.put(
        "/v1/catalog/topics/offers",
        json={
            "name": offers["name"],
            "legal_basis": "consent",
            "channels": ["email", "sms", "phone", "push"],
            "consent_lifetime_days": 20,
        },
        headers=await api.admin(),
    )
    assert r.status_code in (200, 201), r.text
    r = await api.client.post(f"/v1/subjects/{a}/consents", json={**grant, "channels": ["email"]}, headers=h)
    assert r.status_code == 201, r.text
    r = await api.client.patch(
        f"/v1/subjects/{c}/preferences",
        json={"touchpoint": "web", "do_not_contact": True, "preferred_channel": "sms"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    after = await _snapshot(api)

    def grew(metric, group_by, group, figure):
        return _figure(after, metric, group_by, group, figure) - _figure(
            before, metric, group_by, group, figure
        )

    assert grew("reach", None, "email/offers", "subjects") == 3  # a, b, c have an email address
    assert grew("reach", None, "email/offers", "reachable") == 2  # c chose "contact me about nothing"
    assert (
        grew("reach", None, "sms/offers", "subjects") == 1
        and grew("reach", None, "sms/offers", "reachable") == 1
    )
    assert grew("reach", None, "email/product_updates", "reachable") == 2  # legitimate interest, no consent
    assert grew("reach", None, "post/billing", "subjects") == 4  # post needs no identity: everyone
    assert grew("reach", None, "post/billing", "reachable") == 3
    assert grew("reach", None, "email/newsletter", "reachable") == 0  # nobody consented
    assert (
        grew("audience", None, None, "people") == 4 and grew("audience", None, None, "contact_nothing") == 1
    )
    total = after[("audience", None)][None]
    assert total["contact_nothing_share"] == total["contact_nothing"] / total["people"]
    assert grew("audience", "preferred_channel", "sms", "people") == 1
    assert grew("audience", "preferred_channel", "none", "people") == 3
    assert grew("audience", "do_not_contact", "on", "people") == 1
    assert grew("expiring", "topic", "offers", "granted") == 3
    assert grew("expiring", "topic", "offers", "expiring_30_days") == 1  # a's, granted for 20 days
    assert grew("expiring", "topic", "offers", "expiring_90_days") == 1

    r = await api.client.get(
        "/v1/insights/audience",
        params={**RANGE, "group_by": "preferred_channel", "format": "csv"},
        headers=await api.headers("insights:read"),
    )
    assert r.text.splitlines()[0] == "period,group,people,contact_nothing,contact_nothing_share"
    r = await api.client.get(
        "/v1/insights/expiring", params={"group_by": "channel"}, headers=await api.headers("insights:read")
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
