"""Shared fixtures: every API test runs through the real app over HTTP, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from prefcenter.keys import generate_key_files
from prefcenter.settings import DatabaseSettings, KeySettings, LogSettings, Settings
from prefcenter.store import migrate
from tests.support.postgres import PostgresUnavailable, create_database, throwaway_cluster

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# CI runs the property tests (and schemathesis, which is built on Hypothesis) with a fixed seed, so a red
# build is always reproducible; local runs explore new examples each time. No timing checks there: on a
# busy 2-core runner a slow example is the machine, not the property.
hypothesis_settings.register_profile(
    "ci",
    derandomize=True,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def pg_base():
    """A PostgreSQL cluster for the session: PREFCENTER_TEST_PG_URL, or a throwaway one started here."""
    given = os.environ.get("PREFCENTER_TEST_PG_URL")
    if given:
        yield given
        return
    try:
        with throwaway_cluster() as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("PREFCENTER_REQUIRE_PG") == "1":
            raise
        pytest.skip(str(exc))


def make_settings(var: Path, url: str) -> Settings:
    var.mkdir(parents=True, exist_ok=True)
    if not (var / "master.key").exists():
        generate_key_files(var)
    return Settings(
        var_dir=var,
        database=DatabaseSettings(url=url),
        keys=KeySettings(var / "master.key", var / "pepper.key", var / "signing.key", generate_missing=False),
        log=LogSettings(format="json", level="INFO"),
    )


@dataclass
class BackendFactory:
    tmp_path_factory: pytest.TempPathFactory
    request: pytest.FixtureRequest

    def __call__(self, name: str, *, migrated: bool = True) -> Settings:
        var = self.tmp_path_factory.mktemp(f"{name}-var")
        if name == "sqlite":
            url = f"sqlite+aiosqlite:///{var / 'prefcenter.db'}"
        else:
            url = create_database(self.request.getfixturevalue("pg_base"), f"t_{uuid.uuid4().hex[:12]}")
        settings = make_settings(var, url)
        if migrated:
            migrate.upgrade(settings.database.url)
        return settings


@pytest.fixture(scope="session")
def new_backend(tmp_path_factory, request) -> BackendFactory:
    """Make a fresh, migrated database of the given engine (for tests that need one of their own)."""
    return BackendFactory(tmp_path_factory, request)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, new_backend) -> Settings:
    return new_backend(request.param)


class Api:
    """The real app behind an HTTP client, plus helpers to get tokens the way clients do."""

    def __init__(self, app, client: httpx.AsyncClient, settings: Settings) -> None:
        self.app = app
        self.client = client
        self.settings = settings
        self.ctx = app.state.ctx
        self._tokens: dict[tuple[str, ...], str] = {}

    @property
    def engine(self) -> str:
        return "sqlite" if self.settings.database.is_sqlite else "postgres"

    async def new_client(self, *scopes: str) -> tuple[str, str]:
        from prefcenter.auth.clients import create_client

        async with self.ctx.unit_of_work() as uow:
            made = await create_client(uow, "test client", list(scopes))
        return made.client_id, made.client_secret

    async def token(self, *scopes: str) -> str:
        key = tuple(sorted(scopes))
        if key not in self._tokens:
            client_id, secret = await self.new_client(*scopes)
            response = await self.client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            )
            assert response.status_code == 200, response.text
            self._tokens[key] = response.json()["access_token"]
        return self._tokens[key]

    async def headers(self, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(*scopes)}"}

    async def admin(self) -> dict[str, str]:
        return await self.headers("admin")

    async def new_subject(self, **body) -> dict:
        body.setdefault("external_id", f"cust-{uuid.uuid4().hex[:10]}")
        response = await self.client.post(
            "/v1/subjects", json=body, headers=await self.headers("preferences:write")
        )
        assert response.status_code == 201, response.text
        return response.json()


async def open_api(settings: Settings):
    from prefcenter.app import create_app
    from prefcenter.demo import load_demo

    app = create_app(settings)
    # The app runs in this event loop (one asyncpg pool, one loop), over real ASGI HTTP semantics.
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
    await load_demo(app.state.ctx)
    return Api(app, client, settings)


async def close_api(api: Api) -> None:
    await api.client.aclose()
    await api.ctx.db.dispose()


@pytest.fixture(scope="session")
async def api(backend):
    harness = await open_api(backend)
    yield harness
    await close_api(harness)
