"""What the insights area contributes: ``GET /v1/insights/{metric}`` and the sweeps that keep its rollups
(events folded after a watermark; the reachable audience recounted every few minutes)."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="insights",
    routes=["prefcenter.insights.routes:InsightsController"],
    sweeps="prefcenter.insights.jobs:SWEEPS",
)
