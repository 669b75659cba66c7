"""Public web routes: the widget bundle, the demo page, the hosted "manage" page and the confirm page."""

from __future__ import annotations

import json
from typing import Annotated

from litestar import Controller, Request, Response, get, head, post
from litestar.params import Parameter

from prefcenter import i18n
from prefcenter.consents import double_opt_in as doi
from prefcenter.context import AppContext
from prefcenter.errors import Conflict, Gone, NotFound, Unauthorized
from prefcenter.http.pages import is_link_token, logo_headers, message_page, page, refused_link_page
from prefcenter.http.scripts import integrity_response, script_head_response, script_response
from prefcenter.link_revocations.service import ensure_link_current
from prefcenter.sites.branding import branding_for
from prefcenter.store.models import Subject
from prefcenter.subjects.people import masked_identities
from prefcenter.web.bundle import BUNDLE_URL, bundle
from prefcenter.web.demo_credentials import credentials_file
from prefcenter.web.links import MANAGE_PURPOSE, manage_url

# Any text is taken: a link cut short, run on or mangled by a mail client gets the "not valid" page (404) in
# the person's language, never a validation problem in a browser tab.
LinkToken = Annotated[str, Parameter(description="A signed link token")]
LINK_TOKEN_MAX_LENGTH = 2000
DEMO_AGENT_ID = "agent-42"


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class WidgetAssetController(Controller):
    path = "/widget/v1"
    tags = ["widget"]
    include_in_schema = False

    @get("/prefcenter.js", operation_id="widgetBundle")
    async def script(self, request: Request) -> Response[bytes]:
        """The widget bundle (IIFE, CSS included), cacheable for a year, loadable from any origin."""
        return script_response(request, bundle())

    @head("/prefcenter.js", operation_id="widgetBundleHead")
    async def script_head(self) -> Response[None]:
        """The bundle's headers without its body (CDNs and link checkers ask with HEAD)."""
        return script_head_response(bundle())

    @get("/prefcenter.js.sri", operation_id="widgetBundleIntegrity")
    async def integrity(self) -> Response[str]:
        """The bundle's Subresource Integrity value (``sha384-...``) for the ``integrity`` attribute."""
        return integrity_response(bundle())


