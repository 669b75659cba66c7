"""``/admin/dsr``: GDPR requests listed, recorded and worked on through the DSR services, by officers (the
``dsr`` and ``export`` permissions of ``core.staff_permissions``), with the signed-in person as actor
(``staff:<id>``). The actions offered are ``dsr.actions.allowed_actions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, get_args
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin.forms import explain_invalid, read_form, required_text
from prefcenter.admin.pages import admin_page, message_page
from prefcenter.admin.session import NotAllowed, SignedInStaff, signed_in
from prefcenter.context import AppContext
from prefcenter.core.labels import readable
from prefcenter.dsr import deadlines, intake, lifecycle, reads, verification
from prefcenter.dsr import export as exports
from prefcenter.dsr.actions import allowed_actions
from prefcenter.dsr.schemas import DsrCreate, DsrStatus, DsrType
from prefcenter.errors import DomainError, InvalidInput
from prefcenter.staff import service as staff_accounts
from prefcenter.subjects import people
from prefcenter.vocabulary import SINGLE_LINE_PATTERN, Touchpoint

STATUSES = get_args(DsrStatus)
TYPES = get_args(DsrType)
TOUCHPOINTS = get_args(Touchpoint)
RequestId = Annotated[str, Parameter(max_length=36, pattern=SINGLE_LINE_PATTERN)]
Query = Annotated[str | None, Parameter(max_length=200, pattern=SINGLE_LINE_PATTERN)]
PAGE_SIZE = 50
# The new-request form's fields as its page labels them (with the hint, after a colon).
NEW_REQUEST_LABELS = {
    "type": "Type of request",
    "subject_id": "Subject id: prefcenter's id, a UUID",
    "external_id": "External id: your customer number",
    "identity": "Identity: kind:value, e.g. email:ann@example.com",
    "note": "Note",
    "touchpoint": "Received through",
}

DONE = {
    "created": "The request was recorded.",
    "linked": "An open request of this type exists for the person; the new one was linked to it.",
    "verified": "Identity verified; the request's work was queued.",
    "extended": "The deadline was extended.",
    "cancelled": "The request was cancelled.",
    "retried": "The request was queued again.",
    "noted": "Your note was added to the history.",
    "completed": "The request was completed.",
}


@dataclass(frozen=True)
class RolePermissions:
    """The DSR rule's ``Permissions`` for a signed-in person: the API's DSR scope is the ``dsr`` permission."""

    staff: SignedInStaff

    def has_scope(self, scope: str) -> bool:
        return scope == "dsr:manage" and self.staff.may("dsr")


def _see(request_id: str, done: str) -> Redirect:
    return Redirect(f"/admin/dsr/{request_id}?done={done}", status_code=303)


def _new_request_page(
    staff: SignedInStaff, form: dict[str, str], error: str | None, status: int = 200
) -> Response:
    return admin_page(
        "dsr_new.html",
        staff,
        title="Record a GDPR request",
        current="/admin/dsr",
        status=status,
        error=error,
        form=form,
        type_choices=[(t, readable(t)) for t in TYPES],
        touchpoint_choices=[(t, readable(t)) for t in TOUCHPOINTS],
    )


async def _detail_page(
    ctx: AppContext,
    staff: SignedInStaff,
    request_id: str,
    *,
    flash: str | None = None,
    error: str | None = None,
    new_link: dict[str, object] | None = None,
    status: int = 200,
) -> Response:
    async with ctx.db.read_session() as session:
        r = await reads.read_request(session, request_id)
        shown = await people.people_shown(session, ctx.keys, [r.subject_id] if r.subject_id else [])
        staff_names = {member.id: member.name for member in await staff_accounts.list_staff(session)}
    return admin_page(
        "dsr_detail.html",
        staff,
        title=f"{readable(r.type)} request {r.id[:8]}",
        current="/admin/dsr",
        status=status,
        r=r,
        people=shown,
        staff_names=staff_names,
        actions=[
            a
            for a in allowed_actions(r, RolePermissions(staff), has_export=r.export is not None)
            if a != "export_link" or staff.may("export")
        ],
        max_extension_reason=deadlines.MAX_EXTENSION_REASON,
        flash=flash,
        error=error,
        new_link=new_link,
    )


class DsrPagesController(Controller):
    path = "/dsr"

    @get("/", operation_id="adminDsrList")
    async def dsr_list(
        self,
        ctx: AppContext,
        request: Request,
        status: Query = None,
        type: Query = None,
        overdue: Query = None,
        cursor: Query = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = PAGE_SIZE,
    ) -> Response:
        """Requests, newest first, filtered, cursor-paged."""
        staff = await signed_in(ctx, request, "dsr")
        status, type, overdue = status or None, type or None, overdue or None
        if (
            status not in (None, *STATUSES)
            or type not in (None, *TYPES)
            or overdue not in (None, "yes", "no")
        ):
            raise InvalidInput("unknown filter value")
        async with ctx.db.read_session() as session:
            found = await reads.list_requests(
                session,
                status=status,
                type=type,
                overdue={"yes": True, "no": False}.get(overdue or ""),
                cursor=cursor,
                limit=limit,
            )
            shown = await people.people_shown(
                session, ctx.keys, [r.subject_id for r in found.items if r.subject_id]
            )
        filters = {k: v for k, v in (("status", status), ("type", type), ("overdue", overdue)) if v}
        if limit != PAGE_SIZE:
            filters["limit"] = str(limit)
        return admin_page(
            "dsr_list.html",
            staff,
            title="GDPR requests",
            current="/admin/dsr",
            status_filter=status,
            type_filter=type,
            overdue_filter=overdue,
            status_choices=[(s, readable(s)) for s in STATUSES],
            type_choices=[(t, readable(t)) for t in TYPES],
            requests=found.items,
            people=shown,
            first_page="/admin/dsr?" + urlencode(filters) if cursor else None,
            next_page=(
                "/admin/dsr?" + urlencode({**filters, "cursor": found.next_cursor})
                if found.next_cursor
                else None
            ),
        )

    @get("/new", operation_id="adminDsrNewForm")
    async def dsr_new_form(self, ctx: AppContext, request: Request) -> Response:
        """The form to record a request."""
        staff = await signed_in(ctx, request, "dsr")
        return _new_request_page(staff, {}, None)

    @post("/new", operation_id="adminDsrCreate", status_code=303)
    async def dsr_create(self, ctx: AppContext, request: Request) -> Response:
        """Record a request through the DSR service."""
        staff = await signed_in(ctx, request, "dsr")
        form = await read_form(request, staff)
        if sum(1 for name in ("subject_id", "external_id", "identity") if form.get(name)) != 1:
            return _new_request_page(
                staff, form, "Fill in exactly one of Subject id, External id or Identity.", status=422
            )
        try:
            body = msgspec.convert(
                {
                    "type": form.get("type", ""),
                    "subject_id": form.get("subject_id") or None,
                    "external_id": form.get("external_id") or None,
                    "identity": form.get("identity") or None,
                    "note": form.get("note") or None,
                    "touchpoint": form.get("touchpoint") or "support",
                },
                DsrCreate,
            )
            async with ctx.unit_of_work() as uow:
                req, created = await intake.create_request(uow, staff.actor, body, source="admin")
        except msgspec.ValidationError as exc:
            return _new_request_page(staff, form, explain_invalid(exc, NEW_REQUEST_LABELS) + ".", status=400)
        except DomainError as exc:
            return _new_request_page(staff, form, exc.detail, status=exc.status)
        return _see(req.id, "created" if created else "linked")

    @get("/{request_id:str}", operation_id="adminDsrDetail")
    async def dsr_detail(
        self, ctx: AppContext, request: Request, request_id: RequestId, done: Query = None
    ) -> Response:
        """One request: facts, actions, history, downstream outcomes, export."""
        staff = await signed_in(ctx, request, "dsr")
        return await _detail_page(ctx, staff, request_id, flash=DONE.get(done or ""))

    @post("/{request_id:str}/{action:str}", operation_id="adminDsrAction", status_code=303)
    async def dsr_action(
        self,
        ctx: AppContext,
        request: Request,
        request_id: RequestId,
        action: Annotated[str, Parameter(max_length=20, pattern=SINGLE_LINE_PATTERN)],
    ) -> Response:
        """verify, extend, cancel, retry, note, complete or export-link, through the DSR service."""
        staff = await signed_in(ctx, request, "dsr")
        form = await read_form(request, staff)
        actor = staff.actor
        try:
            if action == "verify":
                note = required_text(form, "note", 2000, "a note on how identity was checked")
                await verification.verify_committing_attempts(ctx, actor, request_id, None, note)
                return _see(request_id, "verified")
            if action == "export-link":
                if not staff.may("export"):
                    raise NotAllowed("export")
                async with ctx.unit_of_work() as uow:
                    token, made = await exports.create_link(
                        uow, actor, request_id, ctx.settings.dsr.export_link_ttl_seconds
                    )
                url = f"{ctx.settings.server.public_url}/public/v1/dsr-exports/{token}"
                new_link = {"url": url, "expires_at": made.expires_at}
                return await _detail_page(ctx, staff, request_id, new_link=new_link, status=201)
            async with ctx.unit_of_work() as uow:
                if action == "extend":
                    months = form.get("months", "")
                    if months not in ("1", "2"):
                        raise InvalidInput("an extension is 1 or 2 months")
                    # the DSR service checks the reason, as for the API and the CLI
                    await deadlines.extend(uow, actor, request_id, int(months), form.get("reason", ""))
                    done = "extended"
                elif action == "cancel":
                    reason = required_text(form, "reason", 500, "a reason")
                    await lifecycle.cancel(uow, actor, request_id, reason)
                    done = "cancelled"
                elif action == "retry":
                    await lifecycle.retry(uow, actor, request_id, ctx.settings.dsr.job_max_attempts)
                    done = "retried"
                elif action == "note":
                    await lifecycle.add_note(
                        uow, actor, request_id, required_text(form, "note", 2000, "a note")
                    )
                    done = "noted"
                elif action == "complete":
                    note = required_text(form, "note", 2000, "a note on what was corrected")
                    await lifecycle.complete_manually(uow, actor, request_id, note)
                    done = "completed"
                else:
                    return message_page("Not found", "There is no such action.", staff, status=404)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return await _detail_page(ctx, staff, request_id, error=exc.detail, status=exc.status)
        return _see(request_id, done)
