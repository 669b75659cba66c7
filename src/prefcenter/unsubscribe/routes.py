"""One-click unsubscribe (RFC 8058, RFC 2369): signed per-subject links for List-Unsubscribe headers."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from prefcenter import i18n
from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.errors import Gone, InvalidInput, NotFound
from prefcenter.http.pages import is_link_token, logo_headers, message_page, page, refused_link_page
from prefcenter.sites.branding import branding_for
from prefcenter.unsubscribe import service
from prefcenter.unsubscribe.schemas import UnsubscribeLinksCreate, UnsubscribeLinksRead
from prefcenter.unsubscribe.tokens import UnsubscribeClaim

# Any text is taken: a link cut short, run on or mangled by a mail client gets the "not valid" page (404) in
# the person's language, never a validation problem in a browser tab.
Token = Annotated[
    str, Parameter(description="The signed unsubscribe token from the link (the link carries the site)")
]
TOKEN_MAX_LENGTH = 600

# A link that is not valid (404) or expired or revoked (410) is answered with a page, as the person clicked it.
REFUSED_LINK_PAGES = {
    404: ResponseSpec(
        str,
        media_type=MediaType.HTML,
        description="The link is not valid: a page saying so",
        generate_examples=False,
    ),
    410: ResponseSpec(
        str,
        media_type=MediaType.HTML,
        description="The link expired or was revoked: a page",
        generate_examples=False,
    ),
}


class UnsubscribeLinkController(Controller):
    path = "/v1/unsubscribe-links"
    tags = ["unsubscribe"]
    guards = [requires("preferences:write")]

    @post("/", operation_id="createUnsubscribeLinks", status_code=200)
    async def create(self, ctx: AppContext, data: UnsubscribeLinksCreate) -> UnsubscribeLinksRead:
        """Mint `List-Unsubscribe` / `List-Unsubscribe-Post` header values (RFC 2369, RFC 8058) per subject."""
        items = await service.mint_links(ctx, data)
        return UnsubscribeLinksRead(channel=data.channel, topic=data.topic, items=items)


class OneClickUnsubscribeController(Controller):
    """Public: the signed token in the path is the only credential, and it can only opt out.

    Neither page links anywhere else: a ``List-Unsubscribe`` URL is seen by mail providers and relays, so
    what it answers must not open the person's preference centre (no manage link, no subject token)."""

    path = "/u"
    tags = ["unsubscribe"]
    security = []

    @get(
        "/{token:str}",
        operation_id="unsubscribePage",
        media_type=MediaType.HTML,
        responses=REFUSED_LINK_PAGES,
    )
    async def confirmation_page(self, ctx: AppContext, request: Request, token: Token) -> Response[str]:
        """A confirmation page naming the company (the site the link carries); a GET never changes anything
        (scanners follow links)."""
        locale = i18n.pick_locale(None, request.headers.get("accept-language"))
        try:
            claim = _open_link(ctx, token)
            channel, topic = await service.describe_link(ctx, claim, locale)
        except (NotFound, Gone) as exc:
            return refused_link_page(locale, str(exc.extra.get("reason")), "unsub_gone_text")
        async with ctx.db.read_session() as session:
            brand = await branding_for(session, ctx.settings.company.name, claim.site)

        def t(key: str) -> str:
            return i18n.text(locale, key, topic=topic, channel=channel, company=brand.company)

        return page(
            "http/link_form.html",
            headers=logo_headers(brand.logo_url),
            title=t("unsub_heading"),
            lang=locale,
            brand=brand,
            from_company=t("unsub_from"),
            text=t("unsub_question"),
            button=t("unsub_button"),
            action=str(request.url.path),
            hidden={"List-Unsubscribe": "One-Click"},
        )

    @post(
        "/{token:str}",
        operation_id="unsubscribeOneClick",
        status_code=200,
        media_type=MediaType.HTML,
        responses=REFUSED_LINK_PAGES,
    )
    async def one_click(self, ctx: AppContext, request: Request, token: Token) -> Response[str]:
        """RFC 8058 one-click: POST `List-Unsubscribe=One-Click` records the opt-out (replays are harmless).

        An expired or revoked link answers 410, a link that is not valid (or names nobody we know) 404;
        neither changes anything."""
        locale = i18n.pick_locale(None, request.headers.get("accept-language"))
        try:
            claim = _open_link(ctx, token)
        except (NotFound, Gone) as exc:
            return refused_link_page(locale, str(exc.extra.get("reason")), "unsub_gone_text")
        form = await request.form()
        if form.get("List-Unsubscribe") != "One-Click":
            raise InvalidInput("send List-Unsubscribe=One-Click in the body (RFC 8058)")
        try:
            status = await service.apply_unsubscribe(ctx, claim)
            channel, topic = await service.describe_link(ctx, claim, locale)
        except (NotFound, Gone) as exc:
            return refused_link_page(locale, str(exc.extra.get("reason")), "unsub_gone_text")

        def t(key: str) -> str:
            return i18n.text(locale, key, topic=topic, channel=channel)

        response = message_page(t("unsubscribed_heading"), t(f"{status}_text"), lang=locale)
        response.headers["X-Unsubscribe-Status"] = status
        return response


def _open_link(ctx: AppContext, token: str) -> UnsubscribeClaim:
    """The claim of a link that may be used now; NotFound for text that is no token at all."""
    if not is_link_token(token, TOKEN_MAX_LENGTH):
        raise NotFound("this unsubscribe link is not valid", reason="invalid")
    return service.open_link(ctx, token)
