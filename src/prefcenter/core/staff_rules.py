"""Staff rules, pure: roles, who needs a second factor, the role single sign-on grants, one-time link tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import get_args

from prefcenter.core.normalise import normalise_identity
from prefcenter.vocabulary import StaffRole

ROLES: tuple[str, ...] = get_args(StaffRole)
MFA_ROLES = frozenset({"admin", "officer"})  # PREFCENTER_REQUIRE_MFA=1 requires a second factor of these
LINK_TTL = timedelta(hours=24)
LINK_TOKEN_BYTES = 32


def is_role(value: object) -> bool:
    return isinstance(value, str) and value in ROLES


def needs_second_factor(role: str, *, require_mfa: bool) -> bool:
    """A TOTP code is asked when the person enrolled one; with ``require_mfa`` admins and officers must have one."""
    return require_mfa and role in MFA_ROLES


def role_from_claim(claim: object) -> str | None:
    """The role an identity provider's claim names: a role name, or a list holding one (the highest wins)."""
    values = claim if isinstance(claim, list | tuple) else [claim]
    named = [v for v in values if is_role(v)]
    if not named:
        return None
    return min(named, key=ROLES.index)  # ROLES lists admin first


def sso_role(claim: object, assigned: str | None) -> str | None:
    """The role a single sign-on grants: the provider's claim when it names a role, else the role assigned in
    prefcenter (None: not staff, refused)."""
    return role_from_claim(claim) or assigned


def new_link_token() -> tuple[str, str]:
    """A one-time link token and the hash stored for it (the token itself is never stored)."""
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    return token, link_token_hash(token)


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_usable(expires_at: datetime, used_at: datetime | None, now: datetime) -> bool:
    return used_at is None and now < expires_at


def normalise_staff_email(email: str) -> str:
    """Staff sign in by email, normalised like a customer's (trimmed, lower-cased, IDNA domain), so case or a
    lookalike never makes a second account. Raises ``InvalidIdentity`` for what is not an email address."""
    return normalise_identity("email", email)
