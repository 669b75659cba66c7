"""What the suppression area contributes: the suppression list and the change feed."""

from prefcenter.area_declaration import Area
from prefcenter.suppression.routes import ChangeFeedController, SuppressionController

AREA = Area(name="suppression", routes=[SuppressionController, ChangeFeedController])
