"""What the catalog area contributes: the catalog API."""

from prefcenter.area_declaration import Area
from prefcenter.catalog.routes import CatalogController

AREA = Area(name="catalog", routes=[CatalogController])
