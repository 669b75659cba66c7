"""What the auth area contributes: the token endpoint (public) and widget subject tokens (API)."""

from prefcenter.area_declaration import Area
from prefcenter.auth.routes import OAuthController, WidgetTokenController

AREA = Area(name="auth", routes=[WidgetTokenController], public_routes=[OAuthController])
