"""What the consents area contributes: the consents API, ``prefcenter consents`` and the expiry sweep."""

from prefcenter.area_declaration import Area
from prefcenter.consents.cli import register

AREA = Area(
    name="consents",
    routes=["prefcenter.consents.routes:ConsentController", "prefcenter.consents.routes:ProfileController"],
    cli=register,
    sweeps="prefcenter.consents.jobs:SWEEPS",
)
