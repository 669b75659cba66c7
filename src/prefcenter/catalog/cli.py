"""``prefcenter catalog check-translations``: the catalog texts missing in a language (shown in the default one)."""

from __future__ import annotations

import argparse
import json

from prefcenter.cli_support import run_command
from prefcenter.i18n import LOCALES


def cmd_catalog(args: argparse.Namespace) -> int:
    from prefcenter.catalog.service import translation_gaps

    locales = tuple(args.locale) if args.locale else LOCALES

    async def run(ctx):
        async with ctx.db.read_session() as session:
            return await translation_gaps(session, locales)

    gaps = run_command(run)
    if args.json:
        print(json.dumps([{"locale": g.locale, "kind": g.kind, "key": g.key} for g in gaps]))
    else:
        for g in gaps:
            print(f"{g.locale}\t{g.kind}\t{g.key}")
        print(f"{len(gaps)} missing translation(s)" if gaps else "every catalog text is translated")
    return 1 if gaps and args.strict else 0


def register(sub: argparse._SubParsersAction) -> None:
    catalog = sub.add_parser("catalog", help="catalog maintenance")
    catalog.add_argument(
        "action",
        choices=["check-translations"],
        help="list channels, groups, topics and notices missing a language",
    )
    catalog.add_argument(
        "--locale", action="append", help="a language to check (repeatable; default: en de fr es)"
    )
    catalog.add_argument("--strict", action="store_true", help="exit 1 when something is missing")
    catalog.add_argument("--json", action="store_true")
    catalog.set_defaults(func=cmd_catalog)
