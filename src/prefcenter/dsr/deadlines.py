"""A GDPR request's deadline: one month after receipt, extendable once by one or two months with a reason
(GDPR Art. 12(3)); the reason rule is one for the API, the CLI and the admin pages."""

from __future__ import annotations

import calendar
import re
from datetime import datetime

from prefcenter.dsr.actions import ensure_allowed
from prefcenter.dsr.lifecycle import get_request, record
from prefcenter.errors import InvalidField, InvalidInput
from prefcenter.store.models_dsr import DsrRequest
from prefcenter.store.unit_of_work import Actor, UnitOfWork
from prefcenter.vocabulary import MULTI_LINE_PATTERN

MAX_EXTENSION_MONTHS = 2
MAX_EXTENSION_REASON = 500


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def extension_reason(text: str) -> str:
    """The reason for an extension, trimmed; refused when blank or too long (one rule for the API, the CLI
    and the admin pages: the subject is told why their answer is late, so "" or spaces will not do)."""
    reason = text.strip()
    if not reason:
        raise InvalidField(
            "reason", "give a reason for the extension (it is recorded and told to the subject)"
        )
    if len(reason) > MAX_EXTENSION_REASON:
        raise InvalidField(
            "reason", f"the reason for the extension is longer than {MAX_EXTENSION_REASON} characters"
        )
    if not re.search(MULTI_LINE_PATTERN, reason):
        raise InvalidField("reason", "the reason holds control characters (tab and line breaks are fine)")
    return reason


async def extend(uow: UnitOfWork, actor: Actor, request_id: str, months: int, reason: str) -> DsrRequest:
    reason = extension_reason(reason)
    req = await get_request(uow.session, request_id, for_update=True)
    ensure_allowed(req, "extend")
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise InvalidInput(
            f"an extension is 1 or {MAX_EXTENSION_MONTHS} months (GDPR Art. 12(3)); {months} is beyond the limit",
            reason="extension_limit",
        )
    before = req.due_at
    req.due_at = add_months(req.due_at, months)
    req.extended_months, req.extension_reason = months, reason
    record(uow, req, "extended", actor, f"+{months} month(s): {reason}")
    await uow.append_event(
        "dsr.extended",
        actor=actor,
        subject_id=req.subject_id,
        data={
            "request_id": req.id,
            "months": months,
            "from": before.isoformat(),
            "to": req.due_at.isoformat(),
            "reason": reason,
        },
    )
    return req
