"""``prefcenter sites set KEY --name N --origin https://a [--origin ...] | list | delete KEY``.

Changes go through the same audited service as the admin API (actor ``agent`` ``cli:$USER``); running API
processes pick them up within their cache TTL (10 s).
"""

from __future__ import annotations

import argparse
import getpass
import json

import msgspec

from prefcenter.cli_support import CommandError, run_command


def register(sub: argparse._SubParsersAction) -> None:
    sites = sub.add_parser("sites", help="sites and the origins allowed to embed the widget and call the API")
    actions = sites.add_subparsers(dest="action", required=True)
    put = actions.add_parser("set", help="create or replace a site")
    put.add_argument("key")
    put.add_argument("--name", required=True)
    put.add_argument(
        "--origin",
        action="append",
        required=True,
        dest="origins",
        help="an exact origin, e.g. https://shop.example.com (repeat)",
    )
    put.add_argument("--touchpoint", help="the default touchpoint of widget tokens for this site")
    listing = actions.add_parser("list", help="list sites")
    listing.add_argument("--json", action="store_true", help="print JSON")
    remove = actions.add_parser("delete", help="delete a site")
    remove.add_argument("key")
    sites.set_defaults(func=cmd_sites)


def cmd_sites(args: argparse.Namespace) -> int:
    from prefcenter.errors import DomainError
    from prefcenter.sites import service
    from prefcenter.sites.schemas import SiteWrite
    from prefcenter.store.unit_of_work import Actor
    from prefcenter.vocabulary import Key

    try:
        operator = getpass.getuser()
    except (KeyError, OSError):
        operator = "operator"
    actor = Actor("agent", f"cli:{operator}")  # as `prefcenter dsr`: an operator at the console

    async def run(ctx):
        if args.action == "list":
            async with ctx.db.read_session() as session:
                return await service.list_sites(session)
        key = msgspec.convert(args.key, Key)
        async with ctx.unit_of_work() as uow:
            if args.action == "delete":
                return await service.delete_site(uow, actor, key)
            body = msgspec.convert(
                {"name": args.name, "origins": args.origins, "touchpoint": args.touchpoint}, SiteWrite
            )
            return await service.put_site(uow, actor, key, body)

    try:
        result = run_command(run)
    except DomainError as exc:
        raise CommandError(exc.detail) from exc
    except msgspec.ValidationError as exc:
        raise CommandError(str(exc)) from exc
    if args.action == "list":
        if args.json:
            print(json.dumps(msgspec.to_builtins(result)))
        else:
            for site in result:
                print(f"{site.key}\t{site.name}\t{' '.join(site.origins)}\t{site.touchpoint or '-'}")
    elif args.action == "delete":
        print(f"deleted site {args.key}")
    else:
        print(f"{result.key}\t{result.name}\t{' '.join(result.origins)}\t{result.touchpoint or '-'}")
    return 0
