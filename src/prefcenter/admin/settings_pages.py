"""``/admin/me``: the signed-in person's own settings, open to every role (``console``). Their time zone is
the one the console shows every date in (default UTC); changing it goes through ``staff/service.py`` and is
audited (``staff.time_zone_changed``) with the person as actor."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin.forms import read_form
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import SignedInStaff, signed_in
from prefcenter.context import AppContext
from prefcenter.errors import DomainError
from prefcenter.staff import service as staff_accounts
from prefcenter.store.unit_of_work import utcnow
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

Query = Annotated[str | None, Parameter(max_length=20, pattern=SINGLE_LINE_PATTERN)]
MAX_ZONE = 64


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zones this machine knows, areas first (``Europe/Berlin``), then UTC; legacy aliases left out."""
    return (
        *sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))),
        "UTC",
    )


def _settings_page(
    staff: SignedInStaff,
    *,
    chosen: str | None = None,
    flash: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    zones = time_zones()
    chosen = chosen or staff.time_zone
    return admin_page(
        "me.html",
        staff,
        title="Your settings",
        current="/admin/me",
        status=status,
        zones=zones if chosen in zones else (chosen, *zones),
        chosen=chosen,
        now=utcnow(),
        flash=flash,
        error=error,
    )


class SettingsPagesController(Controller):
    path = "/me"

    @get("/", operation_id="adminMySettings")
    async def my_settings(self, ctx: AppContext, request: Request, done: Query = None) -> Response:
        """The signed-in person's own settings: the time zone the console shows dates in."""
        staff = await signed_in(ctx, request)
        return _settings_page(staff, flash="Your time zone is saved." if done == "saved" else None)

    @post("/", operation_id="adminMySettingsSave", status_code=303)
    async def save_my_settings(self, ctx: AppContext, request: Request) -> Response:
        """Save the signed-in person's time zone (an IANA name, checked with zoneinfo; audited)."""
        staff = await signed_in(ctx, request)
        form = await read_form(request, staff)
        zone = form.get("time_zone", "")[:MAX_ZONE]
        try:
            async with ctx.unit_of_work() as uow:
                await staff_accounts.set_time_zone(uow, staff.actor, staff.staff_id, zone)
        except DomainError as exc:
            return _settings_page(staff, chosen=None, error=exc.detail, status=exc.status)
        return Redirect("/admin/me?done=saved", status_code=303)
