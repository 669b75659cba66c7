"""Widget subject tokens: the company's backend mints one for a signed-in customer, bound to a page origin
(one of a site's, or a configured one) and, optionally, to a site whose default touchpoint applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import Controller, Request, post
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.auth.principal import AGENT_TOKEN_SCOPES
from prefcenter.auth.schemas import WidgetTokenCreate, WidgetTokenRead
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput
from prefcenter.sites.widget_origins import ensure_origin_allowed
from prefcenter.subjects.service import get_subject
from prefcenter.vocabulary import SINGLE_LINE_PATTERN


class WidgetTokenController(Controller):
    path = "/v1/subjects/{subject_id:str}/widget-tokens"
    tags = ["auth"]

    @post("/", operation_id="createWidgetToken", guards=[requires("preferences:write")])
    async def create(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: Annotated[
            str,
            Parameter(description="The subject's prefcenter id", max_length=36, pattern=SINGLE_LINE_PATTERN),
        ],
        data: WidgetTokenCreate,
    ) -> WidgetTokenRead:
        """Mint a short-lived subject token for the widget: it can read and change this subject only."""
        if data.mode == "agent" and not data.agent_id:
            raise InvalidInput(
                "agent mode needs agent_id: the id of the agent recording on the customer's behalf"
            )
        async with ctx.db.read_session() as session:
            origin, site = await ensure_origin_allowed(session, ctx.settings, data.origin, data.site)
            subject = await get_subject(session, subject_id)
        if subject.erased_at is not None:
            raise InvalidInput("this subject was erased")
        token, ttl = ctx.tokens.subject_token(
            subject_id=subject_id,
            client_id=request.user.client_id,
            origin=origin,
            touchpoint=data.touchpoint or (site.touchpoint if site else None),
            mode=data.mode,
            agent_id=data.agent_id if data.mode == "agent" else None,
            ttl=data.ttl_seconds,
            agent_scopes=frozenset(
                s for s in AGENT_TOKEN_SCOPES if data.mode == "agent" and request.user.has_scope(s)
            ),
            site=site.key if site else None,
        )
        return WidgetTokenRead(
            token=token,
            subject_id=subject_id,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
            expires_in=ttl,
        )
