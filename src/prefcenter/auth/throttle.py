"""The sign-in throttle: failed sign-ins counted per (principal, client address) and per address.

Generic over what signs in: the principal is the id someone tries to sign in as (an API client id today, a
staff account later). The counts live in the database (``sign_in_failures``), so every server process and
every machine behind the same database sees the same counts. An attacker elsewhere locks only their own
(principal, address) pair and their own address, never the principal: the right client from another address
still signs in. A locked key is refused before any secret is checked, right secret or not, so a lock is no
oracle. Successful sign-ins cost one read; failures one small write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select

from prefcenter.context import AppContext
from prefcenter.core.throttle import seconds_locked, throttle_keys
from prefcenter.errors import RateLimited
from prefcenter.store.models_auth import SignInFailure
from prefcenter.store.unit_of_work import utcnow
from prefcenter.store.upsert import insert_into


@dataclass(frozen=True)
class SignInAttempt:
    """One sign-in that the throttle let through, to report back as failed or succeeded."""

    pair_key: str
    address_key: str
    pair_failures: int  # failures of this (principal, address) in its current window before this attempt


async def admit(ctx: AppContext, principal_id: str, address: str | None) -> SignInAttempt:
    """Let a sign-in attempt through, or raise RateLimited (429, Retry-After) when its pair or address is locked."""
    limits = ctx.settings.sign_in
    pair_key, address_key = throttle_keys(ctx.keys.pepper, principal_id, address)
    now = utcnow()
    async with ctx.db.read_session() as session:
        rows = {
            row.key: row
            for row in (
                await session.execute(
                    select(SignInFailure).where(SignInFailure.key.in_((pair_key, address_key)))
                )
            ).scalars()
        }
    pair, by_address = rows.get(pair_key), rows.get(address_key)
    address_wait = (
        seconds_locked(by_address.failures, by_address.window_ends_at, limits.max_failures_per_address, now)
        if by_address
        else 0
    )
    if address_wait:
        raise RateLimited(
            f"too many failed sign-ins from your address; try again in {address_wait} s",
            retry_after=address_wait,
        )
    pair_wait = seconds_locked(pair.failures, pair.window_ends_at, limits.max_failures, now) if pair else 0
    if pair_wait:
        raise RateLimited(
            f"too many failed sign-ins for this id from your address; try again in {pair_wait} s",
            retry_after=pair_wait,
        )
    current = pair is not None and pair.window_ends_at > now
    return SignInAttempt(pair_key, address_key, pair.failures if current else 0)


async def failed(ctx: AppContext, attempt: SignInAttempt) -> None:
    """Count a failed sign-in against its pair and its address (and forget windows that have ended)."""
    now = utcnow()
    window_ends_at = now + timedelta(seconds=ctx.settings.sign_in.window_seconds)
    async with ctx.db.write_session() as session:
        for key in (attempt.pair_key, attempt.address_key):
            statement = insert_into(session, SignInFailure).values(
                key=key, failures=1, window_ends_at=window_ends_at
            )
            await session.execute(
                statement.on_conflict_do_update(index_elements=["key"], set_=_counted(statement, now))
            )
        await session.execute(delete(SignInFailure).where(SignInFailure.window_ends_at <= now))


def _counted(statement, now: datetime) -> dict:
    """One more failure in a window still open; a fresh window of one failure when it has ended."""
    open_window = SignInFailure.window_ends_at > now
    return {
        "failures": case((open_window, SignInFailure.failures + 1), else_=1),
        "window_ends_at": case(
            (open_window, SignInFailure.window_ends_at), else_=statement.excluded.window_ends_at
        ),
    }


async def succeeded(ctx: AppContext, attempt: SignInAttempt) -> None:
    """A right secret clears its pair's failures (a write only when there were some); the address keeps its count."""
    if attempt.pair_failures:
        async with ctx.db.write_session() as session:
            await session.execute(delete(SignInFailure).where(SignInFailure.key == attempt.pair_key))
