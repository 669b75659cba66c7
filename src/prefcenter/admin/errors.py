"""The admin pages' one error path: what a page answers when signing in is needed, the role may not,
a form's CSRF token is wrong, or a service refuses (its problem's title and detail, as a page)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Request, Response
from litestar.response import Redirect

from prefcenter.admin.pages import message_page
from prefcenter.admin.session import CsrfRejected, LoginRequired, NotAllowed
from prefcenter.core.staff_permissions import PERMISSIONS
from prefcenter.errors import DomainError


def _login_required(request: Request, _exc: LoginRequired) -> Response:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    query = {"next": target} if request.method == "GET" and target != "/admin" else {}
    return Redirect("/admin/login" + ("?" + urlencode(query) if query else ""), status_code=303)


def _not_allowed(request: Request, exc: NotAllowed) -> Response:
    staff = request.scope.get("admin_staff")
    role = f"the {staff.role} role" if staff is not None else "your role"
    open_to = [f"{name}s" for name, actions in PERMISSIONS.items() if exc.action in actions]
    who = " and ".join(open_to[-2:]) if len(open_to) <= 2 else ", ".join(open_to[:-1]) + " and " + open_to[-1]
    onwards = (
        f"It is open to {who}: if your work needs it, ask an admin to change your role."
        if open_to
        else "No role may open it."
    )
    return message_page(
        "Not allowed",
        f"This page or action ({exc.action.replace('_', ' ')}) is not open to {role}. {onwards} "
        "The links at the top of the page are the parts of the console open to you.",
        staff,
        status=403,
    )


def _csrf_rejected(request: Request, _exc: CsrfRejected) -> Response:
    return message_page(
        "Form expired",
        "The form was missing its security token or it did not match your session. Reload the page and try again.",
        request.scope.get("admin_staff"),
        status=403,
    )


def _domain_error(request: Request, exc: DomainError) -> Response:
    return message_page(exc.title, exc.detail, request.scope.get("admin_staff"), status=exc.status)


EXCEPTION_HANDLERS = {
    LoginRequired: _login_required,
    NotAllowed: _not_allowed,
    CsrfRejected: _csrf_rejected,
    DomainError: _domain_error,
}
