"""How an admin page is answered: a template from ``templates/`` in the admin layout (its nav shows only
what the person's role may do, ``core.staff_permissions``), with headers that keep it out of caches and frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from litestar.datastructures import Cookie
from litestar.response import Template

from prefcenter.admin.session import SignedInStaff
from prefcenter.http.pages import page


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    action: str  # what the person's role must be allowed (core.staff_permissions) to see it
    purpose: str = ""  # what it is for, as the dashboard lists it


NAV = (
    NavLink("/admin", "Dashboard", "console"),
    NavLink(
        "/admin/subjects",
        "People",
        "find_person",
        "Find a person by email, phone or id; see their preferences, consents and history, and record a "
        "contact, a preference change or a verbal consent for them.",
    ),
    NavLink(
        "/admin/dsr",
        "GDPR requests",
        "dsr",
        "Record, verify and follow requests for access, erasure and more.",
    ),
    NavLink("/admin/audit", "Audit log", "audit", "Check the tamper-evident log and sign a checkpoint."),
    NavLink(
        "/admin/insights", "Insights", "insights", "Opt-in rates, reach, feedback and requests, in aggregate."
    ),
    NavLink(
        "/admin/catalog", "Catalog", "catalog", "The channels, topics and notices customers choose from."
    ),
    NavLink(
        "/admin/systems",
        "Downstream systems",
        "systems",
        "The systems that receive changes, and deliveries that failed.",
    ),
    NavLink("/admin/staff", "Staff", "staff", "Add people to the console, give them roles, disable them."),
)
FRAME_HEADERS = {"X-Frame-Options": "DENY"}


def admin_page(
    template: str,
    staff: SignedInStaff | None,
    *,
    title: str,
    current: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
    cookies: Sequence[Cookie] | None = None,
    **context: object,
) -> Template:
    """``admin/<template>`` for ``staff`` (None on the sign-in pages: no nav). Templates show moments in the
    person's own time zone (``zone``, a per-person setting on ``/admin/me``; UTC before sign-in)."""
    links = [link for link in NAV if staff.may(link.action)] if staff else []
    return page(
        f"admin/{template}",
        status=status,
        headers={**FRAME_HEADERS, **(headers or {})},
        cookies=cookies,
        title=title,
        staff=staff,
        nav_links=links,
        current=current,
        zone=staff.time_zone if staff else "UTC",
        **context,
    )


def message_page(
    heading: str,
    text: str,
    staff: SignedInStaff | None,
    *,
    status: int,
    back: str = "/admin",
    back_label: str = "Back to the dashboard",
) -> Template:
    return admin_page(
        "message.html",
        staff,
        title=heading,
        status=status,
        heading=heading,
        text=text,
        back=back,
        back_label=back_label,
    )
