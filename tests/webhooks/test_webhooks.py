"""Downstream systems over real local HTTP servers: signed deliveries, retries, dead letter, acknowledgements."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import select

from prefcenter.store.models_dsr import WebhookDelivery
from prefcenter.webhooks import signing
from tests.dsr.support import drain, get_request, verified_request


def test_standard_webhooks_signature_round_trip():
    secret = signing.new_secret()
    body = b'{"type":"x"}'
    headers = signing.headers(secret, "msg_1", body)
    signing.verify(secret, headers, body)
    for bad_body, bad_headers in (
        (b'{"type":"y"}', headers),
        (body, {**headers, "webhook-timestamp": str(int(time.time()) - 3600)}),
        (body, {**headers, "webhook-signature": "v1,AAAA"}),
        (body, {k: v for k, v in headers.items() if k != "webhook-id"}),
    ):
        with pytest.raises(signing.SignatureError):
            signing.verify(secret, bad_headers, bad_body)


class Downstream:
    """A local HTTP server that answers 204, 500, never answers, or closes the connection."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: list[tuple[dict, bytes]] = []
        self.server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            headers = {
                k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.received.append((headers, body))
            if self.mode == "close":
                writer.close()
                return
            if self.mode == "hang":
                await asyncio.sleep(30)
                return
            status = b"204 No Content" if self.mode == "ok" else b"500 Internal Server Error"
            writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    async def __aenter__(self) -> Downstream:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    @property
    def url(self) -> str:
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks"


async def _register(api, name: str, url: str, event_types: list[str]) -> dict:
    r = await api.client.post(
        "/v1/downstream-systems",
        json={"name": name, "url": url, "event_types": event_types},
        headers=await api.admin(),
    )
    assert r.status_code == 201, r.text
    assert r.json()["secret"].startswith("whsec_")
    return r.json()


async def _disable(api, *systems: dict) -> None:
    for system in systems:
        await api.client.post(f"/v1/downstream-systems/{system['id']}/disable", headers=await api.admin())


async def _deliveries(api, system_id: str) -> list[WebhookDelivery]:
    async with api.ctx.db.read_session() as session:
        return list(
            (
                await session.execute(select(WebhookDelivery).where(WebhookDelivery.system_id == system_id))
            ).scalars()
        )


async def _pump(api, systems: list[dict], rounds: int = 60, **settings) -> None:
    for _ in range(rounds):
        await drain(api, webhook_timeout_seconds=0.5, **settings)
        pending = [d for s in systems for d in await _deliveries(api, s["id"]) if d.status == "pending"]
        if not pending:
            return
        await asyncio.sleep(0.03)


async def test_failing_systems_are_retried_then_dead_lettered_without_blocking_others(api):
    async with (
        Downstream("ok") as ok,
        Downstream("500") as err,
        Downstream("hang") as hang,
        Downstream("close") as closer,
    ):
        systems = [
            await _register(api, name, server.url, ["preference.*"])
            for name, server in (("crm", ok), ("esp", err), ("warehouse", hang), ("flaky", closer))
        ]
        try:
            subject = await api.new_subject()
            r = await api.client.patch(
                f"/v1/subjects/{subject['id']}/preferences",
                json={
                    "touchpoint": "web",
                    "items": [{"channel": "email", "topic": "*", "status": "opted_out"}],
                },
                headers=await api.headers("preferences:write"),
            )
            assert r.status_code == 200
            await _pump(api, systems)
            crm, esp, warehouse, flaky = [await _deliveries(api, s["id"]) for s in systems]
            assert [(d.status, d.attempts) for d in crm] == [("delivered", 1)]
            headers, body = ok.received[0]
            signing.verify(systems[0]["secret"], headers, body)
            payload = json.loads(body)
            assert payload["type"] == "preference.set" and payload["data"]["subject_id"] == subject["id"]
            assert headers["webhook-id"] == crm[0].id
            for deliveries, needle in ((esp, "HTTP 500"), (warehouse, "timed out"), (flaky, "")):
                assert [(d.status, d.attempts) for d in deliveries] == [("dead", 3)]
                assert needle in deliveries[0].last_error
            assert len(err.received) == 3 and len(closer.received) == 3
            r = await api.client.get(
                f"/v1/downstream-systems/{systems[1]['id']}/deliveries",
                params={"status": "dead"},
                headers=await api.admin(),
            )
            assert r.status_code == 200 and r.json()["items"][0]["last_status_code"] == 500
        finally:
            await _disable(api, *systems)


async def test_erasure_waits_for_acknowledgements_then_reports_each_system(api):
    async with Downstream("ok") as crm_server, Downstream("ok") as silent_server:
        crm = await _register(api, "crm", crm_server.url, ["dsr.*"])
        silent = await _register(api, "warehouse", silent_server.url, ["dsr.*"])
        try:
            subject = await api.new_subject(identities=[{"kind": "email", "value": "ack-me@example.com"}])
            req = await verified_request(api, subject["id"], "erasure")
            await _pump(api, [crm, silent], ack_timeout_seconds=1)
            waiting = await get_request(api, req["id"])
            assert waiting["status"] == "waiting_on_systems" and waiting["outcome"] == "erased"
            tasks = [
                json.loads(b)
                for _, b in crm_server.received
                if json.loads(b)["type"] == "dsr.erasure_requested"
            ]
            task = tasks[0]["data"]
            assert task["subject_id"] == subject["id"] and task["request_id"] == req["id"]

            ack = json.dumps(
                {"task_id": task["task_id"], "status": "erased", "detail": "contact deleted"}
            ).encode()
            bad = signing.headers(silent["secret"], "msg_ack_1", ack)
            r = await api.client.post(task["ack_path"], content=ack, headers=bad)
            assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
            r = await api.client.post(
                task["ack_path"], content=ack, headers=signing.headers(crm["secret"], "msg_ack_2", ack)
            )
            assert r.status_code == 200 and r.json()["status"] == "acknowledged", r.text
            assert r.json()["request_status"] == "waiting_on_systems"

            await asyncio.sleep(1.1)  # the warehouse never answers; the deadline passes
            await drain(api, ack_timeout_seconds=1)
            report = await get_request(api, req["id"])
            assert report["status"] == "completed", report
            outcomes = {s["system_name"]: s["status"] for s in report["systems"]}
            assert outcomes == {"crm": "acknowledged", "warehouse": "no_response"}
            async with api.ctx.db.read_session() as session:
                rows = (
                    (
                        await session.execute(
                            select(WebhookDelivery.payload).where(
                                WebhookDelivery.subject_id == subject["id"],
                                WebhookDelivery.task_id.is_not(None),
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            assert rows and all(p == '{"redacted":true}' for p in rows)
        finally:
            await _disable(api, crm, silent)


async def _erasure_tasks(api, server: Downstream, system: dict, n: int) -> list[tuple[dict, dict]]:
    """``n`` erasures waiting on ``system``: (request, task as the webhook carried it) each."""
    requests = []
    for _ in range(n):
        subject = await api.new_subject()
        requests.append(await verified_request(api, subject["id"], "erasure"))
    await _pump(api, [system], ack_timeout_seconds=3600)
    sent = [
        json.loads(b)["data"] for _, b in server.received if json.loads(b)["type"] == "dsr.erasure_requested"
    ]
    task_of = {t["request_id"]: t for t in sent}
    return [(req, task_of[req["id"]]) for req in requests]


async def test_an_acknowledgement_is_bound_to_its_task_and_its_webhook_id(api):
    async with Downstream("ok") as server:
        crm = await _register(api, "crm", server.url, ["dsr.*"])
        try:
            (req1, task1), (req2, task2) = await _erasure_tasks(api, server, crm, 2)

            def signed(msg_id: str, body: dict) -> tuple[bytes, dict]:
                raw = json.dumps(body).encode()
                return raw, signing.headers(crm["secret"], msg_id, raw)

            raw, headers = signed("msg_bound_1", {"task_id": task1["task_id"], "status": "erased"})
            first = await api.client.post(task1["ack_path"], content=raw, headers=headers)
            assert first.status_code == 200 and first.json()["status"] == "acknowledged", first.text
            assert first.json()["request_status"] == "completed"

            # The answer was lost: the same webhook-id, task and body get the first answer again.
            again = await api.client.post(task1["ack_path"], content=raw, headers=headers)
            assert again.status_code == 200 and again.json() == first.json()

            # The same signed acknowledgement replayed to another task: its body names task 1.
            replayed = await api.client.post(task2["ack_path"], content=raw, headers=headers)
            assert replayed.status_code == 422 and replayed.json()["reason"] == "task_mismatch", replayed.text
            assert replayed.headers["content-type"].startswith("application/problem+json")

            # The old format (no task_id) is refused, even when signed.
            raw_old, headers_old = signed("msg_bound_2", {"status": "erased"})
            old = await api.client.post(task2["ack_path"], content=raw_old, headers=headers_old)
            assert old.status_code == 422 and "task_id" in old.json()["detail"], old.text

            # A webhook-id used once is not used again: for another task, or for another body.
            for target, body in (
                (task2, {"task_id": task2["task_id"], "status": "erased"}),
                (task1, {"task_id": task1["task_id"], "status": "erased", "detail": "again"}),
            ):
                raw_reuse, headers_reuse = signed("msg_bound_1", body)
                reused = await api.client.post(target["ack_path"], content=raw_reuse, headers=headers_reuse)
                assert reused.status_code == 409 and reused.json()["reason"] == "webhook_id_reused", (
                    reused.text
                )

            waiting = await get_request(api, req2["id"])
            assert waiting["status"] == "waiting_on_systems"
            assert [s["status"] for s in waiting["systems"]] == ["pending"]

            raw2, headers2 = signed("msg_bound_3", {"task_id": task2["task_id"], "status": "not_found"})
            r = await api.client.post(task2["ack_path"], content=raw2, headers=headers2)
            assert r.status_code == 200 and r.json()["status"] == "not_found", r.text
            assert (await get_request(api, req2["id"]))["status"] == "completed"
            assert (await get_request(api, req1["id"]))["systems"][0]["status"] == "acknowledged"
        finally:
            await _disable(api, crm)
