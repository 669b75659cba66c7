"""Which officer actions apply to a GDPR request in its state: one pure rule for the API, the CLI and the
admin pages.

``refusal`` says why an action does not apply to a request's state (the ``Conflict`` the services raise,
so every caller gets the same answer); ``allowed_actions`` is what an actor may do with a request now:
the actions the state permits and the actor's permissions cover. The admin pages offer exactly these
forms; the services refuse anything else with ``refusal``'s error. Staff roles plug in as another
``Permissions`` (anything that answers ``has_scope``), e.g. a role mapped to the scopes it holds.
"""

from __future__ import annotations

from typing import Literal, Protocol

from prefcenter.errors import Conflict

DsrAction = Literal["verify", "extend", "cancel", "retry", "complete", "note", "export_link"]
# In the order the admin page shows them.
ACTIONS: tuple[DsrAction, ...] = ("verify", "extend", "cancel", "retry", "complete", "note", "export_link")
# The permission each action needs (the API's scope for DSR work).
REQUIRED_SCOPE: dict[DsrAction, str] = dict.fromkeys(ACTIONS, "dsr:manage")

OPEN = ("received", "verified", "in_progress", "waiting_on_systems")
FINAL = ("completed", "rejected", "failed")


class RequestState(Protocol):
    """What the rule reads from a request (the stored row or its ``DsrRead``)."""

    @property
    def status(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def extended_months(self) -> int: ...


class Permissions(Protocol):
    """Who acts: an API client's or officer's ``Principal``, the CLI's operator, later a staff member."""

    def has_scope(self, scope: str) -> bool: ...


class Operator:
    """The person at the command line: the CLI runs with the server's keys, so every action is theirs."""

    def has_scope(self, scope: str) -> bool:
        return True


OPERATOR = Operator()


def refusal(request: RequestState, action: DsrAction, *, has_export: bool = False) -> Conflict | None:
    """Why ``action`` does not apply to ``request`` in its state, or ``None`` when it does."""
    status = request.status
    if action == "verify" and status != "received":
        return Conflict(
            f"the request is {status}, not received; it cannot be verified again", reason="status"
        )
    if action == "extend":
        if status in FINAL:
            return Conflict(
                f"the request is {status}; a closed request has no deadline to extend", reason="status"
            )
        if request.extended_months:
            return Conflict(
                f"the deadline was extended already (by {request.extended_months} month(s)); "
                "it can be extended once",
                reason="already_extended",
            )
    if action == "cancel" and not (
        status in ("received", "verified", "failed")
        or (status == "in_progress" and request.type == "rectification")
    ):
        return Conflict(
            f"the request is {status}; only a received, verified or failed request can be cancelled",
            reason="status",
        )
    if action == "retry" and status != "failed":
        return Conflict(f"the request is {status}; only a failed request can be retried", reason="status")
    if action == "complete" and not (request.type == "rectification" and status == "in_progress"):
        return Conflict("only a rectification in progress is completed by an officer", reason="status")
    if action == "export_link" and not has_export:
        return Conflict(f"the request is {status}; there is no export to download (yet)", reason="no_export")
    return None


def allowed_actions(
    request: RequestState, actor: Permissions, *, has_export: bool = False
) -> tuple[DsrAction, ...]:
    """The actions ``actor`` may take on ``request`` now, in display order."""
    return tuple(
        action
        for action in ACTIONS
        if actor.has_scope(REQUIRED_SCOPE[action]) and refusal(request, action, has_export=has_export) is None
    )


def ensure_allowed(request: RequestState, action: DsrAction) -> None:
    """Raise the ``Conflict`` when ``action`` does not apply to ``request``'s state."""
    problem = refusal(request, action)
    if problem is not None:
        raise problem
