"""What the privacy center contributes: its public API and pages, its bundle, and the sweep that keeps
the person informed (receipt, extension, completion) and shreds addresses whose time is up."""

from prefcenter.area_declaration import Area

AREA = Area(
    name="privacy",
    public_routes=[
        "prefcenter.privacy.routes:PrivacyRequestController",
        "prefcenter.privacy.routes:PrivacyPageController",
        "prefcenter.privacy.routes:PrivacyAssetController",
    ],
    sweeps="prefcenter.privacy.jobs:SWEEPS",
)
