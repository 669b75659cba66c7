"""What the admin area contributes: the /admin pages (public routes: their own cookie session, not bearer tokens)."""

from prefcenter.area_declaration import Area

AREA = Area(name="admin", public_routes=["prefcenter.admin.routes:admin_router"])
