"""NUL and other control characters in free text are refused with 400 validation-error on both engines.

PostgreSQL cannot store NUL in text (it answered 500) and SQLite stored it; single-line text (ids, names,
query and path parameters) refuses every C0 control character and DEL, multi-line text (notes, reasons,
descriptions) keeps tab, LF and CR."""

from __future__ import annotations

import uuid

import pytest

from tests.admin.support import signed_in

VALIDATION_ERROR = "https://prefcenter.dev/problems/validation-error"


def _refused(response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == VALIDATION_ERROR, response.json()


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb", "a\nb", "ab\n", "a\tb"])
async def test_control_characters_in_single_line_body_text_are_refused(api, text):
    write = await api.headers("preferences:write")
    _refused(await api.client.post("/v1/subjects", json={"external_id": text}, headers=write))
    _refused(
        await api.client.post(
            "/v1/subjects", json={"identities": [{"kind": "customer_id", "value": text}]}, headers=write
        )
    )
    _refused(await api.client.put("/v1/catalog/channels/fax", json={"name": text}, headers=await api.admin()))
    checks = await api.headers("consent:check")
    # a batch refuses such a subject as that item's own error, not the whole batch (hardening #16)
    batch = await api.client.post(
        "/v1/consent-checks",
        json={"channel": "email", "topic": "newsletter", "subjects": [f"external_id:{text}", "someone"]},
        headers=checks,
    )
    assert batch.status_code == 200, batch.text
    refused, decided = batch.json()["results"]
    assert refused["error"]["detail"] == "subject holds a control character" and "allowed" not in refused
    assert decided["reason"] == "unknown_subject"


@pytest.mark.parametrize("text", ["a\x00b", "a\x08b", "a\x1fb", "a\x7fb"])
async def test_control_characters_in_notes_and_reasons_are_refused(api, text):
    subject = await api.new_subject()
    dsr = await api.headers("dsr:manage")
    _refused(
        await api.client.post(
            "/v1/dsr-requests",
            json={"type": "access", "subject_id": subject["id"], "note": text},
            headers=dsr,
        )
    )
    created = await api.client.post(
        "/v1/dsr-requests", json={"type": "access", "subject_id": subject["id"]}, headers=dsr
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    _refused(await api.client.post(f"/v1/dsr-requests/{request_id}/notes", json={"note": text}, headers=dsr))
    _refused(
        await api.client.post(f"/v1/dsr-requests/{request_id}/cancel", json={"reason": text}, headers=dsr)
    )
    _refused(
        await api.client.patch(
            f"/v1/subjects/{subject['id']}/preferences",
            json={"touchpoint": "api", "reason": text},
            headers=await api.headers("preferences:write"),
        )
    )


async def test_multi_line_text_keeps_tab_newline_and_carriage_return(api):
    subject = await api.new_subject()
    dsr = await api.headers("dsr:manage")
    note = "Called the customer.\r\n\tIdentity checked against the order\nnumber."
    created = await api.client.post(
        "/v1/dsr-requests", json={"type": "access", "subject_id": subject["id"], "note": note}, headers=dsr
    )
    assert created.status_code == 201, created.text
    added = await api.client.post(
        f"/v1/dsr-requests/{created.json()['id']}/notes", json={"note": note}, headers=dsr
    )
    assert added.status_code == 200, added.text
    key = f"ch{uuid.uuid4().hex[:8]}"
    description = "Line one\n\tline two\r\n"
    put = await api.client.put(
        f"/v1/catalog/channels/{key}",
        json={"name": "Fax", "description": description},
        headers=await api.admin(),
    )
    assert put.status_code in (200, 201), put.text
    assert put.json()["description"] == description


async def test_control_characters_in_query_and_path_parameters_are_refused(api):
    read = await api.headers("preferences:read")
    _refused(await api.client.get("/v1/subjects?external_id=a%00b", headers=read))
    _refused(await api.client.get("/v1/subjects?identity=email:a%00b@example.com", headers=read))
    _refused(await api.client.get("/v1/subjects/a%00b", headers=read))
    _refused(await api.client.get("/v1/subjects/a%0Ab/events", headers=read))
    dsr = await api.headers("dsr:manage")
    _refused(await api.client.get("/v1/dsr-requests?subject_id=a%00b", headers=dsr))
    _refused(await api.client.get("/v1/dsr-requests/a%00b", headers=dsr))


async def test_control_characters_in_the_single_consent_check_are_refused(api):
    """The lean path (checks/fast_path.py) hands a parameter outside its documented pattern to Litestar."""
    checks = await api.headers("consent:check")
    for query in (
        "subject=external_id:a%00b&channel=email&topic=newsletter",
        "subject=external_id:ab%0A&channel=email&topic=newsletter",
        "subject=external_id:ab&channel=em%00ail&topic=newsletter",
    ):
        _refused(await api.client.get(f"/v1/consent-checks?{query}", headers=checks))
    subject = await api.new_subject()
    fine = await api.client.get(
        "/v1/consent-checks",
        params={
            "subject": f"external_id:{subject['external_id']}",
            "channel": "email",
            "topic": "newsletter",
        },
        headers=checks,
    )
    assert fine.status_code == 200 and fine.json()["reason"] == "no_consent", fine.text


async def test_if_match_and_cursors_outside_their_documented_format_are_refused(api):
    subject = await api.new_subject()
    write = await api.headers("preferences:write")
    for if_match in (b"null", '"1²"'.encode("latin-1"), b'"1"\x7f', b"12abc"):
        _refused(
            await api.client.patch(
                f"/v1/subjects/{subject['id']}/preferences",
                json={"touchpoint": "api"},
                headers={**write, "If-Match": if_match},
            )
        )
    _refused(await api.client.get("/v1/changes?after=%D9%A3", headers=await api.headers("consent:check")))
    _refused(await api.client.get("/v1/dsr-requests?cursor=a%2Bb", headers=await api.headers("dsr:manage")))
    events = await api.client.get(
        f"/v1/subjects/{subject['id']}/events?cursor=a.b", headers=await api.headers("preferences:read")
    )
    _refused(events)


async def test_admin_forms_refuse_control_characters_in_notes_and_reasons(api):

    subject = await api.new_subject()
    dsr = await api.headers("dsr:manage")
    created = await api.client.post(
        "/v1/dsr-requests", json={"type": "access", "subject_id": subject["id"]}, headers=dsr
    )
    page = f"/admin/dsr/{created.json()['id']}"
    async with signed_in(api, "officer") as officer:
        for action, fields in (
            ("note", {"note": "a\x00b"}),
            ("verify", {"note": "a\x1bb"}),
            ("extend", {"months": "1", "reason": "a\x00b"}),
            ("cancel", {"reason": "a\x7fb"}),
        ):
            r = await officer.submit(page, f"{page}/{action}", **fields)
            assert 400 <= r.status_code < 500, (action, r.status_code)
        kept = await officer.submit(page, f"{page}/note", note="line one\r\n\tline two")
        assert kept.status_code == 303, kept.text[:500]
    history = (await api.client.get(page.replace("/admin/dsr", "/v1/dsr-requests"), headers=dsr)).json()[
        "history"
    ]
    assert history[-1]["reason"] == "line one\r\n\tline two" and all(
        "\x00" not in (h["reason"] or "") for h in history
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["dsr", "note", "some-id", "a\x00b"],
        ["dsr", "create", "access", "--external-id", "a\x1bb"],
        ["dsr", "cancel", "some-id", "--reason", "a\x7fb"],
        ["clients", "create", "--name", "a\nb"],
        ["check", "--channel", "em\x00ail"],
    ],
)
def test_cli_arguments_with_control_characters_exit_with_a_plain_message(argv, capsys):
    from prefcenter.cli import build_parser

    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2
    assert "without control characters" in capsys.readouterr().err
