"""The console's permission table: issue 11's role table, row by row, failing closed."""

from __future__ import annotations

import pytest

from prefcenter.core.staff_permissions import ACTIONS, PERMISSIONS, allowed_actions, may
from prefcenter.core.staff_rules import ROLES

TABLE = {
    # action: roles that may
    "console": {"agent", "officer", "analyst", "admin"},
    "find_person": {"agent", "officer"},
    "view_person": {"agent", "officer"},
    "record_for_person": {"agent", "officer"},
    "reveal_identity": {"officer"},
    "dsr": {"officer"},
    "legal_hold": {"officer"},
    "export": {"officer"},
    "audit": {"officer"},
    "insights": {"officer", "analyst", "admin"},
    "catalog": {"admin"},
    "sites": {"admin"},
    "clients": {"admin"},
    "staff": {"admin"},
    "systems": {"admin"},
}


def test_every_action_is_in_the_table():
    assert set(TABLE) == set(ACTIONS)
    assert set(PERMISSIONS) == set(ROLES)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_the_role_table(role, action):
    assert may(role, action) is (role in TABLE[action])


def test_an_analyst_never_reaches_personal_data():
    personal = {
        "find_person",
        "view_person",
        "record_for_person",
        "reveal_identity",
        "dsr",
        "export",
        "audit",
    }
    assert not personal & allowed_actions("analyst")


def test_unknown_roles_and_actions_are_refused():
    assert not may(None, "console")
    assert not may("root", "console")
    assert not may("admin", "delete_everything")
    assert allowed_actions(None) == frozenset()
