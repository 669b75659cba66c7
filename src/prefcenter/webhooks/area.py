"""What the webhooks area contributes: downstream systems (API) and the
delivery lane of the worker (new events fanned out to deliveries, then due deliveries sent)."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="webhooks",
    routes=["prefcenter.webhooks.routes:DownstreamSystemController"],
    sweeps="prefcenter.webhooks.jobs:SWEEPS",
)
