"""``/admin/catalog``: channels, topics and notice versions (read-only; changes go through the API)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import signed_in
from prefcenter.catalog import service as catalog
from prefcenter.context import AppContext


class CatalogPagesController(Controller):
    path = "/catalog"

    @get("/", operation_id="adminCatalog")
    async def catalog_page(self, ctx: AppContext, request: Request) -> Response:
        """Channels, topics and notice versions (read-only)."""
        staff = await signed_in(ctx, request, "catalog")
        async with ctx.db.read_session() as session:
            current = await catalog.read_catalog(session, ctx.settings.company.name)
            notices = [
                (topic.key, notice)
                for topic in current.topics
                for notice in await catalog.list_notices(session, topic.key)
            ]
            service_opt_outs = await catalog.service_message_opt_outs(session)
        return admin_page(
            "catalog.html",
            staff,
            title="Catalog",
            current="/admin/catalog",
            catalog=current,
            notices=notices,
            service_opt_outs=service_opt_outs,
        )
