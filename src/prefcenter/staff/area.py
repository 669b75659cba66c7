"""What the staff area contributes: ``/v1/staff``, single sign-on for the console, and ``prefcenter staff``."""

from prefcenter.area_declaration import Area
from prefcenter.staff.cli import register

AREA = Area(
    name="staff",
    routes=["prefcenter.staff.routes:StaffController"],
    public_routes=["prefcenter.staff.routes:SsoController"],
    cli=register,
)
