"""How an admin page is answered: a template from ``templates/`` in the admin layout (its nav shows only
what the officer's scopes reach), with headers that keep it out of caches and frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from litestar.datastructures import Cookie
from litestar.response import Template

from prefcenter.admin.session import Officer
from prefcenter.http.pages import page


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    scope: str | None  # the scope an officer needs to see it; None: every officer


NAV = (
    NavLink("/admin", "Dashboard", None),
    NavLink("/admin/dsr", "GDPR requests", "dsr:manage"),
    NavLink("/admin/audit", "Audit log", "audit:read"),
    NavLink("/admin/catalog", "Catalog", None),
    NavLink("/admin/systems", "Downstream systems", "admin"),
)
FRAME_HEADERS = {"X-Frame-Options": "DENY"}


def admin_page(
    template: str,
    officer: Officer | None,
    *,
    title: str,
    current: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
    cookies: Sequence[Cookie] | None = None,
    **context: object,
) -> Template:
    """``admin/<template>`` for ``officer`` (None on the sign-in page: no nav)."""
    links = [link for link in NAV if link.scope is None or officer.can(link.scope)] if officer else []
    return page(
        f"admin/{template}",
        status=status,
        headers={**FRAME_HEADERS, **(headers or {})},
        cookies=cookies,
        title=title,
        officer=officer,
        nav_links=links,
        current=current,
        **context,
    )


def message_page(
    heading: str,
    text: str,
    officer: Officer | None,
    *,
    status: int,
    back: str = "/admin",
    back_label: str = "Back to the dashboard",
) -> Template:
    return admin_page(
        "message.html",
        officer,
        title=heading,
        status=status,
        heading=heading,
        text=text,
        back=back,
        back_label=back_label,
    )
