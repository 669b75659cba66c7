"""A batch answers an empty, over-long or control-character subject with that item's own error, in input
order, and decides the rest (the whole batch used to fail with 400); its size limit still holds."""

from __future__ import annotations

import json

from prefcenter.checks.service import PIECE
from tests.checks.helpers import subject_with

BAD_SUBJECTS = {
    "": "empty",
    "   ": "empty",
    "x" * 401: "longer than 400",
    "external_id:" + "x" * 500: "longer than 400",
    "external_id:a\x00b": "control character",
    "ann\n": "control character",
    "email:ann@example.com\x7f": "control character",
}


def _assert_item_error(result: dict, index: int, detail: str) -> None:
    assert result["index"] == index, result
    assert result["error"]["type"].endswith("invalid-input") and detail in result["error"]["detail"], result
    assert "allowed" not in result and "reason" not in result


async def _batch(api, body: dict):
    return await api.client.post("/v1/consent-checks", json=body, headers=await api.headers("consent:check"))


async def test_bad_items_get_their_own_errors_in_input_order(api):
    a = await subject_with(api, consents=[("offers", ["email"])])
    good = [a["id"], f"email:{a['email']}", "x" * 400]  # exactly 400 characters is a subject
    subjects = [good[0], *BAD_SUBJECTS, good[1], good[2]]
    r = await _batch(api, {"channel": "email", "topic": "offers", "subjects": subjects})
    assert r.status_code == 200, r.text
    body = r.json()
    results = body["results"]
    assert [x["index"] for x in results] == list(range(len(subjects)))
    assert results[0]["allowed"] is True and results[-2]["allowed"] is True
    assert results[-1]["allowed"] is False and results[-1]["reason"] == "unknown_subject"
    for index, detail in enumerate(BAD_SUBJECTS.values(), start=1):
        _assert_item_error(results[index], index, detail)
        assert results[index]["subject"] == subjects[index]  # echoed, so the caller can match it
    assert (body["allowed"], body["denied"], body["errors"]) == (2, 1, len(BAD_SUBJECTS))

    # the same with items, each asking its own question
    items = [{"subject": s, "channel": "email", "topic": "offers"} for s in subjects]
    items[-1] = {"subject": a["external_id"], "channel": "sms", "topic": "billing"}
    r = await _batch(api, {"items": items})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results[0]["allowed"] is True and results[-1]["reason"] == "contract"
    for index, detail in enumerate(BAD_SUBJECTS.values(), start=1):
        _assert_item_error(results[index], index, detail)


async def test_bad_items_in_a_batch_answered_by_the_check_workers(api):
    a = await subject_with(api, consents=[("offers", ["email"])])
    subjects = [a["id"] if i % 2 else ("" if i % 4 else "y" * 401) for i in range(PIECE + 101)]
    r = await _batch(api, {"channel": "email", "topic": "offers", "subjects": subjects})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["index"] for x in results] == list(range(len(subjects)))
    for i, result in enumerate(results):
        if i % 2:
            assert result["allowed"] is True, result
        else:
            _assert_item_error(result, i, "empty" if i % 4 else "longer than 400")


async def test_the_batch_limits_still_hold(api):
    too_many = [""] * 5 + [f"c{i}" for i in range(10_000)]
    r = await _batch(api, {"channel": "email", "topic": "offers", "subjects": too_many})
    assert r.status_code == 413 and r.json()["type"].endswith("/payload-too-large"), r.text
    # a subject that is not text is still a malformed request
    r = await _batch(api, {"channel": "email", "topic": "offers", "subjects": ["a", None]})
    assert r.status_code == 400 and r.json()["type"].endswith("/validation-error"), r.text


async def test_the_stream_answers_bad_subjects_the_same_way(api):
    lines = [json.dumps(s) for s in BAD_SUBJECTS] + [json.dumps({"subject": s}) for s in BAD_SUBJECTS]
    r = await api.client.post(
        "/v1/consent-checks/stream",
        params={"channel": "email", "topic": "offers"},
        content="\n".join(lines).encode(),
        headers={**await api.headers("consent:check"), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    out = [json.loads(line) for line in r.text.splitlines()]
    details = list(BAD_SUBJECTS.values()) * 2
    assert len(out) == len(details)
    for index, (result, detail) in enumerate(zip(out, details, strict=True)):
        _assert_item_error(result, index, detail)
