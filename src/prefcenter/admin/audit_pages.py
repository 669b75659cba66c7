"""``/admin/audit``: the whole chain and its checkpoints verified now; sign a checkpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import structlog
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin import service as queries
from prefcenter.admin.forms import read_form
from prefcenter.admin.pages import admin_page
from prefcenter.admin.session import signed_in
from prefcenter.audit import service as audit
from prefcenter.context import AppContext
from prefcenter.vocabulary import SINGLE_LINE_PATTERN

log = structlog.get_logger("prefcenter.admin")

Query = Annotated[str | None, Parameter(max_length=200, pattern=SINGLE_LINE_PATTERN)]


class AuditPagesController(Controller):
    path = "/audit"

    @get("/", operation_id="adminAudit")
    async def audit_page(self, ctx: AppContext, request: Request, done: Query = None) -> Response:
        """The whole chain and its checkpoints verified now; sign a checkpoint."""
        staff = await signed_in(ctx, request, "audit")
        async with ctx.db.read_session() as session:
            result = await audit.verify_log(session, ctx.keys)
            checkpoints = await queries.recent_checkpoints(session)
        return admin_page(
            "audit.html",
            staff,
            title="Audit log",
            current="/admin/audit",
            flash="A checkpoint of the current head is signed." if done == "checkpoint" else None,
            verification=result,
            checkpoints=checkpoints,
            # stored as the RFC 3339 text that was signed; shown in the person's time zone
            signed_at={c.seq: datetime.fromisoformat(c.signed_at) for c in checkpoints},
        )

    @post("/checkpoint", operation_id="adminAuditCheckpoint", status_code=303)
    async def audit_checkpoint(self, ctx: AppContext, request: Request) -> Response:
        """Sign a checkpoint of the current head now."""
        staff = await signed_in(ctx, request, "audit")
        await read_form(request, staff)
        async with ctx.unit_of_work() as uow:
            await uow.checkpoint_now()
        log.info("admin.checkpoint", staff_id=staff.staff_id)
        return Redirect("/admin/audit?done=checkpoint", status_code=303)
