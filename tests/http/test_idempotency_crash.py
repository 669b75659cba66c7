"""kill -9 of a real server under keyed writes, several times, on both engines: afterwards every key's retry
gets the original answer (the same subject) or a clean first execution, never a 409 "in progress", and no
write happened twice."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest

from prefcenter.auth.clients import create_client
from prefcenter.context import AppContext
from tests.support.live_server import live_server

WRITERS = 6
KILL_CYCLES = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request):
    return request.param


async def _token(settings, url: str) -> str:
    ctx = AppContext.build(settings)
    try:
        async with ctx.unit_of_work() as uow:
            made = await create_client(uow, "crash test", ["preferences:write", "preferences:read"])
    finally:
        await ctx.db.dispose()
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": made.client_id,
                "client_secret": made.client_secret,
            },
        )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def _write_until_killed(url: str, token: str, sent: dict[str, dict], stop: asyncio.Event) -> None:
    """Create subjects with a fresh key each until the server is gone; remember what each key answered."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while not stop.is_set():
            key = uuid.uuid4().hex
            body = {"external_id": f"crash-{key[:16]}"}
            sent[key] = {"body": body, "status": None, "answer": None}
            try:
                response = await client.post(
                    "/v1/subjects", json=body, headers={**headers, "Idempotency-Key": key}
                )
            except httpx.HTTPError:
                return  # the server died under this request: its fate is what the retry must sort out
            sent[key]["status"], sent[key]["answer"] = response.status_code, response.json()


async def _kill_under_writes(settings, token: str | None, sent: dict[str, dict]) -> str:
    with live_server(settings) as server:
        token = token or await _token(settings, server.url)
        stop = asyncio.Event()
        writers = [
            asyncio.create_task(_write_until_killed(server.url, token, sent, stop)) for _ in range(WRITERS)
        ]
        await asyncio.sleep(random.uniform(0.5, 1.5))
        server.process.kill()  # SIGKILL: no shutdown, no finally blocks
        stop.set()
        await asyncio.gather(*writers)
        server.process.wait()
    return token


async def test_kill_9_under_keyed_writes_leaves_no_key_stuck(new_backend, engine):
    settings = new_backend(engine)
    sent: dict[str, dict] = {}
    token = None
    for _ in range(KILL_CYCLES):
        token = await _kill_under_writes(settings, token, sent)
    assert sum(1 for s in sent.values() if s["status"] == 201) > 10, "too few writes landed to test anything"
    assert sum(1 for s in sent.values() if s["status"] is None) >= KILL_CYCLES

    with live_server(settings) as server:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            for key, first in sent.items():
                retry = await client.post(
                    "/v1/subjects", json=first["body"], headers={**headers, "Idempotency-Key": key}
                )
                assert retry.status_code == 201, (first, retry.text)
                if first["status"] == 201:  # acknowledged: the retry replays exactly that answer
                    assert retry.json() == first["answer"]
                    assert retry.headers.get("idempotent-replayed") == "true"
                found = await client.get(
                    "/v1/subjects", params={"external_id": first["body"]["external_id"]}, headers=headers
                )
                assert found.status_code == 200 and found.json()["id"] == retry.json()["id"]
