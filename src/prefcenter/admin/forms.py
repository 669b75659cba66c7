"""Reading the admin forms: every posted form of a signed-in person carries the session's CSRF token;
free text follows the API's text rules."""

from __future__ import annotations

import re

from litestar import Request

from prefcenter.admin import session as auth
from prefcenter.admin.session import SignedInStaff
from prefcenter.errors import InvalidInput
from prefcenter.vocabulary import MULTI_LINE_PATTERN


async def read_form(request: Request, staff: SignedInStaff | None) -> dict[str, str]:
    """The form's text fields, trimmed; a signed-in person's form must carry their CSRF token (``CsrfRejected``)."""
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    if staff is not None:
        auth.check_csrf(staff, values.get("csrf"))
    return values


def required_text(form: dict[str, str], name: str, max_length: int, what: str) -> str:
    """A required free-text field: present, not too long, no control characters but tab and line breaks."""
    value = form.get(name, "")
    if not value:
        raise InvalidInput(f"give {what}")
    if len(value) > max_length:
        raise InvalidInput(f"{name} is longer than {max_length} characters")
    if not re.search(MULTI_LINE_PATTERN, value):
        raise InvalidInput(f"{name} holds control characters (tab and line breaks are fine)")
    return value


def safe_next(value: str | None) -> str:
    """Only a path inside /admin (never another host) is followed after sign-in."""
    if value and value.startswith("/admin") and "//" not in value and "\\" not in value:
        return value
    return "/admin"
