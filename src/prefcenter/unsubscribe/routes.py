from __future__ import annotations

import html
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from prefcenter import i18n
from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput
from prefcenter.unsubscribe import service
from prefcenter.unsubscribe.schemas import UnsubscribeLinksCreate, UnsubscribeLinksRead
from prefcenter.web.links import manage_url
from prefcenter.web.pages import message_page

Token = Annotated[str, Parameter(description="The signed unsubscribe token from the link", max_length=600)]


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
    """Public: the signed token in the path is the only credential, and it can only opt out."""

    path = "/u"
    tags = ["unsubscribe"]
    security = []

    @get("/{token:str}", operation_id="unsubscribePage")
    async def page(self, ctx: AppContext, request: Request, token: Token) -> Response[str]:
        """A small confirmation page; a GET never changes anything (mail scanners follow links)."""
        claim = service.tokens(ctx).verify(token)
        channel, topic = await service.topic_name(ctx, claim)
        locale = i18n.pick_locale(None, request.headers.get("accept-language"))

        def t(key: str) -> str:
            return i18n.text(locale, key, topic=topic, channel=channel)

        form = (
            f'<form method="post" action="/u/{html.escape(token)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{html.escape(t("unsub_button"))}</button></form>'
            f'<p><a href="{html.escape(manage_url(ctx, claim.subject_id)[0])}">{html.escape(t("manage_link"))}</a></p>'
        )
        return message_page(t("unsub_heading"), t("unsub_question"), extra=form, lang=locale)

    @post("/{token:str}", operation_id="unsubscribeOneClick", status_code=200)
    async def one_click(self, ctx: AppContext, request: Request, token: Token) -> Response[str]:
        """RFC 8058 one-click: POST `List-Unsubscribe=One-Click` records the opt-out (replays are harmless)."""
        claim = service.tokens(ctx).verify(token)
        form = await request.form()
        if form.get("List-Unsubscribe") != "One-Click":
            raise InvalidInput("send List-Unsubscribe=One-Click in the body (RFC 8058)")
        status = await service.apply_unsubscribe(ctx, claim)
        channel, topic = await service.topic_name(ctx, claim)
        locale = i18n.pick_locale(None, request.headers.get("accept-language"))

        def t(key: str) -> str:
            return i18n.text(locale, key, topic=topic, channel=channel)

        manage = html.escape(manage_url(ctx, claim.subject_id)[0])
        response = message_page(
            t("unsubscribed_heading"),
            t(f"{status}_text"),
            extra=f'<p><a href="{manage}">{html.escape(t("manage_link"))}</a></p>',
            lang=locale,
        )
        response.headers["X-Unsubscribe-Status"] = status
        return response
