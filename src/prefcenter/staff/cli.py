"""``prefcenter staff add EMAIL --name N --role R | list | disable EMAIL | reset-password EMAIL``.

Changes go through the same audited service as ``/v1/staff`` (actor ``agent`` ``cli:$USER``, as the other
operator commands). ``add`` and ``reset-password`` print a one-time set-password link, valid 24 hours.
"""

from __future__ import annotations

import argparse
import getpass
import json
from typing import TYPE_CHECKING

import msgspec

from prefcenter.cli_arguments import single_line
from prefcenter.cli_support import CommandError, run_command
from prefcenter.core.staff_rules import ROLES

if TYPE_CHECKING:
    from prefcenter.store.unit_of_work import Actor


def register(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts: people who sign in to the console, with a role")
    actions = staff.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a staff member and print their one-time set-password link")
    add.add_argument("email", type=single_line)
    add.add_argument("--name", required=True, type=single_line)
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--time-zone", default="UTC", type=single_line, help="an IANA time zone (default UTC)")
    listing = actions.add_parser("list", help="list staff members")
    listing.add_argument("--json", action="store_true", help="print JSON")
    disable = actions.add_parser("disable", help="disable a staff member (not the last active admin)")
    disable.add_argument("email", type=single_line)
    reset = actions.add_parser("reset-password", help="print a new one-time set-password link")
    reset.add_argument("email", type=single_line)
    staff.set_defaults(func=cmd_staff)


def _operator() -> Actor:
    from prefcenter.store.unit_of_work import Actor

    try:
        return Actor("agent", f"cli:{getpass.getuser()}")
    except (KeyError, OSError):
        return Actor("agent", "cli:operator")


def cmd_staff(args: argparse.Namespace) -> int:
    from prefcenter.errors import DomainError
    from prefcenter.staff import service

    actor = _operator()

    async def run(ctx):
        public_url = ctx.settings.server.public_url
        if args.action == "list":
            async with ctx.db.read_session() as session:
                return [service.to_read(m) for m in await service.list_staff(session)]
        async with ctx.unit_of_work() as uow:
            if args.action == "add":
                member, link = await service.add_staff(
                    uow, actor, args.email, args.name, args.role, args.time_zone
                )
                return service.to_read(member), link.read(member.id, public_url)
            if args.action == "disable":
                return service.to_read(await service.disable_staff(uow, actor, args.email)), None
            member = await service.get_member(uow.session, args.email)
            link = await service.issue_password_link(uow, actor, member)
            return service.to_read(member), link.read(member.id, public_url)

    try:
        result = run_command(run)
    except DomainError as exc:
        raise CommandError(exc.detail) from exc
    if args.action == "list":
        if args.json:
            print(json.dumps(msgspec.to_builtins(result)))
        for member in [] if args.json else result:
            state = "disabled" if member.disabled else "active"
            print(f"{member.id}\t{member.email}\t{member.role}\t{state}\t{member.name}")
        return 0
    member, link = result
    if args.action == "disable":
        print(f"disabled {member.email} ({member.role})")
        return 0
    verb = "added" if args.action == "add" else "new set-password link for"
    print(f"{verb} {member.email} ({member.role}, id {member.id})")
    print(
        f"One-time set-password link (until {link.expires_at.isoformat(timespec='minutes')}):\n  {link.url}"
    )
    return 0
