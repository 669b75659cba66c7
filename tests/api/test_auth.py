"""OAuth client credentials, scoped JWTs, subject tokens: 401 for missing/expired/forged, 403 for missing scope."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from prefcenter.auth.tokens import TokenIssuer

PROBLEM = "application/problem+json"


async def test_token_with_form_credentials_and_with_basic_auth(api):
    client_id, secret = await api.new_client("preferences:read", "consent:check")
    r = await api.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "consent:check",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["token_type"] == "Bearer" and body["scope"] == "consent:check" and 0 < body["expires_in"] <= 900
    )
    assert r.headers["cache-control"] == "no-store"

    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = await api.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == {"preferences:read", "consent:check"}


async def test_token_refusals_are_problem_json(api):
    client_id, secret = await api.new_client("preferences:read")
    cases = [
        (
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "client_id": client_id, "client_secret": secret},
            400,
            "unsupported_grant_type",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "admin",
            },
            400,
            "invalid_scope",
        ),
    ]
    for form, status, error in cases:
        r = await api.client.post("/oauth/token", data=form)
        assert r.status_code == status, (form, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["error"] == error
        assert r.json()["type"].endswith("/oauth-" + error.replace("_", "-"))


async def test_disabled_client_gets_no_token(api):
    from prefcenter.auth.clients import disable_client

    client_id, secret = await api.new_client("preferences:read")
    async with api.ctx.unit_of_work() as uow:
        await disable_client(uow, client_id)
    r = await api.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert r.status_code == 401


async def test_missing_expired_and_forged_tokens_get_401(api):
    r = await api.client.get("/v1/catalog")
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"].endswith("/unauthorized")

    expired, _ = api.ctx.tokens.client_token("demo-client", ["preferences:read"], ttl=-120)
    r = await api.client.get("/v1/catalog", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]

    other_key = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    forged, _ = TokenIssuer(other_key, "prefcenter", 900, 900).client_token("demo-client", ["admin"])
    r = await api.client.get("/v1/catalog", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401

    r = await api.client.get("/v1/catalog", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401
    header, payload, _sig = (await api.token("preferences:read")).split(".")
    r = await api.client.get("/v1/catalog", headers={"Authorization": f"Bearer {header}.{payload}."})
    assert r.status_code == 401


async def test_token_without_the_scope_gets_403(api):
    checks_only = await api.headers("consent:check")
    for method, path, body in [
        ("GET", "/v1/catalog", None),
        ("POST", "/v1/subjects", {}),
        ("PUT", "/v1/catalog/channels/fax", {"name": "Fax"}),
        ("GET", "/v1/audit/verification", None),
    ]:
        r = await api.client.request(method, path, json=body, headers=checks_only)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["type"].endswith("/forbidden")


async def test_subject_token_reaches_its_own_subject_only(api):
    ann, bob = await api.new_subject(), await api.new_subject()
    r = await api.client.post(
        f"/v1/subjects/{ann['id']}/widget-tokens",
        json={"origin": "https://shop.example.com", "touchpoint": "account"},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 201, r.text
    subject_headers = {"Authorization": f"Bearer {r.json()['token']}"}

    assert (
        await api.client.get(f"/v1/subjects/{ann['id']}/profile", headers=subject_headers)
    ).status_code == 200
    assert (await api.client.get("/v1/catalog", headers=subject_headers)).status_code == 200
    for path in (
        f"/v1/subjects/{bob['id']}/profile",
        f"/v1/subjects/{bob['id']}",
        f"/v1/subjects/{bob['id']}/events",
    ):
        assert (await api.client.get(path, headers=subject_headers)).status_code == 404, path
    r = await api.client.patch(
        f"/v1/subjects/{bob['id']}/preferences",
        json={"touchpoint": "web", "do_not_contact": True},
        headers=subject_headers,
    )
    assert r.status_code == 404
    # not for subject tokens at all
    assert (await api.client.post("/v1/subjects", json={}, headers=subject_headers)).status_code == 403
    assert (await api.client.get("/v1/subjects?external_id=x", headers=subject_headers)).status_code == 403
    assert (
        await api.client.post(f"/v1/subjects/{ann['id']}/widget-tokens", json={}, headers=subject_headers)
    ).status_code == 403
    # origin-bound
    r = await api.client.get(
        f"/v1/subjects/{ann['id']}/profile", headers={**subject_headers, "Origin": "https://evil.example.net"}
    )
    assert r.status_code == 403


async def test_subject_token_changes_are_attributed_to_the_customer(api):
    ann = await api.new_subject()
    token = (
        await api.client.post(
            f"/v1/subjects/{ann['id']}/widget-tokens", json={}, headers=await api.headers("preferences:write")
        )
    ).json()["token"]
    r = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences",
        json={"touchpoint": "account", "items": [{"channel": "sms", "topic": "*", "status": "opted_out"}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    events = (
        await api.client.get(
            f"/v1/subjects/{ann['id']}/events", headers=await api.headers("preferences:read")
        )
    ).json()
    last = events["items"][-1]
    assert (
        last["type"] == "preference.set"
        and last["actor_type"] == "customer"
        and last["actor_id"] == ann["id"]
    )
