"""What the link revocations area contributes: revoking signed links (API)."""

from prefcenter.area_declaration import Area

AREA = Area(name="link_revocations", routes=["prefcenter.link_revocations.routes:LinkRevocationController"])
