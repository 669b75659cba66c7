"""What the suppression area contributes: the suppression list and the change feed."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="suppression",
    routes=[
        "prefcenter.suppression.routes:SuppressionController",
        "prefcenter.suppression.routes:ChangeFeedController",
    ],
)
