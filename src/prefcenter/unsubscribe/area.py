"""What the unsubscribe area contributes: unsubscribe links (API) and one-click unsubscribe (public)."""

from prefcenter.area_declaration import Area
from prefcenter.unsubscribe.routes import OneClickUnsubscribeController, UnsubscribeLinkController

AREA = Area(
    name="unsubscribe",
    routes=[UnsubscribeLinkController],
    public_routes=[OneClickUnsubscribeController],  # the signed link is the credential
)
