from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from prefcenter.vocabulary import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, DsrSource, ExternalId, Touchpoint

DsrType = Literal["access", "portability", "erasure", "rectification", "restriction", "objection"]
DsrStatus = Literal[
    "received", "verified", "in_progress", "waiting_on_systems", "completed", "rejected", "failed"
]
RequiredReason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=MULTI_LINE_PATTERN)]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=MULTI_LINE_PATTERN)]
IdentityRef = Annotated[
    str, msgspec.Meta(min_length=3, max_length=340, pattern=r"^[a-z_]+:[^\x00-\x1f\x7f]+(?!\n)$")
]
SubjectIdText = Annotated[str, msgspec.Meta(min_length=1, max_length=36, pattern=SINGLE_LINE_PATTERN)]
Code = Annotated[str, msgspec.Meta(min_length=4, max_length=12, pattern=r"^[0-9]+(?!\n)$")]


class DsrCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Address the subject by exactly one of ``subject_id``, ``external_id`` or ``identity`` (``email:ann@example.com``)."""

    type: DsrType
    subject_id: SubjectIdText | None = None
    external_id: ExternalId | None = None
    identity: IdentityRef | None = None
    note: Note | None = None
    touchpoint: Touchpoint = "api"


class DsrVerify(msgspec.Struct, forbid_unknown_fields=True):
    """Either the ``code`` the subject received, or an officer's ``note`` on how identity was checked."""

    code: Code | None = None
    note: Note | None = None


class DsrExtend(msgspec.Struct, forbid_unknown_fields=True):
    months: int
    reason: RequiredReason


class DsrReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: RequiredReason


class DsrNote(msgspec.Struct, forbid_unknown_fields=True):
    note: Note


class HistoryRead(msgspec.Struct):
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor_type: str
    actor_id: str | None
    reason: str | None


class SystemOutcome(msgspec.Struct):
    system_id: str
    system_name: str
    status: str  # pending | acknowledged | failed | not_found | no_response | undeliverable
    detail: str | None
    resolved_at: datetime | None


class ExportInfo(msgspec.Struct):
    id: str
    schema_version: str
    size_bytes: int
    created_at: datetime
    expires_at: datetime


class DsrRead(msgspec.Struct):
    id: str
    type: str
    subject_id: str | None  # None: a self-service request about someone we hold no data about
    addressed_by: str
    status: str
    outcome: str | None
    received_at: datetime
    due_at: datetime
    overdue: bool
    extended_months: int
    extension_reason: str | None
    verified_at: datetime | None
    verification_method: str | None
    completed_at: datetime | None
    duplicates: int
    last_error: str | None
    source: DsrSource  # where the request was filed: api, cli, admin or self_service
    systems: list[SystemOutcome] = []
    export: ExportInfo | None = None
    history: list[HistoryRead] = []


class DsrPage(msgspec.Struct):
    items: list[DsrRead]
    next_cursor: str | None


class ExportLinkRead(msgspec.Struct):
    url: str
    expires_at: datetime
    single_use: bool = True


class LegalHoldWrite(msgspec.Struct, forbid_unknown_fields=True):
    reason: RequiredReason


class LegalHoldRead(msgspec.Struct):
    subject_id: str
    legal_hold: str | None


class ProblemRead(msgspec.Struct):
    """RFC 9457 problem details (for documenting the public routes' refusals)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    reason: str | None = None
