"""Reading the admin forms: every posted form of a signed-in person carries the session's CSRF token;
free text follows the API's text rules."""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec
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


_FIELD = re.compile(r"at `\$\.([a-z_]+)")
_MISSING = re.compile(r"missing required field `([a-z_]+)`")
# What a person reads for msgspec's message about a field (the API's wording names types and regexes).
_WHAT_WAS_WRONG = (
    ("matching regex", "is not in the expected form"),
    ("of length <=", "is too long"),
    ("of length >=", "is too short"),
    ("Invalid enum value", "is not one of the choices offered"),
    (">=", "is too small"),
    ("<=", "is too large"),
)


def explain_invalid(exc: msgspec.ValidationError, labels: Mapping[str, str]) -> str:
    """msgspec's complaint about a form, as a sentence naming the field by its label on the page
    (``labels``: field name to label, with an optional hint after a colon), e.g. "Identity is not in the
    expected form (kind:value, e.g. email:ann@example.com)" (no full stop: pages place it in a sentence)."""
    message = str(exc)
    missing = _MISSING.search(message)
    field = missing.group(1) if missing else (m.group(1) if (m := _FIELD.search(message)) else "")
    label, _, hint = labels.get(field, readable_field(field)).partition(": ")
    if missing:
        return f"{label} is missing"
    wrong = next((said for found, said in _WHAT_WAS_WRONG if found in message), "is not valid")
    return f"{label} {wrong}" + (f" ({hint})" if hint else "")


def readable_field(name: str) -> str:
    return name.replace("_", " ").capitalize() if name else "A field"


def safe_next(value: str | None) -> str:
    """Only a path inside /admin (never another host) is followed after sign-in."""
    if value and value.startswith("/admin") and "//" not in value and "\\" not in value:
        return value
    return "/admin"
