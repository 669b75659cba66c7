"""The one list of the product's areas, in their one-way order (an area imports only areas before it).

The app mounts their routes, the CLI registers their commands and the worker runs their job handlers
and sweeps, all from this list (each area declares its part in its own ``area.py``)."""

from prefcenter.admin.area import AREA as ADMIN
from prefcenter.area_declaration import Area
from prefcenter.audit.area import AREA as AUDIT
from prefcenter.auth.area import AREA as AUTH
from prefcenter.catalog.area import AREA as CATALOG
from prefcenter.checks.area import AREA as CHECKS
from prefcenter.consents.area import AREA as CONSENTS
from prefcenter.dsr.area import AREA as DSR
from prefcenter.feedback.area import AREA as FEEDBACK
from prefcenter.imports.area import AREA as IMPORTS
from prefcenter.insights.area import AREA as INSIGHTS
from prefcenter.interactions.area import AREA as INTERACTIONS
from prefcenter.link_revocations.area import AREA as LINK_REVOCATIONS
from prefcenter.privacy.area import AREA as PRIVACY
from prefcenter.sites.area import AREA as SITES
from prefcenter.staff.area import AREA as STAFF
from prefcenter.subjects.area import AREA as SUBJECTS
from prefcenter.suppression.area import AREA as SUPPRESSION
from prefcenter.unsubscribe.area import AREA as UNSUBSCRIBE
from prefcenter.web.area import AREA as WEB
from prefcenter.webhooks.area import AREA as WEBHOOKS

AREAS: tuple[Area, ...] = (
    AUTH,
    STAFF,
    SITES,
    CATALOG,
    SUBJECTS,
    CONSENTS,
    CHECKS,
    SUPPRESSION,
    UNSUBSCRIBE,
    IMPORTS,
    AUDIT,
    INTERACTIONS,
    FEEDBACK,
    WEBHOOKS,
    DSR,
    INSIGHTS,
    PRIVACY,
    WEB,
    ADMIN,
    LINK_REVOCATIONS,
)
