from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from prefcenter.core.feedback_scores import FeedbackMetric
from prefcenter.vocabulary import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, Key, Touchpoint

Comment = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=MULTI_LINE_PATTERN)]
Score = Annotated[int, msgspec.Meta(ge=0, le=10)]
SubjectReference = Annotated[str, msgspec.Meta(min_length=1, max_length=400, pattern=SINGLE_LINE_PATTERN)]
InteractionId = Annotated[str, msgspec.Meta(min_length=36, max_length=36, pattern=SINGLE_LINE_PATTERN)]


class FeedbackCreate(msgspec.Struct, forbid_unknown_fields=True):
    metric: FeedbackMetric
    """csat (1-5), nps (0-10) or ces (1-7)."""
    score: Score
    """Within the metric's range."""
    channel: Key
    """Where the question was asked: a catalog channel (email, sms, ...) or one of chat, social, in_store, web."""
    touchpoint: Touchpoint | None = None
    """Required from an API client; a widget token's own touchpoint when left out."""
    subject: SubjectReference | None = None
    """Who answered, named as in consent checks: the id, `external_id:<id>` or an identity (`email:ann@...`).
    Left out: anonymous (an API client), or the token's own subject (a widget token)."""
    comment: Comment | None = None
    """Free text, sealed with the subject's data key (erasure shreds it); needs a subject."""
    interaction_id: InteractionId | None = None
    """The subject's interaction this answer is about; needs a subject."""


class FeedbackRead(msgspec.Struct):
    id: str
    received_at: datetime
    metric: str
    score: int
    channel: str
    touchpoint: str
    site: str | None
    """The site whose widget token sent it."""
    subject_id: str | None
    """null: anonymous, or the subject was erased."""
    interaction_id: str | None
    comment: str | None
