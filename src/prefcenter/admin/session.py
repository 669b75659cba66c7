"""Who is signed in to the console: the staff session cookie (``staff/session.py``), its CSRF token, and the one
permission check every page and action makes (``core.staff_permissions.may``).

People sign in as people (email and password, with a TOTP step, or single sign-on); API clients are for
machines and never open the console. The person is read again on every request, so disabling them ends their
sessions at once; signing out records the session's id in ``revoked_sessions`` until its token expires, so a
copy of the cookie is refused at once by every server process. Over HTTPS only the ``__Host-`` cookie is read:
a plain-named cookie there could have been planted by a sibling domain or over plain HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from litestar import Request

from prefcenter.context import AppContext
from prefcenter.core.staff_permissions import may
from prefcenter.errors import Unauthorized
from prefcenter.staff import session as staff_sessions
from prefcenter.staff.session import StaffSession
from prefcenter.store.unit_of_work import Actor


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


class NotAllowed(Exception):
    """A signed-in person whose role may not take the action a page or form is for."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


class CsrfRejected(Exception):
    """A state-changing form without the session's CSRF token."""


@dataclass(frozen=True)
class SignedInStaff:
    """The person of this request's session, with the CSRF token their forms carry."""

    session: StaffSession
    csrf: str

    @property
    def staff_id(self) -> str:
        return self.session.staff_id

    @property
    def name(self) -> str:
        return self.session.name

    @property
    def role(self) -> str:
        return self.session.role

    @property
    def time_zone(self) -> str:
        return self.session.time_zone

    @property
    def actor(self) -> Actor:
        """``staff:<id>``: what the audit log records for everything this person does in the console."""
        return self.session.actor

    def may(self, action: str) -> bool:
        return may(self.session.role, action)


def is_secure(ctx: AppContext, request: Request) -> bool:
    return request.url.scheme == "https" or ctx.settings.server.public_url.startswith("https://")


def cookie_name(ctx: AppContext, request: Request) -> str:
    return staff_sessions.cookie_name(is_secure(ctx, request))


def cookie_path(ctx: AppContext, request: Request) -> str:
    # Browsers accept a __Host- cookie only with Path=/ (RFC 6265bis); over plain HTTP it stays on /admin.
    return "/" if is_secure(ctx, request) else "/admin"


def csrf_token(ctx: AppContext, session_id: str) -> str:
    key = hmac.new(ctx.keys.pepper, b"prefcenter admin csrf", hashlib.sha256).digest()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


async def current_staff(ctx: AppContext, request: Request) -> SignedInStaff:
    try:
        found = await staff_sessions.read_session(ctx, request.cookies.get(cookie_name(ctx, request)))
    except Unauthorized:
        raise LoginRequired from None
    return SignedInStaff(session=found, csrf=csrf_token(ctx, found.session_id))


async def signed_in(ctx: AppContext, request: Request, action: str = "console") -> SignedInStaff:
    """The person of this request's session (kept on the request for the error pages), whose role may take
    ``action`` (``core.staff_permissions``): ``LoginRequired`` or ``NotAllowed`` otherwise."""
    staff = await current_staff(ctx, request)
    request.scope["admin_staff"] = staff  # type: ignore[typeddict-unknown-key]
    if not staff.may(action):
        raise NotAllowed(action)
    return staff


async def sign_out(ctx: AppContext, staff: SignedInStaff) -> None:
    """End the session on the server: its token is refused from now on, wherever it is presented."""
    await staff_sessions.end_session(ctx, staff.session)


def check_csrf(staff: SignedInStaff, given: str | None) -> None:
    if not given or not hmac.compare_digest(staff.csrf, given):
        raise CsrfRejected
