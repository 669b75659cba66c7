"""What the interactions area contributes: a subject's contacts on any channel (API)."""

from prefcenter.area_declaration import Area
from prefcenter.interactions.routes import InteractionController

AREA = Area(name="interactions", routes=[InteractionController])
