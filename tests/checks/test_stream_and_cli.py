"""Campaign scale: the NDJSON stream endpoint (order, errors, flat memory) and `prefcenter check`."""

from __future__ import annotations

import gc
import io
import json
import tracemalloc
import uuid

from prefcenter.checks import ndjson
from prefcenter.checks.cli import read_recipients, run_check
from prefcenter.checks.service import CheckRun
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import utcnow
from tests.checks.helpers import subject_with


async def test_stream_answers_every_line_in_order(api):
    a = await subject_with(api, consents=[("offers", ["email"])])
    b = await subject_with(api, prefs=[("email", "offers", "opted_out")])
    lines = [
        json.dumps(a["id"]),
        "",
        json.dumps({"subject": f"email:{b['email']}"}),
        "{not json",
        json.dumps({"subject": a["external_id"], "channel": "sms", "topic": "billing"}),
        json.dumps({"subject": "x", "bogus": 1}),
        json.dumps(str(uuid.uuid4())),
    ]
    r = await api.client.post(
        "/v1/consent-checks/stream",
        params={"channel": "email", "topic": "offers"},
        content="\n".join(lines).encode(),
        headers={**await api.headers("consent:check"), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    out = [json.loads(line) for line in r.text.splitlines()]
    assert [o["index"] for o in out] == [0, 1, 2, 3, 4, 5]
    assert out[0]["allowed"] is True and out[0]["evidence"]["consent_id"] == a["consents"]["offers"]["id"]
    assert out[1]["reason"] == "topic_opted_out" and out[1]["evidence"]["preference"] == "email:offers"
    assert out[2]["error"]["type"] == "validation-error"
    assert out[3]["reason"] == "contract" and out[3]["channel"] == "sms"
    assert out[4]["error"]["type"] == "validation-error"
    assert out[5]["reason"] == "unknown_subject"


async def test_stream_chunks_keep_their_order_across_chunk_boundaries(api, monkeypatch):
    monkeypatch.setattr(ndjson, "STREAM_CHUNK", 7)
    s = await subject_with(api, consents=[("offers", ["email"])])
    body = "\n".join(json.dumps(s["id"] if i % 3 else f"bad-{i}:x") for i in range(50)).encode()
    r = await api.client.post(
        "/v1/consent-checks/stream?channel=email&topic=offers",
        content=body,
        headers=await api.headers("consent:check"),
    )
    out = [json.loads(line) for line in r.text.splitlines()]
    assert [o["index"] for o in out] == list(range(50))
    assert all(
        o["allowed"] is (i % 3 != 0) or o.get("reason") == "unknown_subject" for i, o in enumerate(out)
    )


async def _request_chunks(n: int, subject: str):
    line = (json.dumps(subject) + "\n").encode()
    for start in range(0, n, 500):
        yield line * min(500, n - start)


async def _peak_stream_memory(api, n: int, subject: str) -> int:
    run = CheckRun(projection_reader(api.ctx.db), api.ctx.keys.pepper, utcnow())
    gc.collect()
    tracemalloc.start()
    try:
        count = 0
        async for chunk in ndjson.decide_stream(run, _request_chunks(n, subject), "email", "offers"):
            count += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n
    return peak


async def test_stream_memory_does_not_grow_with_input_size(api):
    s = await subject_with(api, consents=[("offers", ["email"])])
    await _peak_stream_memory(api, 2_000, s["id"])  # warm caches (catalog, statements, threads)
    small = await _peak_stream_memory(api, 10_000, s["id"])
    large = await _peak_stream_memory(api, 40_000, s["id"])  # 4x the input, ~3 MB more of NDJSON
    assert large < small * 1.15, (small, large)


def test_recipient_csv_with_or_without_header():
    assert list(read_recipients(io.StringIO("email:a@example.com\nabc\n\n"))) == [
        ("email:a@example.com", None, None),
        ("abc", None, None),
    ]
    with_header = io.StringIO("name,subject,topic\nAnn,email:a@example.com,offers\nBob,x,\n")
    assert list(read_recipients(with_header)) == [
        ("email:a@example.com", None, "offers"),
        ("x", None, None),
    ]


async def test_cli_check_writes_one_decision_per_recipient(api):
    a = await subject_with(api, consents=[("offers", ["email"])])
    source = io.StringIO(f"subject\nemail:{a['email']}\n{uuid.uuid4()}\nemail:bad\n")
    sink = io.StringIO()
    total, allowed = await run_check(api.ctx, source, sink, "email", "offers")
    assert (total, allowed) == (3, 1)
    rows = sink.getvalue().splitlines()
    assert rows[0].startswith("subject,allowed,reason")
    assert rows[1].startswith(f"email:{a['email']},true,consent,{a['id']},{a['consents']['offers']['id']},1")
    assert ",false,unknown_subject," in rows[2]
    assert rows[3].startswith("email:bad,,,") and "not a valid email" in rows[3]


async def test_a_stream_larger_than_the_body_limit_streams_even_with_an_idempotency_key(api):
    """Checks change nothing, so Idempotency-Key is not applied to them: a campaign is never buffered."""
    subject = await subject_with(api, consents=[("offers", ["email"])])
    line = json.dumps(subject["id"]).encode() + b"\n"
    body = line * (api.settings.server.max_body_bytes // len(line) + 1000)  # over the normal body limit
    r = await api.client.post(
        "/v1/consent-checks/stream",
        params={"channel": "email", "topic": "offers"},
        content=body,
        headers={
            **await api.headers("consent:check"),
            "content-type": "application/x-ndjson",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    assert r.status_code == 200, r.text[:300]
    assert r.text.count("\n") == body.count(b"\n")
    assert "idempotent-replayed" not in r.headers
