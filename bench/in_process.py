"""What the in-process benches share: settings over a fresh var dir (keys generated, the schema migrated)
and a bearer token for an API client made with the scopes a bench needs."""

from __future__ import annotations

from pathlib import Path

import httpx

from prefcenter.keys import generate_key_files
from prefcenter.settings import DatabaseSettings, KeySettings, LogSettings, RateLimitSettings, Settings
from prefcenter.store import migrate


def migrated_settings(var: Path, url: str | None = None, *, rate_limit: bool = True) -> Settings:
    """Settings over ``var`` (keys generated there), the database at ``url`` (default: SQLite in ``var``)
    migrated; quiet logs; ``rate_limit=False`` turns the per-client limit off."""
    generate_key_files(var)
    url = url or f"sqlite+aiosqlite:///{var / 'prefcenter.db'}"
    migrate.upgrade(url)
    unlimited = {} if rate_limit else {"rate_limit": RateLimitSettings(requests_per_second=0)}
    return Settings(
        var_dir=var,
        database=DatabaseSettings(url=url),
        keys=KeySettings(var / "master.key", var / "pepper.key", var / "signing.key", generate_missing=False),
        log=LogSettings(format="json", level="WARNING"),
        **unlimited,
    )


async def client_bearer(ctx, client: httpx.AsyncClient, scopes: list[str]) -> dict[str, str]:
    """The Authorization header of a new API client holding ``scopes``."""
    from prefcenter.auth.clients import create_client

    async with ctx.unit_of_work() as uow:
        made = await create_client(uow, "bench", scopes)
    answer = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": made.client_id,
            "client_secret": made.client_secret,
        },
    )
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def create_people(client: httpx.AsyncClient, auth: dict[str, str], count: int) -> list[str]:
    """``count`` people made through the API, each with an email identity; their ids."""
    ids = []
    for i in range(count):
        made = await client.post(
            "/v1/subjects",
            json={
                "external_id": f"bench-{i}",
                "identities": [{"kind": "email", "value": f"b{i}@example.com"}],
            },
            headers=auth,
        )
        ids.append(made.json()["id"])
    return ids
