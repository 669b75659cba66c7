"""What the web area contributes: the widget bundle and hosted pages (public) and manage links (API)."""

from prefcenter.area_declaration import Area
from prefcenter.web.links import ManageLinkController
from prefcenter.web.routes import PageController, WidgetAssetController

AREA = Area(name="web", routes=[ManageLinkController], public_routes=[WidgetAssetController, PageController])
