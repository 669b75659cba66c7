"""Sign-in hardening on /oauth/token: failures throttled per (client id, address) and per address, client
addresses from forwarding headers only through trusted proxies, keyed secret hashes (old scrypt hashes
checked off the event loop and upgraded), one answer and the same work for unknown ids."""

from __future__ import annotations

import hashlib
import threading
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from prefcenter.auth import clients
from prefcenter.core.throttle import throttle_keys
from prefcenter.store.models import ApiClient
from prefcenter.store.models_auth import SignInFailure
from prefcenter.store.unit_of_work import utcnow

PROBLEM = "application/problem+json"


def from_address(app, address: str) -> httpx.AsyncClient:
    """An HTTP client whose TCP peer address is ``address``."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://testserver.local"
    )


async def ask(client: httpx.AsyncClient, client_id: str, secret: str, **headers: str) -> httpx.Response:
    return await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        headers=headers,
    )


@asynccontextmanager
async def app_trusting(api, *proxies: str):
    """A second server process on the same database, behind the given trusted proxies."""
    from prefcenter.app import create_app

    app = create_app(replace(api.settings, server=replace(api.settings.server, trusted_proxies=proxies)))
    try:
        yield app
    finally:
        await app.state.ctx.db.dispose()


async def test_thirty_wrong_secrets_are_throttled_with_retry_after(api):
    client_id, secret = await api.new_client("preferences:read")
    limit = api.settings.sign_in.max_failures
    async with from_address(api.app, "198.51.100.10") as attacker:
        codes = [(await ask(attacker, client_id, f"wrong-{n}")).status_code for n in range(30)]
        assert codes == [401] * limit + [429] * (30 - limit)
        refused = await ask(attacker, client_id, "wrong-again")
        assert refused.status_code == 429 and refused.headers["content-type"].startswith(PROBLEM)
        assert refused.json()["type"].endswith("/rate-limited")
        assert 0 < int(refused.headers["retry-after"]) <= api.settings.sign_in.window_seconds
        # Locked is locked: the right secret from that address gets no token either (no guessing oracle).
        assert (await ask(attacker, client_id, secret)).status_code == 429
    # The production client elsewhere is not locked out, and its own failures count on their own.
    async with from_address(api.app, "198.51.100.11") as production:
        assert (await ask(production, client_id, secret)).status_code == 200
        assert (await ask(production, client_id, "typo")).status_code == 401
        assert (await ask(production, client_id, secret)).status_code == 200


async def test_one_address_trying_many_client_ids_is_throttled_as_an_address(api):
    per_pair, per_address = api.settings.sign_in.max_failures, api.settings.sign_in.max_failures_per_address
    codes = []
    async with from_address(api.app, "198.51.100.20") as attacker:
        for n in range(per_address // per_pair + 1):
            for m in range(per_pair):
                codes.append((await ask(attacker, f"guess-{n}", f"wrong-{m}")).status_code)
        assert codes == [401] * per_address + [429] * per_pair
        client_id, secret = await api.new_client("preferences:read")  # a client never tried from here
        r = await ask(attacker, client_id, secret)
        assert r.status_code == 429 and "your address" in r.json()["detail"]
        assert int(r.headers["retry-after"]) > 0
    async with from_address(api.app, "198.51.100.21") as elsewhere:
        assert (await ask(elsewhere, client_id, secret)).status_code == 200


async def test_success_clears_the_pair_but_not_the_count_of_a_full_window(api):
    client_id, secret = await api.new_client("preferences:read")
    async with from_address(api.app, "198.51.100.30") as client:
        for _ in range(api.settings.sign_in.max_failures - 1):
            assert (await ask(client, client_id, "typo")).status_code == 401
        assert (await ask(client, client_id, secret)).status_code == 200
        # the typos before a success are forgiven: a fresh allowance of failures
        for _ in range(api.settings.sign_in.max_failures):
            assert (await ask(client, client_id, "typo")).status_code == 401
        assert (await ask(client, client_id, "typo")).status_code == 429


async def test_unknown_ids_get_the_same_answer_and_the_same_work_as_wrong_secrets(api, monkeypatch):
    client_id, _secret = await api.new_client("preferences:read")
    disabled_id, disabled_secret = await api.new_client("preferences:read")
    async with api.ctx.unit_of_work() as uow:
        await clients.disable_client(uow, disabled_id)
    hashed = []
    real_hash = clients.hash_secret
    monkeypatch.setattr(clients, "hash_secret", lambda key, s: hashed.append(s) or real_hash(key, s))
    answers = []
    async with from_address(api.app, "198.51.100.40") as client:
        for cid, given in (
            (client_id, "wrong"),
            ("pc_0000000000000000", "wrong"),
            (disabled_id, disabled_secret),
        ):
            hashed.clear()
            r = await ask(client, cid, given)
            assert hashed == [given], cid  # one keyed hash each, nothing slow
            body = r.json()
            answers.append((r.status_code, r.headers["content-type"], r.headers["www-authenticate"], body))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401 and answers[0][3]["error"] == "invalid_client"


async def test_failures_through_a_trusted_proxy_count_per_forwarded_client(api):
    client_id, secret = await api.new_client("preferences:read")
    async with app_trusting(api, "10.0.0.0/8") as app, from_address(app, "10.1.2.3") as proxy:
        for _ in range(api.settings.sign_in.max_failures):
            r = await ask(proxy, client_id, "wrong", **{"X-Forwarded-For": "203.0.113.50"})
            assert r.status_code == 401
        assert (await ask(proxy, client_id, secret, **{"X-Forwarded-For": "203.0.113.50"})).status_code == 429
        # the proxy's other clients are not behind the attacker's lock; a client-written hop is skipped
        # past only when the proxy is trusted, so "1.2.3.4, 203.0.113.51" is 203.0.113.51
        r = await ask(proxy, client_id, secret, **{"X-Forwarded-For": "1.2.3.4, 203.0.113.51"})
        assert r.status_code == 200
        r = await ask(proxy, client_id, secret, Forwarded='for="[2001:db8::1]:4711";proto=https')
        assert r.status_code == 200
        r = await ask(proxy, client_id, secret, **{"X-Forwarded-For": "10.9.9.9, 203.0.113.50, 10.0.0.1"})
        assert r.status_code == 429  # trusted hops on the right are skipped: the client is 203.0.113.50


async def test_forwarding_headers_from_an_untrusted_peer_are_ignored(api):
    client_id, secret = await api.new_client("preferences:read")
    async with from_address(api.app, "198.51.100.50") as attacker:
        for n in range(api.settings.sign_in.max_failures):
            # a new made-up address on every try does not make a new key
            r = await ask(attacker, client_id, "wrong", **{"X-Forwarded-For": f"192.0.2.{n}"})
            assert r.status_code == 401
        r = await ask(
            attacker, client_id, secret, **{"X-Forwarded-For": "192.0.2.200"}, Forwarded="for=192.0.2.201"
        )
        assert r.status_code == 429


async def test_a_client_with_an_old_scrypt_hash_signs_in_and_is_upgraded(api, monkeypatch):
    client_id, secret = await api.new_client("preferences:read")
    async with api.ctx.db.write_session() as session:
        await session.execute(
            update(ApiClient)
            .where(ApiClient.id == client_id)
            .values(secret_hash=clients.legacy_hash_secret(secret))
        )
    loop_thread = threading.get_ident()
    scrypt_threads = []
    real_scrypt = hashlib.scrypt

    def watched_scrypt(*args, **kwargs):
        scrypt_threads.append(threading.get_ident())
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", watched_scrypt)
    async with from_address(api.app, "198.51.100.60") as client:
        assert (await ask(client, client_id, "wrong")).status_code == 401
        async with api.ctx.db.read_session() as session:
            stored = (
                await session.execute(select(ApiClient.secret_hash).where(ApiClient.id == client_id))
            ).scalar()
        assert stored.startswith("scrypt$")  # a wrong secret upgrades nothing
        assert (await ask(client, client_id, secret)).status_code == 200
        assert len(scrypt_threads) == 2 and loop_thread not in scrypt_threads  # never on the event loop
        async with api.ctx.db.read_session() as session:
            stored = (
                await session.execute(select(ApiClient.secret_hash).where(ApiClient.id == client_id))
            ).scalar()
        assert stored.startswith("hmac-sha256$")
        assert (await ask(client, client_id, secret)).status_code == 200
        assert len(scrypt_threads) == 2  # the keyed hash from now on


async def test_a_lock_ends_with_its_window_and_ended_windows_are_forgotten(api):
    client_id, secret = await api.new_client("preferences:read")
    pair_key, address_key = throttle_keys(api.ctx.keys.pepper, client_id, "198.51.100.70")
    async with from_address(api.app, "198.51.100.70") as client:
        for _ in range(api.settings.sign_in.max_failures):
            assert (await ask(client, client_id, "wrong")).status_code == 401
        assert (await ask(client, client_id, secret)).status_code == 429
        async with api.ctx.db.write_session() as session:  # the window runs out
            await session.execute(
                update(SignInFailure)
                .where(SignInFailure.key.in_((pair_key, address_key)))
                .values(window_ends_at=utcnow() - timedelta(seconds=1))
            )
        assert (await ask(client, client_id, "wrong")).status_code == 401  # a fresh window of one failure
        async with api.ctx.db.read_session() as session:
            rows = {
                row.key: row
                for row in (
                    await session.execute(
                        select(SignInFailure).where(SignInFailure.key.in_((pair_key, address_key)))
                    )
                ).scalars()
            }
        assert rows[pair_key].failures == 1 and rows[pair_key].window_ends_at > utcnow()
        assert rows[address_key].failures == 1
        assert (await ask(client, client_id, secret)).status_code == 200

    stale = "0" * 64
    async with api.ctx.db.write_session() as session:
        session.add(SignInFailure(key=stale, failures=3, window_ends_at=utcnow() - timedelta(hours=1)))
    async with from_address(api.app, "198.51.100.71") as client:
        assert (await ask(client, "pc_nobody_here", "wrong")).status_code == 401
    async with api.ctx.db.read_session() as session:
        assert await session.get(SignInFailure, stale) is None  # pruned by the next failure
