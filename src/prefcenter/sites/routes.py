from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, delete, get, put
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.sites import service
from prefcenter.sites.schemas import SiteRead, SiteWrite
from prefcenter.vocabulary import KEY_PATTERN, Key

# Litestar does not apply msgspec constraints to path parameters: the Parameter repeats Key's.
SiteKey = Annotated[
    Key,
    Parameter(description="Site key, e.g. `shop`", min_length=1, max_length=40, pattern=KEY_PATTERN),
]


class SiteController(Controller):
    path = "/v1/sites"
    tags = ["sites"]
    guards = [requires("admin")]

    @put("/{key:str}", operation_id="putSite")
    async def put_site(self, ctx: AppContext, request: Request, key: SiteKey, data: SiteWrite) -> SiteRead:
        """Create or replace a site: its name, the exact origins it is served from, its default touchpoint."""
        async with ctx.unit_of_work() as uow:
            site = await service.put_site(uow, request.user.actor, key, data)
        ctx.origins.invalidate()  # after the commit: CORS in this process answers the new origins at once
        return site

    @get("/", operation_id="listSites")
    async def list_sites(self, ctx: AppContext) -> list[SiteRead]:
        """Every site with its origins, by key."""
        async with ctx.db.read_session() as session:
            return await service.list_sites(session)

    @get("/{key:str}", operation_id="getSite")
    async def get_site(self, ctx: AppContext, key: SiteKey) -> SiteRead:
        """One site."""
        async with ctx.db.read_session() as session:
            return await service.get_site(session, key)

    @delete("/{key:str}", operation_id="deleteSite")
    async def delete_site(self, ctx: AppContext, request: Request, key: SiteKey) -> None:
        """Delete a site: its origins may no longer embed the widget or call the API (other processes: within 10 s)."""
        async with ctx.unit_of_work() as uow:
            await service.delete_site(uow, request.user.actor, key)
        ctx.origins.invalidate()
