"""The webhooks area's work for the job worker: its own delivery lane (new events fanned out to
deliveries, then due deliveries sent)."""

from prefcenter.jobs.handlers import Sweep
from prefcenter.webhooks.delivery import deliver_due
from prefcenter.webhooks.outbox import fan_out

DELIVERY_LANE = "webhooks"  # `prefcenter worker --no-webhooks` leaves this lane out


async def _fan_out(ctx, worker_id: str) -> int:
    return await fan_out(ctx)


SWEEPS = [
    Sweep("webhooks.fan_out", _fan_out, lane=DELIVERY_LANE),
    Sweep("webhooks.deliver", deliver_due, lane=DELIVERY_LANE),
]
