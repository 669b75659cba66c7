"""The OpenAPI document is exactly as strict as the server (the findings schemathesis reported as ST202/ST205)."""

from __future__ import annotations

import re

from prefcenter.core.decisions import Reason


def _document(api) -> dict:
    return api.app.openapi_schema.to_schema()


async def test_every_path_answers_options_with_all_its_documented_methods(api):
    """Litestar's automatic OPTIONS answer named only the first handler's methods (``/v1/sites/{key}``:
    ``DELETE, OPTIONS``; ``/u/{token}``: ``POST, OPTIONS``)."""
    for path, item in _document(api)["paths"].items():
        documented = {m.upper() for m in item if m in ("get", "put", "post", "delete", "patch")}
        r = await api.client.options(re.sub(r"\{[^}]+\}", "a", path))
        allowed = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
        assert documented <= allowed and allowed - documented <= {"OPTIONS", "HEAD"}, (path, allowed)


def test_bodies_that_refuse_unknown_fields_say_so_and_keep_item_constraints(api):
    schemas = _document(api)["components"]["schemas"]
    for name in (
        "ConsentGrant",
        "TopicWrite",
        "DsrCreate",
        "SubjectCreate",
        "ConsentCheckBatch",
        "SiteWrite",
    ):
        assert schemas[name]["additionalProperties"] is False, name
    # list items keep their own constraints (they were documented as any string)
    channel = schemas["ConsentGrant"]["properties"]["channels"]["items"]
    assert channel["minLength"] == 1 and channel["pattern"].startswith("^[a-z]")
    origin = schemas["SiteWrite"]["properties"]["origins"]["items"]
    assert origin["pattern"].startswith("^[Hh][Tt][Tt][Pp]")
    # every string the server checks for control characters is documented with the same pattern
    external_id = schemas["SubjectCreate"]["properties"]["external_id"]["anyOf"][0]
    assert re.search(external_id["pattern"], "cust-1") and not re.search(external_id["pattern"], "a\x00b")


def test_token_grant_type_and_check_reasons_are_enums(api):
    schemas = _document(api)["components"]["schemas"]
    grant_type = schemas["TokenRequest"]["properties"]["grant_type"]
    assert (
        grant_type["enum"] == ["client_credentials"] and "grant_type" in schemas["TokenRequest"]["required"]
    )
    assert schemas["ConsentCheckRead"]["properties"]["reason"] == {"$ref": "#/components/schemas/Reason"}
    assert set(schemas["Reason"]["enum"]) == {r.value for r in Reason}


def test_if_match_and_cursors_are_documented_as_the_server_reads_them(api):
    paths = _document(api)["paths"]
    (if_match,) = [
        p
        for p in paths["/v1/subjects/{subject_id}/preferences"]["patch"]["parameters"]
        if p["in"] == "header"
    ]
    assert if_match["schema"]["type"] == "string"  # no JSON null: a header is a string or absent
    for good in ('"12"', 'W/"12"', "*", "12"):
        assert re.search(if_match["schema"]["pattern"], good), good
    for bad in ("null", '"1²"', '"12', ""):
        assert not re.search(if_match["schema"]["pattern"], bad), bad
    (cursor,) = [p for p in paths["/v1/dsr-requests"]["get"]["parameters"] if p["name"] == "cursor"]
    assert cursor["schema"]["pattern"] and not re.search(cursor["schema"]["pattern"], "a+b")
    (after,) = [p for p in paths["/v1/changes"]["get"]["parameters"] if p["name"] == "after"]
    assert re.search(after["schema"]["pattern"], "123") and not re.search(after["schema"]["pattern"], "-1")


async def test_unsubscribe_link_pages_are_documented_as_html(api):
    operation = _document(api)["paths"]["/u/{token}"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/html"]
    assert list(operation["responses"]["404"]["content"]) == ["text/html"]
    page = await api.client.get("/u/not-a-token")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
