"""What the auth area contributes: the token endpoint (public). Widget subject tokens are minted in web/."""

from prefcenter.area_declaration import Area

AREA = Area(name="auth", public_routes=["prefcenter.auth.routes:OAuthController"])
