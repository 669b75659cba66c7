"""GET /v1/insights/{metric} through the real app on both engines, on a database of its own: the rollups
folded by the worker's sweep, state at each period's end, groups under the minimum size kept with null
figures, CSV with empty cells, the scope, refused groupings, the site a widget token's events record, and
DSR figures per source."""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update

from prefcenter.core.insight_periods import days_a_count_stands_for
from prefcenter.insights.service import fold_new_events, recount_reach
from prefcenter.store.insight_rollups import REACH_TOOK
from prefcenter.store.models import Event, Meta
from prefcenter.store.models_insights import InsightRateDay, InsightRatePeople
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


def _email(n: int) -> dict:
    return {"identities": [{"kind": "email", "value": f"rates-{uuid.uuid4().hex[:8]}-{n}@example.com"}]}


async def test_consent_rates_follow_the_decision_function_and_small_groups_are_suppressed(fresh):
    """subjects: people with an identity for the channel; opted_in: those the decision function allows;
    opted_out: those it refuses for a choice of their own; grouped by where the choice was made. A catalog
    edit moves the figures without an event (the recount counts them)."""
    people = [(await fresh.new_subject(**_email(n)))["id"] for n in range(7)]
    await fresh.new_subject()  # no address: email does not reach them
    for sid in people[1:6]:
        await _set(fresh, sid, "opted_in", topic="product_updates")  # legitimate interest: allowed anyway
    await _set(fresh, people[6], "opted_out", topic="product_updates", touchpoint="support")
    await _set(fresh, people[0], "opted_in", topic="product_updates")
    await _set(fresh, people[0], "opted_out", topic="product_updates", touchpoint="support")  # moves group
    await _fold(fresh)
    assert await recount_reach(fresh.ctx, force=True) >= 1

    by_topic = _today(await _insight(fresh, "consent-rates", group_by="topic"))
    # product_updates is offered on email and push; nobody has a push device, so email only: these seven
    # and the demo's person (who has an email address and chose nothing)
    assert by_topic["product_updates"] == {"subjects": 8, "opted_in": 6, "opted_out": 2, "opt_in_rate": 6 / 8}
    by_channel = _today(await _insight(fresh, "consent-rates", group_by="channel"))
    assert by_channel["post"]["subjects"] == 9 * 2  # post needs no address: everyone, newsletter and billing
    by_touchpoint = _today(await _insight(fresh, "consent-rates", group_by="touchpoint"))
    assert by_touchpoint["web"] == {"subjects": 5, "opted_in": 5, "opted_out": 0, "opt_in_rate": 1.0}
    assert by_touchpoint["support"]["subjects"] is None  # two people: under the minimum of 5
    assert by_touchpoint["none"]["subjects"] > 0  # the pairs nobody chose anything for

    r = await fresh.client.get(
        "/v1/insights/consent-rates",
        params={**RANGE, "interval": "day", "group_by": "touchpoint", "format": "csv"},
        headers=await fresh.headers("insights:read"),
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["period", "group", "subjects", "opted_in", "opted_out", "opt_in_rate"]
    assert [TODAY.isoformat(), "support", "", "", "", ""] in rows

    before = await _insight(fresh, "consent-rates", **{"from": RANGE["from"], "to": TODAY.isoformat()})
    assert before["rows"] == []  # nothing counted before today

    reach = _today(await _insight(fresh, "reach"))
    assert reach["email/product_updates"] == {"subjects": 8, "reachable": 6}  # the same count

    # a catalog edit: product updates now need consent, which nobody gave: nobody is reachable, no event
    r = await fresh.client.put(
        "/v1/catalog/topics/product_updates",
        json={"name": "Product updates", "legal_basis": "consent", "channels": ["email", "push"]},
        headers=await fresh.admin(),
    )
    assert r.status_code in (200, 201), r.text
    assert await recount_reach(fresh.ctx, force=True) >= 1
    by_topic = _today(await _insight(fresh, "consent-rates", group_by="topic"))
    assert by_topic["product_updates"] == {"subjects": 8, "opted_in": 0, "opted_out": 2, "opt_in_rate": 0.0}
    r = await fresh.client.put(  # as it was, for the tests after this one
        "/v1/catalog/topics/product_updates",
        json={"name": "Product updates", "legal_basis": "legitimate_interest", "channels": ["email", "push"]},
        headers=await fresh.admin(),
    )
    assert r.status_code in (200, 201), r.text

    collection = _today(await _insight(fresh, "collection", group_by="touchpoint"))
    assert collection["web"]["changes"] == 6 and collection["web"]["opted_in"] == 6
    assert collection["support"]["changes"] is None


async def test_a_periods_figures_are_the_state_at_its_end(counted):
    """Each period shows the last day in it with a count (the state at its end), not a sum of days; the
    current period the newest count; days nobody counted are left out."""
    api = counted
    at = datetime(2026, 3, 1, tzinfo=UTC)
    counts = {  # day -> (subjects, opted_in)
        "2026-03-02": (10, 4),  # Monday
        "2026-03-05": (11, 6),
        "2026-03-08": (12, 9),  # Sunday: the end of the week of 2 March
        "2026-03-10": (12, 3),
    }
    async with api.ctx.db.write_session() as session:
        await session.execute(
            insert(InsightRateDay),
            [
                {
                    "day": day,
                    "channel": "email",
                    "topic": "offers",
                    "touchpoint": "web",
                    "site": "",
                    "subjects": n,
                    "opted_in": i,
                    "opted_out": 1,
                    "counted_at": at,
                }
                for day, (n, i) in counts.items()
            ],
        )
        await session.execute(
            insert(InsightRatePeople),
            [{"day": day, "dimension": "", "grp": "", "people": n} for day, (n, _) in counts.items()],
        )
    window = {"from": "2026-03-01", "to": "2026-04-01"}
    weekly = await _insight(api, "consent-rates", interval="week", **window)
    assert [(r["period"], r["figures"]["subjects"], r["figures"]["opted_in"]) for r in weekly["rows"]] == [
        ("2026-03-02", 12, 9),
        ("2026-03-09", 12, 3),
    ]
    daily = await _insight(api, "consent-rates", interval="day", **window)
    assert [r["period"] for r in daily["rows"]] == sorted(counts)
    monthly = await _insight(api, "consent-rates", interval="month", **window)
    assert [(r["period"], r["figures"]["opt_in_rate"]) for r in monthly["rows"]] == [("2026-03-01", 3 / 12)]


def test_the_first_count_of_a_day_closes_the_day_before_when_nearer_its_end():
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    day, before = date(2026, 3, 2), date(2026, 3, 1)
    minute = timedelta(minutes=1)
    assert days_a_count_stands_for(midnight + minute, midnight - 5 * minute) == [day, before]
    assert days_a_count_stands_for(midnight + 9 * minute, midnight - 5 * minute) == [
        day
    ]  # the last was nearer
    assert days_a_count_stands_for(midnight + 2 * minute, midnight + minute) == [day]  # not the first today
    assert days_a_count_stands_for(midnight + minute, midnight - timedelta(days=2)) == [day]  # a day missed
    assert days_a_count_stands_for(midnight + minute, None) == [day]


async def test_a_slow_recount_waits_in_proportion_before_the_next(api):
    """The reachable audience is recounted every PREFCENTER_INSIGHTS_REACH_EVERY seconds, or, when the last
    recount took long (a large audience), after RECOUNT_SHARE times its duration: never more than a small
    share of a core however many people there are."""
    assert await recount_reach(api.ctx, force=True) >= 1
    every = api.ctx.settings.insights.reach_every_seconds
    async with api.ctx.db.write_session() as session:
        # the last count started longer ago than the interval
        await session.execute(
            update(InsightRateDay).values(counted_at=utcnow() - timedelta(seconds=every + 60))
        )
        await session.execute(update(Meta).where(Meta.key == REACH_TOOK).values(value="0.5"))
    assert await recount_reach(api.ctx) >= 1  # quick last time: due again
    async with api.ctx.db.write_session() as session:
        await session.execute(
            update(InsightRateDay).values(counted_at=utcnow() - timedelta(seconds=every + 60))
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
    people = [(await fresh.new_subject(**_email(n)))["id"] for n in range(5)]
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
            topic="product_updates",
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
    assert await recount_reach(fresh.ctx, force=True) >= 1
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


async def test_consent_rates_group_a_consent_by_where_it_was_given(counted):
    """A consent given at the point of sale counts under `pos`; withdrawn later on the web, under `web` as
    opted out; a preference set after a consent moves the pair to where the preference was set."""
    api = counted
    h = await api.headers("preferences:write")
    people = [(await api.new_subject(**_email(n)))["id"] for n in range(3)]
    grant = {"topic": "offers", "notice_version": 1, "method": "verbal", "touchpoint": "pos"}
    consents = {}
    for sid in people:
        r = await api.client.post(
            f"/v1/subjects/{sid}/consents", json={**grant, "channels": ["email"]}, headers=h
        )
        assert r.status_code == 201, r.text
        consents[sid] = r.json()["id"]
    r = await api.client.post(
        f"/v1/subjects/{people[1]}/consents/{consents[people[1]]}/withdraw",
        json={"touchpoint": "web", "method": "checkbox"},
        headers=h,
    )
    assert r.status_code in (200, 201), r.text
    await _set(api, people[2], "opted_out", topic="offers", touchpoint="support")
    await _fold(api)
    assert await recount_reach(api.ctx, force=True) >= 1

    series = await _insight(api, "consent-rates", group_by="touchpoint")
    rows = {row["group"]: row["figures"] for row in series["rows"]}
    # email/offers: person 0 at pos (allowed), person 1 at web (withdrawn), person 2 at support (opted out)
    assert rows["pos"] == {"subjects": 1, "opted_in": 1, "opted_out": 0, "opt_in_rate": 1.0}
    assert rows["web"]["opted_out"] == 1 and rows["web"]["opted_in"] == 0
    assert rows["support"]["opted_out"] == 1
