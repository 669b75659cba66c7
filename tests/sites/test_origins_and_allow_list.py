"""The pure origin normalisation, and the allow-list cache: TTL, in-process refresh, two processes converging."""

from __future__ import annotations

import pytest

from prefcenter.sites.allow_list import OriginAllowList
from prefcenter.sites.origins import canonical_origin
from prefcenter.sites.schemas import SiteWrite
from prefcenter.store.database import Database
from prefcenter.store.unit_of_work import SYSTEM, unit_of_work


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("HTTPS://Shop.Example.COM", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://shop.example.com:80", "http://shop.example.com"),
        ("http://localhost:5173", "http://localhost:5173"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ],
)
def test_canonical_origin(given, canonical):
    assert canonical_origin(given) == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "https://a.example.com/",
        "ftp://a.example.com",
        "https://a.example.com:0",
        "https://a..com",
        "*",
        "null",
    ],
)
def test_not_an_origin(bad):
    with pytest.raises(ValueError):
        canonical_origin(bad)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_processes_converge_within_the_ttl(new_backend):
    from prefcenter.keys import load_keys
    from prefcenter.sites import service

    settings = new_backend("sqlite")
    db = Database(settings.database.url)
    clock = Clock()
    here = OriginAllowList(db, ["https://env.example.com"], ttl=10, clock=clock)
    there = OriginAllowList(db, [], ttl=10, clock=clock)  # another API process on the same database
    try:
        assert await here.origins() == {"https://env.example.com"}
        assert await there.origins() == frozenset()
        async with unit_of_work(db, load_keys(settings.keys)) as uow:
            await service.put_site(
                uow, SYSTEM, "shop", SiteWrite(name="Shop", origins=["https://shop.example.com"])
            )
        here.invalidate()  # the writing process refreshes at once
        assert await here.allows("https://shop.example.com")
        assert not await there.allows("https://shop.example.com")  # still cached
        clock.now = 10.5
        assert await there.allows("https://shop.example.com")  # converged after the TTL
        assert await there.allows("HTTPS://SHOP.EXAMPLE.COM:443")
    finally:
        await db.dispose()
