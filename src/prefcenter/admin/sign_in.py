"""``/admin/login`` and ``/admin/logout``: an API client's id and secret open a cookie session."""

from __future__ import annotations

from typing import Annotated

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin import session as auth
from prefcenter.admin.forms import read_form, safe_next
from prefcenter.admin.pages import admin_page
from prefcenter.auth import throttle
from prefcenter.context import AppContext
from prefcenter.errors import RateLimited
from prefcenter.http.client_address import client_ip
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

log = structlog.get_logger("prefcenter.admin")

Query = Annotated[str | None, Parameter(max_length=200, pattern=SINGLE_LINE_PATTERN)]


def _sign_in_page(
    next_path: str,
    client_id: str = "",
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return admin_page(
        "login.html",
        None,
        title="Sign in",
        status=status,
        headers=headers,
        notice=notice,
        error=error,
        next=next_path,
        client_id=client_id,
    )


class SignInController(Controller):
    path = "/"

    @get("/login", operation_id="adminLoginPage")
    async def login_page(
        self, ctx: AppContext, request: Request, next: Query = None, signed_out: Query = None
    ) -> Response:
        """The sign-in form."""
        return _sign_in_page(safe_next(next), notice="You are signed out." if signed_out else None)

    @post("/login", operation_id="adminLogin", status_code=303)
    async def login(self, ctx: AppContext, request: Request) -> Response:
        """Check an API client's id and secret; set the session cookie. Failures are throttled like /oauth/token."""
        form = await read_form(request, None)
        client_id = form.get("client_id", "")
        next_path = safe_next(form.get("next"))
        try:
            attempt = await throttle.admit(
                ctx, client_id, client_ip(request, ctx.settings.server.trusted_proxies)
            )
        except RateLimited as exc:
            log.info("admin.sign_in_throttled", client_id=client_id[:64])
            minutes = -(-int(exc.extra["retry_after"]) // 60)
            return _sign_in_page(
                next_path,
                client_id[:64],
                error=f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                status=429,
                headers={"Retry-After": str(exc.extra["retry_after"])},
            )
        client = await auth.authenticate(ctx, client_id, form.get("client_secret", ""))
        if client is None:
            await throttle.failed(ctx, attempt)
            log.info("admin.sign_in_refused", client_id=client_id[:64])
            return _sign_in_page(
                next_path,
                client_id[:64],
                error="Sign-in failed: the client id or secret is not right.",
                status=401,
            )
        await throttle.succeeded(ctx, attempt)
        if not auth.may_sign_in(auth.officer_scopes(client)):
            log.info("admin.sign_in_refused", client_id=client.id, reason="scopes")
            return _sign_in_page(
                next_path,
                client_id[:64],
                error="This client may not use the admin pages: it needs the scope dsr:manage, audit:read or admin.",
                status=403,
            )
        log.info("admin.signed_in", client_id=client.id)
        cookie = Cookie(
            key=auth.cookie_name(ctx, request),
            value=auth.new_session_token(ctx, client.id),
            path=auth.cookie_path(ctx, request),
            httponly=True,
            secure=auth.is_secure(ctx, request),
            samesite="strict",
            max_age=auth.SESSION_TTL_SECONDS,
        )
        return Redirect(next_path, status_code=303, cookies=[cookie])

    @post("/logout", operation_id="adminLogout", status_code=303)
    async def logout(self, ctx: AppContext, request: Request) -> Response:
        """End the session on the server (a copy of the cookie stops working too) and clear the cookie."""
        officer = await auth.signed_in_officer(ctx, request)
        await read_form(request, officer)
        await auth.revoke(ctx, officer)
        log.info("admin.signed_out", client_id=officer.client_id)
        response = Redirect("/admin/login?signed_out=1", status_code=303)
        response.delete_cookie(auth.cookie_name(ctx, request), path=auth.cookie_path(ctx, request))
        return response
