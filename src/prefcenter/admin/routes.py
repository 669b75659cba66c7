"""``/admin``: server-rendered pages for compliance officers (cookie session, CSRF-checked forms).

Every change goes through the areas' services with the officer's client as actor (``client:<id>``), the
same actor the API records for that client; these pages only read, render and redirect.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, get_args
from urllib.parse import urlencode

import msgspec
import structlog
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from litestar.response import Redirect

from prefcenter.admin import service as pages
from prefcenter.admin import session as auth
from prefcenter.admin.session import CsrfRejected, LoginRequired, NotAllowed, Officer
from prefcenter.admin.views import (
    Safe,
    admin_page,
    alert,
    esc,
    link,
    message,
    options,
    render,
    table,
    tag,
    when,
)
from prefcenter.audit import service as audit
from prefcenter.auth import throttle
from prefcenter.catalog import service as catalog
from prefcenter.context import AppContext
from prefcenter.dsr import export as exports
from prefcenter.dsr import service as dsr
from prefcenter.dsr.schemas import DsrCreate, DsrRead, DsrStatus, DsrType
from prefcenter.errors import DomainError, InvalidInput, RateLimited
from prefcenter.http.client_address import client_ip
from prefcenter.store.unit_of_work import utcnow
from prefcenter.vocabulary import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, Touchpoint
from prefcenter.webhooks import service as webhooks

log = structlog.get_logger("prefcenter.admin")

STATUSES = get_args(DsrStatus)
TYPES = get_args(DsrType)
TOUCHPOINTS = get_args(Touchpoint)
RequestId = Annotated[str, Parameter(max_length=36, pattern=SINGLE_LINE_PATTERN)]
Query = Annotated[str | None, Parameter(max_length=200, pattern=SINGLE_LINE_PATTERN)]

DONE = {
    "created": "The request was recorded.",
    "linked": "An open request of this type exists for the person; the new one was linked to it.",
    "verified": "Identity verified; the request's work was queued.",
    "extended": "The deadline was extended.",
    "cancelled": "The request was cancelled.",
    "retried": "The request was queued again.",
    "noted": "Your note was added to the history.",
    "completed": "The request was completed.",
    "checkpoint": "A checkpoint of the current head is signed.",
}
STATUS_KIND = {"completed": "ok", "rejected": "warn", "failed": "bad"}


# --- plumbing ---------------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    """Only a path inside /admin (never another host) is followed after sign-in."""
    if value and value.startswith("/admin") and "//" not in value and "\\" not in value:
        return value
    return "/admin"


def _login_required(request: Request, _exc: LoginRequired) -> Response:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    query = {"next": target} if request.method == "GET" and target != "/admin" else {}
    return Redirect("/admin/login" + ("?" + urlencode(query) if query else ""), status_code=303)


def _not_allowed(request: Request, exc: NotAllowed) -> Response:
    officer = request.scope.get("admin_officer")
    return message(
        "Not allowed",
        f"This page needs the scope {exc.scope}, which your client does not hold.",
        officer,
        status=403,
    )


def _csrf_rejected(request: Request, _exc: CsrfRejected) -> Response:
    return message(
        "Form expired",
        "The form was missing its security token or it did not match your session. Reload the page and try again.",
        request.scope.get("admin_officer"),
        status=403,
    )


def _domain_error(request: Request, exc: DomainError) -> Response:
    return message(exc.title, exc.detail, request.scope.get("admin_officer"), status=exc.status)


async def _officer(ctx: AppContext, request: Request, scope: str | None = None) -> Officer:
    officer = await auth.current_officer(ctx, request)
    request.scope["admin_officer"] = officer  # type: ignore[typeddict-unknown-key]
    if scope is not None and not officer.can(scope):
        raise NotAllowed(scope)
    return officer


async def _form(request: Request, officer: Officer | None) -> dict[str, str]:
    form = await request.form()
    values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
    if officer is not None:
        auth.check_csrf(officer, values.get("csrf"))
    return values


def _csrf(officer: Officer) -> Safe:
    return Safe(f'<input type="hidden" name="csrf" value="{html.escape(officer.csrf)}">')


def _status_tag(status: str, overdue: bool = False) -> Safe:
    text = tag(status, STATUS_KIND.get(status, ""))
    return Safe(text + " " + tag("overdue", "bad")) if overdue else text


def _see(path: str, done: str | None = None) -> Redirect:
    return Redirect(path + (f"?done={done}" if done else ""), status_code=303)


def _flash(done: str | None) -> Safe:
    return alert(DONE.get(done or ""), "notice")


# --- controller -------------------------------------------------------------------------------------------


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False
    exception_handlers = {
        LoginRequired: _login_required,
        NotAllowed: _not_allowed,
        CsrfRejected: _csrf_rejected,
        DomainError: _domain_error,
    }

    # sign-in ---------------------------------------------------------------------------------------------

    @get("/login", operation_id="adminLoginPage")
    async def login_page(
        self, ctx: AppContext, request: Request, next: Query = None, signed_out: Query = None
    ) -> Response:
        """The sign-in form."""
        note = alert("You are signed out.", "notice") if signed_out else Safe("")
        return _login_form(note, _safe_next(next), "")

    @post("/login", operation_id="adminLogin", status_code=303)
    async def login(self, ctx: AppContext, request: Request) -> Response:
        """Check an API client's id and secret; set the session cookie. Failures are throttled like /oauth/token."""
        form = await _form(request, None)
        client_id = form.get("client_id", "")
        try:
            attempt = await throttle.admit(
                ctx, client_id, client_ip(request, ctx.settings.server.trusted_proxies)
            )
        except RateLimited as exc:
            log.info("admin.sign_in_throttled", client_id=client_id[:64])
            minutes = -(-int(exc.extra["retry_after"]) // 60)
            page = _login_form(
                alert(
                    f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
                ),
                _safe_next(form.get("next")),
                client_id[:64],
                status=429,
            )
            page.headers["Retry-After"] = str(exc.extra["retry_after"])
            return page
        client = await auth.authenticate(ctx, client_id, form.get("client_secret", ""))
        if client is None:
            await throttle.failed(ctx, attempt)
            log.info("admin.sign_in_refused", client_id=client_id[:64])
            return _login_form(
                alert("Sign-in failed: the client id or secret is not right."),
                _safe_next(form.get("next")),
                client_id[:64],
                status=401,
            )
        await throttle.succeeded(ctx, attempt)
        if not auth.may_sign_in(auth.officer_scopes(client)):
            log.info("admin.sign_in_refused", client_id=client.id, reason="scopes")
            return _login_form(
                alert(
                    "This client may not use the admin pages: it needs the scope dsr:manage, audit:read or admin."
                ),
                _safe_next(form.get("next")),
                client_id[:64],
                status=403,
            )
        log.info("admin.signed_in", client_id=client.id)
        cookie = Cookie(
            key=auth.cookie_name(ctx, request),
            value=auth.new_session_token(ctx, client.id),
            path=auth.cookie_path(ctx, request),
            httponly=True,
            secure=auth.is_secure(ctx, request),
            samesite="strict",
            max_age=auth.SESSION_TTL_SECONDS,
        )
        return Redirect(_safe_next(form.get("next")), status_code=303, cookies=[cookie])

    @post("/logout", operation_id="adminLogout", status_code=303)
    async def logout(self, ctx: AppContext, request: Request) -> Response:
        """End the session on the server (a copy of the cookie stops working too) and clear the cookie."""
        officer = await _officer(ctx, request)
        await _form(request, officer)
        await auth.revoke(ctx, officer)
        log.info("admin.signed_out", client_id=officer.client_id)
        response = Redirect("/admin/login?signed_out=1", status_code=303)
        response.delete_cookie(auth.cookie_name(ctx, request), path=auth.cookie_path(ctx, request))
        return response

    # dashboard -------------------------------------------------------------------------------------------

    @get("/", operation_id="adminDashboard")
    async def dashboard(self, ctx: AppContext, request: Request) -> Response:
        """Open requests, the audit log's state and dead-lettered deliveries, as the officer's scopes allow."""
        officer = await _officer(ctx, request)
        now = utcnow()
        dsr_part = audit_part = deliveries_part = ""
        if officer.can("audit:read"):  # at most a minute old here; /admin/audit verifies afresh
            audit_part = _audit_summary(await audit.recent_verification(ctx))
        async with ctx.db.read_session() as session:
            if officer.can("dsr:manage"):
                dsr_part = _dsr_overview(await pages.dsr_overview(session, now), now)
            if officer.can("admin"):
                dead = await pages.dead_letter_count(session)
                deliveries_part = (
                    '<section aria-labelledby="wh-title"><h2 id="wh-title">Webhook deliveries</h2>'
                    f"<p>{tag(f'{dead} dead-lettered', 'bad' if dead else 'ok')} "
                    f"{link('/admin/systems', 'Downstream systems')}</p></section>"
                )
        body = render(
            "dashboard",
            flash=Safe(""),
            dsr=Safe(dsr_part),
            audit=Safe(audit_part),
            deliveries=Safe(deliveries_part),
        )
        return admin_page("Dashboard", body, officer, current="/admin")

    # GDPR requests ---------------------------------------------------------------------------------------

    @get("/dsr", operation_id="adminDsrList")
    async def dsr_list(
        self,
        ctx: AppContext,
        request: Request,
        status: Query = None,
        type: Query = None,
        overdue: Query = None,
        cursor: Query = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> Response:
        """Requests, newest first, filtered, cursor-paged."""
        officer = await _officer(ctx, request, "dsr:manage")
        status, type, overdue = status or None, type or None, overdue or None
        if (
            status not in (None, *STATUSES)
            or type not in (None, *TYPES)
            or overdue not in (None, "yes", "no")
        ):
            raise InvalidInput("unknown filter value")
        async with ctx.db.read_session() as session:
            found = await dsr.list_requests(
                session,
                status=status,
                type=type,
                overdue={"yes": True, "no": False}.get(overdue or ""),
                cursor=cursor,
                limit=limit,
            )
        rows = [
            (
                link(f"/admin/dsr/{r.id}", r.id[:8]),
                r.type,
                _status_tag(r.status, r.overdue),
                when(r.received_at),
                when(r.due_at),
                Safe(f"<code>{html.escape(r.subject_id)}</code>"),
            )
            for r in found.items
        ]
        filters = {k: v for k, v in (("status", status), ("type", type), ("overdue", overdue)) if v}
        if limit != 50:
            filters["limit"] = str(limit)
        paging = []
        if cursor:
            paging.append(link("/admin/dsr?" + urlencode(filters), "First page"))
        if found.next_cursor:
            paging.append(
                link("/admin/dsr?" + urlencode({**filters, "cursor": found.next_cursor}), "Next page")
            )
        body = render(
            "dsr_list",
            status_options=options([("", "Any"), *((s, s) for s in STATUSES)], status),
            type_options=options([("", "Any"), *((t, t) for t in TYPES)], type),
            overdue_options=options([("", "Any"), ("yes", "Overdue only"), ("no", "Not overdue")], overdue),
            table=table(
                "Requests",
                ["Request", "Type", "Status", "Received", "Due", "Subject"],
                rows,
                row_class=["overdue" if r.overdue else "" for r in found.items],
                empty="No requests match.",
            ),
            paging=Safe(
                f'<nav aria-label="Pages"><p>{" &middot; ".join(paging)}</p></nav>' if paging else ""
            ),
        )
        return admin_page("GDPR requests", body, officer, current="/admin/dsr")

    @get("/dsr/new", operation_id="adminDsrNewForm")
    async def dsr_new_form(self, ctx: AppContext, request: Request) -> Response:
        """The form to record a request."""
        officer = await _officer(ctx, request, "dsr:manage")
        return _dsr_new_page(officer, {}, None)

    @post("/dsr/new", operation_id="adminDsrCreate", status_code=303)
    async def dsr_create(self, ctx: AppContext, request: Request) -> Response:
        """Record a request through the DSR service."""
        officer = await _officer(ctx, request, "dsr:manage")
        form = await _form(request, officer)
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
                req, created = await dsr.create_request(uow, officer.principal.actor, body)
        except msgspec.ValidationError as exc:
            return _dsr_new_page(officer, form, f"The form is not valid: {exc}", status=400)
        except DomainError as exc:
            return _dsr_new_page(officer, form, exc.detail, status=exc.status)
        return _see(f"/admin/dsr/{req.id}", "created" if created else "linked")

    @get("/dsr/{request_id:str}", operation_id="adminDsrDetail")
    async def dsr_detail(
        self, ctx: AppContext, request: Request, request_id: RequestId, done: Query = None
    ) -> Response:
        """One request: facts, actions, history, downstream outcomes, export."""
        officer = await _officer(ctx, request, "dsr:manage")
        return await _dsr_detail_page(ctx, officer, request_id, _flash(done))

    @post("/dsr/{request_id:str}/{action:str}", operation_id="adminDsrAction", status_code=303)
    async def dsr_action(
        self,
        ctx: AppContext,
        request: Request,
        request_id: RequestId,
        action: Annotated[str, Parameter(max_length=20, pattern=SINGLE_LINE_PATTERN)],
    ) -> Response:
        """verify, extend, cancel, retry, note, complete or export-link, through the DSR service."""
        officer = await _officer(ctx, request, "dsr:manage")
        form = await _form(request, officer)
        actor = officer.principal.actor
        try:
            if action == "verify":
                note = _required(form, "note", 2000, "a note on how identity was checked")
                await dsr.verify_committing_attempts(ctx, actor, request_id, None, note)
                return _see(f"/admin/dsr/{request_id}", "verified")
            if action == "export-link":
                async with ctx.unit_of_work() as uow:
                    token, made = await exports.create_link(
                        uow, actor, request_id, ctx.settings.dsr.export_link_ttl_seconds
                    )
                url = f"{ctx.settings.server.public_url}/public/v1/dsr-exports/{token}"
                shown = Safe(
                    '<div class="notice" role="status"><p>Single-use download link (shown once, expires '
                    f"{html.escape(when(made.expires_at))}):</p><p><code>{html.escape(url)}</code></p></div>"
                )
                return await _dsr_detail_page(ctx, officer, request_id, shown, status=201)
            async with ctx.unit_of_work() as uow:
                if action == "extend":
                    months = form.get("months", "")
                    if months not in ("1", "2"):
                        raise InvalidInput("an extension is 1 or 2 months")
                    # the DSR service checks the reason, as for the API and the CLI
                    await dsr.extend(uow, actor, request_id, int(months), form.get("reason", ""))
                    done = "extended"
                elif action == "cancel":
                    await dsr.cancel(uow, actor, request_id, _required(form, "reason", 500, "a reason"))
                    done = "cancelled"
                elif action == "retry":
                    await dsr.retry(uow, actor, request_id, ctx.settings.dsr.job_max_attempts)
                    done = "retried"
                elif action == "note":
                    await dsr.add_note(uow, actor, request_id, _required(form, "note", 2000, "a note"))
                    done = "noted"
                elif action == "complete":
                    note = _required(form, "note", 2000, "a note on what was corrected")
                    await dsr.complete_manually(uow, actor, request_id, note)
                    done = "completed"
                else:
                    return message("Not found", "There is no such action.", officer, status=404)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return await _dsr_detail_page(ctx, officer, request_id, alert(exc.detail), status=exc.status)
        return _see(f"/admin/dsr/{request_id}", done)

    # audit -----------------------------------------------------------------------------------------------

    @get("/audit", operation_id="adminAudit")
    async def audit_page(self, ctx: AppContext, request: Request, done: Query = None) -> Response:
        """The whole chain and its checkpoints verified now; sign a checkpoint."""
        officer = await _officer(ctx, request, "audit:read")
        async with ctx.db.read_session() as session:
            result = await audit.verify_log(session, ctx.keys)
            checkpoints = await pages.recent_checkpoints(session)
        body = render(
            "audit",
            flash=_flash(done),
            verification=Safe(_verification(result)),
            csrf=officer.csrf,
            checkpoints=table(
                "Recent signed checkpoints",
                ["Seq", "Signed at", "Head hash", "Key id"],
                [
                    (c.seq, c.signed_at, Safe(f"<code>{html.escape(c.head_hash)}</code>"), c.key_id)
                    for c in checkpoints
                ],
                empty="No checkpoints yet.",
                wrap_columns=(2,),
            ),
        )
        return admin_page("Audit log", body, officer, current="/admin/audit")

    @post("/audit/checkpoint", operation_id="adminAuditCheckpoint", status_code=303)
    async def audit_checkpoint(self, ctx: AppContext, request: Request) -> Response:
        """Sign a checkpoint of the current head now."""
        officer = await _officer(ctx, request, "audit:read")
        await _form(request, officer)
        async with ctx.unit_of_work() as uow:
            await uow.checkpoint_now()
        log.info("admin.checkpoint", client_id=officer.client_id)
        return _see("/admin/audit", "checkpoint")

    # catalog and systems ---------------------------------------------------------------------------------

    @get("/catalog", operation_id="adminCatalog")
    async def catalog_page(self, ctx: AppContext, request: Request) -> Response:
        """Channels, topics and notice versions (read-only)."""
        officer = await _officer(ctx, request)
        async with ctx.db.read_session() as session:
            current = await catalog.read_catalog(session, ctx.settings.company.name)
            notices = {t.key: await catalog.list_notices(session, t.key) for t in current.topics}
        topics = [
            (
                Safe(f"{esc(t.name)} <code>{esc(t.key)}</code>"),
                t.group,
                t.legal_basis,
                ", ".join(t.channels),
                "yes" if t.double_opt_in else "no",
                f"{t.consent_lifetime_days} days" if t.consent_lifetime_days else "no limit",
                "yes" if t.honour_gpc else "no",
                t.notice.version if t.notice else None,
            )
            for t in current.topics
        ]
        notice_rows = [
            (
                Safe(f"<code>{esc(key)}</code> v{n.version}"),
                when(n.created_at),
                Safe(f"<code>{esc(n.sha256)}</code>"),
                n.text,
            )
            for key, versions in notices.items()
            for n in versions
        ]
        body = render(
            "catalog",
            version=current.version,
            channels=table(
                "Channels",
                ["Key", "Name", "Description"],
                [(Safe(f"<code>{esc(c.key)}</code>"), c.name, c.description) for c in current.channels],
                empty="No channels.",
            ),
            topics=table(
                "Topics",
                [
                    "Topic",
                    "Group",
                    "Legal basis",
                    "Channels",
                    "Double opt-in",
                    "Consent lifetime",
                    "Honours GPC",
                    "Notice",
                ],
                topics,
                empty="No topics.",
            ),
            notices=table(
                "Notice versions",
                ["Topic and version", "Published", "SHA-256", "Text"],
                notice_rows,
                empty="No notices.",
                wrap_columns=(2, 3),
            ),
        )
        return admin_page("Catalog", body, officer, current="/admin/catalog")

    @get("/systems", operation_id="adminSystems")
    async def systems_page(self, ctx: AppContext, request: Request) -> Response:
        """Downstream systems and their failed or dead-lettered deliveries."""
        officer = await _officer(ctx, request, "admin")
        async with ctx.db.read_session() as session:
            systems = await webhooks.list_systems(session)
            failing = await pages.failing_deliveries(session)
        body = render(
            "systems",
            systems=table(
                "Registered systems",
                ["Name", "Webhook URL", "Event types", "State", "Registered"],
                [
                    (
                        s.name,
                        Safe(f"<code>{esc(s.url)}</code>"),
                        ", ".join(s.event_types),
                        tag("active", "ok") if s.active else tag("disabled", "warn"),
                        when(s.created_at),
                    )
                    for s in systems
                ],
                empty="No downstream systems are registered.",
                wrap_columns=(1,),
            ),
            failing=table(
                "Failed and dead-lettered deliveries",
                [
                    "Delivery",
                    "System",
                    "Event",
                    "State",
                    "Attempts",
                    "Last HTTP status",
                    "Last error",
                    "Created",
                    "Next attempt",
                ],
                [
                    (
                        Safe(f"<code>{esc(d.id)}</code>"),
                        name,
                        d.event_type,
                        tag("dead-lettered", "bad") if d.status == "dead" else tag("retrying", "warn"),
                        d.attempts,
                        d.last_status_code,
                        d.last_error,
                        when(d.created_at),
                        when(d.next_attempt_at) if d.status == "pending" else None,
                    )
                    for d, name in failing
                ],
                empty="No failed deliveries.",
                wrap_columns=(6,),
            ),
        )
        return admin_page("Downstream systems", body, officer, current="/admin/systems")


# --- page pieces ------------------------------------------------------------------------------------------


def _required(form: dict[str, str], name: str, max_length: int, what: str) -> str:
    value = form.get(name, "")
    if not value:
        raise InvalidInput(f"give {what}")
    if len(value) > max_length:
        raise InvalidInput(f"{name} is longer than {max_length} characters")
    if not re.search(MULTI_LINE_PATTERN, value):
        raise InvalidInput(f"{name} holds control characters (tab and line breaks are fine)")
    return value


def _login_form(note: Safe, next_path: str, client_id: str, status: int = 200) -> Response:
    body = render("login", message=note, next=next_path, client_id=client_id)
    return admin_page("Sign in", body, None, status=status)


def _dsr_new_page(officer: Officer, form: dict[str, str], error: str | None, status: int = 200) -> Response:
    body = render(
        "dsr_new",
        error=alert(error),
        csrf=officer.csrf,
        type_options=options([(t, t) for t in TYPES], form.get("type")),
        touchpoint_options=options([(t, t) for t in TOUCHPOINTS], form.get("touchpoint") or "support"),
        subject_id=form.get("subject_id", ""),
        external_id=form.get("external_id", ""),
        identity=form.get("identity", ""),
        note=form.get("note", ""),
    )
    return admin_page("Record a GDPR request", body, officer, current="/admin/dsr", status=status)


def _dsr_overview(overview: pages.DsrOverview, now) -> str:
    cards = "".join(
        f'<li><span class="big">{n}</span> {html.escape(status)}</li>'
        for status, n in overview.open_by_status.items()
    )
    overdue_kind = "bad" if overview.overdue else "ok"
    soon = table(
        f"Open requests due within {pages.DUE_SOON_DAYS} days (overdue first)",
        ["Request", "Type", "Status", "Due"],
        [
            (
                link(f"/admin/dsr/{r.id}", r.id[:8]),
                r.type,
                _status_tag(r.status, r.due_at < now),
                when(r.due_at),
            )
            for r in overview.due_soon
        ],
        row_class=["overdue" if r.due_at < now else "" for r in overview.due_soon],
        empty=f"No open request is due within {pages.DUE_SOON_DAYS} days.",
    )
    failures = ""
    if overview.failed:  # closed by a failure, yet still owed an answer: an officer retries or cancels
        failed_list = table(
            "Failed requests: retry or cancel them (newest first)",
            ["Request", "Type", "Failed", "Why"],
            [
                (
                    link(f"/admin/dsr/{r.id}", r.id[:8]),
                    r.type,
                    when(r.completed_at),
                    r.last_error.splitlines()[0][:200] if r.last_error else "-",
                )
                for r in overview.recent_failures
            ],
            wrap_columns=(3,),
        )
        failures = (
            f"<p>{tag(f'{overview.failed} failed', 'bad')} "
            f"{link('/admin/dsr?status=failed', 'See failed requests')}</p>{failed_list}"
        )
    return (
        '<section aria-labelledby="dsr-title"><h2 id="dsr-title">Open GDPR requests</h2>'
        f'<ul class="cards" aria-label="Open requests by status">{cards}</ul>'
        f"<p>{tag(f'{overview.overdue} overdue', overdue_kind)} "
        f"{link('/admin/dsr?overdue=yes', 'See overdue requests')} &middot; {link('/admin/dsr/new', 'Record a new request')}</p>"
        f"{soon}{failures}</section>"
    )


def _verification(v: audit.Verification) -> str:
    if v.ok:
        head = tag("intact", "ok")
        detail = (
            f"{v.events_checked} events and {v.checkpoints_checked} signed checkpoints verified; "
            f"head seq {v.head_seq if v.head_seq is not None else '(empty log)'}."
        )
    else:
        head = tag("BROKEN", "bad")
        detail = f"First bad event: seq {v.first_bad_seq}. {v.problem}"
    return (
        f'<div class="{"notice" if v.ok else "alert"}"><p><strong>Hash chain and checkpoints:</strong> {head}</p>'
        f"<p>{html.escape(detail)}</p><p>Head hash: <code>{html.escape(v.head_hash)}</code></p></div>"
    )


def _audit_summary(v: audit.Verification) -> str:
    return (
        '<section aria-labelledby="audit-title"><h2 id="audit-title">Audit log</h2>'
        f"{_verification(v)}<p>{link('/admin/audit', 'Audit log details')}</p></section>"
    )


async def _dsr_detail_page(
    ctx: AppContext, officer: Officer, request_id: str, flash: Safe, status: int = 200
) -> Response:
    async with ctx.db.read_session() as session:
        r = await dsr.read_request(session, request_id)
    history = table(
        "History, oldest first",
        ["When", "Action", "From", "To", "Actor", "Reason or note"],
        [
            (when(h.at), h.action, h.from_status, h.to_status, f"{h.actor_type}:{h.actor_id or ''}", h.reason)
            for h in r.history
        ],
        wrap_columns=(5,),
    )
    systems = table(
        "Downstream systems' outcomes",
        ["System", "Outcome", "Detail", "Resolved"],
        [(s.system_name, s.status, s.detail, when(s.resolved_at)) for s in r.systems],
        empty="No downstream system has a task for this request.",
    )
    if r.export is None:
        export = Safe('<p class="note">No export for this request.</p>')
    else:
        e = r.export
        export = Safe(
            f"<p>Export <code>{esc(e.id)}</code> (schema {esc(e.schema_version)}, {e.size_bytes} bytes), "
            f"made {esc(when(e.created_at))}, kept until {esc(when(e.expires_at))}.</p>"
            f'<form method="post" action="/admin/dsr/{esc(r.id)}/export-link">{_csrf(officer)}'
            '<button type="submit">Create a single-use download link</button></form>'
        )
    due = when(r.due_at)
    if r.overdue:
        due = Safe(f"{esc(due)} {tag('overdue', 'bad')}")
    if r.extended_months:
        due = Safe(f"{esc(due)} (extended by {r.extended_months} month(s): {esc(r.extension_reason)})")
    body = render(
        "dsr_detail",
        flash=flash,
        type=r.type.capitalize(),
        short_id=r.id[:8],
        id=r.id,
        status=_status_tag(r.status, r.overdue),
        outcome=esc(r.outcome),
        subject_id=r.subject_id,
        addressed_by=r.addressed_by,
        received_at=when(r.received_at),
        due=due,
        verified=esc(f"{when(r.verified_at)} by {r.verification_method}" if r.verified_at else None),
        completed_at=esc(when(r.completed_at)),
        duplicates=r.duplicates,
        last_error=esc(r.last_error),
        actions=_actions(officer, r),
        history=history,
        systems=systems,
        export=export,
    )
    return admin_page(f"{r.type} request {r.id[:8]}", body, officer, current="/admin/dsr", status=status)


def _action_form(
    r: DsrRead, officer: Officer, action: str, title: str, fields: str, button: str, kind: str = ""
) -> str:
    klass = f' class="{kind}"' if kind else ""
    return (
        f'<section aria-labelledby="a-{action}"><h3 id="a-{action}">{html.escape(title)}</h3>'
        f'<form class="stack" method="post" action="/admin/dsr/{html.escape(r.id)}/{action}">{_csrf(officer)}'
        f'{fields}<div><button{klass} type="submit">{html.escape(button)}</button></div></form></section>'
    )


def _text_field(
    action: str, name: str, label: str, max_length: int, hint: str = "", area: bool = False
) -> str:
    field_id = f"{action}-{name}"
    hint_html = f' <span class="hint">{html.escape(hint)}</span>' if hint else ""
    control = (
        f'<textarea id="{field_id}" name="{name}" required maxlength="{max_length}"></textarea>'
        if area
        else f'<input id="{field_id}" name="{name}" required maxlength="{max_length}">'
    )
    return f'<div><label for="{field_id}">{html.escape(label)}{hint_html}</label>{control}</div>'


def _actions(officer: Officer, r: DsrRead) -> Safe:
    forms = []
    if r.status == "received":
        forms.append(
            _action_form(
                r,
                officer,
                "verify",
                "Verify identity",
                _text_field(
                    "verify", "note", "How identity was checked", 2000, "kept in the history", area=True
                ),
                "Mark verified",
                "primary",
            )
        )
    if r.status not in dsr.FINAL and not r.extended_months:
        months = (
            '<div><label for="extend-months">Extend by</label><select id="extend-months" name="months">'
            '<option value="1">1 month</option><option value="2">2 months</option></select></div>'
        )
        forms.append(
            _action_form(
                r,
                officer,
                "extend",
                "Extend the deadline (once)",
                months
                + _text_field("extend", "reason", "Reason", dsr.MAX_EXTENSION_REASON, "e.g. complex request"),
                "Extend",
            )
        )
    if r.status in ("received", "verified", "failed") or (
        r.status == "in_progress" and r.type == "rectification"
    ):
        forms.append(
            _action_form(
                r,
                officer,
                "cancel",
                "Cancel the request",
                _text_field("cancel", "reason", "Reason", 500),
                "Cancel the request",
                "danger",
            )
        )
    if r.status == "failed":
        forms.append(_action_form(r, officer, "retry", "Run it again", "", "Retry"))
    if r.type == "rectification" and r.status == "in_progress":
        forms.append(
            _action_form(
                r,
                officer,
                "complete",
                "Complete the rectification",
                _text_field("complete", "note", "What was corrected", 2000, area=True),
                "Complete",
            )
        )
    forms.append(
        _action_form(
            r,
            officer,
            "note",
            "Add a note",
            _text_field("note", "note", "Note", 2000, area=True),
            "Add the note",
        )
    )
    return Safe("\n".join(forms))


__all__ = ["AdminController"]
