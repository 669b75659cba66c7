from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.catalog import service
from prefcenter.catalog.schemas import (
    CatalogRead,
    ChannelRead,
    ChannelWrite,
    NoticeRead,
    NoticeWrite,
    TopicGroupRead,
    TopicGroupWrite,
    TopicRead,
    TopicWrite,
)
from prefcenter.context import AppContext
from prefcenter.i18n import DEFAULT_LOCALE
from prefcenter.store.projections import projection_reader
from prefcenter.vocabulary import KEY_PATTERN, Key, Language, TopicKey

# Litestar does not apply msgspec Meta constraints to path parameters: the Parameter repeats them.
KeyParam = Annotated[
    Key, Parameter(description="Channel key, e.g. `email`", pattern=KEY_PATTERN, max_length=40)
]
TopicParam = Annotated[
    TopicKey, Parameter(description="Topic key, e.g. `newsletter`", pattern=KEY_PATTERN, max_length=60)
]

LocaleParam = Annotated[
    Language | None,
    Parameter(
        description="Texts in this language, e.g. `de`; a text without a translation is the default one",
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        max_length=16,
    ),
]
"""The catalog's ``?locale=``, also taken by the preference center answer (``consents/routes.py``)."""


class CatalogController(Controller):
    path = "/v1/catalog"
    tags = ["catalog"]

    @get("/", operation_id="getCatalog", guards=[requires("preferences:read", subject_token=True)])
    async def get_catalog(
        self,
        ctx: AppContext,
        locale: LocaleParam = None,
    ) -> CatalogRead:
        """The company's channels and topics, each topic with its current notice, in the asked language."""
        return await service.current_catalog(
            ctx.db, projection_reader(ctx.db), ctx.settings.company.name, locale or DEFAULT_LOCALE
        )

    @put("/channels/{key:str}", operation_id="putChannel", guards=[requires("admin")])
    async def put_channel(
        self, ctx: AppContext, request: Request, key: KeyParam, data: ChannelWrite
    ) -> ChannelRead:
        """Create or replace a channel."""
        async with ctx.unit_of_work() as uow:
            return await service.put_channel(uow, request.user.actor, key, data)

    @put("/groups/{key:str}", operation_id="putTopicGroup", guards=[requires("admin")])
    async def put_group(
        self, ctx: AppContext, request: Request, key: KeyParam, data: TopicGroupWrite
    ) -> TopicGroupRead:
        """Create or replace a topic group (a heading in the preference center) with its translated names."""
        async with ctx.unit_of_work() as uow:
            return await service.put_group(uow, request.user.actor, key, data)

    @put("/topics/{key:str}", operation_id="putTopic", guards=[requires("admin")])
    async def put_topic(
        self, ctx: AppContext, request: Request, key: TopicParam, data: TopicWrite
    ) -> TopicRead:
        """Create or replace a topic (purpose) with its legal basis and allowed channels."""
        async with ctx.unit_of_work() as uow:
            return await service.put_topic(uow, request.user.actor, key, data)

    @post("/topics/{key:str}/notices", operation_id="publishNotice", guards=[requires("admin")])
    async def publish_notice(
        self, ctx: AppContext, request: Request, key: TopicParam, data: NoticeWrite
    ) -> NoticeRead:
        """Publish a new version of a topic's notice (the text shown when consent is asked)."""
        async with ctx.unit_of_work() as uow:
            return await service.add_notice(uow, request.user.actor, key, data)

    @get("/topics/{key:str}/notices", operation_id="listNotices", guards=[requires("preferences:read")])
    async def list_notices(self, ctx: AppContext, key: TopicParam) -> list[NoticeRead]:
        """Every published version of a topic's notice, oldest first."""
        async with ctx.db.read_session() as session:
            return await service.list_notices(session, key)
