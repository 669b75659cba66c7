"""A deadline extension needs a real reason: one rule (``dsr.deadlines.extension_reason``) for the API, the
CLI and the admin pages."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from prefcenter.context import AppContext
from prefcenter.dsr import deadlines, intake, reads
from prefcenter.dsr.schemas import DsrCreate
from prefcenter.errors import InvalidField
from prefcenter.store.unit_of_work import Actor
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import SubjectCreate
from tests.admin.support import signed_in
from tests.dsr.support import create_request, dsr_headers, get_request
from tests.jobs.test_crash import PREFCENTER, worker_env

BLANK = ("", "   ", "\t\n ")


async def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, [PREFCENTER, *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_reason_is_trimmed_and_must_not_be_blank_or_too_long():
    assert deadlines.extension_reason("  complex request \n") == "complex request"
    for text in (*BLANK, "x" * (deadlines.MAX_EXTENSION_REASON + 1)):
        with pytest.raises(InvalidField) as caught:
            deadlines.extension_reason(text)
        assert caught.value.status == 400 and caught.value.extra["errors"][0]["key"] == "reason"
    assert (
        deadlines.extension_reason(" " + "x" * deadlines.MAX_EXTENSION_REASON + " ")
        == "x" * deadlines.MAX_EXTENSION_REASON
    )


async def test_api_refuses_a_blank_reason_as_a_validation_error(api):
    s = await api.new_subject()
    req = await create_request(api, s["id"], "rectification")
    h = await dsr_headers(api)
    for reason in BLANK:
        r = await api.client.post(
            f"/v1/dsr-requests/{req['id']}/extend", json={"months": 2, "reason": reason}, headers=h
        )
        assert r.status_code == 400, (reason, r.text)
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["type"].endswith("/validation-error")
    after = await get_request(api, req["id"])
    assert after["extended_months"] == 0 and after["due_at"] == req["due_at"]
    assert not [h for h in after["history"] if h["action"] == "extended"]

    r = await api.client.post(
        f"/v1/dsr-requests/{req['id']}/extend", json={"months": 1, "reason": "  many systems  "}, headers=h
    )
    assert r.status_code == 200 and r.json()["extension_reason"] == "many systems", r.text


async def test_admin_page_shows_the_same_rule_as_a_form_error(api):
    s = await api.new_subject()
    req = await create_request(api, s["id"], "objection")
    async with signed_in(api, "officer") as officer:
        page = f"/admin/dsr/{req['id']}"
        r = await officer.submit(page, f"{page}/extend", months="2", reason="    ")
        assert r.status_code == 400 and "give a reason for the extension" in r.text
        assert 'role="alert"' in r.text
    assert (await get_request(api, req["id"]))["extended_months"] == 0


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_cli_refuses_a_blank_reason_with_a_plain_message(new_backend, engine):
    settings = new_backend(engine)
    ctx = AppContext.build(settings)
    try:
        async with ctx.unit_of_work() as uow:
            subject = await subjects.create_subject(uow, Actor("agent", "officer-1"), SubjectCreate())
            req, _ = await intake.create_request(
                uow, Actor("agent", "officer-1"), DsrCreate(type="access", subject_id=subject.id)
            )
        env = worker_env(settings)
        for reason in ("", "   "):
            result = await _cli(env, "dsr", "extend", req.id, "--months", "2", "--reason", reason)
            assert result.returncode != 0, result.stdout
            assert "give a reason for the extension" in result.stderr and "Traceback" not in result.stderr
        async with ctx.db.read_session() as session:
            unchanged = await reads.read_request(session, req.id)
        assert unchanged.extended_months == 0 and unchanged.extension_reason is None
        ok = await _cli(
            env, "dsr", "--json", "extend", req.id, "--months", "1", "--reason", " complex request "
        )
        assert ok.returncode == 0, ok.stderr
        assert '"extension_reason":"complex request"' in ok.stdout
    finally:
        await ctx.db.dispose()
