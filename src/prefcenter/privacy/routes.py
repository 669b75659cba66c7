"""The privacy center's routes: the public API behind the form (file a request, confirm its code), the
hosted page ``/privacy`` and the download page an access export's link opens."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from prefcenter import i18n
from prefcenter.context import AppContext
from prefcenter.dsr import export as exports
from prefcenter.dsr.routes import problem_spec
from prefcenter.errors import Forbidden, Gone, NotFound
from prefcenter.http.client_address import client_ip
from prefcenter.http.pages import message_page, page
from prefcenter.http.scripts import integrity_response, script_response
from prefcenter.privacy import service, texts
from prefcenter.privacy.bundle import PRIVACY_BUNDLE_URL, privacy_bundle
from prefcenter.privacy.schemas import (
    PrivacyRequestAccepted,
    PrivacyRequestConfirmed,
    PrivacyRequestCreate,
    PrivacyRequestVerify,
)
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

RequestId = Annotated[
    str, Parameter(description="The privacy request id (UUID)", max_length=36, pattern=SINGLE_LINE_PATTERN)
]
LinkToken = Annotated[
    str, Parameter(description="The signed download link token", max_length=200, pattern=SINGLE_LINE_PATTERN)
]


class PrivacyRequestController(Controller):
    """Public: anyone may file a request; the code sent to the address given proves it is theirs."""

    path = "/public/v1/privacy-requests"
    tags = ["privacy"]
    security = []

    @post(
        "/",
        operation_id="filePrivacyRequest",
        status_code=202,
        responses={429: problem_spec("Too many requests for this identity or from this address")},
    )
    async def file(
        self, ctx: AppContext, request: Request, data: PrivacyRequestCreate
    ) -> PrivacyRequestAccepted:
        """File a GDPR request for oneself; a one-time code goes to the address given (same answer whether
        or not we hold data about it)."""
        return await service.file_request(ctx, data, client_ip(request, ctx.settings.server.trusted_proxies))

    @post(
        "/{request_id:str}/verify",
        operation_id="verifyPrivacyRequest",
        status_code=200,
        responses={
            404: problem_spec("No such request"),
            409: problem_spec("Too many wrong codes"),
            410: problem_spec("The code expired"),
        },
    )
    async def verify(
        self, ctx: AppContext, request_id: RequestId, data: PrivacyRequestVerify
    ) -> PrivacyRequestConfirmed:
        """Confirm a request with its one-time code: it becomes a DSR (source ``self_service``) and is handled."""
        return await service.confirm_request(ctx, request_id, data.code)


def _locale(request: Request) -> str:
    return i18n.pick_locale(request.query_params.get("lang"), request.headers.get("accept-language"))


class PrivacyAssetController(Controller):
    path = "/widget/v1"
    include_in_schema = False

    @get("/privacy.js", operation_id="privacyBundle")
    async def script(self, request: Request) -> Response[bytes]:
        """The ``<prefcenter-privacy-request>`` element (IIFE), cacheable for a year, loadable from any origin."""
        return script_response(request, privacy_bundle())

    @get("/privacy.js.sri", operation_id="privacyBundleIntegrity")
    async def integrity(self) -> Response[str]:
        """The bundle's Subresource Integrity value (``sha384-...``) for the ``integrity`` attribute."""
        return integrity_response(privacy_bundle())


class PrivacyPageController(Controller):
    path = "/privacy"
    include_in_schema = False

    @get("/", operation_id="privacyPage")
    async def privacy_page(self, ctx: AppContext, request: Request) -> Response[str]:
        """The hosted privacy center: the request form (the ``<prefcenter-privacy-request>`` element)."""
        locale = _locale(request)
        company = ctx.settings.company.name
        return page(
            "privacy/privacy.html",
            title=texts.text(locale, "page_title", company=company),
            lang=locale,
            intro=texts.text(locale, "page_intro"),
            needs_javascript=texts.text(locale, "needs_javascript"),
            bundle_url=PRIVACY_BUNDLE_URL,
            sri=privacy_bundle().sri,
            api=str(request.base_url).rstrip("/"),
        )

    @get("/downloads/{token:str}", operation_id="privacyDownloadPage")
    async def download_page(self, ctx: AppContext, request: Request, token: LinkToken) -> Response[str]:
        """What the emailed link opens: a page with a button (mail scanners that open links use nothing up)."""
        locale = _locale(request)
        try:
            async with ctx.db.read_session() as session:
                await exports.check_link(session, ctx.keys, token)
        except (Forbidden, Gone, NotFound) as exc:
            return _refused(locale, exc)
        company = ctx.settings.company.name
        return page(
            "privacy/download.html",
            title=texts.text(locale, "download_title", company=company),
            lang=locale,
            text=texts.text(locale, "download_text"),
            button=texts.text(locale, "download_button"),
            note=texts.text(locale, "download_note"),
            action=request.url.path,
        )

    @post("/downloads/{token:str}", operation_id="privacyDownload", status_code=200)
    async def download(self, ctx: AppContext, request: Request, token: LinkToken) -> Response:
        """The download button: the export (zip) once; the download is audited."""
        try:
            async with ctx.unit_of_work() as uow:
                export, data = await exports.redeem_link(uow, token)
        except (Forbidden, Gone, NotFound) as exc:
            return _refused(_locale(request), exc)
        return Response(
            data,
            media_type="application/zip",
            headers={
                "Content-Disposition": 'attachment; filename="my-data.zip"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )


def _refused(locale: str, exc: Exception) -> Response[str]:
    if isinstance(exc, Forbidden):
        heading, text, status = "download_invalid_heading", "download_invalid_text", 404
    else:
        heading, text, status = "download_gone_heading", "download_gone_text", 410
    return message_page(texts.text(locale, heading), texts.text(locale, text), status=status, lang=locale)
