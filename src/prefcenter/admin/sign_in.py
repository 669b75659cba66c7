"""``/admin/login`` and ``/admin/logout``: people sign in as people.

Email and password first (``staff.sign_in``: throttled, one answer for every failure, audited); a person with
a second factor then gives a code from their authenticator app, and an admin or officer who must have one
(``PREFCENTER_REQUIRE_MFA=1``) and has none enrols one in that step. ``Sign in with single sign-on`` goes to
``/admin/sso/start`` when ``PREFCENTER_OIDC_ISSUER`` is set. Signing out ends the session on the server.
"""

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
from prefcenter.context import AppContext
from prefcenter.core import totp
from prefcenter.errors import RateLimited, Unauthorized
from prefcenter.http.client_address import client_ip
from prefcenter.staff import sign_in as passwords
from prefcenter.staff.session import SESSION_TTL_SECONDS, issue_session
from prefcenter.staff.sign_in import SecondFactorNotEnrolled, SecondFactorRequired
from prefcenter.store.models_staff import StaffMember
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

log = structlog.get_logger("prefcenter.admin")

Query = Annotated[str | None, Parameter(max_length=200, pattern=SINGLE_LINE_PATTERN)]
# The same answer for an unknown email and a wrong password (it tells nobody who has an account).
FAILED = "Sign-in failed: the email or password is not right."
CODE_FAILED = "Sign-in failed: the code is not right. Enter the code your authenticator app shows now."
ISSUER = "prefcenter"


def _sign_in_page(
    ctx: AppContext,
    next_path: str,
    email: str = "",
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
        email=email,
        sso=ctx.settings.staff.sso_enabled,
    )


def _code_page(
    ctx: AppContext,
    next_path: str,
    pending: str,
    *,
    enrol: bytes | None = None,
    account: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The second step: a code from the authenticator app (after enrolling ``enrol`` when one is given)."""
    return admin_page(
        "login_code.html",
        None,
        title="Enrol a second factor" if enrol is not None else "Enter your code",
        status=status,
        error=error,
        next=next_path,
        pending=pending,
        secret=totp.secret_text(enrol) if enrol is not None else None,
        otpauth_uri=totp.provisioning_uri(enrol, account, ISSUER) if enrol is not None else None,
    )


def _throttled_page(ctx: AppContext, next_path: str, email: str, exc: RateLimited) -> Response:
    minutes = -(-int(exc.extra["retry_after"]) // 60)
    return _sign_in_page(
        ctx,
        next_path,
        email,
        error=f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
        status=429,
        headers={"Retry-After": str(exc.extra["retry_after"])},
    )


def _signed_in(ctx: AppContext, request: Request, member: StaffMember, next_path: str) -> Response:
    log.info("admin.signed_in", staff_id=member.id)
    cookie = Cookie(
        key=auth.cookie_name(ctx, request),
        value=issue_session(ctx, member, member.role, "password"),
        path=auth.cookie_path(ctx, request),
        httponly=True,
        secure=auth.is_secure(ctx, request),
        samesite="strict",
        max_age=SESSION_TTL_SECONDS,
    )
    return Redirect(next_path, status_code=303, cookies=[cookie])


class SignInController(Controller):
    path = "/"

    @get("/login", operation_id="adminLoginPage")
    async def login_page(
        self,
        ctx: AppContext,
        request: Request,
        next: Query = None,
        signed_out: Query = None,
        done: Query = None,
    ) -> Response:
        """The sign-in form: email and password, or single sign-on when it is configured."""
        notice = (
            "You are signed out."
            if signed_out
            else "Your password is set. Sign in with it."
            if done == "password"
            else None
        )
        return _sign_in_page(ctx, safe_next(next), notice=notice)

    @post("/login", operation_id="adminLogin", status_code=303)
    async def login(self, ctx: AppContext, request: Request) -> Response:
        """Check an email and password; then ask for a code, or set the session cookie."""
        form = await read_form(request, None)
        email = form.get("email", "")[:254]
        next_path = safe_next(form.get("next"))
        address = client_ip(request, ctx.settings.server.trusted_proxies)
        try:
            member = await passwords.sign_in_with_password(
                ctx, email, form.get("password", ""), None, address
            )
        except RateLimited as exc:
            return _throttled_page(ctx, next_path, email, exc)
        except SecondFactorRequired as exc:
            return _code_page(ctx, next_path, passwords.pending_token(ctx, str(exc.staff_id)))
        except SecondFactorNotEnrolled as exc:
            secret = totp.new_secret()
            pending = passwords.pending_token(ctx, str(exc.staff_id), enrol_secret=secret)
            return _code_page(ctx, next_path, pending, enrol=secret, account=email.strip().lower())
        except Unauthorized:
            return _sign_in_page(ctx, next_path, email, error=FAILED, status=401)
        return _signed_in(ctx, request, member, next_path)

    @post("/login/code", operation_id="adminLoginCode", status_code=303)
    async def login_code(self, ctx: AppContext, request: Request) -> Response:
        """The second step: a code from the authenticator app (enrolling it first when the role must)."""
        form = await read_form(request, None)
        next_path = safe_next(form.get("next"))
        pending = form.get("pending", "")[:2000]
        try:
            enrol = passwords.pending_enrolment(ctx, pending)
        except (Unauthorized, ValueError):
            return _sign_in_page(ctx, next_path, error="The sign-in took too long. Start again.", status=401)
        address = client_ip(request, ctx.settings.server.trusted_proxies)
        try:
            member = await passwords.sign_in_with_code(ctx, pending, form.get("code", "")[:20], address)
        except RateLimited as exc:
            return _throttled_page(ctx, next_path, "", exc)
        except Unauthorized:
            return _code_page(ctx, next_path, pending, enrol=enrol, error=CODE_FAILED, status=401)
        return _signed_in(ctx, request, member, next_path)

    @post("/logout", operation_id="adminLogout", status_code=303)
    async def logout(self, ctx: AppContext, request: Request) -> Response:
        """End the session on the server (a copy of the cookie stops working too) and clear the cookie."""
        staff = await auth.signed_in(ctx, request)
        await read_form(request, staff)
        await auth.sign_out(ctx, staff)
        log.info("admin.signed_out", staff_id=staff.staff_id)
        response = Redirect("/admin/login?signed_out=1", status_code=303)
        response.delete_cookie(auth.cookie_name(ctx, request), path=auth.cookie_path(ctx, request))
        return response
