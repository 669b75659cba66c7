"""What the imports area contributes: ``prefcenter import``."""

from prefcenter.area_declaration import Area
from prefcenter.imports.cli import register

AREA = Area(name="imports", cli=register)
