"""What the catalog area contributes: the catalog API and ``prefcenter catalog check-translations``."""

from prefcenter.area_declaration import Area
from prefcenter.catalog.cli import register

AREA = Area(name="catalog", routes=["prefcenter.catalog.routes:CatalogController"], cli=register)
