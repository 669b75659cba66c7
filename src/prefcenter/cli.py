"""``prefcenter``: serve, worker, db, clients, audit, openapi, keys, demo, and every area's commands
(assembled from ``prefcenter/areas.py``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from prefcenter.areas import AREAS
from prefcenter.cli_arguments import single_line
from prefcenter.cli_support import CommandError, command_context, run_command
from prefcenter.logs import configure_logging
from prefcenter.settings import Settings, SettingsError

# --- serve ------------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from prefcenter.app import create_app
    from prefcenter.store import migrate

    # The app factory, uvicorn's worker processes and the job worker read their settings from the
    # environment: hand them the host and port served here, so default links name that address.
    if args.host:
        os.environ["PREFCENTER_HOST"] = args.host
    if args.port is not None:
        os.environ["PREFCENTER_PORT"] = str(args.port)
    settings = Settings.from_env()
    if args.migrate:
        migrate.upgrade(settings.database.url, keys=settings.keys)
    if args.demo:
        from prefcenter.demo import load_demo

        creds = run_command(load_demo)
        base = settings.server.public_url
        print(
            "\nDemo client credentials (all scopes):\n"
            f"  client_id:     {creds['client_id']}\n"
            f"  client_secret: {creds['client_secret']}\n"
            f"  demo subject:  {creds['demo_subject_id']}\n"
            f"Get a token:\n  curl -s -X POST {base}/oauth/token -d grant_type=client_credentials "
            f"-d client_id={creds['client_id']} -d client_secret={creds['client_secret']}\n",
            flush=True,
        )
        from prefcenter.web.bundle import BUNDLE_URL, bundle

        print(
            f"Widget demo:     {base}/\n"
            f"Widget bundle:   {base}{BUNDLE_URL}\n"
            f'  integrity="{bundle().sri}" crossorigin="anonymous"\n'
            f"API docs:        {base}/schema\n"
            f"Staff console:   {base}/admin\n",
            flush=True,
        )
        admin = creds["demo_admin"]
        if admin["set_password_url"]:
            print(
                f"Demo admin:      {admin['email']}: set a password (once, within 24 hours) at\n"
                f"  {admin['set_password_url']}\n",
                flush=True,
            )
        else:
            print(
                f"Demo admin:      {admin['email']} (password set; a new link: "
                f"prefcenter staff reset-password {admin['email']})\n",
                flush=True,
            )
    worker = None
    if args.with_worker:
        # The durable job worker beside the API (erasures, exports, webhook deliveries); stopped with it:
        # by the ``finally`` below on SIGTERM and Ctrl-C, by its own watch on this pid when this process
        # is killed outright. Its own session, so Ctrl-C reaches it once (from here), not twice.
        worker = subprocess.Popen(
            [sys.executable, "-m", "prefcenter.cli", "worker", "--parent-pid", str(os.getpid())],
            start_new_session=True,
        )
        print(f"Job worker:      pid {worker.pid}\n", flush=True)
    # uvicorn stops on SIGTERM, then raises it again with the handler found at start; the default one
    # would end this process before the ``finally`` stops the worker.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(
            # Worker processes import the factory by name (uvicorn cannot hand them an object).
            "prefcenter.app:create_app" if args.workers > 1 else create_app,
            factory=True,
            host=settings.server.host,
            port=settings.server.port,
            log_config=None,
            access_log=False,
            # The app reads forwarding headers itself, from PREFCENTER_TRUSTED_PROXIES only
            # (http/client_address.py); uvicorn's own rewrite would trust 127.0.0.1 by default.
            proxy_headers=False,
            workers=args.workers,
        )
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


# --- worker -----------------------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    from prefcenter.worker import build_worker, stop_with_parent  # every area's jobs: only this command

    async def main() -> int:
        ctx = command_context()
        configure_logging(ctx.settings.log)
        worker = build_worker(
            ctx, worker_id=args.worker_id, concurrency=args.concurrency, webhooks=not args.no_webhooks
        )
        worker.install_signal_handlers()
        if args.parent_pid is not None:
            asyncio.get_running_loop().create_task(stop_with_parent(worker, args.parent_pid))
        try:
            if args.drain:
                await worker.drain()
            else:
                await worker.run()
        finally:
            await ctx.db.dispose()
        return 0

    return asyncio.run(main())


# --- db ---------------------------------------------------------------------------------------------------


def cmd_db(args: argparse.Namespace) -> int:
    from prefcenter.keys import load_keys
    from prefcenter.store import migrate

    settings = Settings.from_env()
    database = settings.database
    if args.action == "upgrade":
        load_keys(settings.keys)  # first run of the embedded default: create the keys beside the database
        migrate.upgrade(database.url, args.revision or "heads", keys=settings.keys)
    elif args.action == "downgrade":
        if not args.revision:
            raise CommandError("downgrade needs a revision, e.g. `prefcenter db downgrade base`")
        migrate.downgrade(database.url, args.revision)
    else:
        migrate.current(database.url)
    return 0


# --- clients ----------------------------------------------------------------------------------------------


def cmd_clients(args: argparse.Namespace) -> int:
    from prefcenter.auth import clients
    from prefcenter.errors import DomainError

    if args.action == "create":
        scopes = [s for s in (args.scopes or "").replace(",", " ").split() if s]

        async def create(ctx):
            async with ctx.unit_of_work() as uow:
                return await clients.create_client(uow, args.name, scopes)

        try:
            new = run_command(create)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        if args.json:
            print(
                json.dumps(
                    {"client_id": new.client_id, "client_secret": new.client_secret, "scopes": new.scopes}
                )
            )
        else:
            print(
                f"client_id:     {new.client_id}\nclient_secret: {new.client_secret}\nscopes:        {' '.join(new.scopes)}"
            )
            print("The secret is shown once; prefcenter keeps only its hash.", file=sys.stderr)
    elif args.action == "list":

        async def listing(ctx):
            async with ctx.db.read_session() as session:
                return await clients.list_clients(session)

        for c in run_command(listing):
            state = "disabled" if c.disabled_at else "active"
            print(f"{c.id}\t{state}\t{c.scopes}\t{c.name}")
    else:
        if not args.client_id:
            raise CommandError("disable needs a client id")

        async def disable(ctx):
            async with ctx.unit_of_work() as uow:
                await clients.disable_client(uow, args.client_id)

        try:
            run_command(disable)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        print(f"disabled {args.client_id}")
    return 0


# --- audit ------------------------------------------------------------------------------------------------


def cmd_audit(args: argparse.Namespace) -> int:
    from prefcenter.audit.service import verify_log

    async def run(ctx):
        if args.action == "checkpoint":
            async with ctx.unit_of_work() as uow:
                await uow.checkpoint_now()
        async with ctx.db.read_session() as session:
            return await verify_log(session, ctx.keys)

    result = run_command(run)
    if args.json:
        print(json.dumps(result.__dict__))
    elif result.ok:
        print(
            f"audit log OK: {result.events_checked} events, head seq {result.head_seq}, "
            f"{result.checkpoints_checked} signed checkpoints verified"
        )
    else:
        print(
            f"audit log BROKEN at seq {result.first_bad_seq}: {result.problem} "
            f"({result.events_checked} events before it verified)",
            file=sys.stderr,
        )
    return 0 if result.ok else 1


# --- openapi, keys ----------------------------------------------------------------------------------------


def cmd_openapi(args: argparse.Namespace) -> int:
    from prefcenter.openapi_export import export_openapi

    text = export_openapi()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from prefcenter.keys import generate_key_files

    if args.action == "rewrap":
        from prefcenter.store.key_rotation import rewrap_batch

        async def rewrap(ctx):
            total = 0
            while True:
                async with ctx.unit_of_work() as uow:
                    done = await rewrap_batch(uow)
                total += done
                if not done:
                    return total

        print(f"re-wrapped {run_command(rewrap)} subject data keys under the current master key")
        return 0
    if not args.dir:
        raise CommandError("generate needs --dir DIRECTORY")

    directory = Path(args.dir)
    try:
        made = generate_key_files(directory)
    except FileExistsError as exc:
        raise CommandError(f"{exc.filename} exists already; refusing to overwrite a key") from exc
    for path in made:
        print(path)
    return 0


def cmd_demo(_args: argparse.Namespace) -> int:
    from prefcenter.demo import load_demo

    print(json.dumps(run_command(load_demo), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prefcenter", description="Preference and consent management.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API, widget and admin pages")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--demo", action="store_true", help="load the demo catalog and print demo credentials")
    serve.add_argument(
        "--with-worker", action="store_true", help="also run `prefcenter worker` beside the API"
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="run queued jobs (erasure, export), webhook deliveries and deadlines"
    )
    worker.add_argument(
        "--concurrency", type=int, help="parallel single jobs (default PREFCENTER_WORKER_CONCURRENCY)"
    )
    worker.add_argument("--id", dest="worker_id", help="worker name in leases and logs (default host:pid)")
    worker.add_argument("--drain", action="store_true", help="exit once there is nothing left to do")
    worker.add_argument("--no-webhooks", action="store_true", help="do not send webhook deliveries")
    worker.add_argument(
        "--parent-pid", type=int, help="stop (finishing the work in hand) when this process exits"
    )
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="schema migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(func=cmd_db)

    clients = sub.add_parser("clients", help="API clients")
    clients.add_argument("action", choices=["create", "list", "disable"])
    clients.add_argument("client_id", nargs="?", type=single_line)
    clients.add_argument("--name", default="API client", type=single_line)
    clients.add_argument("--scopes", type=single_line, help="space- or comma-separated scopes")
    clients.add_argument("--json", action="store_true")
    clients.set_defaults(func=cmd_clients)

    audit = sub.add_parser("audit", help="the audit log")
    audit.add_argument("action", choices=["verify", "checkpoint"])
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)

    openapi = sub.add_parser("openapi", help="the OpenAPI document")
    openapi.add_argument("action", choices=["export"])
    openapi.add_argument("--output", default="openapi/openapi.json")
    openapi.set_defaults(func=cmd_openapi)

    keys = sub.add_parser("keys", help="key files for production")
    keys.add_argument(
        "action", choices=["generate", "rewrap"], help="rewrap: move data keys to the current master key"
    )
    keys.add_argument("--dir")
    keys.set_defaults(func=cmd_keys)

    demo = sub.add_parser("demo", help="load the demo catalog, client and subject")
    demo.set_defaults(func=cmd_demo)

    for area in AREAS:
        if area.cli is not None:
            area.cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (CommandError, SettingsError) as exc:
        print(f"prefcenter: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