class PageController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", operation_id="homePage")
    async def home(self, ctx: AppContext, request: Request) -> Response[str]:
        """The demo page (after ``prefcenter serve --demo``) or a short landing page."""
        path = credentials_file(ctx)
        if not path.exists():
            return _landing_page()
        subject_id = json.loads(path.read_text())["demo_subject_id"]
        async with ctx.db.read_session() as session:
            subject = await session.get(Subject, subject_id)
        if subject is None or subject.erased_at is not None:
            return _landing_page()
        origin = _origin(request)

        def token(mode: str, touchpoint: str, agent_id: str | None = None) -> str:
            return ctx.tokens.subject_token(
                subject_id=subject_id,
                client_id="demo-page",
                origin=origin,
                touchpoint=touchpoint,
                mode=mode,
                agent_id=agent_id,
            )[0]

        return page(
            "web/demo.html",
            title="prefcenter demo",
            lang="en",
            **_widget_script(origin),
            subject_label=subject.external_id or subject_id,
            manage_url=manage_url(ctx, subject_id)[0],
            full_token=token("full", "account"),
            compact_token=token("compact", "signup"),
            agent_token=token("agent", "support", DEMO_AGENT_ID),
            agent_id=DEMO_AGENT_ID,
            origin=origin,
        )

    @get("/p/{token:str}", operation_id="managePage")
    async def manage(self, ctx: AppContext, request: Request, token: LinkToken) -> Response[str]:
        """The hosted preference centre an email "manage my preferences" link opens."""
        try:
            claims = _link_claims(ctx, token, MANAGE_PURPOSE)
        except Unauthorized as exc:
            return _bad_link(exc, _page_locale(request))
        subject_id = str(claims["sub"])
        async with ctx.db.read_session() as session:
            subject = await session.get(Subject, subject_id)
        if subject is None or subject.erased_at is not None:
            return refused_link_page(_page_locale(request), "invalid")
        try:
            ensure_link_current(subject, ctx.tokens.issued_at_ms(claims))
        except Gone as exc:
            return _bad_link(exc, _page_locale(request))
        origin = _origin(request)
        # Exchange the long-lived, single-purpose link for a short subject token bound to this page.
        short, _ = ctx.tokens.subject_token(
            subject_id=subject_id,
            client_id="manage-link",
            origin=origin,
            touchpoint="email_link",
            mode="full",
            agent_id=None,
        )
        locale = i18n.pick_locale(subject.language, request.headers.get("accept-language"))
        async with ctx.db.read_session() as session:
            brand = await branding_for(session, ctx.settings.company.name, claims.get("site"))
            identities = await masked_identities(session, ctx.keys, subject_id)
        # Whose preferences these are: the first email (else any identity), masked.
        shown = next((i for i in identities if i.kind == "email"), identities[0] if identities else None)

        def t(key: str, **values: str) -> str:
            return i18n.text(locale, key, company=brand.company, **values)

        return page(
            "web/manage.html",
            headers=logo_headers(brand.logo_url),
            title=t("manage_title"),
            lang=locale,
            **_widget_script(origin, locale),
            brand=brand,
            whose=t("manage_whose", identity=shown.masked) if shown else None,
            intro=t("manage_intro"),
            needs_javascript=t("needs_javascript"),
            token=short,
        )

    @get("/confirm/{token:str}", operation_id="confirmPage")
    async def confirm_page(self, ctx: AppContext, request: Request, token: LinkToken) -> Response[str]:
        """The double opt-in link: shows a button; it never confirms on GET (mail scanners prefetch links)."""
        locale = _page_locale(request)
        try:
            claims = _link_claims(ctx, token, doi.CONFIRM_PURPOSE)
            locale = _page_locale(request, claims)
            link = await doi.inspect_link(ctx, claims)
        except (Unauthorized, NotFound, Gone) as exc:
            return _bad_link(exc, locale)
        if link.status != "pending_confirmation":
            return _status_page(link.status, locale)
        async with ctx.db.read_session() as session:
            brand = await branding_for(session, ctx.settings.company.name, claims.get("site"))

        def t(key: str) -> str:
            return i18n.text(locale, key, company=brand.company, topic=link.topic_name)

        return page(
            "http/link_form.html",
            headers=logo_headers(brand.logo_url),
            title=t("confirm_title"),
            lang=locale,
            brand=brand,
            from_company=t("unsub_from"),
            text=t("confirm_text"),
            button=t("confirm_button"),
            note=t("confirm_note"),
            action=request.url.path,
        )

    @post("/confirm/{token:str}", operation_id="confirmSubmit", status_code=200)
    async def confirm_submit(self, ctx: AppContext, request: Request, token: LinkToken) -> Response[str]:
        """The confirm button: the pending consent becomes granted (actor customer, touchpoint email_link)."""
        locale = _page_locale(request)
        try:
            claims = _link_claims(ctx, token, doi.CONFIRM_PURPOSE)
            locale = _page_locale(request, claims)
            await doi.confirm_from_link(ctx, claims)
        except (Unauthorized, NotFound, Gone) as exc:
            return _bad_link(exc, locale)
        except Conflict as exc:
            return _status_page(str(exc.extra.get("reason", "")), locale)
        return _status_page("granted", locale)


def _link_claims(ctx: AppContext, token: str, purpose: str) -> dict:
    """The claims of a link token made for ``purpose``; Unauthorized for text that is no token at all."""
    if not is_link_token(token, LINK_TOKEN_MAX_LENGTH):
        raise Unauthorized("this link is not valid", reason="invalid")
    return ctx.tokens.verify_purpose(token, purpose)


def _landing_page() -> Response[str]:
    return page("web/landing.html", title="prefcenter", lang="en")


def _widget_script(api: str, locale: str | None = None) -> dict[str, str | None]:
    """What ``web/widget_script.html`` needs to load the bundle (with its SRI) against ``api``."""
    return {"bundle_url": BUNDLE_URL, "sri": bundle().sri, "api": api, "locale": locale or None}


def _page_locale(request: Request, claims: dict | None = None) -> str:
    """The language the email was written in (the link carries it), else the browser's, else English."""
    carried = claims.get("lng") if claims else None
    return i18n.pick_locale(
        carried if isinstance(carried, str) else None, request.headers.get("accept-language")
    )


def _message(locale: str, heading: str, text: str, status: int = 200) -> Response[str]:
    return message_page(i18n.text(locale, heading), i18n.text(locale, text), status=status, lang=locale)


def _bad_link(exc: Unauthorized | NotFound | Gone, locale: str) -> Response[str]:
    """Expired (401 ``expired`` from the token, or 410) and revoked links: 410; anything else: 404."""
    reason = exc.extra.get("reason")
    return refused_link_page(locale, str(reason) if isinstance(exc, Unauthorized | Gone) else "invalid")


def _status_page(status: str, locale: str) -> Response[str]:
    if status == "granted":
        return _message(locale, "thanks_heading", "thanks_text")
    if status == "expired":
        return _message(locale, "expired_heading", "expired_text", 410)
    return _message(locale, "nothing_heading", "nothing_text", 409)


__all__ = ["PageController", "WidgetAssetController"]
