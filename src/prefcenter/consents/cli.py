"""``prefcenter consents expire``: mark double opt-ins never confirmed, and consents past their lifetime, expired.

The worker runs the same sweep continuously; this command is for deployments without one."""

from __future__ import annotations

import argparse
import json

from prefcenter.cli_support import run_command


def cmd_consents(args: argparse.Namespace) -> int:
    from prefcenter.consents.service import expire_lapsed, expire_unconfirmed

    async def run(ctx):
        days = args.days if args.days is not None else ctx.settings.widget.doi_pending_days
        async with ctx.unit_of_work() as uow:
            return days, await expire_unconfirmed(uow, days), await expire_lapsed(uow)

    days, expired, lapsed = run_command(run)
    if args.json:
        print(json.dumps({"expired": expired, "pending_days": days, "lapsed": lapsed}))
    else:
        print(f"expired {len(expired)} unconfirmed consent(s) older than {days} days")
        print(f"expired {len(lapsed)} consent(s) past their lifetime")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    consents = sub.add_parser("consents", help="consent maintenance")
    consents.add_argument("action", choices=["expire"], help="expire double opt-ins never confirmed")
    consents.add_argument("--days", type=int, help="override PREFCENTER_DOI_PENDING_DAYS")
    consents.add_argument("--json", action="store_true")
    consents.set_defaults(func=cmd_consents)
