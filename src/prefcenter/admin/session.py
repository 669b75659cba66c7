"""Officer sign-in for the admin pages: an API client's id and secret, a signed session cookie, CSRF tokens.

The cookie holds a short-lived purpose token (audience ``prefcenter-admin``), so it is never accepted as an
API bearer token; the client row is read again on every request, so disabling a client or removing its
scopes ends its admin sessions at once. Signing out records the session's id in ``revoked_sessions`` until
its token expires, so a copy of the cookie is refused at once by every server process. Over HTTPS only the
``__Host-`` cookie is read: a plain-named cookie there could have been planted by a sibling domain or over
plain HTTP, which is what the prefix exists to rule out.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Request
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from prefcenter.auth.clients import authenticate_client
from prefcenter.auth.principal import Principal
from prefcenter.context import AppContext
from prefcenter.errors import Unauthorized
from prefcenter.store.models import ApiClient
from prefcenter.store.models_auth import RevokedSession
from prefcenter.store.unit_of_work import utcnow

PURPOSE = "admin"
SESSION_TTL_SECONDS = 3600
ADMIN_SCOPES = ("dsr:manage", "audit:read", "admin")
COOKIE = "prefcenter_admin"
SECURE_COOKIE = "__Host-prefcenter_admin"


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


class NotAllowed(Exception):
    """A signed-in officer without the scope a page needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class CsrfRejected(Exception):
    """A state-changing form without the session's CSRF token."""


@dataclass(frozen=True)
class Officer:
    client_id: str
    name: str
    principal: Principal
    session_id: str
    csrf: str
    expires_at: datetime

    def can(self, scope: str) -> bool:
        return self.principal.has_scope(scope)


def is_secure(ctx: AppContext, request: Request) -> bool:
    return request.url.scheme == "https" or ctx.settings.server.public_url.startswith("https://")


def cookie_name(ctx: AppContext, request: Request) -> str:
    return SECURE_COOKIE if is_secure(ctx, request) else COOKIE


def cookie_path(ctx: AppContext, request: Request) -> str:
    # Browsers accept a __Host- cookie only with Path=/ (RFC 6265bis); over plain HTTP it stays on /admin.
    return "/" if is_secure(ctx, request) else "/admin"


def csrf_token(ctx: AppContext, session_id: str) -> str:
    key = hmac.new(ctx.keys.pepper, b"prefcenter admin csrf", hashlib.sha256).digest()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def officer_scopes(client: ApiClient) -> frozenset[str]:
    return frozenset(client.scopes.split())


def may_sign_in(scopes: frozenset[str]) -> bool:
    return any(s in scopes for s in ADMIN_SCOPES)


async def authenticate(ctx: AppContext, client_id: str, secret: str) -> ApiClient | None:
    """The client when id and secret match an enabled client; None otherwise (never says which part failed)."""
    return await authenticate_client(ctx, client_id, secret)


def new_session_token(ctx: AppContext, client_id: str) -> str:
    return ctx.tokens.purpose_token(PURPOSE, client_id, SESSION_TTL_SECONDS)[0]


async def current_officer(ctx: AppContext, request: Request) -> Officer:
    token = request.cookies.get(cookie_name(ctx, request))
    if not token:
        raise LoginRequired
    try:
        claims = ctx.tokens.verify_purpose(token, PURPOSE)
    except Unauthorized:
        raise LoginRequired from None
    client_id, session_id = str(claims["sub"]), str(claims.get("jti") or "")
    async with ctx.db.read_session() as session:
        revoked = await session.get(RevokedSession, session_id) if session_id else None
        client = await session.get(ApiClient, client_id)
    if not session_id or revoked is not None:
        raise LoginRequired
    if client is None or client.disabled_at is not None or not may_sign_in(officer_scopes(client)):
        raise LoginRequired
    return Officer(
        client_id=client.id,
        name=client.name,
        principal=Principal(kind="client", client_id=client.id, scopes=officer_scopes(client)),
        session_id=session_id,
        csrf=csrf_token(ctx, session_id),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


async def revoke(ctx: AppContext, officer: Officer) -> None:
    """End the officer's session on the server: its token is refused from now on, wherever it is presented.

    Revocations whose tokens have expired anyway are forgotten on the way."""
    async with ctx.db.write_session() as session:
        await session.execute(delete(RevokedSession).where(RevokedSession.expires_at <= utcnow()))
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(
            insert(RevokedSession)
            .values(session_id=officer.session_id, expires_at=officer.expires_at)
            .on_conflict_do_nothing(index_elements=["session_id"])  # signed out twice at once
        )


async def signed_in_officer(ctx: AppContext, request: Request, scope: str | None = None) -> Officer:
    """The officer of this request's session (kept on the request for the error pages), holding ``scope``
    when one is named: ``LoginRequired`` or ``NotAllowed`` otherwise."""
    officer = await current_officer(ctx, request)
    request.scope["admin_officer"] = officer  # type: ignore[typeddict-unknown-key]
    if scope is not None and not officer.can(scope):
        raise NotAllowed(scope)
    return officer


def check_csrf(officer: Officer, given: str | None) -> None:
    if not given or not hmac.compare_digest(officer.csrf, given):
        raise CsrfRejected
