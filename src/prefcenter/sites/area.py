"""What the sites area contributes: the sites API and ``prefcenter sites``."""

from prefcenter.area_declaration import Area
from prefcenter.sites.cli import register

AREA = Area(name="sites", routes=["prefcenter.sites.routes:SiteController"], cli=register)
