"""Text answers name their charset once: ``text/html; charset=utf-8``, never ``...; charset=utf-8; charset=utf-8``
(pages, the one-click unsubscribe page, admin pages, the CSV suppression export, the widget's SRI value)."""

from __future__ import annotations

from tests.checks.helpers import subject_with


def _assert_one_charset(r, media: str) -> None:
    assert r.status_code in (200, 404, 410), (r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"] == f"{media}; charset=utf-8", (r.request.url, r.headers["content-type"])


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def test_unsubscribe_and_manage_pages(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    r = await api.client.post(
        "/v1/unsubscribe-links",
        json={"channel": "email", "topic": "offers", "subjects": [s["id"]]},
        headers=await api.headers("preferences:write"),
    )
    assert r.status_code == 200, r.text
    (link,) = r.json()["items"]
    _assert_one_charset(await api.client.get(_path(link["url"])), "text/html")
    _assert_one_charset(await api.client.get("/u/not-a-token"), "text/html")  # the error page too

    manage = await api.client.post(
        f"/v1/subjects/{s['id']}/manage-links", headers=await api.headers("preferences:write")
    )
    assert manage.status_code == 201, manage.text
    _assert_one_charset(await api.client.get(_path(manage.json()["url"])), "text/html")


async def test_csv_suppression_export(api):
    await subject_with(api)
    r = await api.client.get(
        "/v1/suppressions",
        params={"channel": "email", "topic": "offers", "format": "csv"},
        headers=await api.headers("consent:check"),
    )
    _assert_one_charset(r, "text/csv")
    assert r.text.startswith("kind,")


async def test_admin_pages_and_widget_integrity(api):
    _assert_one_charset(await api.client.get("/admin/login"), "text/html")
    _assert_one_charset(await api.client.get("/widget/v1/prefcenter.js.sri"), "text/plain")
