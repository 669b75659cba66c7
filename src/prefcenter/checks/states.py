"""Projection rows become ``SubjectState``: the one place, for both engines and every check kind."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from prefcenter.core.decisions import OPTED_OUT, ConsentState, SubjectState
from prefcenter.store.projection_rows import ConsentRow, PreferenceRow, SubjectRow, utc_instant

_json_list = msgspec.json.Decoder(list[str])


def build_states(
    subject_rows: Iterable[SubjectRow], pref_rows: Iterable[PreferenceRow], consent_rows: Iterable[ConsentRow]
) -> dict[str, SubjectState]:
    """Subject id -> its state, from the rows a projection reader fetched."""
    base = {row[0]: row for row in subject_rows}
    channel_outs: dict[str, set[str]] = {}
    topic_prefs: dict[str, dict[tuple[str, str], str]] = {}
    for subject_id, channel, topic, status in pref_rows:
        if topic == "*":
            if status == OPTED_OUT:
                channel_outs.setdefault(subject_id, set()).add(channel)
        else:
            topic_prefs.setdefault(subject_id, {})[(channel, topic)] = status
    consents: dict[str, dict[str, ConsentState]] = {}
    for subject_id, cid, topic, status, channels, notice_version, granted_at, expires_at in consent_rows:
        if isinstance(channels, str):
            channels = _json_list.decode(channels)
        consents.setdefault(subject_id, {})[topic] = ConsentState(
            cid, status, frozenset(channels), notice_version, utc_instant(granted_at), utc_instant(expires_at)
        )
    empty: dict = {}
    return {
        sid: SubjectState(
            sid,
            bool(erased),
            bool(dnc),
            frozenset(channel_outs.get(sid, ())),
            topic_prefs.get(sid, empty),
            consents.get(sid, empty),
        )
        for sid, erased, dnc in base.values()
    }
