"""``/admin/systems``: downstream systems and their failed or dead-lettered deliveries."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from prefcenter.admin import service as queries
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import signed_in
from prefcenter.context import AppContext
from prefcenter.webhooks import service as webhooks


class SystemsPagesController(Controller):
    path = "/systems"

    @get("/", operation_id="adminSystems")
    async def systems_page(self, ctx: AppContext, request: Request) -> Response:
        """Downstream systems and their failed or dead-lettered deliveries."""
        staff = await signed_in(ctx, request, "systems")
        async with ctx.db.read_session() as session:
            systems = await webhooks.list_systems(session)
            failing = await queries.failing_deliveries(session)
        return admin_page(
            "systems.html",
            staff,
            title="Downstream systems",
            current="/admin/systems",
            systems=systems,
            failing=failing,
        )
