"""The PostgreSQL check connections: no pre-ping, yet a connection the server dropped while idle is replaced."""

from __future__ import annotations

import asyncpg
import pytest

from prefcenter.store.pg_connections import PgConnections, asyncpg_dsn
from tests.checks.helpers import subject_with


@pytest.fixture
def pg_api(api):
    if api.engine != "postgres":
        pytest.skip("PostgreSQL only")
    return api


async def _terminate_other_backends(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()


async def test_checks_survive_the_server_dropping_idle_connections(pg_api):
    api = pg_api
    s = await subject_with(api, consents=[("offers", ["email"])])
    headers = await api.headers("consent:check")
    params = {"subject": s["id"], "channel": "email", "topic": "offers"}
    assert (await api.client.get("/v1/consent-checks", params=params, headers=headers)).json()["allowed"]
    dsn = asyncpg_dsn(api.ctx.db.read_engine.url)
    assert await _terminate_other_backends(dsn) >= 1
    r = await api.client.get("/v1/consent-checks", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["allowed"] is True


async def test_a_statement_error_keeps_the_connection_and_a_fresh_one_is_not_retried(pg_api):
    pool = PgConnections(asyncpg_dsn(pg_api.ctx.db.read_engine.url), size=2)
    try:
        assert (await pool.fetch("SELECT 1"))[0][0] == 1
        with pytest.raises(asyncpg.PostgresError):
            await pool.fetch("SELECT * FROM no_such_table")
        assert len(pool._idle) == 1  # the connection survived its statement error and is reused
        assert (await pool.fetch("SELECT 2"))[0][0] == 2
    finally:
        pool.close()
    broken = PgConnections("postgresql://nobody@127.0.0.1:1/none", size=1)
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await broken.fetch("SELECT 1")
