"""``/admin/staff`` (admins): who may sign in to the console, with which role; add a person, disable one,
issue a new one-time set-password link. Every change goes through ``staff/service.py`` with the signed-in
admin as actor (``staff:<id>``), as ``/v1/staff`` and ``prefcenter staff`` do."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin.forms import read_form
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import SignedInStaff, signed_in
from prefcenter.context import AppContext
from prefcenter.core.labels import readable
from prefcenter.core.staff_rules import ROLES
from prefcenter.errors import DomainError
from prefcenter.staff import service
from prefcenter.staff.schemas import PasswordLinkRead, StaffCreate
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

StaffId = Annotated[str, Parameter(max_length=36, pattern=SINGLE_LINE_PATTERN)]
Query = Annotated[str | None, Parameter(max_length=200, pattern=SINGLE_LINE_PATTERN)]
DONE = {"disabled": "The staff member is disabled: their sessions have ended."}


async def _staff_page(
    ctx: AppContext,
    staff: SignedInStaff,
    *,
    form: dict[str, str] | None = None,
    flash: str | None = None,
    error: str | None = None,
    new_link: PasswordLinkRead | None = None,
    new_link_for: str | None = None,
    status: int = 200,
) -> Response:
    async with ctx.db.read_session() as session:
        members = [service.to_read(m) for m in await service.list_staff(session)]
    return admin_page(
        "staff.html",
        staff,
        title="Staff",
        current="/admin/staff",
        status=status,
        members=members,
        form=form or {},
        role_choices=[(r, readable(r)) for r in ROLES],
        flash=flash,
        error=error,
        new_link=new_link,
        new_link_for=new_link_for,
    )


class StaffPagesController(Controller):
    path = "/staff"

    @get("/", operation_id="adminStaff")
    async def staff_list(self, ctx: AppContext, request: Request, done: Query = None) -> Response:
        """Staff members, and the form to add one."""
        staff = await signed_in(ctx, request, "staff")
        return await _staff_page(ctx, staff, flash=DONE.get(done or ""))

    @post("/", operation_id="adminStaffAdd", status_code=201)
    async def staff_add(self, ctx: AppContext, request: Request) -> Response:
        """Add a staff member; the page shows their one-time set-password link."""
        staff = await signed_in(ctx, request, "staff")
        form = await read_form(request, staff)
        try:
            body = msgspec.convert(
                {
                    "email": form.get("email", ""),
                    "name": form.get("name", ""),
                    "role": form.get("role", ""),
                    "time_zone": form.get("time_zone") or "UTC",
                },
                StaffCreate,
            )
            async with ctx.unit_of_work() as uow:
                member, link = await service.add_staff(
                    uow, staff.actor, body.email, body.name, body.role, body.time_zone
                )
                made = link.read(member.id, ctx.settings.server.public_url)
                email = member.email
        except msgspec.ValidationError as exc:
            return await _staff_page(ctx, staff, form=form, error=f"The form is not valid: {exc}", status=400)
        except DomainError as exc:
            return await _staff_page(ctx, staff, form=form, error=exc.detail, status=exc.status)
        return await _staff_page(ctx, staff, new_link=made, new_link_for=email, status=201)

    @post("/{staff_id:str}/disable", operation_id="adminStaffDisable", status_code=303)
    async def staff_disable(self, ctx: AppContext, request: Request, staff_id: StaffId) -> Response:
        """Disable a staff member (never the last active admin)."""
        staff = await signed_in(ctx, request, "staff")
        await read_form(request, staff)
        try:
            async with ctx.unit_of_work() as uow:
                await service.disable_staff(uow, staff.actor, staff_id)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return await _staff_page(ctx, staff, error=exc.detail, status=exc.status)
        return Redirect("/admin/staff?done=disabled", status_code=303)

    @post("/{staff_id:str}/password-link", operation_id="adminStaffPasswordLink", status_code=201)
    async def staff_password_link(self, ctx: AppContext, request: Request, staff_id: StaffId) -> Response:
        """Issue a new one-time set-password link (a password reset); earlier links stop working."""
        staff = await signed_in(ctx, request, "staff")
        await read_form(request, staff)
        try:
            async with ctx.unit_of_work() as uow:
                member = await service.get_member(uow.session, staff_id)
                link = await service.issue_password_link(uow, staff.actor, member)
                made, email = link.read(member.id, ctx.settings.server.public_url), member.email
        except DomainError as exc:
            if exc.status == 404:
                raise
            return await _staff_page(ctx, staff, error=exc.detail, status=exc.status)
        return await _staff_page(ctx, staff, new_link=made, new_link_for=email, status=201)
