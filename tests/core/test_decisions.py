from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefcenter.core.decisions import (
    ConsentDecision,
    ConsentState,
    LegalBasis,
    Reason,
    SubjectState,
    TopicRule,
    consent_expiry,
    decide,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CHANNELS = ("email", "sms", "phone", "post", "push")


def topic(basis=LegalBasis.consent, channels=("email", "sms"), key="newsletter", exempt=False):
    return TopicRule(
        key=key, legal_basis=basis, channels=frozenset(channels), allow_when_channel_opted_out=exempt
    )


def consent(status="granted", channels=("email",), expires_at=None, cid="c1", version=3):
    return ConsentState(
        id=cid,
        status=status,
        channels=frozenset(channels),
        notice_version=version,
        granted_at=NOW - timedelta(days=10),
        expires_at=expires_at,
    )


def subject(**kw):
    return SubjectState(subject_id="s1", **kw)


# --- one example per Reason ---------------------------------------------------------------


def test_reason_values():
    assert {r.value for r in Reason} == {
        "consent", "legitimate_interest", "contract", "legal_obligation", "unknown_subject", "erased",
        "do_not_contact", "channel_opted_out", "channel_not_allowed_for_topic", "no_consent",
        "consent_withdrawn", "consent_expired", "pending_confirmation", "objected", "topic_opted_out",
        "unknown_topic", "unknown_channel",
    }  # fmt: skip
    assert Reason.consent == "consent" and isinstance(Reason.erased, str)
    assert {b.value for b in LegalBasis} == {"consent", "legitimate_interest", "contract", "legal_obligation"}


def test_unknown_subject():
    assert decide(None, "email", topic(), NOW) == ConsentDecision(False, Reason.unknown_subject)


def test_erased_beats_everything():
    s = subject(erased=True, consents={"newsletter": consent()})
    assert decide(s, "email", topic(), NOW) == ConsentDecision(False, Reason.erased)
    assert decide(s, "fax", None, NOW, known_channels=frozenset({"email"})).reason == Reason.erased


def test_unknown_topic():
    assert decide(subject(), "email", None, NOW).reason == Reason.unknown_topic


def test_unknown_channel():
    d = decide(subject(), "fax", topic(), NOW, known_channels=frozenset(CHANNELS))
    assert d == ConsentDecision(False, Reason.unknown_channel)
    # without known_channels an unlisted channel is just not allowed for the topic
    assert decide(subject(), "fax", topic(), NOW).reason == Reason.channel_not_allowed_for_topic


def test_do_not_contact():
    s = subject(do_not_contact=True, consents={"newsletter": consent()})
    d = decide(s, "email", topic(), NOW)
    assert d == ConsentDecision(False, Reason.do_not_contact, preference="do_not_contact")
    assert (
        decide(s, "email", topic(LegalBasis.legal_obligation, exempt=True), NOW).reason
        == Reason.do_not_contact
    )


def test_channel_opted_out():
    s = subject(channel_opt_outs=frozenset({"email"}), consents={"newsletter": consent()})
    d = decide(s, "email", topic(), NOW)
    assert d == ConsentDecision(False, Reason.channel_opted_out, preference="email:*")
    assert decide(s, "sms", topic(), NOW).reason == Reason.no_consent


@pytest.mark.parametrize("basis", [LegalBasis.contract, LegalBasis.legal_obligation])
def test_channel_opt_out_exemption_for_contract_and_legal_obligation(basis):
    s = subject(channel_opt_outs=frozenset({"email"}))
    assert decide(s, "email", topic(basis, exempt=True), NOW) == ConsentDecision(True, Reason(basis.value))
    assert decide(s, "email", topic(basis, exempt=False), NOW).reason == Reason.channel_opted_out


@pytest.mark.parametrize("basis", [LegalBasis.consent, LegalBasis.legitimate_interest])
def test_channel_opt_out_exemption_flag_ignored_for_other_bases(basis):
    s = subject(channel_opt_outs=frozenset({"email"}), consents={"newsletter": consent()})
    assert decide(s, "email", topic(basis, exempt=True), NOW).reason == Reason.channel_opted_out


def test_channel_not_allowed_for_topic():
    s = subject(consents={"newsletter": consent(channels=("email", "post"))})
    assert decide(s, "post", topic(), NOW) == ConsentDecision(False, Reason.channel_not_allowed_for_topic)


def test_consent_allows_with_id_and_notice_version():
    s = subject(consents={"newsletter": consent(expires_at=NOW + timedelta(seconds=1))})
    assert decide(s, "email", topic(), NOW) == ConsentDecision(True, Reason.consent, "c1", 3)


def test_no_consent():
    assert decide(subject(), "email", topic(), NOW) == ConsentDecision(False, Reason.no_consent)
    other = subject(consents={"offers": consent()})
    assert decide(other, "email", topic(), NOW).reason == Reason.no_consent


def test_consent_for_other_channel_is_no_consent():
    s = subject(consents={"newsletter": consent(channels=("email",))})
    assert decide(s, "sms", topic(), NOW) == ConsentDecision(False, Reason.no_consent, "c1", 3)


def test_consent_withdrawn():
    s = subject(consents={"newsletter": consent(status="withdrawn")})
    assert decide(s, "email", topic(), NOW) == ConsentDecision(False, Reason.consent_withdrawn, "c1", 3)


def test_consent_expired_status_and_past_expiry():
    s = subject(consents={"newsletter": consent(status="expired")})
    assert decide(s, "email", topic(), NOW) == ConsentDecision(False, Reason.consent_expired, "c1", 3)
    for exp in (NOW, NOW - timedelta(days=1)):  # expires_at <= now is expired
        s = subject(consents={"newsletter": consent(expires_at=exp)})
        assert decide(s, "email", topic(), NOW) == ConsentDecision(False, Reason.consent_expired, "c1", 3)


def test_naive_datetimes_are_treated_as_utc():
    naive_exp = (NOW - timedelta(minutes=1)).replace(tzinfo=None)
    s = subject(consents={"newsletter": consent(expires_at=naive_exp)})
    assert decide(s, "email", topic(), NOW).reason == Reason.consent_expired
    s = subject(consents={"newsletter": consent(expires_at=NOW + timedelta(minutes=1))})
    assert decide(s, "email", topic(), NOW.replace(tzinfo=None)).allowed


def test_pending_confirmation():
    s = subject(consents={"newsletter": consent(status="pending_confirmation")})
    assert decide(s, "email", topic(), NOW) == ConsentDecision(False, Reason.pending_confirmation, "c1", 3)


def test_unknown_consent_status_fails_closed():
    s = subject(consents={"newsletter": consent(status="weird")})
    assert decide(s, "email", topic(), NOW).allowed is False


def test_legitimate_interest_and_objected():
    li = topic(LegalBasis.legitimate_interest, key="product_updates")
    assert decide(subject(), "email", li, NOW) == ConsentDecision(True, Reason.legitimate_interest)
    s = subject(topic_preferences={("email", "product_updates"): "opted_out"})
    assert decide(s, "email", li, NOW) == ConsentDecision(
        False, Reason.objected, preference="email:product_updates"
    )
    assert decide(s, "sms", li, NOW).allowed
    s = subject(topic_preferences={("*", "product_updates"): "opted_out"})
    assert decide(s, "sms", li, NOW) == ConsentDecision(
        False, Reason.objected, preference="*:product_updates"
    )


def test_contract_and_legal_obligation_allow():
    assert decide(subject(), "email", topic(LegalBasis.contract), NOW) == ConsentDecision(
        True, Reason.contract
    )
    assert decide(subject(), "sms", topic(LegalBasis.legal_obligation), NOW) == ConsentDecision(
        True, Reason.legal_obligation
    )


def test_topic_opted_out_beats_active_consent():
    s = subject(
        consents={"newsletter": consent(channels=("email", "sms"))},
        topic_preferences={("email", "newsletter"): "opted_out"},
    )
    assert decide(s, "email", topic(), NOW) == ConsentDecision(
        False, Reason.topic_opted_out, preference="email:newsletter"
    )
    assert decide(s, "sms", topic(), NOW).allowed
    s = subject(consents={"newsletter": consent()}, topic_preferences={("*", "newsletter"): "opted_out"})
    assert decide(s, "email", topic(), NOW) == ConsentDecision(
        False, Reason.topic_opted_out, preference="*:newsletter"
    )


def test_topic_opted_out_applies_to_contract_too():
    s = subject(topic_preferences={("*", "billing"): "opted_out"})
    d = decide(s, "email", topic(LegalBasis.contract, key="billing"), NOW)
    assert d.reason == Reason.topic_opted_out and not d.allowed


def test_opted_in_preference_does_not_replace_consent():
    s = subject(topic_preferences={("email", "newsletter"): "opted_in"})
    assert decide(s, "email", topic(), NOW).reason == Reason.no_consent


def test_coercions():
    t = TopicRule("k", "contract", ["email"])  # type: ignore[arg-type]
    assert t.legal_basis is LegalBasis.contract and t.channels == frozenset({"email"})
    s = SubjectState("s", channel_opt_outs={"sms"})  # type: ignore[arg-type]
    assert isinstance(s.channel_opt_outs, frozenset)
    with pytest.raises(ValueError):
        TopicRule("k", "bogus", frozenset())  # type: ignore[arg-type]


def test_consent_expiry():
    granted = datetime(2025, 1, 1, tzinfo=UTC)
    assert consent_expiry(granted, None) is None
    assert consent_expiry(granted, 365) == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        consent_expiry(granted, 0)


# --- property tests -------------------------------------------------------------------------

channel_st = st.sampled_from(CHANNELS)
topic_keys = st.sampled_from(("newsletter", "billing", "offers"))
statuses = st.sampled_from(("granted", "withdrawn", "pending_confirmation", "expired"))
offsets = st.none() | st.integers(-5 * 86400, 5 * 86400).map(lambda s: NOW + timedelta(seconds=s))


@st.composite
def consent_states(draw):
    return ConsentState(
        id=draw(st.sampled_from(("c1", "c2"))),
        status=draw(statuses),
        channels=draw(st.frozensets(channel_st, max_size=3)),
        notice_version=draw(st.none() | st.integers(1, 5)),
        granted_at=draw(offsets),
        expires_at=draw(offsets),
    )


@st.composite
def subject_states(draw):
    prefs = draw(
        st.dictionaries(
            st.tuples(st.sampled_from((*CHANNELS, "*")), topic_keys),
            st.sampled_from(("opted_in", "opted_out")),
            max_size=4,
        )
    )
    return SubjectState(
        subject_id="s",
        erased=draw(st.booleans()),
        do_not_contact=draw(st.booleans()),
        channel_opt_outs=draw(st.frozensets(channel_st, max_size=2)),
        topic_preferences=prefs,
        consents=draw(st.dictionaries(topic_keys, consent_states(), max_size=3)),
    )


@st.composite
def topic_rules(draw):
    return TopicRule(
        key=draw(topic_keys),
        legal_basis=draw(st.sampled_from(list(LegalBasis))),
        channels=draw(st.frozensets(channel_st, max_size=4)),
        allow_when_channel_opted_out=draw(st.booleans()),
    )


maybe_subject = st.none() | subject_states()
maybe_topic = st.none() | topic_rules()
maybe_known = st.none() | st.frozensets(st.sampled_from((*CHANNELS, "fax")), max_size=6)
ALLOW_REASONS = {Reason.consent, Reason.legitimate_interest, Reason.contract, Reason.legal_obligation}


def opted_out(s, ch, t):
    return "opted_out" in (s.topic_preferences.get((ch, t.key)), s.topic_preferences.get(("*", t.key)))


@settings(max_examples=400)
@given(maybe_subject, channel_st, maybe_topic, maybe_known)
def test_decision_invariants(s, ch, t, known):
    d = decide(s, ch, t, NOW, known_channels=known)
    assert isinstance(d.reason, Reason)
    assert d.allowed == (d.reason in ALLOW_REASONS)
    # deterministic
    assert decide(s, ch, t, NOW, known_channels=known) == d

    if s is None:
        assert d.reason == Reason.unknown_subject
        return
    if s.erased:
        assert d.reason == Reason.erased
        return
    if t is None:
        assert d.reason == Reason.unknown_topic
        return
    if known is not None and ch not in known:
        assert d.reason == Reason.unknown_channel
        return
    if s.do_not_contact:
        assert d == ConsentDecision(False, Reason.do_not_contact, preference="do_not_contact")
        return
    if opted_out(s, ch, t):
        assert not d.allowed
    if d.allowed:
        assert ch in t.channels
        assert d.reason.value == t.legal_basis.value
        assert not opted_out(s, ch, t)
        if ch in s.channel_opt_outs:
            assert t.legal_basis in (LegalBasis.contract, LegalBasis.legal_obligation)
            assert t.allow_when_channel_opted_out
    if d.allowed and t.legal_basis == LegalBasis.consent:
        c = s.consents[t.key]
        assert c.status == "granted" and ch in c.channels
        assert c.expires_at is None or c.expires_at > NOW
        assert (d.consent_id, d.notice_version) == (c.id, c.notice_version)
    if (
        t.legal_basis in (LegalBasis.contract, LegalBasis.legal_obligation)
        and ch in t.channels
        and not opted_out(s, ch, t)
        and (ch not in s.channel_opt_outs or t.allow_when_channel_opted_out)
    ):
        assert d == ConsentDecision(True, Reason(t.legal_basis.value))
    if t.legal_basis == LegalBasis.legitimate_interest and ch in t.channels and ch not in s.channel_opt_outs:
        assert d.allowed != opted_out(s, ch, t)
        if not d.allowed:
            assert d.reason == Reason.objected


@settings(max_examples=200)
@given(subject_states(), channel_st, topic_rules())
def test_unknown_and_erased_always_deny(s, ch, t):
    assert decide(None, ch, t, NOW).reason == Reason.unknown_subject
    erased = SubjectState(
        s.subject_id, True, s.do_not_contact, s.channel_opt_outs, s.topic_preferences, s.consents
    )
    assert decide(erased, ch, t, NOW) == ConsentDecision(False, Reason.erased)
    assert not decide(s, ch, None, NOW).allowed


@settings(max_examples=200)
@given(subject_states(), channel_st, topic_rules(), st.sampled_from(("*", "channel")))
def test_topic_opt_out_always_denies(s, ch, t, where):
    prefs = dict(s.topic_preferences)
    prefs[(ch if where == "channel" else "*", t.key)] = "opted_out"
    s2 = SubjectState(s.subject_id, s.erased, s.do_not_contact, s.channel_opt_outs, prefs, s.consents)
    assert not decide(s2, ch, t, NOW).allowed


@settings(max_examples=200)
@given(subject_states(), channel_st, topic_rules())
def test_do_not_contact_always_denies(s, ch, t):
    s2 = SubjectState(s.subject_id, False, True, s.channel_opt_outs, s.topic_preferences, s.consents)
    assert decide(s2, ch, t, NOW).reason == Reason.do_not_contact
