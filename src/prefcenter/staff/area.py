"""What the staff area contributes: ``/v1/staff``, single sign-on for the console, and ``prefcenter staff``."""

from prefcenter.area_declaration import Area
from prefcenter.staff.cli import register
from prefcenter.staff.routes import SsoController, StaffController

AREA = Area(name="staff", routes=[StaffController], public_routes=[SsoController], cli=register)
