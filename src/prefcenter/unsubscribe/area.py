"""What the unsubscribe area contributes: unsubscribe links (API) and one-click unsubscribe (public)."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="unsubscribe",
    routes=["prefcenter.unsubscribe.routes:UnsubscribeLinkController"],
    public_routes=[
        "prefcenter.unsubscribe.routes:OneClickUnsubscribeController"
    ],  # the signed link is the credential
)
