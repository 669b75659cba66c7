"""Lookalike identities are one person (or refused), through the real app on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from prefcenter.core import crypto
from prefcenter.core.normalise import legacy_normalise_identity
from prefcenter.store.models_dsr import ErasureSuppression
from tests.dsr.support import drain, verified_request


def fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def unique_email(domain: str = "example.com") -> tuple[str, str]:
    local = f"erase.me.{uuid.uuid4().hex[:8]}"
    return local, f"{local}@{domain}"


async def add_identity(api, subject_id: str, kind: str, value: str):
    return await api.client.post(
        f"/v1/subjects/{subject_id}/identities",
        json={"kind": kind, "value": value},
        headers=await api.headers("preferences:write"),
    )


@pytest.mark.parametrize(
    "lookalike",
    [
        lambda local: f"{local}@{fullwidth('example')}.com",  # fullwidth domain
        lambda local: f"{fullwidth(local)}@example.com",  # fullwidth local part
        lambda local: f"{local.upper()}@ＥＸＡＭＰＬＥ．ＣＯＭ",  # fullwidth capitals and full stop
    ],
    ids=["fullwidth-domain", "fullwidth-local", "fullwidth-upper"],
)
async def test_a_fullwidth_lookalike_is_the_same_identity(api, lookalike):
    local, email = unique_email()
    owner = await api.new_subject(identities=[{"kind": "email", "value": email}])
    other = await api.new_subject()
    taken = await add_identity(api, other["id"], "email", lookalike(local))
    assert taken.status_code == 409, taken.text
    assert taken.json()["reason"] == "identity_taken"
    assert (await add_identity(api, owner["id"], "email", lookalike(local))).status_code in (200, 201)
    assert (
        len(
            (await api.client.get(f"/v1/subjects/{owner['id']}", headers=await api.admin())).json()[
                "identities"
            ]
        )
        == 1
    )


async def test_a_unicode_domain_and_its_ascii_form_are_the_same_identity(api):
    local, email = unique_email("bücher.de")
    owner = await api.new_subject(identities=[{"kind": "email", "value": email}])
    other = await api.new_subject()
    taken = await add_identity(api, other["id"], "email", f"{local}@xn--bcher-kva.de")
    assert taken.status_code == 409 and taken.json()["reason"] == "identity_taken", taken.text
    assert (await add_identity(api, owner["id"], "email", f"{local}@BÜCHER.de")).status_code in (200, 201)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "erase\u200b.me@example.com"),  # zero-width space
        ("email", "erase.me@exam\u00adple.com"),  # soft hyphen
        ("email", "erase.me@exa\u200dmple.com"),  # zero-width joiner
        ("email", "\u202eerase.me@example.com"),  # right-to-left override
        ("phone", "+49 151\u200e 2345678"),  # left-to-right mark
        ("customer_id", "CUST\u2060-1"),  # word joiner
        ("device_id", "\ufeffdevice-1"),  # byte order mark
    ],
)
async def test_invisible_format_characters_are_refused(api, kind, value):
    subject = await api.new_subject()
    refused = await add_identity(api, subject["id"], kind, value)
    # the answer every identity that cannot be normalised gets
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/invalid-input")
    assert "invisible" in refused.json()["detail"]
    assert value not in refused.text


async def test_a_lookalike_of_an_erased_address_is_suppressed(api):
    local, email = unique_email()
    erased = await api.new_subject(identities=[{"kind": "email", "value": email}])
    await verified_request(api, erased["id"], "erasure")
    await drain(api)
    assert (await api.client.get(f"/v1/subjects/{erased['id']}", headers=await api.admin())).json()[
        "erased_at"
    ]

    newcomer = await api.new_subject()
    for lookalike in (f"{local}@{fullwidth('example')}.com", f"{local}@ｅｘａｍｐｌｅ.com", email.upper()):
        refused = await add_identity(api, newcomer["id"], "email", lookalike)
        assert refused.status_code == 409, refused.text
        assert refused.json()["reason"] == "erased_identity"
    created = await api.client.post(
        "/v1/subjects",
        json={"identities": [{"kind": "email", "value": f"{local}@{fullwidth('example')}.com"}]},
        headers=await api.headers("preferences:write"),
    )
    assert created.status_code == 409, created.text


async def test_suppression_entries_hashed_under_the_legacy_rule_still_match(api):
    """An address erased before the rule changed was hashed as typed (fullwidth); that entry cannot be
    re-computed, so the same address typed again is matched under the legacy rule too."""
    local, _ = unique_email()
    typed = f"{local}@{fullwidth('example')}.com"
    legacy_hash = crypto.lookup_hash(api.ctx.keys.pepper, "email", legacy_normalise_identity("email", typed))
    async with api.ctx.unit_of_work() as uow:
        uow.session.add(
            ErasureSuppression(lookup_hash=legacy_hash, kind="email", erased_at=datetime.now(UTC))
        )
    subject = await api.new_subject()
    refused = await add_identity(api, subject["id"], "email", typed)
    assert refused.status_code == 409 and refused.json()["reason"] == "erased_identity", refused.text
    dsr = await api.client.post(
        "/v1/dsr-requests",
        json={"type": "access", "identity": f"email:{typed}"},
        headers=await api.headers("dsr:manage"),
    )
    assert dsr.status_code == 409 and dsr.json()["reason"] == "erased", dsr.text
