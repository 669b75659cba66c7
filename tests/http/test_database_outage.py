"""A database that is away answers 503 (or 507 for a full disk) with Retry-After, never 500, and the server
recovers by itself: a stopped PostgreSQL, a read-only database on both engines, a full SQLite disk."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy import event

from prefcenter.store import migrate
from prefcenter.store.outage import database_outage
from tests.conftest import close_api, make_settings, open_api
from tests.support.postgres import PostgresUnavailable, _find, create_database, throwaway_cluster

PREFERENCE = {
    "touchpoint": "web",
    "items": [{"channel": "email", "topic": "product_updates", "status": "opted_out"}],
}


def _assert_retryable(response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["status"] == status and body["type"].endswith("/" + slug)


async def _writes(api, subject_id: str) -> list:
    h = await api.headers("preferences:write")
    return [
        await api.client.patch(f"/v1/subjects/{subject_id}/preferences", json=PREFERENCE, headers=h),
        await api.client.patch(
            f"/v1/subjects/{subject_id}/preferences",
            json=PREFERENCE,
            headers={**h, "Idempotency-Key": f"k-{uuid.uuid4().hex}"},
        ),
        await api.client.post("/v1/subjects", json={"external_id": f"c-{uuid.uuid4().hex[:8]}"}, headers=h),
    ]


@asynccontextmanager
async def _on_new_write_connections(api, run: Callable):
    """Run ``run(dbapi_connection)`` on every new write connection (the pool is emptied first) until exit."""
    engine = api.ctx.db.write_engine.sync_engine
    event.listen(engine, "connect", run)
    await api.ctx.db.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", run)
        await api.ctx.db.dispose()


def _pragma(statement: str) -> Callable:
    def run(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    return run


@pytest.fixture
async def sqlite_api(new_backend):
    api = await open_api(new_backend("sqlite"))
    yield api
    await close_api(api)


async def test_a_read_only_sqlite_database_answers_503_and_recovers(sqlite_api):
    api = sqlite_api
    subject = await api.new_subject()
    h = await api.headers("preferences:read")
    await api.headers("preferences:write")
    async with _on_new_write_connections(api, _pragma("PRAGMA query_only = 1")):
        for response in await _writes(api, subject["id"]):
            _assert_retryable(response, 503, "database-unavailable")
        assert (await api.client.get(f"/v1/subjects/{subject['id']}/profile", headers=h)).status_code == 200
    assert all(r.status_code < 300 for r in await _writes(api, subject["id"]))


async def test_a_full_sqlite_disk_answers_507_and_recovers(sqlite_api):
    api = sqlite_api
    subject = await api.new_subject()

    def no_more_pages(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    h = await api.headers("preferences:write")
    async with _on_new_write_connections(api, no_more_pages):
        for attempt in range(500):  # the pages' free space runs out after a few subjects
            identities = [{"kind": "email", "value": f"{uuid.uuid4().hex * 3}@example.com"} for _ in range(5)]
            body = {"external_id": f"c-{attempt}-{uuid.uuid4().hex[:8]}", "identities": identities}
            response = await api.client.post("/v1/subjects", json=body, headers=h)
            if response.status_code != 201:
                break
        _assert_retryable(response, 507, "storage-full")
        for response in await _writes(api, subject["id"]):
            assert response.status_code in (200, 201, 507), response.text
    assert all(r.status_code < 300 for r in await _writes(api, subject["id"]))


async def test_a_sqlite_file_that_cannot_be_opened_answers_503(tmp_path):
    settings = make_settings(tmp_path / "var", f"sqlite+aiosqlite:///{tmp_path / 'db' / 'prefcenter.db'}")
    migrate.upgrade(settings.database.url)
    api = await open_api(settings)
    try:
        subject = await api.new_subject()
        await api.headers("preferences:write")  # the token before the database goes away
        await api.ctx.db.dispose()
        (tmp_path / "db").rename(tmp_path / "db-away")
        try:
            for response in await _writes(api, subject["id"]):
                _assert_retryable(response, 503, "database-unavailable")
        finally:
            await api.ctx.db.dispose()
            (tmp_path / "db-away").rename(tmp_path / "db")
        assert all(r.status_code < 300 for r in await _writes(api, subject["id"]))
    finally:
        await close_api(api)


@pytest.mark.postgres
async def test_a_read_only_postgresql_database_answers_503_and_recovers(new_backend):
    settings = new_backend("postgres")
    api = await open_api(settings)
    url = settings.database.url
    dsn, name = url.replace("postgresql+asyncpg://", "postgresql://").rsplit("/", 1)
    try:
        subject = await api.new_subject()
        await api.headers("preferences:write")
        admin = await asyncpg.connect(f"{dsn}/postgres")
        try:
            await admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            await api.ctx.db.dispose()
            for response in await _writes(api, subject["id"]):
                _assert_retryable(response, 503, "database-unavailable")
            await admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            await api.ctx.db.dispose()
        finally:
            await admin.close()
        assert all(r.status_code < 300 for r in await _writes(api, subject["id"]))
    finally:
        await close_api(api)


def _pg_ctl(data_dir: str, *args: str) -> None:
    pg_ctl = _find("pg_ctl")
    subprocess.run(
        ["runuser", "-u", "postgres", "--", pg_ctl, "-D", data_dir, *args], check=True, capture_output=True
    )


@pytest.mark.postgres
async def test_a_stopped_postgresql_answers_503_and_the_server_recovers(tmp_path):
    """A cluster of our own (never the shared one): stopped under a running app, then started again."""
    try:
        cluster = throwaway_cluster()
        base = cluster.__enter__()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        settings = make_settings(tmp_path / "var", create_database(base, "outage"))
        migrate.upgrade(settings.database.url)
        conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://") + "/outage")
        data_dir = await conn.fetchval("SELECT current_setting('data_directory')")
        await conn.close()
        api = await open_api(settings)
        try:
            subject = await api.new_subject()
            read = await api.headers("preferences:read", "consent:check")
            await api.headers("preferences:write")
            check = "/v1/consent-checks?subject=" + subject["id"] + "&channel=email&topic=newsletter"
            assert (await api.client.get(check, headers=read)).status_code == 200

            _pg_ctl(data_dir, "-m", "fast", "-w", "stop")
            for response in [
                *await _writes(api, subject["id"]),
                await api.client.get(f"/v1/subjects/{subject['id']}/profile", headers=read),
                await api.client.get(check, headers=read),
            ]:
                _assert_retryable(response, 503, "database-unavailable")

            # starts it again with the options it last ran with; its output to a file, or run() waits on it
            _pg_ctl(data_dir, "-w", "-l", f"{data_dir}/../log", "restart")
            for _ in range(50):
                responses = await _writes(api, subject["id"])
                if all(r.status_code < 300 for r in responses):
                    break
                assert all(r.status_code == 503 for r in responses), [r.text for r in responses]
                await asyncio.sleep(0.2)
            else:
                pytest.fail("the server did not recover after PostgreSQL came back")
            assert (await api.client.get(check, headers=read)).status_code == 200
        finally:
            await close_api(api)
    finally:
        cluster.__exit__(None, None, None)


class _Sqlstate(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error, expected",
    [
        (asyncpg.exceptions.DiskFullError("could not extend file: No space left on device"), "full"),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), "unavailable"),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), "unavailable"),
        (asyncpg.exceptions.ReadOnlySQLTransactionError("read-only transaction"), "unavailable"),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), "unavailable"),
        (_Sqlstate("53100"), "full"),
        (_Sqlstate("08006"), "unavailable"),
        (_Sqlstate("23505"), None),  # a unique violation is a real error
        (ValueError("a bug"), None),
        (ConnectionRefusedError("not raised by a database driver"), None),
    ],
)
def test_outage_kinds(error, expected):
    assert database_outage(error) == expected


def test_an_outage_is_found_under_sqlalchemys_wrapper():
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT ...", {}, asyncpg.exceptions.DiskFullError("no space"))
    assert database_outage(wrapped) == "full"
    try:
        try:
            raise asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
        except Exception as exc:
            raise RuntimeError("while committing") from exc
    except RuntimeError as outer:
        assert database_outage(outer) == "unavailable"
