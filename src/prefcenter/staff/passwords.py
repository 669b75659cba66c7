"""Staff passwords: argon2id hashes (argon2-cffi's RFC 9106 low-memory profile), checked off the event loop.

A check runs in a small thread pool of its own, so a burst of sign-ins queues there instead of stalling
requests. An unknown email is checked against a hash of a random password made at start-up: the same work
and the same answer as a wrong password.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from prefcenter.errors import InvalidField

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (RFC 9106's second recommended option)
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="staff-password")


@functools.cache
def _no_account() -> str:
    """A hash of a random password, made on the first sign-in (not at import: ~0.1 s in every process)."""
    return _hasher.hash(secrets.token_urlsafe(24))


def check_password_rules(password: str) -> str:
    """The password as given, or InvalidField: 12 to 256 characters, not only spaces (NIST SP 800-63B)."""
    if len(password) < MIN_LENGTH or not password.strip():
        raise InvalidField("password", f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidField("password", f"a password has at most {MAX_LENGTH} characters")
    return password


async def hash_password(password: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_checks, _hasher.hash, password)


def _matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _no_account(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; None (no account, no password yet) runs the
    same check against a throwaway hash and answers False."""
    loop = asyncio.get_running_loop()
    matches = await loop.run_in_executor(_checks, _matches, stored, password[:MAX_LENGTH])
    return matches and stored is not None
