"""Email "manage my preferences" links: a long-lived, single-purpose signed token for one subject.

The token has its own audience (``prefcenter-manage``), so it is never accepted as an API bearer token;
the hosted page ``/p/{token}`` exchanges it for a normal short-lived subject token bound to that page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import msgspec
from litestar import Controller, Request, post
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput, NotFound
from prefcenter.store.models_sites import Site
from prefcenter.subjects.service import get_subject
from prefcenter.vocabulary import KEY_PATTERN, SINGLE_LINE_PATTERN

MANAGE_PURPOSE = "manage"


class ManageLinkRead(msgspec.Struct):
    url: str
    token: str
    subject_id: str
    expires_at: datetime


def manage_url(ctx: AppContext, subject_id: str, site: str | None = None) -> tuple[str, str, int]:
    """The link, its token and lifetime; ``site`` (a site key) brands the page it opens."""
    claims = {"site": site} if site else {}
    token, ttl = ctx.tokens.purpose_token(
        MANAGE_PURPOSE, subject_id, ctx.settings.widget.manage_link_ttl_seconds, **claims
    )
    return f"{ctx.settings.server.public_url}/p/{token}", token, ttl


class ManageLinkController(Controller):
    path = "/v1/subjects/{subject_id:str}/manage-links"
    tags = ["auth"]

    @post("/", operation_id="createManageLink", guards=[requires("preferences:write")])
    async def create(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: Annotated[
            str,
            Parameter(description="The subject's prefcenter id", max_length=36, pattern=SINGLE_LINE_PATTERN),
        ],
        site: Annotated[
            str | None,
            Parameter(
                description="The site the link belongs to (its key): the page shows that site's branding",
                max_length=40,
                pattern=KEY_PATTERN,
                required=False,
            ),
        ] = None,
    ) -> ManageLinkRead:
        """Mint a "manage my preferences" link for emails: it opens the widget for this subject only."""
        async with ctx.db.read_session() as session:
            subject = await get_subject(session, subject_id)
            if site is not None and await session.get(Site, site) is None:
                raise NotFound(f"no site {site}")
        if subject.erased_at is not None:
            raise InvalidInput("this subject was erased")
        url, token, ttl = manage_url(ctx, subject_id, site)
        return ManageLinkRead(
            url=url, token=token, subject_id=subject_id, expires_at=datetime.now(UTC) + timedelta(seconds=ttl)
        )
