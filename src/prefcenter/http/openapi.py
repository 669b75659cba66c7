"""Document the problem-details responses every operation may return, so clients and schemathesis know them."""

from __future__ import annotations

from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType

from prefcenter.http.problems import PROBLEM_MEDIA_TYPE

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="A stable URI naming the kind of problem"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING, description="What went wrong, for a human"),
        "instance": Schema(type=OpenAPIType.STRING),
    },
    description="RFC 9457 problem details; extra members may follow.",
)

_DESCRIPTIONS = {
    "400": "The request is malformed or fails validation",
    "401": "No valid access token",
    "403": "The token lacks the scope, or cannot use this operation",
    "404": "Not found",
    "409": "Conflicts with the current state",
    "412": "If-Match does not match the current revision",
    "413": "The request body or batch is too large",
    "422": "The request is well-formed but not acceptable",
    "429": "Rate limit exceeded; see Retry-After",
    "500": "Unexpected server error",
    "503": "Not ready",
}
_PUBLIC = ("400", "404", "413", "422", "429", "500")


def document_problem_responses(schema: OpenAPI) -> None:
    components = schema.components
    components.schemas = dict(components.schemas or {})
    components.schemas["Problem"] = PROBLEM_SCHEMA
    ref = Reference(ref="#/components/schemas/Problem")
    for path, item in (schema.paths or {}).items():
        codes = tuple(c for c in _DESCRIPTIONS if c != "503") if path.startswith("/v1/") else _PUBLIC + (("401",) if path == "/oauth/token" else ())
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            if path.startswith("/v1/"):
                operation.security = [{"BearerToken": []}]
            operation.responses = dict(operation.responses or {})
            for code in codes:
                operation.responses[code] = OpenAPIResponse(
                    description=_DESCRIPTIONS[code],
                    content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=ref)},
                )
            if path == "/ready":
                operation.responses["503"] = OpenAPIResponse(
                    description=_DESCRIPTIONS["503"], content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=ref)}
                )
