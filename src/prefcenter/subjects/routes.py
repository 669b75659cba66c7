from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from prefcenter.auth.guards import ensure_subject_access, requires
from prefcenter.context import AppContext
from prefcenter.subjects import service
from prefcenter.subjects.schemas import (
    IdentityWrite,
    SubjectCreate,
    SubjectRead,
)
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

SubjectId = Annotated[
    str,
    Parameter(description="The subject's prefcenter id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN),
]


class SubjectController(Controller):
    path = "/v1/subjects"
    tags = ["subjects"]

    @post("/", operation_id="createSubject", guards=[requires("preferences:write")])
    async def create_subject(self, ctx: AppContext, request: Request, data: SubjectCreate) -> SubjectRead:
        """Create a subject with an optional external id and identities."""
        async with ctx.unit_of_work() as uow:
            subject = await service.create_subject(uow, request.user.actor, data)
            return await service.read_subject(uow.session, ctx.keys, subject)

    @get("/", operation_id="findSubject", guards=[requires("preferences:read")])
    async def find_subject(
        self,
        ctx: AppContext,
        identity: Annotated[
            str | None,
            Parameter(
                description="An identity, `kind:value`, e.g. `email:ann@example.com`",
                max_length=340,
                pattern=SINGLE_LINE_PATTERN,
            ),
        ] = None,
        external_id: Annotated[
            str | None,
            Parameter(description="The company's customer id", max_length=200, pattern=SINGLE_LINE_PATTERN),
        ] = None,
    ) -> SubjectRead:
        """Look a subject up by one identity or by external id."""
        async with ctx.db.read_session() as session:
            subject = await service.find_subject(
                session, ctx.keys.pepper, identity=identity, external_id=external_id
            )
            return await service.read_subject(session, ctx.keys, subject)

    @get(
        "/{subject_id:str}",
        operation_id="getSubject",
        guards=[requires("preferences:read", subject_token=True)],
    )
    async def get_subject(self, ctx: AppContext, request: Request, subject_id: SubjectId) -> SubjectRead:
        """A subject with its identities (masked)."""
        ensure_subject_access(request.user, subject_id)
        async with ctx.db.read_session() as session:
            subject = await service.get_subject(session, subject_id)
            return await service.read_subject(session, ctx.keys, subject)

    @post("/{subject_id:str}/identities", operation_id="addIdentity", guards=[requires("preferences:write")])
    async def add_identity(
        self, ctx: AppContext, request: Request, subject_id: SubjectId, data: IdentityWrite
    ) -> SubjectRead:
        """Add an identity (email, phone, customer id, device id) to a subject."""
        async with ctx.unit_of_work() as uow:
            subject = await service.add_identity(uow, request.user.actor, subject_id, data)
            return await service.read_subject(uow.session, ctx.keys, subject)
