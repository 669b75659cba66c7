from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.vocabulary import SINGLE_LINE_PATTERN
from prefcenter.webhooks import service
from prefcenter.webhooks.schemas import DeliveryPage, SystemCreate, SystemRead

SystemId = Annotated[
    str, Parameter(description="The downstream system's id", max_length=36, pattern=SINGLE_LINE_PATTERN)
]


class DownstreamSystemController(Controller):
    path = "/v1/downstream-systems"
    tags = ["webhooks"]
    guards = [requires("admin")]

    @post("/", operation_id="registerDownstreamSystem")
    async def register(self, ctx: AppContext, request: Request, data: SystemCreate) -> SystemRead:
        """Register a CRM, email provider or warehouse; its signing secret is returned once."""
        async with ctx.unit_of_work() as uow:
            return await service.register_system(uow, request.user.actor, data)

    @get("/", operation_id="listDownstreamSystems")
    async def list_systems(self, ctx: AppContext) -> list[SystemRead]:
        """Registered downstream systems."""
        async with ctx.db.read_session() as session:
            return await service.list_systems(session)

    @post("/{system_id:str}/disable", operation_id="disableDownstreamSystem", status_code=200)
    async def disable(self, ctx: AppContext, request: Request, system_id: SystemId) -> SystemRead:
        """Stop sending to a system."""
        async with ctx.unit_of_work() as uow:
            return await service.disable_system(uow, request.user.actor, system_id)

    @get("/{system_id:str}/deliveries", operation_id="listWebhookDeliveries")
    async def deliveries(
        self,
        ctx: AppContext,
        system_id: SystemId,
        status: Annotated[
            Literal["pending", "delivered", "dead"] | None,
            Parameter(description="pending, delivered or dead"),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=500, description="How many, newest first")] = 100,
    ) -> DeliveryPage:
        """A system's outbox: what was sent, what waits for a retry, what was dead-lettered."""
        async with ctx.db.read_session() as session:
            return DeliveryPage(items=await service.list_deliveries(session, system_id, status, limit))
