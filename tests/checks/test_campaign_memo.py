"""Property: the memoised campaign path (checks/campaign.py) answers exactly what ``decide`` answers on the
full state ``build_states`` makes from the same rows — reason, evidence and all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.checks.campaign import CampaignDecider, campaign_keys
from prefcenter.checks.states import build_states
from prefcenter.core.decisions import TopicRule, decide

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHANNELS = ["email", "sms", "*"]
TOPICS = ["offers", "news", "*"]
RULES = {
    "offers": TopicRule("offers", "consent", frozenset({"email", "sms"})),
    "news": TopicRule("news", "legitimate_interest", frozenset({"email"})),
    "bills": TopicRule("bills", "contract", frozenset({"email", "sms"}), True),
    "law": TopicRule("law", "legal_obligation", frozenset({"sms"}), False),
}
KNOWN = frozenset({"email", "sms"})

sids = st.sampled_from([f"s{i}" for i in range(6)])
expiry = st.one_of(
    st.none(),
    st.sampled_from([NOW - timedelta(days=1), NOW, NOW + timedelta(days=1)]).map(
        lambda d: d.replace(tzinfo=None).isoformat(sep=" ")
    ),
)
subject_rows = st.dictionaries(sids, st.tuples(st.booleans(), st.booleans()), max_size=6).map(
    lambda d: [(sid, e, n) for sid, (e, n) in d.items()]
)
pref_rows = st.lists(
    st.tuples(
        sids,
        st.sampled_from(CHANNELS),
        st.sampled_from([*TOPICS, "bills", "law"]),
        st.sampled_from(["opted_in", "opted_out"]),
    ),
    max_size=12,
)
consent_rows = st.lists(
    st.tuples(
        sids,
        st.uuids().map(str),
        st.sampled_from(["offers", "news", "bills", "law"]),
        st.sampled_from(["granted", "withdrawn", "pending_confirmation", "expired", "weird"]),
        st.lists(st.sampled_from(["email", "sms", "fax"]), max_size=3).map(json.dumps),
        st.one_of(st.none(), st.integers(1, 9)),
        st.just("2026-01-01 00:00:00"),
        expiry,
    ),
    max_size=8,
)
questions = st.tuples(st.sampled_from(["email", "sms", "fax", "*"]), st.sampled_from([*RULES, "nope", "*"]))


@settings(max_examples=400, deadline=None)
@given(subject_rows, pref_rows, consent_rows, questions)
def test_campaign_path_equals_decide(subjects, prefs, consents, question):
    channel, topic = question
    states = build_states(subjects, prefs, consents)
    keys = campaign_keys(subjects, prefs, consents, channel, topic, NOW)
    decider = CampaignDecider(channel, RULES.get(topic), NOW, KNOWN)
    for sid in [*states, None]:  # None: an unknown subject
        want = decide(states.get(sid), channel, RULES.get(topic), NOW, known_channels=KNOWN)
        key, cid, nv = keys[sid] if sid is not None else (None, None, None)
        allowed, reason, cites, preference = decider.verdict(key)
        got = (allowed, reason, cid if cites else None, nv if cites else None, preference)
        assert got == (want.allowed, want.reason.value, want.consent_id, want.notice_version, want.preference)
