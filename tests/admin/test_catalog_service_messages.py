"""The admin catalog page counts the opt-outs stored for service messages (they stay in force until the
customer changes them), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete

from prefcenter.store.models import Preference
from prefcenter.store.unit_of_work import utcnow
from tests.admin.support import signed_in


async def test_catalog_page_counts_stored_opt_outs_of_service_messages(api):
    admin = await api.headers("admin")
    r = await api.client.put(
        "/v1/catalog/topics/invoices_pages",
        json={"name": "Invoices", "legal_basis": "contract", "channels": ["email"]},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    subjects = [await api.new_subject() for _ in range(2)]
    # Stored before the topic became a service message (the API refuses such an opt-out today).
    async with api.ctx.db.write_session() as session:
        for s in subjects:
            session.add(
                Preference(
                    subject_id=s["id"],
                    channel="email",
                    topic="invoices_pages",
                    status="opted_out",
                    updated_at=utcnow(),
                )
            )
    try:
        async with signed_in(api, "admin") as staff:
            html = await staff.page("/admin/catalog")
        assert "Service message" in html and "Yes: 2 stored opt-outs stay in force" in html
    finally:
        async with api.ctx.db.write_session() as session:
            await session.execute(delete(Preference).where(Preference.topic == "invoices_pages"))
