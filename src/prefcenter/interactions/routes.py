from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from prefcenter.auth.guards import ensure_subject_access, requires
from prefcenter.context import AppContext
from prefcenter.errors import Forbidden
from prefcenter.interactions import service
from prefcenter.interactions.schemas import (
    AGENT_TOKEN_PAGE,
    MAX_PAGE,
    InteractionCreate,
    InteractionPage,
    InteractionRead,
)
from prefcenter.subjects.service import get_subject
from prefcenter.vocabulary import CURSOR_PATTERN, SINGLE_LINE_PATTERN

SubjectId = Annotated[
    str,
    Parameter(description="The subject's prefcenter id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN),
]


class InteractionController(Controller):
    path = "/v1/subjects/{subject_id:str}/interactions"
    tags = ["interactions"]

    @post("/", operation_id="recordInteraction", status_code=201, guards=[requires("interactions:write")])
    async def record(
        self, ctx: AppContext, request: Request, subject_id: SubjectId, data: InteractionCreate
    ) -> InteractionRead:
        """Record a contact with the subject on any channel or touchpoint (the summary is sealed)."""
        async with ctx.unit_of_work() as uow:
            interaction = await service.record_interaction(uow, request.user.actor, subject_id, data)
            return service.interaction_read(interaction, await uow.data_key(subject_id))

    @get("/", operation_id="listInteractions", guards=[requires("interactions:read", subject_token=True)])
    async def list_interactions(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: SubjectId,
        cursor: Annotated[
            str | None,
            Parameter(
                description="next_cursor from the previous page", max_length=200, pattern=CURSOR_PATTERN
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page size")] = 20,
    ) -> InteractionPage:
        """The subject's interactions across channels, newest first, cursor-paginated.

        A customer's subject token never reads them; an agent-mode widget token (minted by a client holding
        `interactions:read`) reads the last five, without their summaries."""
        principal = request.user
        ensure_subject_access(principal, subject_id)
        from_widget = principal.kind == "subject"
        if from_widget and (cursor is not None or limit > AGENT_TOKEN_PAGE):
            raise Forbidden(f"an agent-mode widget token reads the last {AGENT_TOKEN_PAGE} interactions only")
        async with ctx.db.read_session() as session:
            await get_subject(session, subject_id)
            return await service.list_interactions(
                session, ctx.keys, subject_id, cursor, limit, with_summary=not from_widget
            )
