"""What the webhooks area contributes: downstream systems (API) and the
delivery lane of the worker (new events fanned out to deliveries, then due deliveries sent)."""

from prefcenter.area_declaration import Area
from prefcenter.jobs.handlers import Sweep
from prefcenter.webhooks.delivery import deliver_due
from prefcenter.webhooks.outbox import fan_out
from prefcenter.webhooks.routes import DownstreamSystemController

DELIVERY_LANE = "webhooks"  # `prefcenter worker --no-webhooks` leaves this lane out


async def _fan_out(ctx, worker_id: str) -> int:
    return await fan_out(ctx)


AREA = Area(
    name="webhooks",
    routes=[DownstreamSystemController],
    sweeps=[
        Sweep("webhooks.fan_out", _fan_out, lane=DELIVERY_LANE),
        Sweep("webhooks.deliver", deliver_due, lane=DELIVERY_LANE),
    ],
)
