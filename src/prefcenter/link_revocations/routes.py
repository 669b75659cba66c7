from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, post
from litestar.params import Parameter

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.link_revocations import service
from prefcenter.link_revocations.schemas import LinkRevocationRead


class LinkRevocationController(Controller):
    path = "/v1/subjects/{subject_id:str}/link-revocations"
    tags = ["auth"]

    @post("/", operation_id="revokeSubjectLinks", status_code=201, guards=[requires("preferences:write")])
    async def revoke(
        self,
        ctx: AppContext,
        request: Request,
        subject_id: Annotated[
            str, Parameter(description="The subject's prefcenter id (UUID)", max_length=36)
        ],
    ) -> LinkRevocationRead:
        """Revoke every unsubscribe, manage and confirm link minted for this subject before now (410 from then on)."""
        async with ctx.unit_of_work() as uow:
            subject = await service.revoke_links(uow, request.user.actor, subject_id)
            not_before = subject.links_not_before
        assert not_before is not None
        return LinkRevocationRead(subject_id=subject_id, links_not_before=not_before)
