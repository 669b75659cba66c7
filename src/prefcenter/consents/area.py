"""What the consents area contributes: the consents API, ``prefcenter consents`` and the expiry sweep."""

from prefcenter.area_declaration import Area
from prefcenter.consents.cli import register
from prefcenter.consents.routes import ConsentController, ProfileController
from prefcenter.consents.service import expire_due
from prefcenter.jobs.handlers import Sweep


async def _expire(ctx, worker_id: str) -> int:
    return await expire_due(ctx)


AREA = Area(
    name="consents",
    routes=[ConsentController, ProfileController],
    cli=register,
    sweeps=[Sweep("consents.expire", _expire)],  # lapsed consents and double opt-ins never confirmed
)
