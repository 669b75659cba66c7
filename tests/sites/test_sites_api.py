"""Sites over HTTP on SQLite and PostgreSQL: the admin API, its validation and audit events, CORS that follows
sites changed at runtime, and widget tokens bound only to a site's origins."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select

from prefcenter.store.models import Event
from prefcenter.store.models_sites import Site

PROBLEM = "application/problem+json"
PREFLIGHT = {
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization, content-type, if-match, idempotency-key",
}


@pytest.fixture
async def api_without_sites(api):
    """The shared app with no sites before and after: other tests rely on the development default."""
    async with api.ctx.db.write_session() as session:
        await session.execute(delete(Site))
    api.ctx.origins.invalidate()
    yield api
    async with api.ctx.db.write_session() as session:
        await session.execute(delete(Site))
    api.ctx.origins.invalidate()


def _is_problem(r, status: int, slug: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"].endswith("/" + slug), body
    return body


def _is_refused_input(r) -> None:
    """Schema violations are 400 validation-error; values the schema cannot judge are 422 invalid-input."""
    if r.status_code == 400:
        _is_problem(r, 400, "validation-error")
    else:
        _is_problem(r, 422, "invalid-input")


async def _site_events(api, key: str) -> list[tuple[str, dict]]:
    async with api.ctx.db.read_session() as session:
        rows = (
            await session.execute(select(Event).where(Event.type.like("site.%")).order_by(Event.seq))
        ).scalars()
        return [(e.type, json.loads(e.data)) for e in rows if json.loads(e.data)["key"] == key]


async def test_put_get_list_delete_with_audit_events(api_without_sites):
    api = api_without_sites
    admin = await api.admin()
    r = await api.client.put(
        "/v1/sites/shop",
        json={
            "name": "Shop",
            "origins": ["HTTPS://Shop.Example.com:443", "https://shop.example.com", "http://localhost:5173"],
            "touchpoint": "web",
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    site = r.json()
    assert site["key"] == "shop" and site["name"] == "Shop" and site["touchpoint"] == "web"
    assert site["origins"] == ["https://shop.example.com", "http://localhost:5173"]  # canonical, deduplicated

    r = await api.client.put(
        "/v1/sites/shop", json={"name": "Shop (EU)", "origins": ["https://shop.example.eu"]}, headers=admin
    )
    assert r.status_code == 200 and r.json()["origins"] == ["https://shop.example.eu"]
    assert r.json()["touchpoint"] is None and r.json()["created_at"] == site["created_at"]

    got = await api.client.get("/v1/sites/shop", headers=admin)
    assert got.status_code == 200 and got.json()["name"] == "Shop (EU)"
    listed = await api.client.get("/v1/sites", headers=admin)
    assert [s["key"] for s in listed.json()] == ["shop"]

    assert (await api.client.delete("/v1/sites/shop", headers=admin)).status_code == 204
    _is_problem(await api.client.get("/v1/sites/shop", headers=admin), 404, "not-found")
    _is_problem(await api.client.delete("/v1/sites/shop", headers=admin), 404, "not-found")
    assert (await api.client.get("/v1/sites", headers=admin)).json() == []

    events = await _site_events(api, "shop")
    assert [t for t, _ in events][-3:] == ["site.set", "site.set", "site.deleted"]
    first, second, deleted = (d for _, d in events[-3:])
    assert first["created"] is True and first["origins"] == [
        "https://shop.example.com",
        "http://localhost:5173",
    ]
    assert second["created"] is False and second["name"] == "Shop (EU)"
    assert deleted["origins"] == ["https://shop.example.eu"]
    verification = await api.client.get("/v1/audit/verification", headers=await api.headers("audit:read"))
    assert verification.json()["ok"] is True


@pytest.mark.parametrize(
    "origin",
    [
        "https://shop.example.com/",
        "https://shop.example.com/account",
        "ftp://shop.example.com",
        "https://*.example.com",
        "https://shop.example.com:70000",
        "https://user@shop.example.com",
        "https://shop.example.com?x=1",
        "shop.example.com",
        "https://-shop.example.com",
    ],
)
async def test_origins_are_validated(api_without_sites, origin):
    r = await api_without_sites.client.put(
        "/v1/sites/shop", json={"name": "Shop", "origins": [origin]}, headers=await api_without_sites.admin()
    )
    _is_refused_input(r)


async def test_other_invalid_requests_are_problems(api_without_sites):
    api = api_without_sites
    admin = await api.admin()
    for body in (
        {"name": "Shop", "origins": []},
        {"name": "", "origins": ["https://a.example.com"]},
        {"name": "Shop", "origins": ["https://a.example.com"], "touchpoint": "billboard"},
        {"name": "Shop", "origins": ["https://a.example.com"], "secret": 1},
        {"origins": ["https://a.example.com"]},
    ):
        _is_refused_input(await api.client.put("/v1/sites/shop", json=body, headers=admin))
    _is_refused_input(
        await api.client.put(
            "/v1/sites/Bad Key", json={"name": "x", "origins": ["https://a.example.com"]}, headers=admin
        )
    )
    # admin only
    read = await api.headers("preferences:read", "preferences:write")
    _is_problem(await api.client.get("/v1/sites", headers=read), 403, "forbidden")
    _is_problem(
        await api.client.put(
            "/v1/sites/shop", json={"name": "x", "origins": ["https://a.example.com"]}, headers=read
        ),
        403,
        "forbidden",
    )
    # one origin belongs to one site
    ok = await api.client.put(
        "/v1/sites/shop", json={"name": "Shop", "origins": ["https://a.example.com"]}, headers=admin
    )
    assert ok.status_code == 200
    clash = await api.client.put(
        "/v1/sites/blog", json={"name": "Blog", "origins": ["https://A.example.com"]}, headers=admin
    )
    assert _is_problem(clash, 409, "conflict")["site"] == "shop"
    assert (await api.client.get("/v1/sites/blog", headers=admin)).status_code == 404


async def test_cors_follows_sites_added_and_removed_at_runtime(api_without_sites):
    api = api_without_sites
    admin = await api.admin()
    origin = "https://runtime.example.com"
    path = "/v1/catalog"

    before = await api.client.options(path, headers={"Origin": origin, **PREFLIGHT})
    assert "access-control-allow-origin" not in before.headers

    r = await api.client.put(
        "/v1/sites/runtime", json={"name": "Runtime", "origins": [origin]}, headers=admin
    )
    assert r.status_code == 200
    allowed = await api.client.options(path, headers={"Origin": origin, **PREFLIGHT})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == origin
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    for h in ("authorization", "content-type", "if-match", "idempotency-key"):
        assert h in allowed.headers["access-control-allow-headers"].lower()
    assert allowed.headers["access-control-max-age"] == "600"
    assert "origin" in allowed.headers["vary"].lower()
    # a preflight asking for a header we do not allow is refused
    odd = await api.client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-evil",
        },
    )
    assert odd.status_code == 400 and "access-control-allow-origin" not in odd.headers

    # actual requests, errors included, carry CORS headers for the site's origin only
    ok = await api.client.get(path, headers={"Origin": origin, **await api.headers("preferences:read")})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == origin
    assert "etag" in ok.headers["access-control-expose-headers"]
    unauthorized = await api.client.get(path, headers={"Origin": origin})
    assert unauthorized.status_code == 401 and unauthorized.headers["access-control-allow-origin"] == origin
    foreign = await api.client.get(path, headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in foreign.headers
    refused = await api.client.options(path, headers={"Origin": "https://evil.example.net", **PREFLIGHT})
    assert "access-control-allow-origin" not in refused.headers

    # the widget bundle stays loadable from anywhere
    bundle = await api.client.get("/widget/v1/prefcenter.js", headers={"Origin": origin})
    assert bundle.headers["access-control-allow-origin"] == "*"

    assert (await api.client.delete("/v1/sites/runtime", headers=admin)).status_code == 204
    after = await api.client.options(path, headers={"Origin": origin, **PREFLIGHT})
    assert "access-control-allow-origin" not in after.headers


async def test_widget_tokens_bind_only_a_sites_origins(api_without_sites):
    api = api_without_sites
    admin, write = await api.admin(), await api.headers("preferences:write")
    ann = await api.new_subject()
    url = f"/v1/subjects/{ann['id']}/widget-tokens"

    # no sites and no PREFCENTER_CORS_ORIGINS: the development default binds any origin
    assert (
        await api.client.post(url, json={"origin": "https://anything.example.org"}, headers=write)
    ).status_code == 201

    for key, origin in (("shop", "https://shop.sites.example"), ("blog", "https://blog.sites.example")):
        r = await api.client.put(
            f"/v1/sites/{key}",
            json={"name": key, "origins": [origin], "touchpoint": "account"},
            headers=admin,
        )
        assert r.status_code == 200, r.text

    minted = await api.client.post(
        url, json={"origin": "https://shop.sites.example", "site": "shop"}, headers=write
    )
    assert minted.status_code == 201, minted.text
    principal = api.ctx.tokens.principal(minted.json()["token"])
    assert principal.origin == "https://shop.sites.example" and principal.touchpoint == "account"
    explicit = await api.client.post(
        url, json={"origin": "https://shop.sites.example", "site": "shop", "touchpoint": "web"}, headers=write
    )
    assert api.ctx.tokens.principal(explicit.json()["token"]).touchpoint == "web"

    # another site's origin, a foreign origin, an unknown site, a site without an origin
    body = _is_problem(
        await api.client.post(
            url, json={"origin": "https://blog.sites.example", "site": "shop"}, headers=write
        ),
        403,
        "forbidden",
    )
    assert body["reason"] == "origin"
    _is_problem(
        await api.client.post(
            url, json={"origin": "https://evil.example.net", "site": "shop"}, headers=write
        ),
        403,
        "forbidden",
    )
    _is_problem(
        await api.client.post(
            url, json={"origin": "https://shop.sites.example", "site": "nope"}, headers=write
        ),
        422,
        "invalid-input",
    )
    _is_problem(await api.client.post(url, json={"site": "shop"}, headers=write), 422, "invalid-input")

    # without a site: any site's origin, nothing else
    assert (
        await api.client.post(url, json={"origin": "https://blog.sites.example"}, headers=write)
    ).status_code == 201
    _is_problem(
        await api.client.post(url, json={"origin": "https://anything.example.org"}, headers=write),
        403,
        "forbidden",
    )
