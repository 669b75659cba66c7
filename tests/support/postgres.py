"""A throwaway PostgreSQL cluster (initdb + pg_ctl on a free port in a temp dir) for tests and benchmarks.

PostgreSQL refuses to run as root, so as root the cluster runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _find(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{binary}"), reverse=True):
        return str(candidate)
    return None


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster and yield its base URL ``postgresql+asyncpg://test@127.0.0.1:PORT``; stop and delete it after."""
    initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
    if not initdb or not pg_ctl:
        raise PostgresUnavailable(
            "initdb/pg_ctl not found; install PostgreSQL (apt-get install -y postgresql)"
        )
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="prefcenter-pg-"))
    data, log = base / "data", base / "log"
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(base, "postgres")
        base.chmod(0o700)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "test", "-E", "UTF8"],
            check=True,
            capture_output=True,
            env=env,
        )
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
            env=env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"postgresql+asyncpg://test@127.0.0.1:{port}"
    except subprocess.CalledProcessError as exc:
        raise PostgresUnavailable(
            f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[-2000:]}"
        ) from exc
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, env=env
            )
        shutil.rmtree(base, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    """CREATE DATABASE ``name`` on the cluster and return its async URL."""
    import asyncio

    import asyncpg

    dsn = base_url.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"

    async def create() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:  # callable from inside a running event loop too
        pool.submit(asyncio.run, create()).result()
    return f"{base_url}/{name}"
