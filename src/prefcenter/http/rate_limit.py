"""Per-client rate limits on ``/v1``: a token bucket per API client (or per subject token), 429 + Retry-After.

Runs after bearer authentication, so the key is the verified caller, not a header anyone can set. Buckets
live in the process: with N server processes a client gets up to N times the rate (documented; a shared
store is the step up when that matters). Every request costs one token, a batch of 10,000 checks too —
batches are the cheap way to ask many questions.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from prefcenter.errors import RateLimited
from prefcenter.settings import RateLimitSettings

MAX_BUCKETS = 100_000  # least recently used buckets are forgotten beyond this


class TokenBuckets:
    def __init__(self, settings: RateLimitSettings, clock=time.monotonic) -> None:
        self.rate = settings.requests_per_second
        self.burst = max(1, settings.burst)
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Take one token; 0.0 when allowed, else the seconds until one is available."""
        now = self.clock()
        tokens, at = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        return wait


def take_token(state, principal) -> None:
    """Take one token from ``principal``'s bucket or raise RateLimited (refusing takes nothing).

    One set of buckets per app (kept in ``app.state``), shared by every route and ``checks/fast_path.py``."""
    settings = state.ctx.settings.rate_limit
    if settings.requests_per_second <= 0:
        return
    buckets = state.get(_STATE_KEY)
    if buckets is None:
        buckets = state[_STATE_KEY] = TokenBuckets(settings)
    key = f"{principal.kind}:{principal.subject_id if principal.kind == 'subject' else principal.client_id}"
    wait = buckets.take(key)
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise RateLimited(
            f"this client is limited to {settings.requests_per_second:g} requests/s "
            f"(bursts of {settings.burst}); retry in {retry} s",
            retry_after=retry,
        )


_STATE_KEY = "rate_limit_buckets"


def rate_limit_middleware(app):
    async def middleware(scope, receive, send) -> None:
        principal = scope.get("user") if scope["type"] == "http" else None
        if principal is not None:
            take_token(scope["app"].state, principal)
        await app(scope, receive, send)

    return middleware
