"""What the interactions area contributes: a subject's contacts on any channel (API)."""

from prefcenter.area_declaration import Area

AREA = Area(name="interactions", routes=["prefcenter.interactions.routes:InteractionController"])
