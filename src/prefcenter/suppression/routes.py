from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.errors import Forbidden, InvalidInput
from prefcenter.http.openapi import ANSWERS_OPT
from prefcenter.store.projections import projection_reader
from prefcenter.suppression import service
from prefcenter.suppression.schemas import ChangesRead
from prefcenter.vocabulary import Key, TopicKey

PLAIN_SCOPE = "preferences:read"


class SuppressionController(Controller):
    path = "/v1/suppressions"
    tags = ["suppression"]
    guards = [requires("consent:check")]

    @get("/", operation_id="exportSuppressions", opt={ANSWERS_OPT: ("text/csv", "application/x-ndjson")})
    async def export(
        self,
        ctx: AppContext,
        request: Request,
        channel: Annotated[Key, Parameter(description="The channel the list is for, e.g. `email`")],
        topic: Annotated[TopicKey, Parameter(description="The topic, e.g. `newsletter`")],
        format: Annotated[Literal["csv", "ndjson"], Parameter(description="`csv` or `ndjson`")] = "csv",
        identities: Annotated[
            Literal["sha256", "plain"],
            Parameter(
                description="`sha256` of the normalised value, or `plain` (needs `preferences:read` too)"
            ),
        ] = "sha256",
    ) -> Stream:
        """Identities that must not receive this channel/topic, streamed, for an email or SMS provider."""
        hashed = identities == "sha256"
        if not hashed and not request.user.has_scope(PLAIN_SCOPE):
            raise Forbidden(f"plain identities need the scope {PLAIN_SCOPE}; ask for identities=sha256")
        # validate before the first byte goes out, so errors stay problem+json
        catalog = await projection_reader(ctx.db).catalog()
        if channel not in service.CHANNEL_IDENTITY_KINDS:
            raise InvalidInput(f"no identity kind reaches channel {channel}")
        if channel not in catalog.channels or topic not in catalog.topics:
            raise InvalidInput("unknown channel or topic")
        # text/* types get "; charset=utf-8" from Litestar (naming it here too sent it twice)
        media = "text/csv" if format == "csv" else "application/x-ndjson"
        return Stream(
            service.export_lines(ctx, channel, topic, hashed, format),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="suppress-{channel}-{topic}.{format}"'},
        )


class ChangeFeedController(Controller):
    path = "/v1/changes"
    tags = ["suppression"]
    guards = [requires("consent:check")]

    @get("/", operation_id="listChanges")
    async def list_changes(
        self,
        ctx: AppContext,
        request: Request,
        after: Annotated[
            str | None,
            Parameter(
                description="Cursor from the previous page; empty for the start",
                max_length=18,
                pattern=r"^[0-9]*(?!\n)$",
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000, description="Page size")] = 500,
    ) -> ChangesRead:
        """Preference, consent and erasure changes in log order, so downstream systems stay in sync."""
        return await service.changes(ctx, after, limit)
