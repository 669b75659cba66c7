"""``/admin``: server-rendered pages for compliance officers (cookie session, CSRF-checked forms).

Every change goes through the areas' services with the officer's client as actor (``client:<id>``), the
same actor the API records for that client; these pages only read, render and redirect. One controller
per concern; their errors take the one path in ``admin/errors.py``.
"""

from __future__ import annotations

from litestar import Router

from prefcenter.admin.audit_pages import AuditPagesController
from prefcenter.admin.catalog_pages import CatalogPagesController
from prefcenter.admin.dashboard import DashboardController
from prefcenter.admin.dsr_pages import DsrPagesController
from prefcenter.admin.errors import EXCEPTION_HANDLERS
from prefcenter.admin.sign_in import SignInController
from prefcenter.admin.systems_pages import SystemsPagesController

ADMIN_CONTROLLERS = [
    SignInController,
    DashboardController,
    DsrPagesController,
    AuditPagesController,
    CatalogPagesController,
    SystemsPagesController,
]

admin_router = Router(
    path="/admin",
    route_handlers=ADMIN_CONTROLLERS,
    exception_handlers=EXCEPTION_HANDLERS,
    include_in_schema=False,
)

__all__ = ["admin_router"]
