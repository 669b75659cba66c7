"""API clients: created by an operator, secrets shown once and stored only as a keyed hash.

A client secret is 32 random bytes, so a keyed fast hash (HMAC-SHA256 with a key derived from the pepper)
is as strong as a slow one and costs microseconds on the event loop. Clients made before kept a salted
scrypt hash: it is checked in a small thread pool off the event loop and replaced by the keyed hash on the
client's next successful sign-in. Human passwords (staff accounts) keep a slow password hash.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.auth.principal import SCOPES
from prefcenter.context import AppContext
from prefcenter.errors import InvalidInput
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import ApiClient
from prefcenter.store.unit_of_work import SYSTEM, UnitOfWork

MAX_CLIENT_ID = 64  # the column's length: a longer id names no client
KEYED = "hmac-sha256"
LEGACY = "scrypt"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# Old scrypt hashes are checked here, two at a time at most (16 MiB and ~50 ms each), never on the event loop.
_legacy_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="legacy-secret")
# What an unknown client id is compared with: the same keyed hash and comparison as a wrong secret.
_NO_CLIENT = KEYED + "$" + "0" * 64


def secret_hash_key(keys: KeyMaterial) -> bytes:
    """The server key of client secret hashes, derived from the pepper (its own purpose, its own key)."""
    return hmac.new(keys.pepper, b"prefcenter api client secret hash", hashlib.sha256).digest()


def hash_secret(key: bytes, secret: str) -> str:
    return KEYED + "$" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def _keyed_matches(key: bytes, stored: str, secret: str) -> bool:
    return hmac.compare_digest(hash_secret(key, secret).encode(), stored.encode())


def legacy_hash_secret(secret: str) -> str:
    """The salted scrypt hash clients were stored with before keyed hashes (kept for tests of the upgrade)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return LEGACY + "$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def _legacy_matches(stored: str, secret: str) -> bool:
    try:
        _scheme, salt_b64, digest_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    except ValueError:
        return False
    return hmac.compare_digest(hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT), expected)


async def secret_matches(key: bytes, stored: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from; never runs a slow hash on the event loop."""
    if stored.startswith(KEYED + "$"):
        return _keyed_matches(key, stored, secret)
    if stored.startswith(LEGACY + "$"):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_legacy_checks, _legacy_matches, stored, secret)
    return False


async def authenticate_client(ctx: AppContext, client_id: str, secret: str) -> ApiClient | None:
    """The client when id and secret match an enabled client; None otherwise.

    Unknown, disabled and wrong all answer None after the same work (one read, one keyed hash), so the
    answer and its timing never tell whether a client id exists. A right secret under an old scrypt hash
    upgrades the stored hash to the keyed one."""
    key = secret_hash_key(ctx.keys)
    async with ctx.db.read_session() as session:
        client = await session.get(ApiClient, client_id) if 0 < len(client_id) <= MAX_CLIENT_ID else None
    stored = client.secret_hash if client is not None else _NO_CLIENT
    matches = await secret_matches(key, stored, secret)
    if client is None or client.disabled_at is not None or not matches:
        return None
    if not stored.startswith(KEYED + "$"):
        async with ctx.db.write_session() as session:
            await session.execute(
                update(ApiClient)
                .where(ApiClient.id == client.id, ApiClient.secret_hash == stored)
                .values(secret_hash=hash_secret(key, secret))
            )
    return client


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(f"unknown scope(s): {', '.join(unknown)}; known scopes: {', '.join(SCOPES)}")
    if not scopes:
        raise InvalidInput("a client needs at least one scope")
    return sorted(set(scopes))


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str
    name: str
    scopes: list[str]


async def create_client(
    uow: UnitOfWork, name: str, scopes: list[str], client_id: str | None = None
) -> NewClient:
    scopes = validate_scopes(scopes)
    client_id = client_id or "pc_" + secrets.token_hex(8)
    if await uow.session.get(ApiClient, client_id) is not None:
        raise InvalidInput(f"a client with id {client_id} exists already")
    secret = secrets.token_urlsafe(32)
    uow.session.add(
        ApiClient(
            id=client_id,
            name=name,
            secret_hash=hash_secret(secret_hash_key(uow.keys), secret),
            scopes=" ".join(scopes),
            created_at=uow.now,
        )
    )
    await uow.append_event(
        "client.created", actor=SYSTEM, data={"client_id": client_id, "name": name, "scopes": scopes}
    )
    return NewClient(client_id, secret, name, scopes)


async def disable_client(uow: UnitOfWork, client_id: str) -> None:
    client = await uow.session.get(ApiClient, client_id)
    if client is None:
        raise InvalidInput(f"no client with id {client_id}")
    client.disabled_at = uow.now
    await uow.append_event("client.disabled", actor=SYSTEM, data={"client_id": client_id})


async def list_clients(session: AsyncSession) -> list[ApiClient]:
    return list((await session.execute(select(ApiClient).order_by(ApiClient.created_at))).scalars())
