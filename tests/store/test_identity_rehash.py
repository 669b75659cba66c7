"""Migration ``20261201_identity_lookalikes``: identities stored under the legacy rule are re-hashed, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from prefcenter.core import crypto
from prefcenter.core.normalise import legacy_normalise_identity
from prefcenter.store import migrate
from prefcenter.store.models import Identity
from prefcenter.store.models_dsr import ErasureSuppression
from prefcenter.store.unit_of_work import load_data_key
from tests.conftest import BACKENDS, close_api, open_api


async def store_legacy(api, subject_id: str, typed: str) -> None:
    """Make the subject's one email identity what the legacy rule stored for ``typed``."""
    legacy = legacy_normalise_identity("email", typed)
    async with api.ctx.unit_of_work() as uow:
        data_key = await load_data_key(uow.session, api.ctx.keys, subject_id)
        await uow.session.execute(
            update(Identity)
            .where(Identity.subject_id == subject_id)
            .values(
                lookup_hash=crypto.lookup_hash(api.ctx.keys.pepper, "email", legacy),
                sealed_value=crypto.seal(data_key, legacy.encode(), aad=subject_id.encode()),
            )
        )


async def lookup(api, email: str):
    return await api.client.get(
        "/v1/subjects", params={"identity": f"email:{email}"}, headers=await api.headers("preferences:read")
    )


@pytest.mark.parametrize("engine", BACKENDS)
async def test_the_migration_rehashes_legacy_identities(new_backend, engine):
    settings = new_backend(engine)
    api = await open_api(settings)
    try:
        plain = await api.new_subject(identities=[{"kind": "email", "value": "plain@example.com"}])
        fullwidth = await api.new_subject(identities=[{"kind": "email", "value": "placeholder1@example.com"}])
        await store_legacy(api, fullwidth["id"], "wide@ｅｘａｍｐｌｅ.com")
        invisible = await api.new_subject(identities=[{"kind": "email", "value": "placeholder2@example.com"}])
        await store_legacy(api, invisible["id"], "zero\u200bwidth@example.com")
        unicode_domain = await api.new_subject(
            identities=[{"kind": "email", "value": "placeholder3@example.com"}]
        )
        await store_legacy(api, unicode_domain["id"], "ann@bücher.de")
        keeper = await api.new_subject(identities=[{"kind": "email", "value": "dup@example.com"}])
        lookalike = await api.new_subject(identities=[{"kind": "email", "value": "placeholder4@example.com"}])
        await store_legacy(api, lookalike["id"], "dup@ｅｘａｍｐｌｅ.com")
        after_erasure = await api.new_subject(
            identities=[{"kind": "email", "value": "placeholder5@example.com"}]
        )
        await store_legacy(api, after_erasure["id"], "gone@ｅｘａｍｐｌｅ.com")
        async with api.ctx.unit_of_work() as uow:
            uow.session.add(
                ErasureSuppression(
                    lookup_hash=crypto.lookup_hash(api.ctx.keys.pepper, "email", "gone@example.com"),
                    kind="email",
                    erased_at=datetime.now(UTC),
                )
            )
        assert (await lookup(api, "wide@example.com")).status_code == 404  # the legacy state: a new person
    finally:
        await close_api(api)

    migrate.downgrade(settings.database.url, "20261201_identity_lookalikes-1")
    migrate.upgrade(settings.database.url, keys=settings.keys)

    api = await open_api(settings)
    try:
        for email, subject in (
            ("plain@example.com", plain),
            ("wide@example.com", fullwidth),
            ("WIDE@ｅｘａｍｐｌｅ.com", fullwidth),
            ("zerowidth@example.com", invisible),
            ("ann@xn--bcher-kva.de", unicode_domain),
            ("ann@bücher.de", unicode_domain),
            ("dup@example.com", keeper),  # the address stored first keeps it
            ("dup@ｅｘａｍｐｌｅ.com", keeper),
        ):
            found = await lookup(api, email)
            assert found.status_code == 200, (email, found.text)
            assert found.json()["id"] == subject["id"], email
        # an erased address wins over its lookalike: no lookup reaches the lookalike, the address stays suppressed
        assert (await lookup(api, "gone@example.com")).status_code == 404
        newcomer = await api.new_subject()
        refused = await api.client.post(
            f"/v1/subjects/{newcomer['id']}/identities",
            json={"kind": "email", "value": "gone@example.com"},
            headers=await api.headers("preferences:write"),
        )
        assert refused.status_code == 409 and refused.json()["reason"] == "erased_identity", refused.text
        # the lookalikes that lost keep their identity row (profile, export), under the legacy hash
        async with api.ctx.db.read_session() as session:
            for subject in (lookalike, after_erasure):
                rows = (
                    await session.execute(select(Identity).where(Identity.subject_id == subject["id"]))
                ).all()
                assert len(rows) == 1
        profile = await api.client.get(f"/v1/subjects/{fullwidth['id']}", headers=await api.admin())
        assert profile.json()["identities"][0]["masked"] == "w***@e***.com"
    finally:
        await close_api(api)
