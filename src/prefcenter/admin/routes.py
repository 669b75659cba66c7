"""``/admin``: the staff console, server-rendered (a staff member's cookie session, CSRF-checked forms).

Every page and action asks ``core.staff_permissions.may`` for the signed-in person's role (a refusal is a 403
page); every change goes through the areas' services with that person as actor (``staff:<id>``); these pages
only read, render and redirect. One controller per concern; their errors take the one path in
``admin/errors.py``.
"""

from __future__ import annotations

from litestar import Router

from prefcenter.admin.audit_pages import AuditPagesController
from prefcenter.admin.catalog_pages import CatalogPagesController
from prefcenter.admin.dashboard import DashboardController
from prefcenter.admin.dsr_pages import DsrPagesController
from prefcenter.admin.errors import EXCEPTION_HANDLERS
from prefcenter.admin.insights_pages import InsightsPagesController
from prefcenter.admin.password_pages import SetPasswordController
from prefcenter.admin.person_pages import PersonPagesController
from prefcenter.admin.settings_pages import SettingsPagesController
from prefcenter.admin.sign_in import SignInController
from prefcenter.admin.staff_pages import StaffPagesController
from prefcenter.admin.systems_pages import SystemsPagesController

ADMIN_CONTROLLERS = [
    SignInController,
    SetPasswordController,
    DashboardController,
    PersonPagesController,
    DsrPagesController,
    AuditPagesController,
    InsightsPagesController,
    CatalogPagesController,
    SystemsPagesController,
    StaffPagesController,
    SettingsPagesController,
]

admin_router = Router(
    path="/admin",
    route_handlers=ADMIN_CONTROLLERS,
    exception_handlers=EXCEPTION_HANDLERS,
    include_in_schema=False,
)

__all__ = ["admin_router"]
