"""Consent-check request and response shapes (msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from prefcenter.core.decisions import Reason
from prefcenter.vocabulary import Key, TopicKey

# No length or character bounds here on purpose: one empty, over-long or control-character subject gets
# its own error in the batch's answer instead of failing the whole batch (``parse_subject_ref`` in
# checks/subject_refs.py holds the rule for every check path). The body size limit still bounds the text.
SubjectText = Annotated[
    str,
    msgspec.Meta(
        description="A prefcenter id, `external_id:<id>` (or a bare external id) or an identity `kind:value`; "
        "1-400 characters without control characters, else this item is answered with its own error",
        examples=["email:ann@example.com"],
    ),
]
MAX_BATCH = 10_000


class CheckEvidence(msgspec.Struct, omit_defaults=True):
    """What the decision rests on: the consent record and notice version, or the denying preference."""

    consent_id: str | None = None
    notice_version: int | None = None
    preference: str | None = None


class ConsentCheckRead(msgspec.Struct):
    subject: str
    subject_id: str | None
    channel: str
    topic: str
    allowed: bool
    reason: Reason
    evidence: CheckEvidence


class CheckItem(msgspec.Struct, forbid_unknown_fields=True):
    subject: SubjectText
    channel: Key | None = None
    topic: TopicKey | None = None


class ConsentCheckBatch(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``items`` (each with its own channel and topic, or the batch's) or ``subjects`` for one question.

    At most 10,000 items; more is answered with 413."""

    channel: Key | None = None
    topic: TopicKey | None = None
    items: list[CheckItem] | None = None
    subjects: list[SubjectText] | None = None


class CheckItemError(msgspec.Struct):
    type: str
    title: str
    detail: str


class CheckResult(msgspec.Struct, omit_defaults=True):
    """One answer of a batch or stream, in input order; ``error`` instead of a decision for a bad item."""

    index: int
    subject: str | None = None
    channel: str | None = None
    topic: str | None = None
    subject_id: str | None = None
    allowed: bool | None = None
    reason: Reason | None = None
    evidence: CheckEvidence | None = None
    error: CheckItemError | None = None


class ConsentCheckBatchRead(msgspec.Struct):
    checked_at: str
    allowed: int
    denied: int
    errors: int
    results: list[CheckResult]
