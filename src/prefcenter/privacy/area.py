"""What the privacy center contributes: its public API and pages, its bundle, and the sweep that keeps
the person informed (receipt, extension, completion) and shreds addresses whose time is up."""

from prefcenter.area_declaration import Area
from prefcenter.jobs.handlers import Sweep
from prefcenter.privacy.notices import sweep
from prefcenter.privacy.routes import PrivacyAssetController, PrivacyPageController, PrivacyRequestController

AREA = Area(
    name="privacy",
    public_routes=[PrivacyRequestController, PrivacyPageController, PrivacyAssetController],
    sweeps=[Sweep("privacy.notices", sweep)],
)
