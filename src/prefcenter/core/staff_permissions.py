"""What each staff role may do in the console, pure: one table, one function (issue 11's role table).

Every admin page and action asks ``may(role, action)`` before it reads or changes anything; a refusal is a
403 page. Unknown roles and unknown actions are refused (fail closed).

| action                                                     | agent | officer | analyst | admin |
|------------------------------------------------------------|-------|---------|---------|-------|
| find_person, view_person, record_for_person                | yes   | yes     | no      | no    |
| reveal_identity (a reason is required)                     | no    | yes     | no      | no    |
| dsr, legal_hold, export, audit                             | no    | yes     | no      | no    |
| insights (aggregates only)                                 | no    | yes     | yes     | yes   |
| catalog, sites, clients, staff, systems (downstream)       | no    | no      | no      | yes   |

``console`` (the home page, sign-out, one's own settings) is every role's.
"""

from __future__ import annotations

from typing import Literal, get_args

StaffAction = Literal[
    "console",
    "find_person",
    "view_person",
    "record_for_person",
    "reveal_identity",
    "dsr",
    "legal_hold",
    "export",
    "audit",
    "insights",
    "catalog",
    "sites",
    "clients",
    "staff",
    "systems",
]
ACTIONS: tuple[str, ...] = get_args(StaffAction)

_PERSON = frozenset({"find_person", "view_person", "record_for_person"})
_OFFICER_ONLY = frozenset({"reveal_identity", "dsr", "legal_hold", "export", "audit"})
_ADMIN_ONLY = frozenset({"catalog", "sites", "clients", "staff", "systems"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "agent": frozenset({"console"}) | _PERSON,
    "officer": frozenset({"console", "insights"}) | _PERSON | _OFFICER_ONLY,
    "analyst": frozenset({"console", "insights"}),
    "admin": frozenset({"console", "insights"}) | _ADMIN_ONLY,
}


def may(role: str | None, action: str) -> bool:
    """True when a person with ``role`` may take ``action`` in the console; unknown role or action: False."""
    return role is not None and action in PERMISSIONS.get(role, frozenset())


def allowed_actions(role: str | None) -> frozenset[str]:
    """Every action ``role`` may take (the navigation shows only these)."""
    return PERMISSIONS.get(role or "", frozenset())
