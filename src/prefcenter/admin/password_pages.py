"""``/admin/set-password/{token}``: the one-time link an admin (``/admin/staff``, ``/v1/staff``,
``prefcenter staff add | reset-password``) hands a person. They choose a password and, optionally (required
for admins and officers under ``PREFCENTER_REQUIRE_MFA=1``), enrol a TOTP second factor: the secret and its
``otpauth://`` link are shown as text, and a code from the app proves it was added. The link's token, unknown
to any other site, is what authorises the form (there is no session yet)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin.forms import read_form
from prefcenter.admin.pages import admin_page, message_page
from prefcenter.admin.sign_in import ISSUER
from prefcenter.context import AppContext
from prefcenter.core import totp
from prefcenter.core.staff_rules import needs_second_factor
from prefcenter.errors import DomainError, Gone, InvalidField
from prefcenter.staff import service
from prefcenter.staff.passwords import check_password_rules

LinkToken = Annotated[str, Parameter(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]
GONE = "This link was used, has expired or does not exist. Ask an admin for a new one."


async def _form_page(
    ctx: AppContext, token: str, *, secret: bytes | None = None, error: str | None = None, status: int = 200
) -> Response:
    async with ctx.unit_of_work() as uow:
        _link, member = await service.link_holder(uow, token)
        must_enrol = (
            needs_second_factor(member.role, require_mfa=ctx.settings.staff.require_mfa)
            and member.totp_sealed is None
        )
        email, has_factor = member.email, member.totp_sealed is not None
    secret = secret or totp.new_secret()
    return admin_page(
        "set_password.html",
        None,
        title="Set your password",
        status=status,
        error=error,
        token=token,
        email=email,
        must_enrol=must_enrol,
        offer_enrol=not has_factor,
        secret=totp.secret_text(secret),
        otpauth_uri=totp.provisioning_uri(secret, email, ISSUER),
    )


def _gone() -> Response:
    return message_page("Link not usable", GONE, None, status=410, back="/admin/login", back_label="Sign in")


class SetPasswordController(Controller):
    path = "/set-password"

    @get("/{token:str}", operation_id="adminSetPasswordForm")
    async def set_password_form(self, ctx: AppContext, token: LinkToken) -> Response:
        """Choose a password (and enrol a second factor) with a one-time link."""
        try:
            return await _form_page(ctx, token)
        except Gone:
            return _gone()

    @post("/{token:str}", operation_id="adminSetPassword", status_code=303)
    async def set_password(self, ctx: AppContext, request: Request, token: LinkToken) -> Response:
        """Set the password once; enrol the second factor when a code is given (or the role must)."""
        form = await read_form(request, None)
        password = form.get("password", "")
        code = form.get("code", "").replace(" ", "") or None
        try:
            secret = totp.secret_from_text(form.get("secret", "")[:64]) if form.get("secret") else None
        except ValueError:
            secret = None
        try:
            if password != form.get("password_again", ""):
                raise InvalidField("password_again", "the two passwords are not the same")
            check_password_rules(password)
            async with ctx.unit_of_work() as uow:
                await service.set_password(
                    uow,
                    token,
                    password,
                    require_mfa=ctx.settings.staff.require_mfa,
                    totp_secret_given=secret if code else None,
                    totp_code=code,
                )
        except Gone:
            return _gone()
        except DomainError as exc:
            try:
                return await _form_page(ctx, token, secret=secret, error=exc.detail, status=exc.status)
            except Gone:
                return _gone()
        return Redirect("/admin/login?done=password", status_code=303)
