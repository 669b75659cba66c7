"""Per-client rate limits: 429 problem JSON with Retry-After, separate buckets per client."""

from __future__ import annotations

import dataclasses

from prefcenter.http.rate_limit import TokenBuckets
from prefcenter.settings import RateLimitSettings
from tests.conftest import close_api, open_api


def test_token_bucket_refills_at_the_rate():
    now = [0.0]
    buckets = TokenBuckets(RateLimitSettings(requests_per_second=2, burst=3), clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 0.5
    assert buckets.take("b") == 0.0  # another client has its own bucket
    now[0] += 0.5
    assert buckets.take("a") == 0.0


async def test_api_answers_429_with_retry_after(new_backend):
    settings = dataclasses.replace(
        new_backend("sqlite"), rate_limit=RateLimitSettings(requests_per_second=0.5, burst=2)
    )
    api = await open_api(settings)
    try:
        h = await api.headers("consent:check")
        params = {"subject": "x", "channel": "email", "topic": "offers"}
        codes = [
            (await api.client.get("/v1/consent-checks", params=params, headers=h)).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]
        r = await api.client.get("/v1/consent-checks", params=params, headers=h)
        assert r.status_code == 429 and r.headers["retry-after"] in ("1", "2")
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/rate-limited")
        other = await api.headers("consent:check", "preferences:read")  # another client
        assert (await api.client.get("/v1/consent-checks", params=params, headers=other)).status_code == 200
        assert (await api.client.get("/health")).status_code == 200  # public routes are not limited here
    finally:
        await close_api(api)
