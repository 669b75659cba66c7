"""The lean ASGI path for GET /v1/consent-checks answers exactly as the Litestar route it stands in front of.

Each request is sent twice: through the app as served (fast path inside CORS) and with the fast path
switched off (``PATH`` pointed elsewhere, so everything goes to Litestar, the reference): same status,
same body bytes, same headers (the request id is pinned by the client).
"""

from __future__ import annotations

import dataclasses

import structlog
from hypothesis import given
from hypothesis import strategies as st
from litestar import Request

from prefcenter import logs
from prefcenter.checks import fast_path
from prefcenter.settings import RateLimitSettings
from tests.checks.helpers import subject_with
from tests.conftest import close_api, open_api

REQUEST_ID = "fast-path-test-0001"


async def _both(api, monkeypatch, params, headers) -> tuple[tuple, tuple]:
    headers = {**headers, "X-Request-ID": REQUEST_ID}
    answers = []
    for switched_off in (False, True):
        with monkeypatch.context() as m:
            if switched_off:
                m.setattr(fast_path, "PATH", "/not-the-fast-path")
            r = await api.client.get("/v1/consent-checks", params=params, headers=headers)
        answers.append((r.status_code, r.content, sorted(r.headers.multi_items())))
    return answers[0], answers[1]


def _litestar_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The route's query parameters as Litestar's request parses them (grouped by name: compared sorted)."""
    request = Request({"type": "http", "query_string": query_string, "state": {}})
    return sorted(request.query_params.multi_items())


def test_query_pairs_are_litestars_own_parse():
    for query in [
        b"",
        b"subject=email%3Aann%40example.com&channel=email&topic=offers",
        b"subject=a+b&channel=%2B&topic=%zz",  # plus as space, an encoded plus, a broken escape
        b"subject=&channel&topic==x&&",  # blank, no '=', '=' in the value, empty pieces
        b"subject=1;channel=2&subject=3",  # ';' is no separator; repeated names keep their order
        b"subject=%C3%BC%E2%80%8B&channel=\xfc",  # UTF-8 escapes, a raw latin-1 byte
        b"subject=%00%0a&channel=%7f",  # control characters (the pattern check refuses them later)
    ]:
        assert sorted(fast_path.query_pairs(query)) == _litestar_pairs(query), query


@given(
    st.lists(
        st.sampled_from(["subject", "channel", "a", "=", "&", "+", "%", "%4", "%41", "%C3%BC", ";", "ü", " "])
    )
)
def test_query_pairs_match_litestar_on_any_query(pieces):
    query = "".join(pieces).encode("utf-8")
    assert sorted(fast_path.query_pairs(query)) == _litestar_pairs(query)


async def test_fast_path_answers_as_the_litestar_route(api, monkeypatch):
    ok = await subject_with(api, consents=[("offers", ["email"])])
    out = await subject_with(api, prefs=[("email", "*", "opted_out")])
    check = await api.headers("consent:check")
    admin = await api.headers("admin")
    wrong = await api.headers("preferences:read")
    subject_token, _ = api.ctx.tokens.subject_token(
        subject_id=ok["id"], client_id="widget", origin=None, touchpoint="web", mode="customer", agent_id=None
    )
    base = {"channel": "email", "topic": "offers"}
    cases = [
        ("allowed", {**base, "subject": f"email:{ok['email']}"}, check, 200),
        ("allowed, admin client", {**base, "subject": ok["id"]}, admin, 200),
        ("denied", {**base, "subject": f"external_id:{out['external_id']}"}, check, 200),
        ("unknown subject", {**base, "subject": "email:nobody@example.com"}, check, 200),
        ("unknown topic", {"channel": "email", "topic": "nope", "subject": ok["id"]}, check, 200),
        ("malformed subject", {**base, "subject": "id:not-a-uuid"}, check, 422),
        ("bad identity", {**base, "subject": "email:not an email"}, check, 422),
        ("unknown parameter", {**base, "subject": ok["id"], "extra": "1"}, check, 400),
        ("repeated parameter", [("subject", ok["id"]), ("subject", ok["id"]), *base.items()], check, 400),
        ("missing parameter", {"channel": "email", "subject": ok["id"]}, check, 400),
        ("empty subject", {**base, "subject": ""}, check, 400),
        ("too long", {**base, "subject": "x" * 401}, check, 400),
        ("missing token", {**base, "subject": ok["id"]}, {}, 401),
        ("invalid token", {**base, "subject": ok["id"]}, {"Authorization": "Bearer nope"}, 401),
        ("not bearer", {**base, "subject": ok["id"]}, {"Authorization": "Basic abc"}, 401),
        ("wrong scope", {**base, "subject": ok["id"]}, wrong, 403),
        ("subject token", {**base, "subject": ok["id"]}, {"Authorization": f"Bearer {subject_token}"}, 403),
    ]
    served = []
    real_check_access = fast_path.check_access
    monkeypatch.setattr(
        fast_path, "check_access", lambda *a, **k: served.append(1) or real_check_access(*a, **k)
    )
    for name, params, headers, status in cases:
        before = len(served)
        fast, reference = await _both(api, monkeypatch, params, headers)
        if status in (200, 422) or name == "wrong scope":
            assert len(served) > before, f"{name}: not seen by the fast path"
        assert fast == reference, name
        assert fast[0] == status, (name, fast)
        if status != 200:
            assert dict(fast[2])["content-type"] == "application/problem+json", name


async def test_fast_path_rate_limits_as_the_litestar_route(new_backend, monkeypatch):
    settings = dataclasses.replace(
        new_backend("sqlite"), rate_limit=RateLimitSettings(requests_per_second=0.01, burst=3)
    )
    api = await open_api(settings)
    try:
        h = await api.headers("consent:check")
        params = {"subject": "x", "channel": "email", "topic": "offers"}
        fast, reference = await _both(api, monkeypatch, params, h)  # one token each, shared buckets
        assert fast == reference and fast[0] == 200
        assert (await api.client.get("/v1/consent-checks", params=params, headers=h)).status_code == 200
        fast, reference = await _both(api, monkeypatch, params, h)
        assert fast[0] == reference[0] == 429
        assert fast == reference
        assert dict(fast[2])["retry-after"] == "100"
    finally:
        await close_api(api)


async def test_fast_path_writes_one_access_line(api, monkeypatch):
    h = await api.headers("consent:check")
    lines = []

    class Recorder:
        def info(self, event, **fields):
            lines.append((event, fields, structlog.contextvars.get_contextvars().get("request_id")))

    monkeypatch.setattr(logs, "access_log", Recorder())
    r = await api.client.get(
        "/v1/consent-checks",
        params={"subject": "x", "channel": "email", "topic": "offers"},
        headers={**h, "X-Request-ID": REQUEST_ID},
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == REQUEST_ID
    assert len(lines) == 1
    event, fields, request_id = lines[0]
    assert event == "request" and request_id == REQUEST_ID
    assert fields["path"] == "/v1/consent-checks" and fields["status"] == 200 and fields["method"] == "GET"
