"""One question asked about many subjects (a campaign): ``decide`` once per distinct state, not per subject.

For a fixed (channel, topic, now) ``decide`` reads only a few facts of a subject: erased, do-not-contact,
whether ``channel`` is opted out, the (channel, topic) and (*, topic) preferences, and the topic's
current consent (status, whether it covers ``channel``, whether it has expired at ``now``). Those facts
form the key; ``decide`` runs on a representative state built from the key, once per distinct key, and
the subject's own consent id and notice version are put into the answer when ``decide`` cites the
consent. Every answer is still ``decide``'s; a property test (tests/checks/test_campaign_memo.py)
checks it equals calling ``decide`` on the full state built by ``build_states``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

from prefcenter.core.decisions import OPTED_OUT, ConsentState, SubjectState, TopicRule, decide

_json_list = msgspec.json.Decoder(list[str])
_SENTINEL_ID = "\x00consent"

# key: (erased, do_not_contact, channel_opted_out, pref (channel, topic), pref (*, topic), consent facts)
# consent facts: None or (status, covers channel, expired at now); key None = unknown subject
Key = tuple | None
# verdict: (allowed, reason, cites the consent, denying preference)
Verdict = tuple[bool, str, bool, str | None]


def _expired(value, now: datetime) -> bool:
    if value is None:
        return False
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value <= now


def campaign_keys(
    subject_rows: Iterable[tuple],
    pref_rows: Iterable[tuple],
    consent_rows: Iterable[tuple],
    channel: str,
    topic: str,
    now: datetime,
) -> dict[str, tuple[Key, str | None, int | None]]:
    """subject id -> (key, consent id, notice version), from the same rows ``build_states`` takes."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    outs: set[str] = set()
    pref_c: dict[str, str] = {}
    pref_all: dict[str, str] = {}
    for sid, p_channel, p_topic, status in pref_rows:
        if p_topic == "*":
            if status == OPTED_OUT and p_channel == channel:
                outs.add(sid)
        elif p_topic == topic:
            if p_channel == channel:
                pref_c[sid] = status
            if p_channel == "*":
                pref_all[sid] = status
    consents: dict[str, tuple] = {}
    covers_cache: dict[str, bool] = {}
    for sid, cid, c_topic, status, channels, notice_version, _granted, expires_at in consent_rows:
        if c_topic != topic:
            continue
        if isinstance(channels, str):
            covers = covers_cache.get(channels)
            if covers is None:
                covers = covers_cache[channels] = channel in _json_list.decode(channels)
        else:
            covers = channel in channels
        consents[sid] = ((status, covers, _expired(expires_at, now)), cid, notice_version)
    out: dict[str, tuple[Key, str | None, int | None]] = {}
    for sid, erased, dnc in subject_rows:
        facts, cid, nv = consents.get(sid, (None, None, None))
        out[sid] = (
            (bool(erased), bool(dnc), sid in outs, pref_c.get(sid), pref_all.get(sid), facts),
            cid,
            nv,
        )
    return out


class CampaignDecider:
    """``decide`` for one (channel, topic, now), memoised on the key."""

    __slots__ = ("channel", "rule", "now", "known_channels", "memo")

    def __init__(
        self, channel: str, rule: TopicRule | None, now: datetime, known_channels: frozenset[str] | None
    ) -> None:
        self.channel, self.rule, self.now, self.known_channels = channel, rule, now, known_channels
        self.memo: dict[Key, Verdict] = {}

    def verdict(self, key: Key) -> Verdict:
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self._decide(key)
        return found

    def representative(self, key: Key) -> SubjectState | None:
        if key is None:
            return None
        erased, dnc, channel_out, pref_c, pref_all, facts = key
        channel, topic_key = self.channel, self.rule.key if self.rule is not None else None
        prefs = {}
        if topic_key is not None:
            if pref_all is not None:
                prefs[("*", topic_key)] = pref_all
            if pref_c is not None:
                prefs[(channel, topic_key)] = pref_c
        consents = {}
        if facts is not None and topic_key is not None:
            status, covers, expired = facts
            consents[topic_key] = ConsentState(
                _SENTINEL_ID,
                status,
                frozenset((channel,)) if covers else frozenset(),
                None,
                None,
                self.now if expired else None,
            )
        return SubjectState(
            "", erased, dnc, frozenset((channel,)) if channel_out else frozenset(), prefs, consents
        )

    def _decide(self, key: Key) -> Verdict:
        d = decide(
            self.representative(key), self.channel, self.rule, self.now, known_channels=self.known_channels
        )
        return (d.allowed, d.reason.value, d.consent_id is not None, d.preference)
