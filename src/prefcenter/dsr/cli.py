"""``prefcenter dsr create|list|show|verify|extend|cancel|retry|note|report``.

Readable tables on a terminal (rich); ``--json`` prints the API's JSON shapes.
"""

from __future__ import annotations

import argparse

import msgspec

from prefcenter.cli_arguments import multi_line, single_line
from prefcenter.cli_support import CommandError, run_command

OFFICER_PREFIX = "cli:"


def register(sub: argparse._SubParsersAction) -> None:
    dsr = sub.add_parser("dsr", help="data subject requests (GDPR) for compliance officers")
    dsr.add_argument("--json", action="store_true", help="print JSON instead of tables")
    dsr.add_argument(
        "--officer",
        default=None,
        type=single_line,
        help="who is acting (recorded in the history; default $USER)",
    )
    actions = dsr.add_subparsers(dest="action", required=True)

    create = actions.add_parser("create", help="record a request")
    create.add_argument(
        "type", choices=["access", "portability", "erasure", "rectification", "restriction", "objection"]
    )
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--subject", type=single_line, help="prefcenter subject id")
    who.add_argument("--external-id", type=single_line, help="the company's customer id")
    who.add_argument("--identity", type=single_line, help="kind:value, e.g. email:ann@example.com")
    create.add_argument("--note", type=multi_line)

    listing = actions.add_parser("list", help="list requests")
    listing.add_argument("--status", type=single_line)
    listing.add_argument("--type", type=single_line)
    listing.add_argument("--overdue", action="store_true")
    listing.add_argument("--limit", type=int, default=50)

    for name, help_text in (
        ("show", "a request with its history"),
        ("report", "the completion report"),
        ("retry", "run a failed request again"),
    ):
        p = actions.add_parser(name, help=help_text)
        p.add_argument("request_id", type=single_line)

    verify = actions.add_parser("verify", help="mark identity verified (officer note) or check a code")
    verify.add_argument("request_id", type=single_line)
    verify_how = verify.add_mutually_exclusive_group(required=True)
    verify_how.add_argument(
        "--note", type=multi_line, help="how the officer verified the requester's identity"
    )
    verify_how.add_argument("--code", type=single_line, help="the code the subject received")
    verify_how.add_argument("--send-code", action="store_true", help="send a code to the subject's email")

    extend = actions.add_parser("extend", help="extend the deadline once by 1 or 2 months")
    extend.add_argument("request_id", type=single_line)
    extend.add_argument("--months", type=int, required=True)
    extend.add_argument("--reason", required=True, type=multi_line)

    cancel = actions.add_parser("cancel", help="cancel a request that has not started")
    cancel.add_argument("request_id", type=single_line)
    cancel.add_argument("--reason", required=True, type=multi_line)

    note = actions.add_parser("note", help="add a note to a request's history")
    note.add_argument("request_id", type=single_line)
    note.add_argument("text", type=multi_line)
    for action_parser in actions.choices.values():  # `prefcenter dsr list --json` works too
        action_parser.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON"
        )
    dsr.set_defaults(func=cmd_dsr)


# --- dsr --------------------------------------------------------------------------------------------------


def _actor(args):
    import getpass

    from prefcenter.store.unit_of_work import Actor

    return Actor("agent", OFFICER_PREFIX + (args.officer or getpass.getuser()))


def cmd_dsr(args: argparse.Namespace) -> int:
    from prefcenter.errors import DomainError

    try:
        result = run_command(lambda ctx: _dsr(ctx, args))
    except DomainError as exc:
        raise CommandError(
            exc.detail + (f" ({exc.extra['reason']})" if exc.extra.get("reason") else "")
        ) from exc
    if args.json:
        print(msgspec.json.encode(result).decode())
    else:
        _print(args.action, result)
    return 0


