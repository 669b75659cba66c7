from __future__ import annotations

import msgspec
from litestar import get

from prefcenter.context import AppContext
from prefcenter.errors import DomainError


class Health(msgspec.Struct):
    status: str


class NotReady(DomainError):
    status, slug, title = 503, "not-ready", "Not ready"


@get("/health", operation_id="health", tags=["operations"])
async def health() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@get("/ready", operation_id="ready", tags=["operations"], responses={})
async def ready(ctx: AppContext) -> Health:
    """Readiness: the database answers."""
    try:
        await ctx.db.ping()
    except Exception as exc:  # any database failure means not ready
        raise NotReady(f"the database is not reachable ({type(exc).__name__})") from exc
    return Health(status="ready")
