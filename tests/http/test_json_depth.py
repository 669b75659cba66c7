"""Hostile JSON: a body nested deeper than the bound is a 400 problem on every JSON route (it was a 500,
a RecursionError while decoding), and the routes that decode bodies themselves refuse it too."""

from __future__ import annotations

import re
import uuid

from litestar.enums import RequestEncodingType
from litestar.routes import HTTPRoute

from prefcenter.auth.principal import SCOPES
from prefcenter.core.json_depth import MAX_JSON_DEPTH
from prefcenter.imports.source import RowError, parse_row

DEEP = b"[" * 1000 + b"]" * 1000  # what the review sent
WRITES = {"POST", "PATCH", "PUT"}
_PATH_PARAM = re.compile(r"\{(\w+):(\w+)\}")


def _nested(levels: int) -> bytes:
    return b'{"a":' * (levels - 1) + b"[1]" + b"}" * (levels - 1)


def _filled(path: str) -> str:
    return _PATH_PARAM.sub(lambda m: str(uuid.uuid4()) if m.group(2) == "uuid" else "x1", path)


def _json_body_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route whose handler takes a JSON ``data`` body."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                continue
            media = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
            if media != RequestEncodingType.JSON:
                continue
            found.extend((method, route.path) for method in sorted(handler.http_methods & WRITES))
    return found


def _assert_too_deep(r) -> None:
    assert r.status_code == 400, (r.request.method, r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["type"].endswith("/bad-request")
    assert f"deeper than {MAX_JSON_DEPTH} levels" in problem["detail"]


async def test_every_json_route_answers_400_to_a_deeply_nested_body(api):
    routes = _json_body_routes(api.app)
    # the routes the review named are among them
    assert {("POST", "/v1/subjects"), ("POST", "/v1/consent-checks")} <= set(routes)
    assert any(m == "PATCH" and p.endswith("/preferences") for m, p in routes)
    headers = {**await api.headers(*SCOPES), "content-type": "application/json"}
    for method, path in routes:
        r = await api.client.request(method, _filled(path), content=DEEP, headers=headers)
        _assert_too_deep(r)


async def test_a_widget_token_write_answers_400_too(api):
    subject = await api.new_subject()
    minted = await api.client.post(
        f"/v1/subjects/{subject['id']}/widget-tokens", json={}, headers=await api.headers("preferences:write")
    )
    assert minted.status_code == 201, minted.text
    widget = {"Authorization": f"Bearer {minted.json()['token']}", "content-type": "application/json"}
    path = f"/v1/subjects/{subject['id']}/preferences"
    _assert_too_deep(await api.client.patch(path, content=DEEP, headers=widget))
    # with an Idempotency-Key too, and its retry gets the same answer
    keyed = {**widget, "Idempotency-Key": f"deep-{uuid.uuid4().hex}"}
    _assert_too_deep(await api.client.patch(path, content=DEEP, headers=keyed))
    _assert_too_deep(await api.client.patch(path, content=DEEP, headers=keyed))


async def test_the_bound_is_the_documented_depth(api):
    headers = {**await api.headers("preferences:write"), "content-type": "application/json"}
    at_bound = await api.client.post("/v1/subjects", content=_nested(MAX_JSON_DEPTH), headers=headers)
    assert at_bound.status_code == 400 and at_bound.json()["type"].endswith("/validation-error"), (
        at_bound.text
    )
    _assert_too_deep(
        await api.client.post("/v1/subjects", content=_nested(MAX_JSON_DEPTH + 1), headers=headers)
    )
    # brackets inside strings do not nest: a subject named with 1000 brackets is just a long string
    body = b'{"external_id": "' + b"[" * 1000 + b'"}'
    r = await api.client.post("/v1/subjects", content=body, headers=headers)
    assert r.status_code == 400 and r.json()["type"].endswith("/validation-error"), r.text


async def test_routes_that_decode_bodies_themselves_refuse_deep_nesting(api):
    check = await api.headers("consent:check")
    stream = await api.client.post(
        "/v1/consent-checks/stream",
        params={"channel": "email", "topic": "newsletter"},
        content=DEEP + b"\n" + b'{"subject": ' + DEEP + b"}\n",
        headers={**check, "content-type": "application/x-ndjson"},
    )
    assert stream.status_code == 200, stream.text
    lines = stream.text.splitlines()
    assert len(lines) == 2 and all('"validation-error"' in line for line in lines), lines

    ack = await api.client.post(
        f"/public/v1/dsr-tasks/{uuid.uuid4()}/ack", content=DEEP, headers={"content-type": "application/json"}
    )
    assert 400 <= ack.status_code < 500 and ack.headers["content-type"].startswith("application/problem+json")


def test_an_import_line_nested_deeply_is_a_row_error():
    try:
        parse_row("ndjson", None, DEEP)
    except RowError:
        pass
    else:
        raise AssertionError("a deeply nested import line was accepted")
