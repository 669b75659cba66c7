"""Staff rules: roles, who needs a second factor, the role single sign-on grants, one-time link tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prefcenter.core.normalise import InvalidIdentity
from prefcenter.core.staff_rules import (
    LINK_TTL,
    ROLES,
    is_role,
    link_token_hash,
    link_usable,
    needs_second_factor,
    new_link_token,
    normalise_staff_email,
    role_from_claim,
    sso_role,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_the_four_roles():
    assert ROLES == ("admin", "officer", "agent", "analyst")
    assert all(is_role(r) for r in ROLES)
    assert not is_role("root") and not is_role(None) and not is_role(["admin"])


@pytest.mark.parametrize("role", ROLES)
def test_mfa_is_required_of_admins_and_officers_only_when_configured(role):
    assert needs_second_factor(role, require_mfa=False) is False
    assert needs_second_factor(role, require_mfa=True) is (role in ("admin", "officer"))


@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        ("officer", "officer"),
        (["analyst", "agent"], "agent"),
        (["agent", "admin"], "admin"),
        (["prefcenter-user", "analyst"], "analyst"),
        ("superuser", None),
        ([], None),
        (None, None),
        (7, None),
    ],
)
def test_role_from_claim(claim, expected):
    assert role_from_claim(claim) == expected


def test_the_claim_wins_over_the_assigned_role_and_nothing_means_refused():
    assert sso_role("officer", "agent") == "officer"
    assert sso_role("nonsense", "agent") == "agent"
    assert sso_role(None, "analyst") == "analyst"
    assert sso_role(None, None) is None


def test_link_tokens_are_random_and_only_their_hash_is_kept():
    token, stored = new_link_token()
    other, _ = new_link_token()
    assert token != other and len(token) >= 43
    assert stored == link_token_hash(token) and token not in stored and len(stored) == 64


def test_a_link_works_once_and_until_it_expires():
    expires = NOW + LINK_TTL
    assert timedelta(hours=24) == LINK_TTL
    assert link_usable(expires, None, NOW)
    assert link_usable(expires, None, expires - timedelta(seconds=1))
    assert not link_usable(expires, None, expires)
    assert not link_usable(expires, NOW, NOW)


def test_staff_emails_are_normalised_like_customers():
    assert normalise_staff_email("  Ann@Example.COM ") == "ann@example.com"
    with pytest.raises(InvalidIdentity):
        normalise_staff_email("not an email")
