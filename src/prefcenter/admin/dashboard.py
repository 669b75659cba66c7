"""``/admin``: open requests, the audit log's state and dead-lettered deliveries, as the person's role allows."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from prefcenter.admin import service as queries
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import signed_in
from prefcenter.audit import service as audit
from prefcenter.context import AppContext
from prefcenter.store.unit_of_work import utcnow


class DashboardController(Controller):
    path = "/"

    @get("/", operation_id="adminDashboard")
    async def dashboard(self, ctx: AppContext, request: Request) -> Response:
        """Open requests, the audit log's state and dead-lettered deliveries, as the person's role allows."""
        staff = await signed_in(ctx, request)
        now = utcnow()
        overview = verification = dead_letters = None
        if staff.may("audit"):  # at most a minute old here; /admin/audit verifies afresh
            verification = await audit.recent_verification(ctx)
        async with ctx.db.read_session() as session:
            if staff.may("dsr"):
                overview = await queries.dsr_overview(session, now)
            if staff.may("systems"):
                dead_letters = await queries.dead_letter_count(session)
        return admin_page(
            "dashboard.html",
            staff,
            title="Dashboard",
            current="/admin",
            now=now,
            dsr=overview,
            due_soon_days=queries.DUE_SOON_DAYS,
            verification=verification,
            dead_letters=dead_letters,
        )
