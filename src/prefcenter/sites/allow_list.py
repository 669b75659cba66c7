"""The origins a browser may call the API from: ``PREFCENTER_CORS_ORIGINS`` plus every site's origins.

Sites live in the database and may change at runtime, so the set is read through a short-lived cache:
several API processes converge within ``ttl`` seconds, and a site write in this process refreshes its
own copy at once (``invalidate`` after the commit).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

import structlog

from prefcenter.sites.origins import canonical_origin
from prefcenter.sites.service import all_site_origins
from prefcenter.store.database import Database

log = structlog.get_logger("prefcenter.sites")
DEFAULT_TTL_SECONDS = 10.0


def _canonical_or_same(text: str) -> str:
    try:
        return canonical_origin(text)
    except ValueError:
        return text


class OriginAllowList:
    def __init__(
        self,
        db: Database,
        configured: Iterable[str],
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.configured = frozenset(_canonical_or_same(o) for o in configured)
        self.ttl = ttl
        self.clock = clock
        self._origins: frozenset[str] | None = None
        self._loaded_at = -math.inf
        self._generation = 0

    async def origins(self) -> frozenset[str]:
        """The configured origins and every site's, at most ``ttl`` seconds old."""
        if self._origins is not None and self.clock() - self._loaded_at < self.ttl:
            return self._origins
        generation = self._generation
        try:
            async with self.db.read_session() as session:
                merged = self.configured | await all_site_origins(session)
        except Exception:  # the database is down or not migrated: keep serving what we knew
            log.warning("site_origins_unavailable", exc_info=True)
            merged = self._origins if self._origins is not None else self.configured
        if generation == self._generation:  # a site write since we started reading makes this stale
            self._origins, self._loaded_at = merged, self.clock()
        return merged

    async def allows(self, origin: str) -> bool:
        origins = await self.origins()
        return origin in origins or _canonical_or_same(origin) in origins

    def invalidate(self) -> None:
        """Forget the cached set (call after a site write commits); the next request reads it again."""
        self._generation += 1
        self._origins = None