async def _dsr(ctx, args):
    from prefcenter.dsr import deadlines, intake, lifecycle, reads, verification
    from prefcenter.dsr.schemas import DsrCreate
    from prefcenter.notify.sender import Message

    actor = _actor(args)
    action = args.action
    if action == "list":
        async with ctx.db.read_session() as session:
            return await reads.list_requests(
                session,
                status=args.status,
                type=args.type,
                overdue=True if args.overdue else None,
                limit=args.limit,
            )
    if action in ("show", "report"):
        async with ctx.db.read_session() as session:
            return await reads.read_request(session, args.request_id)
    if action == "create":
        body = DsrCreate(
            type=args.type,
            subject_id=args.subject,
            external_id=args.external_id,
            identity=args.identity,
            note=args.note,
            touchpoint="support",
        )
        async with ctx.unit_of_work() as uow:
            req, _ = await intake.create_request(uow, actor, body, source="cli")
        request_id = req.id
    elif action == "verify":
        if args.send_code:
            async with ctx.unit_of_work() as uow:
                email, code = await verification.start_verification(
                    uow, actor, args.request_id, ctx.settings.dsr.verification_code_ttl_seconds
                )
            await ctx.sender.send(
                Message(
                    to=email,
                    subject=f"{ctx.settings.company.name}: confirm your data request",
                    text=f"Your confirmation code: {code}",
                )
            )
        else:
            await verification.verify_committing_attempts(ctx, actor, args.request_id, args.code, args.note)
        request_id = args.request_id
    else:
        async with ctx.unit_of_work() as uow:
            if action == "extend":
                await deadlines.extend(uow, actor, args.request_id, args.months, args.reason)
            elif action == "cancel":
                await lifecycle.cancel(uow, actor, args.request_id, args.reason)
            elif action == "retry":
                await lifecycle.retry(uow, actor, args.request_id, ctx.settings.dsr.job_max_attempts)
            elif action == "note":
                await lifecycle.add_note(uow, actor, args.request_id, args.text)
        request_id = args.request_id
    async with ctx.db.read_session() as session:
        return await reads.read_request(session, request_id)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _print(action: str, result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if action == "list":
        table = Table(title=f"DSR requests ({len(result.items)})")
        for column in ("id", "type", "status", "received", "due", "overdue", "outcome"):
            table.add_column(column)
        for r in result.items:
            table.add_row(
                r.id,
                r.type,
                r.status,
                _when(r.received_at),
                _when(r.due_at),
                "[red]yes[/red]" if r.overdue else "no",
                r.outcome or "-",
            )
        console.print(table)
        if result.next_cursor:
            console.print("(more: narrow the filters or raise --limit)")
        return
    r = result
    console.print(
        f"[bold]{r.type}[/bold] request {r.id}  status [bold]{r.status}[/bold]"
        + (f"  outcome {r.outcome}" if r.outcome else "")
    )
    console.print(
        f"subject {r.subject_id} (addressed by {r.addressed_by}); received {_when(r.received_at)}, "
        f"due {_when(r.due_at)}"
        + (" [red]OVERDUE[/red]" if r.overdue else "")
        + (f", extended {r.extended_months} month(s): {r.extension_reason}" if r.extended_months else "")
    )
    if r.last_error:
        console.print(f"[red]last error:[/red] {r.last_error.splitlines()[0]}")
    if action == "report" or r.systems:
        systems = Table(title="Downstream systems")
        for column in ("system", "outcome", "resolved", "detail"):
            systems.add_column(column)
        for s in r.systems:
            systems.add_row(s.system_name, s.status, _when(s.resolved_at), s.detail or "")
        console.print(systems if r.systems else "no downstream systems were involved")
    if r.export:
        console.print(
            f"export {r.export.id}: {r.export.size_bytes} bytes, schema {r.export.schema_version}, "
            f"kept until {_when(r.export.expires_at)}"
        )
    if action != "report":
        history = Table(title="History")
        for column in ("at", "action", "status", "actor", "reason"):
            history.add_column(column)
        for h in r.history:
            status = f"{h.from_status or ''} -> {h.to_status}" if h.to_status else ""
            history.add_row(
                _when(h.at), h.action, status, f"{h.actor_type}:{h.actor_id or ''}", h.reason or ""
            )
        console.print(history)
