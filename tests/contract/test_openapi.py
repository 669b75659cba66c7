"""The exported OpenAPI document is the app's, and the live app keeps every promise it makes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from prefcenter.openapi_export import export_openapi
from tests.support.live_server import live_server

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_openapi_matches_the_app():
    checked_in = (ROOT / "openapi" / "openapi.json").read_text()
    assert checked_in == export_openapi(), (
        "openapi/openapi.json is stale: run `make openapi` (prefcenter openapi export)"
    )


@pytest.fixture(scope="module")
def server(new_backend):
    settings_ = new_backend("sqlite")
    with live_server(settings_, "--demo") as srv:
        creds = json.loads((settings_.var_dir / "demo-credentials.json").read_text())
        token = httpx.post(
            srv.url + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
            },
        ).json()["access_token"]
        srv.token = token
        srv.subject_id = creds["demo_subject_id"]
        yield srv


# A schema-valid request is never refused as malformed (400): what the server validates, the document says.
# 412 (If-Match names an older revision) and 422 (well-formed but not acceptable: an unknown topic or site, a
# cursor this API did not hand out, "exactly one of" rules) depend on data or on rules across fields that a
# schema cannot state, so a schema-valid request may get them.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]
            }
        }
    }
)


@pytest.fixture(scope="module")
def live_schema(server):
    return schemathesis.openapi.from_url(server.url + "/schema/openapi.json", config=CONFIG)


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, server):
    """Every check on, for generated requests carrying a valid all-scopes token: no 5xx, response schemas,
    status codes, content types and headers as documented, schema-invalid data refused, schema-valid data
    never refused as malformed (ST202), and ``Allow`` on OPTIONS naming every documented method (ST205)."""
    # A case whose headers were made invalid on purpose (the Authorization header dropped or mangled) goes
    # as generated: adding the token would make it a valid request that the check then calls accepted.
    negative_headers = case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER)
    headers = {} if negative_headers else {"Authorization": f"Bearer {server.token}"}
    response = case.call(headers=headers)
    if response.status_code == 400 and response.text == "Invalid HTTP request received.":
        # Negative generation can produce requests that are not valid HTTP (e.g. a generated
        # "Content-Length: Y;" header on a GET); uvicorn's parser refuses them before the app sees them.
        return
    case.validate_response(response, headers=headers)
