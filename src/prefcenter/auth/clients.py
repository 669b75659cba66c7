"""API clients: created by an operator, secrets shown once and stored only as a salted scrypt hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.auth.principal import SCOPES
from prefcenter.errors import InvalidInput
from prefcenter.store.models import ApiClient
from prefcenter.store.unit_of_work import SYSTEM, UnitOfWork

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_secret(stored: str, secret: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


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
            secret_hash=hash_secret(secret),
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
