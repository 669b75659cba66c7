from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.dsr import deadlines, intake, legal_hold, lifecycle, reads, verification
from prefcenter.dsr import export as exports
from prefcenter.dsr.schemas import (
    DsrCreate,
    DsrExtend,
    DsrNote,
    DsrPage,
    DsrRead,
    DsrReason,
    DsrStatus,
    DsrType,
    DsrVerify,
    ExportLinkRead,
    LegalHoldRead,
    LegalHoldWrite,
    ProblemRead,
)
from prefcenter.notify.sender import Message
from prefcenter.vocabulary import CURSOR_PATTERN, SINGLE_LINE_PATTERN

RequestId = Annotated[
    str, Parameter(description="The DSR request id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN)
]
SubjectId = Annotated[
    str,
    Parameter(description="The subject's prefcenter id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN),
]


async def _read(ctx: AppContext, request_id: str) -> DsrRead:
    async with ctx.db.read_session() as session:
        return await reads.read_request(session, request_id)


class DsrController(Controller):
    path = "/v1/dsr-requests"
    tags = ["dsr"]
    guards = [requires("dsr:manage")]

    @post(
        "/",
        operation_id="createDsrRequest",
        responses={
            200: ResponseSpec(
                data_container=DsrRead, description="A duplicate of an open request: linked to it"
            )
        },
    )
    async def create(self, ctx: AppContext, request: Request, data: DsrCreate) -> Response[DsrRead]:
        """Record a data subject request; a duplicate of an open one is linked to it (200) instead of created (201)."""
        async with ctx.unit_of_work() as uow:
            req, created = await intake.create_request(uow, request.user.actor, data)
        return Response(await _read(ctx, req.id), status_code=201 if created else 200)

    @get("/", operation_id="listDsrRequests")
    async def list_requests(
        self,
        ctx: AppContext,
        status: Annotated[DsrStatus | None, Parameter(description="Only requests in this status")] = None,
        type: Annotated[DsrType | None, Parameter(description="Only requests of this type")] = None,
        overdue: Annotated[bool | None, Parameter(description="true: open and past due_at")] = None,
        subject_id: Annotated[
            str | None,
            Parameter(description="Only this subject's requests", max_length=36, pattern=SINGLE_LINE_PATTERN),
        ] = None,
        cursor: Annotated[
            str | None,
            Parameter(description="next_cursor of the previous page", max_length=200, pattern=CURSOR_PATTERN),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=500, description="Page size")] = 50,
    ) -> DsrPage:
        """Requests, newest first, filtered by status, type and overdue."""
        async with ctx.db.read_session() as session:
            return await reads.list_requests(
                session,
                status=status,
                type=type,
                overdue=overdue,
                subject_id=subject_id,
                cursor=cursor,
                limit=limit,
            )

    @get("/{request_id:str}", operation_id="getDsrRequest")
    async def get_request(self, ctx: AppContext, request_id: RequestId) -> DsrRead:
        """A request with its history, downstream outcomes and export."""
        return await _read(ctx, request_id)

    @post("/{request_id:str}/verification-code", operation_id="sendDsrVerificationCode", status_code=202)
    async def send_code(self, ctx: AppContext, request: Request, request_id: RequestId) -> DsrRead:
        """Send a one-time code to the subject's email, through the configured sender."""
        async with ctx.unit_of_work() as uow:
            email, code = await verification.start_verification(
                uow, request.user.actor, request_id, ctx.settings.dsr.verification_code_ttl_seconds
            )
        await ctx.sender.send(
            Message(
                to=email,
                subject=f"{ctx.settings.company.name}: confirm your data request",
                text=(
                    f"We received a data protection request in your name.\n\nYour confirmation code: {code}\n\n"
                    "If you did not make this request, ignore this message."
                ),
            )
        )
        return await _read(ctx, request_id)

    @post("/{request_id:str}/verify", operation_id="verifyDsrRequest", status_code=200)
    async def verify(
        self, ctx: AppContext, request: Request, request_id: RequestId, data: DsrVerify
    ) -> DsrRead:
        """Mark identity verified (with the subject's code, or an officer's note); the work is queued."""
        await verification.verify_committing_attempts(
            ctx, request.user.actor, request_id, data.code, data.note
        )
        return await _read(ctx, request_id)

    @post("/{request_id:str}/extend", operation_id="extendDsrRequest", status_code=200)
    async def extend(
        self, ctx: AppContext, request: Request, request_id: RequestId, data: DsrExtend
    ) -> DsrRead:
        """Extend the deadline once, by one or two months, with a recorded reason."""
        async with ctx.unit_of_work() as uow:
            await deadlines.extend(uow, request.user.actor, request_id, data.months, data.reason)
        return await _read(ctx, request_id)

    @post("/{request_id:str}/cancel", operation_id="cancelDsrRequest", status_code=200)
    async def cancel(
        self, ctx: AppContext, request: Request, request_id: RequestId, data: DsrReason
    ) -> DsrRead:
        """Cancel (reject) a request that has not started, with a reason."""
        async with ctx.unit_of_work() as uow:
            await lifecycle.cancel(uow, request.user.actor, request_id, data.reason)
        return await _read(ctx, request_id)

    @post("/{request_id:str}/retry", operation_id="retryDsrRequest", status_code=200)
    async def retry(self, ctx: AppContext, request: Request, request_id: RequestId) -> DsrRead:
        """Run a failed request again."""
        async with ctx.unit_of_work() as uow:
            await lifecycle.retry(uow, request.user.actor, request_id, ctx.settings.dsr.job_max_attempts)
        return await _read(ctx, request_id)

    @post("/{request_id:str}/notes", operation_id="addDsrNote", status_code=200)
    async def add_note(
        self, ctx: AppContext, request: Request, request_id: RequestId, data: DsrNote
    ) -> DsrRead:
        """Add an officer's note to the request's history."""
        async with ctx.unit_of_work() as uow:
            await lifecycle.add_note(uow, request.user.actor, request_id, data.note)
        return await _read(ctx, request_id)

    @post("/{request_id:str}/complete", operation_id="completeDsrRequest", status_code=200)
    async def complete(
        self, ctx: AppContext, request: Request, request_id: RequestId, data: DsrNote
    ) -> DsrRead:
        """Close a rectification once the data was corrected."""
        async with ctx.unit_of_work() as uow:
            await lifecycle.complete_manually(uow, request.user.actor, request_id, data.note)
        return await _read(ctx, request_id)

    @post("/{request_id:str}/export-links", operation_id="createDsrExportLink", status_code=201)
    async def export_link(self, ctx: AppContext, request: Request, request_id: RequestId) -> ExportLinkRead:
        """A signed, single-use download link for the request's export; it expires."""
        async with ctx.unit_of_work() as uow:
            token, link = await exports.create_link(
                uow, request.user.actor, request_id, ctx.settings.dsr.export_link_ttl_seconds
            )
        return ExportLinkRead(
            url=f"{ctx.settings.server.public_url}/public/v1/dsr-exports/{token}", expires_at=link.expires_at
        )


class LegalHoldController(Controller):
    path = "/v1/subjects/{subject_id:str}/legal-hold"
    tags = ["dsr"]
    guards = [requires("dsr:manage")]

    @put("/", operation_id="setLegalHold")
    async def set_hold(
        self, ctx: AppContext, request: Request, subject_id: SubjectId, data: LegalHoldWrite
    ) -> LegalHoldRead:
        """Put a subject under legal hold: erasure is refused while it lasts."""
        async with ctx.unit_of_work() as uow:
            subject = await legal_hold.set_legal_hold(uow, request.user.actor, subject_id, data.reason)
            return LegalHoldRead(subject_id=subject.id, legal_hold=subject.legal_hold)

    @delete("/", operation_id="releaseLegalHold", status_code=200)
    async def release_hold(self, ctx: AppContext, request: Request, subject_id: SubjectId) -> LegalHoldRead:
        """Release a subject's legal hold."""
        async with ctx.unit_of_work() as uow:
            subject = await legal_hold.set_legal_hold(uow, request.user.actor, subject_id, None)
            return LegalHoldRead(subject_id=subject.id, legal_hold=subject.legal_hold)


def problem_spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemRead,
        media_type="application/problem+json",
        description=description,
        generate_examples=False,
    )


class ExportDownloadController(Controller):
    """Public (outside the bearer-token ``/v1`` tree): the signed link is the credential."""

    path = "/public/v1/dsr-exports"
    tags = ["dsr"]
    security = []

    @get(
        "/{token:str}",
        operation_id="downloadDsrExport",
        media_type="application/zip",
        responses={
            403: problem_spec("The link's signature is not valid"),
            410: problem_spec("The link expired, was used already, or its export is gone"),
        },
    )
    async def download(
        self,
        ctx: AppContext,
        token: Annotated[
            str, Parameter(description="The signed link token", max_length=200, pattern=SINGLE_LINE_PATTERN)
        ],
    ) -> Response[bytes]:
        """Download an export (zip) once through its signed link; the download is audited."""
        async with ctx.unit_of_work() as uow:
            export, data = await exports.redeem_link(uow, token)
        return Response(
            data,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="prefcenter-export-{export.subject_id}.zip"',
                "Cache-Control": "no-store",
            },
        )
