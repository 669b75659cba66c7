"""What the link revocations area contributes: revoking signed links (API)."""

from prefcenter.area_declaration import Area
from prefcenter.link_revocations.routes import LinkRevocationController

AREA = Area(name="link_revocations", routes=[LinkRevocationController])
