"""What the web area contributes: the widget bundle and hosted pages (public), widget subject tokens and
manage links (API)."""

from prefcenter.area_declaration import Area
from prefcenter.web.links import ManageLinkController
from prefcenter.web.routes import PageController, WidgetAssetController
from prefcenter.web.widget_tokens import WidgetTokenController

AREA = Area(
    name="web",
    routes=[WidgetTokenController, ManageLinkController],
    public_routes=[WidgetAssetController, PageController],
)
