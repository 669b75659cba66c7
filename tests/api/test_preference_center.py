"""``GET /v1/subjects/{id}/preference-center``: the widget's first paint in one request, over HTTP on SQLite and
PostgreSQL. It answers what ``GET /v1/catalog?locale=`` and ``GET .../profile`` answer, under the same rules:
a subject token for its own person and an API client with ``preferences:read``, the profile's ETag, the
catalog's locale fallback, problems for everything else."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def _is_problem(r, status: int, slug: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["type"] == f"https://prefcenter.dev/problems/{slug}", body


async def _subject_token(api, subject_id: str) -> dict[str, str]:
    r = await api.client.post(
        f"/v1/subjects/{subject_id}/widget-tokens", json={}, headers=await api.headers("preferences:write")
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def _two_requests(
    api, subject_id: str, headers: dict[str, str], locale: str | None
) -> tuple[dict, object]:
    """What the widget asked before: the catalog and the profile, each on its own."""
    params = {"locale": locale} if locale else {}
    catalog = await api.client.get("/v1/catalog", params=params, headers=headers)
    profile = await api.client.get(f"/v1/subjects/{subject_id}/profile", headers=headers)
    assert catalog.status_code == 200 and profile.status_code == 200, (catalog.text, profile.text)
    return {"catalog": catalog.json(), "profile": profile.json()}, profile.headers["etag"]


async def _preference_center(api, subject_id: str, headers: dict[str, str], locale: str | None = None):
    params = {"locale": locale} if locale else {}
    return await api.client.get(
        f"/v1/subjects/{subject_id}/preference-center", params=params, headers=headers
    )


async def test_subject_token_and_api_client_get_catalog_and_profile_in_one_answer(api):
    ann = await api.new_subject(
        identities=[{"kind": "email", "value": f"ann.{uuid.uuid4().hex[:6]}@example.com"}]
    )
    write = await api.headers("preferences:write")
    saved = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences",
        json={
            "touchpoint": "account",
            "items": [{"channel": "email", "topic": "product_updates", "status": "opted_out"}],
        },
        headers=write,
    )
    assert saved.status_code == 200, saved.text

    for headers in (await _subject_token(api, ann["id"]), await api.headers("preferences:read")):
        for locale in ("de", None):
            r = await _preference_center(api, ann["id"], headers, locale)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("application/json")
            expected, profile_etag = await _two_requests(api, ann["id"], headers, locale)
            assert r.json() == expected
            assert r.headers["etag"] == profile_etag == f'"{expected["profile"]["revision"]}"'
            assert r.json()["catalog"]["locale"] == (locale or "en")
            preferences = r.json()["profile"]["preferences"]
            assert [(p["channel"], p["topic"], p["status"]) for p in preferences] == [
                ("email", "product_updates", "opted_out")
            ]


async def test_locale_falls_back_as_the_catalog_does(api):
    ann = await api.new_subject()
    headers = await _subject_token(api, ann["id"])
    for locale in ("pt-BR", "de-AT", "en"):
        r = await _preference_center(api, ann["id"], headers, locale)
        assert r.status_code == 200, r.text
        expected, _ = await _two_requests(api, ann["id"], headers, locale)
        assert r.json()["catalog"] == expected["catalog"], locale

    _is_problem(await _preference_center(api, ann["id"], headers, "not a locale"), 400, "validation-error")
    _is_problem(await _preference_center(api, ann["id"], headers, "x" * 17), 400, "validation-error")
    unknown = await api.client.get(
        f"/v1/subjects/{ann['id']}/preference-center", params={"include": "catalog"}, headers=headers
    )
    _is_problem(unknown, 400, "validation-error")


async def test_the_same_access_rules_as_catalog_and_profile(api):
    ann, bob = await api.new_subject(), await api.new_subject()
    anns_token = await _subject_token(api, ann["id"])

    # a subject token sees only its own person; anyone else looks as if they did not exist, as on the profile
    _is_problem(await _preference_center(api, bob["id"], anns_token), 404, "not-found")
    _is_problem(
        await api.client.get(f"/v1/subjects/{bob['id']}/profile", headers=anns_token), 404, "not-found"
    )
    _is_problem(await _preference_center(api, ann["id"], {}), 401, "unauthorized")
    _is_problem(
        await _preference_center(api, ann["id"], {"Authorization": "Bearer nope"}), 401, "unauthorized"
    )
    _is_problem(
        await _preference_center(api, ann["id"], await api.headers("consent:check")), 403, "forbidden"
    )

    read = await api.headers("preferences:read")
    _is_problem(await _preference_center(api, str(uuid.uuid4()), read), 404, "not-found")
    _is_problem(await _preference_center(api, "not-a-uuid", read), 404, "not-found")


async def test_etag_is_the_profile_revision_for_if_match(api):
    ann = await api.new_subject()
    headers = await _subject_token(api, ann["id"])
    first = await _preference_center(api, ann["id"], headers, "de")
    etag = first.headers["etag"]

    # If-None-Match changes nothing, as on the profile: the ETag names the profile's revision (for If-Match),
    # not the catalog in the same answer, which changes on its own
    again = await api.client.get(
        f"/v1/subjects/{ann['id']}/preference-center", headers={**headers, "If-None-Match": etag}
    )
    profile = await api.client.get(
        f"/v1/subjects/{ann['id']}/profile", headers={**headers, "If-None-Match": etag}
    )
    assert (
        (again.status_code, again.headers["etag"])
        == (profile.status_code, profile.headers["etag"])
        == (200, etag)
    )
    assert again.json()["profile"] == profile.json()

    items = [{"channel": "email", "topic": "product_updates", "status": "opted_out"}]
    saved = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences",
        json={"touchpoint": "web", "items": items},
        headers={**headers, "If-Match": etag},
    )
    assert saved.status_code == 200, saved.text
    stale = await api.client.patch(
        f"/v1/subjects/{ann['id']}/preferences",
        json={"touchpoint": "web", "items": items},
        headers={**headers, "If-Match": etag},
    )
    _is_problem(stale, 412, "precondition-failed")
    after = await _preference_center(api, ann["id"], headers)
    assert after.headers["etag"] == saved.headers["etag"] != etag
    assert after.json()["profile"]["revision"] == saved.json()["revision"]


async def test_a_catalog_change_shows_in_the_next_answer(api):
    """The catalog version comes with the profile's rows: a change (here the email channel written again as it
    is, which still bumps the version) is in the very next answer, as in ``GET /v1/catalog``'s."""
    ann = await api.new_subject()
    headers = await _subject_token(api, ann["id"])
    before = (await _preference_center(api, ann["id"], headers, "de")).json()["catalog"]
    email = next(
        c
        for c in (await api.client.get("/v1/catalog", headers=headers)).json()["channels"]
        if c["key"] == "email"
    )
    r = await api.client.put(
        "/v1/catalog/channels/email",
        json={k: email[k] for k in ("name", "description", "translations")},
        headers=await api.admin(),
    )
    assert r.status_code == 200, r.text
    after = (await _preference_center(api, ann["id"], headers, "de")).json()["catalog"]
    assert after["version"] > before["version"]
    expected, _ = await _two_requests(api, ann["id"], headers, "de")
    assert after == expected["catalog"]
