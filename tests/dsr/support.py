"""Helpers for DSR, job and webhook tests."""

from __future__ import annotations

import dataclasses
import io
import zipfile

from prefcenter.jobs.worker import Worker
from prefcenter.settings import DsrSettings
from prefcenter.worker import build_worker

FAST = DsrSettings(
    job_lease_seconds=5,
    job_backoff_seconds=0.01,
    worker_poll_seconds=0.05,
    webhook_timeout_seconds=1.0,
    webhook_max_attempts=3,
    webhook_backoff_seconds=0.01,
)


def fast_ctx(ctx, **overrides):
    dsr = dataclasses.replace(FAST, **overrides)
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, dsr=dsr))


async def drain(api, **overrides) -> Worker:
    worker = build_worker(fast_ctx(api.ctx, **overrides))
    await worker.drain()
    return worker


async def dsr_headers(api) -> dict[str, str]:
    return await api.headers("dsr:manage")


async def create_request(api, subject_id: str, type: str = "erasure", **body) -> dict:
    r = await api.client.post(
        "/v1/dsr-requests",
        json={"type": type, "subject_id": subject_id, **body},
        headers=await dsr_headers(api),
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


async def verified_request(api, subject_id: str, type: str = "erasure") -> dict:
    req = await create_request(api, subject_id, type)
    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/verify",
        json={"note": "passport checked at the counter"},
        headers=await dsr_headers(api),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def get_request(api, request_id: str) -> dict:
    r = await api.client.get(f"/v1/dsr-requests/{request_id}", headers=await dsr_headers(api))
    assert r.status_code == 200, r.text
    return r.json()


async def exported_archive(api, subject_id: str) -> zipfile.ZipFile:
    """The subject's access export: a verified access request run to completion, downloaded through a signed
    link (no bearer token)."""
    req = await verified_request(api, subject_id, "access")
    await drain(api)
    assert (await get_request(api, req["id"]))["status"] == "completed"
    link = (
        await api.client.post(f"/v1/dsr-requests/{req['id']}/export-links", headers=await dsr_headers(api))
    ).json()
    r = await api.client.get("/" + link["url"].split("://", 1)[1].split("/", 1)[1])
    assert r.status_code == 200, r.text
    return zipfile.ZipFile(io.BytesIO(r.content))
