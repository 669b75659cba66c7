from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from prefcenter.auth.guards import ensure_subject_access, requires
from prefcenter.catalog.routes import LocaleParam
from prefcenter.consents import double_opt_in as doi
from prefcenter.consents import service
from prefcenter.consents.gpc import GpcSignal, gpc_signal, honour_gpc
from prefcenter.consents.profile import read_preference_center, read_profile, written_profile
from prefcenter.consents.schemas import (
    ConfirmationEmailRead,
    ConsentConfirm,
    ConsentGrant,
    ConsentRead,
    ConsentWithdraw,
    Evidence,
    PreferenceCenterRead,
    ProfileRead,
)
from prefcenter.context import AppContext
from prefcenter.http.client_address import client_ip
from prefcenter.http.etag import IF_MATCH_PATTERN, etag, expected_revision
from prefcenter.i18n import DEFAULT_LOCALE
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import UnitOfWork
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferencesUpdate
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

SubjectId = Annotated[
    str,
    Parameter(description="The subject's prefcenter id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN),
]
ConsentId = Annotated[
    str, Parameter(description="The consent record's id", max_length=36, pattern=SINGLE_LINE_PATTERN)
]
IfMatch = Annotated[
    str | None,
    Parameter(
        header="If-Match", description="ETag of the profile you read", max_length=40, pattern=IF_MATCH_PATTERN
    ),
]


ProfileIfMatch = Annotated[
    str | None,
    Parameter(
        header="If-Match",
        description="ETag of the profile you read; 412 when it changed",
        max_length=40,
        pattern=IF_MATCH_PATTERN,
    ),
]


def _gpc(ctx: AppContext, request: Request) -> GpcSignal | None:
    """``Sec-GPC: 1`` on a customer's own write, honoured in the write's unit of work (see ``consents.gpc``)."""
    return gpc_signal(request.user, request.headers.get("sec-gpc"), ctx.settings.widget.honour_gpc_header)


def _evidence(request: Request, given: Evidence | None) -> Evidence | None:
    """Customers and agents: the request's own IP (through trusted proxies only) and user agent are the
    evidence (kept encrypted)."""
    if request.user.kind != "subject":
        return given
    return Evidence(
        ip=client_ip(request, request.app.state.ctx.settings.server.trusted_proxies),
        user_agent=(request.headers.get("user-agent") or "")[:512] or None,
        note=given.note if given else None,
        form_reference=given.form_reference if given else None,
    )


class ConsentController(Controller):
    path = "/v1/subjects/{subject_id:str}/consents"
    tags = ["consents"]
    guards = [requires("preferences:write", subject_token=True)]

    @post("/", operation_id="grantConsent")
    async def grant(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: SubjectId,
        data: ConsentGrant,
        if_match: IfMatch = None,
    ) -> ConsentRead:
        """Record consent to a topic on some channels, with the notice version shown and how it was given."""
        ensure_subject_access(request.user, subject_id)
        evidence = _evidence(request, data.evidence)

        async def grant(uow: UnitOfWork) -> ConsentRead:
            subject = await uow.lock_subject(
                subject_id, expected_revision(if_match), current_topic=data.topic
            )
            await honour_gpc(uow, subject, _gpc(ctx, request))
            uow.bump_revision(subject)  # first: written before the chain lock, which the grant's event takes
            return await service.grant(uow, request.user.actor, subject_id, data, evidence)

        result = await ctx.write(grant)
        if result.status == "pending_confirmation":
            # After the commit (with an Idempotency-Key: the request's; a rolled-back grant sends nothing):
            # a mail failure is logged and the consent stays pending (it can be resent).
            await ctx.db.after_commit(
                lambda: doi.send_confirmation(
                    ctx,
                    subject_id,
                    result.id,
                    request.headers.get("accept-language"),
                    site=request.user.site,
                    origin=request.user.origin,
                )
            )
        return result

    @post("/{consent_id:str}/withdraw", operation_id="withdrawConsent", status_code=200)
    async def withdraw(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: SubjectId,
        consent_id: ConsentId,
        data: ConsentWithdraw,
        if_match: IfMatch = None,
    ) -> ConsentRead:
        """Withdraw a consent."""
        ensure_subject_access(request.user, subject_id)

        async def withdraw(uow: UnitOfWork) -> ConsentRead:
            subject = await uow.lock_subject(subject_id, expected_revision(if_match), consent_id=consent_id)
            await honour_gpc(uow, subject, _gpc(ctx, request))
            # first: written before the chain lock, which the withdrawal's event takes
            uow.bump_revision(subject)
            return await service.withdraw(uow, request.user.actor, subject_id, consent_id, data)

        return await ctx.write(withdraw)

    @post("/{consent_id:str}/confirm", operation_id="confirmConsent", status_code=200)
    async def confirm(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: SubjectId,
        consent_id: ConsentId,
        data: ConsentConfirm,
    ) -> ConsentRead:
        """Confirm a consent waiting for double opt-in."""
        ensure_subject_access(request.user, subject_id)

        async def confirm(uow: UnitOfWork) -> ConsentRead:
            subject = await uow.lock_subject(subject_id, consent_id=consent_id)
            # first: written before the chain lock, which the confirmation's event takes
            uow.bump_revision(subject)
            return await service.confirm(
                uow,
                request.user.actor,
                subject_id,
                consent_id,
                data,
                pending_days=ctx.settings.widget.doi_pending_days,
            )

        return await ctx.write(confirm)

    @post(
        "/{consent_id:str}/confirmation-email",
        operation_id="resendConfirmationEmail",
        status_code=202,
    )
    async def resend_confirmation(
        self, ctx: AppContext, request: Request, subject_id: SubjectId, consent_id: ConsentId
    ) -> ConfirmationEmailRead:
        """Send the double opt-in confirmation email for a pending consent again."""
        ensure_subject_access(request.user, subject_id)
        sent = await doi.send_confirmation(
            ctx,
            subject_id,
            consent_id,
            request.headers.get("accept-language"),
            site=request.user.site,
            origin=request.user.origin,
        )
        return ConfirmationEmailRead(consent_id=consent_id, sent=sent)


def _with_etag(profile: ProfileRead) -> Response[ProfileRead]:
    return Response(profile, headers={"ETag": etag(profile.revision)})


PROFILE_ETAG = ResponseHeader(
    name="ETag", description="The profile revision, for If-Match", documentation_only=True
)


class ProfileController(Controller):
    """The preference center's view of one subject (subjects and consents together) and its preference write."""

    path = "/v1/subjects"
    tags = ["subjects"]

    @get(
        "/{subject_id:str}/profile",
        operation_id="getProfile",
        guards=[requires("preferences:read", subject_token=True)],
        response_headers=[PROFILE_ETAG],
    )
    async def get_profile(
        self, ctx: AppContext, request: Request, subject_id: SubjectId
    ) -> Response[ProfileRead]:
        """Everything the preference center shows: settings, preferences, current consents."""
        ensure_subject_access(request.user, subject_id)
        return _with_etag(await read_profile(projection_reader(ctx.db), ctx.keys, subject_id))

    @get(
        "/{subject_id:str}/preference-center",
        operation_id="getPreferenceCenter",
        guards=[requires("preferences:read", subject_token=True)],
        response_headers=[PROFILE_ETAG],
    )
    async def get_preference_center(
        self, ctx: AppContext, request: Request, subject_id: SubjectId, locale: LocaleParam = None
    ) -> Response[PreferenceCenterRead]:
        """The catalog in the asked language and the subject's profile in one answer: a widget's first paint."""
        ensure_subject_access(request.user, subject_id)
        answer = await read_preference_center(
            ctx.db, ctx.keys, subject_id, ctx.settings.company.name, locale or DEFAULT_LOCALE
        )
        return Response(answer, headers={"ETag": etag(answer.profile.revision)})

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
        if_match: ProfileIfMatch = None,
    ) -> Response[ProfileRead]:
        """Set many channel x topic preferences and the subject's settings in one request."""
        ensure_subject_access(request.user, subject_id)

        async def save(uow: UnitOfWork) -> ProfileRead:
            # If-Match is checked against the state the customer saw, before GPC (part of this write) changes it
            subject = await uow.lock_subject(subject_id, expected_revision(if_match), preferences=True)
            await honour_gpc(uow, subject, _gpc(ctx, request))
            await subjects.update_preferences(uow, request.user.actor, subject_id, data, None)
            return await written_profile(uow, subject_id)

        return _with_etag(await ctx.write(save))
