"""What the DSR area contributes: the DSR API, export downloads (public), ``prefcenter dsr``, the erasure,
export and action jobs (a job out of attempts fails its request) the deadline sweep and
the acknowledgements of downstream systems."""

from prefcenter.area_declaration import Area
from prefcenter.dsr.cli import register

AREA = Area(
    name="dsr",
    routes=["prefcenter.dsr.routes:DsrController", "prefcenter.dsr.routes:LegalHoldController"],
    # the signed, expiring link is the credential; acknowledgements are signed with the system's secret
    public_routes=[
        "prefcenter.dsr.routes:ExportDownloadController",
        "prefcenter.dsr.acknowledgements:TaskAckController",
    ],
    cli=register,
    job_handlers="prefcenter.dsr.jobs:HANDLERS",
    sweeps="prefcenter.dsr.jobs:SWEEPS",
)
