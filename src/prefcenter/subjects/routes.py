from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from prefcenter.auth.guards import ensure_subject_access, requires
from prefcenter.context import AppContext
from prefcenter.http.etag import IF_MATCH_PATTERN, etag, expected_revision
from prefcenter.subjects import service
from prefcenter.subjects.schemas import (
    IdentityWrite,
    PreferencesUpdate,
    ProfileRead,
    SubjectCreate,
    SubjectRead,
)
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

SubjectId = Annotated[
    str,
    Parameter(description="The subject's prefcenter id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN),
]
IfMatch = Annotated[
    str | None,
    Parameter(
        header="If-Match",
        description="ETag of the profile you read; 412 when it changed",
        max_length=40,
        pattern=IF_MATCH_PATTERN,
    ),
]


async def _profile_response(ctx: AppContext, subject_id: str, status: int = 200) -> Response[ProfileRead]:
    async with ctx.db.read_session() as session:
        profile = await service.read_profile(session, ctx.keys, subject_id)
    return Response(profile, status_code=status, headers={"ETag": etag(profile.revision)})


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

    @get(
        "/{subject_id:str}/profile",
        operation_id="getProfile",
        guards=[requires("preferences:read", subject_token=True)],
        response_headers=[
            ResponseHeader(
                name="ETag", description="The profile revision, for If-Match", documentation_only=True
            )
        ],
    )
    async def get_profile(
        self, ctx: AppContext, request: Request, subject_id: SubjectId
    ) -> Response[ProfileRead]:
        """Everything the preference center shows: settings, preferences, current consents."""
        ensure_subject_access(request.user, subject_id)
        return await _profile_response(ctx, subject_id)

    @patch(
        "/{subject_id:str}/preferences",
        operation_id="updatePreferences",
        guards=[requires("preferences:write", subject_token=True)],
    )
    async def update_preferences(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: SubjectId,
        data: PreferencesUpdate,
        if_match: IfMatch = None,
    ) -> Response[ProfileRead]:
        """Set many channel x topic preferences and the subject's settings in one request."""
        ensure_subject_access(request.user, subject_id)
        async with ctx.unit_of_work() as uow:
            await service.update_preferences(
                uow, request.user.actor, subject_id, data, expected_revision(if_match)
            )
        return await _profile_response(ctx, subject_id)
