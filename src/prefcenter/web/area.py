"""What the web area contributes: the widget bundle and hosted pages (public), widget subject tokens and
manage links (API)."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="web",
    routes=[
        "prefcenter.web.widget_tokens:WidgetTokenController",
        "prefcenter.web.links:ManageLinkController",
    ],
    public_routes=["prefcenter.web.routes:WidgetAssetController", "prefcenter.web.routes:PageController"],
)
