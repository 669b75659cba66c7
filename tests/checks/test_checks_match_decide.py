"""Property: for generated subjects, every decision through the HTTP API equals ``core.decisions.decide``.

Hypothesis draws the subjects' preferences and consents; each is written through the real API, then all
channel x topic pairs (unknown ones included) are checked in one batch and compared with ``decide`` fed
the state we *meant* to write (not rows read back), on both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefcenter.core.decisions import ConsentState, SubjectState, TopicRule, decide
from prefcenter.demo import CHANNELS, TOPICS
from tests.checks.helpers import subject_with

CHANNEL_KEYS = sorted(CHANNELS)
PREF_SLOTS = sorted(
    [(c, "*") for c in CHANNEL_KEYS] + [(c, t) for t, topic in TOPICS.items() for c in topic.channels]
)
CONSENT_TOPICS = sorted(k for k, t in TOPICS.items() if t.legal_basis == "consent")


def _consent_plan(topic: str):
    channels = sorted(TOPICS[topic].channels)
    return st.one_of(
        st.none(),
        st.tuples(
            st.sets(st.sampled_from(channels), min_size=1).map(sorted),
            st.sampled_from(["keep", "withdraw", "confirm"]),
        ),
    )


subject_plans = st.fixed_dictionaries(
    {
        "do_not_contact": st.booleans(),
        "prefs": st.dictionaries(
            st.sampled_from(PREF_SLOTS), st.sampled_from(["opted_in", "opted_out"]), max_size=6
        ),
        "consents": st.fixed_dictionaries({t: _consent_plan(t) for t in CONSENT_TOPICS}),
    }
)


def _draw_plans(n: int) -> list[dict]:
    drawn: list[dict] = []

    @settings(max_examples=n, database=None, suppress_health_check=list(HealthCheck), deadline=None)
    @given(subject_plans)
    def collect(plan):
        drawn.append(plan)

    collect()
    return drawn


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _write(api, plan: dict) -> tuple[dict, SubjectState]:
    prefs = [(c, t, s) for (c, t), s in plan["prefs"].items()]
    subject = await subject_with(api, prefs=prefs, do_not_contact=plan["do_not_contact"] or None)
    write = await api.headers("preferences:write")
    consents = {}
    for topic, todo in plan["consents"].items():
        if todo is None:
            continue
        channels, then = todo
        r = await api.client.post(
            f"/v1/subjects/{subject['id']}/consents",
            json={
                "topic": topic,
                "channels": channels,
                "notice_version": 1,
                "method": "checkbox",
                "touchpoint": "web",
            },
            headers=write,
        )
        assert r.status_code == 201, r.text
        consent = r.json()
        if then != "keep":
            r = await api.client.post(
                f"/v1/subjects/{subject['id']}/consents/{consent['id']}/{then}",
                json={"touchpoint": "web"},
                headers=write,
            )
            if r.status_code == 200:
                consent = r.json()
        consents[topic] = ConsentState(
            consent["id"],
            consent["status"],
            frozenset(consent["channels"]),
            consent["notice_version"],
            _dt(consent["granted_at"]),
            _dt(consent["expires_at"]),
        )
    state = SubjectState(
        subject_id=subject["id"],
        do_not_contact=plan["do_not_contact"],
        channel_opt_outs=frozenset(c for (c, t), s in plan["prefs"].items() if t == "*" and s == "opted_out"),
        topic_preferences={(c, t): s for (c, t), s in plan["prefs"].items() if t != "*"},
        consents=consents,
    )
    return subject, state


async def test_api_decisions_equal_the_pure_decision_function(api):
    rules = {
        k: TopicRule(k, t.legal_basis, frozenset(t.channels), t.allow_when_channel_opted_out)
        for k, t in TOPICS.items()
    }
    known = frozenset(CHANNEL_KEYS)
    pairs = [(c, t) for c in [*CHANNEL_KEYS, "fax"] for t in [*sorted(TOPICS), "nope"]]
    check = await api.headers("consent:check")
    for plan in _draw_plans(12):
        subject, state = await _write(api, plan)
        refs = [subject["id"], f"email:{subject['email']}"]
        items = [{"subject": ref, "channel": c, "topic": t} for ref in refs for c, t in pairs]
        r = await api.client.post("/v1/consent-checks", json={"items": items}, headers=check)
        assert r.status_code == 200, r.text
        now = datetime.now(UTC)
        for item, got in zip(items, r.json()["results"], strict=True):
            want = decide(state, item["channel"], rules.get(item["topic"]), now, known_channels=known)
            evidence = {
                k: v
                for k, v in (
                    ("consent_id", want.consent_id),
                    ("notice_version", want.notice_version),
                    ("preference", want.preference),
                )
                if v is not None
            }
            assert (got["allowed"], got["reason"], got["evidence"]) == (
                want.allowed,
                want.reason.value,
                evidence,
            ), (
                plan,
                item,
            )
            if items.index(item) % 5 == 0:  # the single check (its own one-statement read) agrees too
                r = await api.client.get("/v1/consent-checks", params=item, headers=check)
                assert r.status_code == 200, r.text
                one = r.json()
                assert (one["allowed"], one["reason"], one["evidence"]) == (
                    want.allowed,
                    want.reason.value,
                    evidence,
                ), (plan, item, "single")
