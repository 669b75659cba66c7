"""/v1/staff on both engines: list, create (with a one-time link), disable, new password links; scope admin;
the last active admin stays; every change is audited with the person's id."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from prefcenter.store.models_staff import StaffLink
from tests.staff.support import new_email, staff_events

pytestmark = pytest.mark.postgres


async def create(api, role="agent", email=None, status=201, **extra):
    body = {"email": email or new_email(), "name": "Ann Example", "role": role, **extra}
    response = await api.client.post("/v1/staff", json=body, headers=await api.admin())
    assert response.status_code == status, response.text
    return response.json()


async def test_create_list_and_the_link_is_stored_as_a_hash_only(api):
    made = await create(
        api, "officer", email="  Officer.One+" + new_email().upper(), time_zone="Europe/Paris"
    )
    member, link = made["staff"], made["password_link"]
    assert member["email"] == member["email"].strip().lower() and member["role"] == "officer"
    assert member["time_zone"] == "Europe/Paris" and not member["has_password"] and not member["disabled"]
    assert link["url"].startswith(api.settings.server.public_url + "/admin/set-password/")
    token = link["url"].rsplit("/", 1)[1]
    async with api.ctx.db.read_session() as session:
        stored = list(await session.scalars(select(StaffLink.token_hash)))
    assert token not in stored and len(stored) >= 1

    listing = await api.client.get("/v1/staff", headers=await api.admin())
    assert listing.status_code == 200
    assert member["id"] in [m["id"] for m in listing.json()["items"]]
    created = [e for e in await staff_events(api.ctx, member["id"]) if e.type == "staff.created"]
    assert created and created[0].actor_type == "client"


async def test_the_same_email_twice_is_a_conflict_and_bad_input_is_refused(api):
    email = new_email()
    await create(api, email=email)
    again = await create(api, email=email.upper(), status=409)
    assert again["type"].endswith("/conflict")
    assert (await create(api, role="root", status=400))["status"] == 400
    assert (await create(api, email="not-an-email", status=422))["status"] == 422
    assert (await create(api, time_zone="Mars/Olympus", status=422))["status"] == 422


async def test_the_routes_need_the_admin_scope(api):
    headers = await api.headers("audit:read")
    assert (await api.client.get("/v1/staff", headers=headers)).status_code == 403
    response = await api.client.post(
        "/v1/staff", json={"email": new_email(), "name": "X", "role": "agent"}, headers=headers
    )
    assert response.status_code == 403
    assert (await api.client.get("/v1/staff")).status_code == 401


async def test_a_new_password_link_replaces_the_old_one(api):
    made = await create(api)
    staff_id = made["staff"]["id"]
    response = await api.client.post(f"/v1/staff/{staff_id}/password-links", headers=await api.admin())
    assert response.status_code == 201, response.text
    assert response.json()["url"] != made["password_link"]["url"]
    types = [e.type for e in await staff_events(api.ctx, staff_id)]
    assert types.count("staff.password_link_issued") == 2
    missing = await api.client.post("/v1/staff/nobody/password-links", headers=await api.admin())
    assert missing.status_code == 404


async def test_the_last_active_admin_cannot_be_disabled(api):
    headers = await api.admin()
    mine = (await create(api, "admin"))["staff"]["id"]
    for member in (await api.client.get("/v1/staff", headers=headers)).json()["items"]:
        if member["role"] == "admin" and not member["disabled"] and member["id"] != mine:
            assert (
                await api.client.post(f"/v1/staff/{member['id']}/disable", headers=headers)
            ).status_code == 200
    last = await api.client.post(f"/v1/staff/{mine}/disable", headers=headers)
    assert last.status_code == 409 and "last active admin" in last.json()["detail"]
    other = (await create(api, "admin"))["staff"]["id"]
    done = await api.client.post(f"/v1/staff/{mine}/disable", headers=headers)
    assert done.status_code == 200 and done.json()["disabled"] is True
    assert (await api.client.post(f"/v1/staff/{other}/disable", headers=headers)).status_code == 409
    link = await api.client.post(f"/v1/staff/{mine}/password-links", headers=headers)
    assert link.status_code == 409
    disabled = [e for e in await staff_events(api.ctx, mine) if e.type == "staff.disabled"]
    assert len(disabled) == 1
