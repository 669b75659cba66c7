"""Unknown or repeated query parameters are refused (400), as unknown body fields are.

The allowed names come from the app's own OpenAPI document, so the contract and the check cannot drift:
an operation's documented query parameters are accepted, each once unless documented as an array.
Pages are left alone, in the document (an emailed link's page: mail tools append tracking parameters, and a
person clicking it gets the page) or not.
"""

from __future__ import annotations

import re

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPI, Operation, Schema

_TYPED_PARAM = re.compile(r"\{(\w+):[^}]+\}")
_METHODS = ("get", "put", "post", "delete", "patch")


def _is_array(schema: object) -> bool:
    if not isinstance(schema, Schema):
        return False
    kinds = schema.type if isinstance(schema.type, list | tuple) else [schema.type]
    if any(getattr(k, "value", k) == "array" for k in kinds):
        return True
    return any(_is_array(s) for s in (schema.one_of or []) + (schema.any_of or []))


def _answers_a_page(operation: Operation) -> bool:
    answer = (operation.responses or {}).get("200")
    return "text/html" in (getattr(answer, "content", None) or {})


def documented_query_parameters(schema: OpenAPI) -> dict[tuple[str, str], dict[str, bool]]:
    """(METHOD, path) -> {query parameter name: may repeat}."""
    allowed: dict[tuple[str, str], dict[str, bool]] = {}
    for path, item in (schema.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if operation is None or _answers_a_page(operation):
                continue
            allowed[(method.upper(), path)] = {
                p.name: _is_array(p.schema)
                for p in (operation.parameters or [])
                if getattr(p, "param_in", None) == "query"
            }
    return allowed


class StrictQuery:
    """A ``before_request`` hook; the map is built on first use, once the app's schema exists."""

    def __init__(self) -> None:
        self._allowed: dict[tuple[str, str], dict[str, bool]] | None = None

    async def __call__(self, request: Request) -> None:
        if not request.query_params:
            return
        if self._allowed is None:
            self._allowed = documented_query_parameters(request.app.openapi_schema)
        template = _TYPED_PARAM.sub(r"{\1}", request.scope.get("path_template", ""))
        spec = self._allowed.get((request.method, template))
        if spec is None:
            return
        problems = []
        for name in request.query_params:
            if name not in spec:
                problems.append(
                    {"message": f"unknown query parameter {name[:60]!r}", "key": name[:60], "source": "query"}
                )
            elif not spec[name] and len(request.query_params.getall(name)) > 1:
                problems.append(
                    {
                        "message": f"query parameter {name!r} given more than once",
                        "key": name,
                        "source": "query",
                    }
                )
        if problems:
            raise ValidationException(detail=problems[0]["message"], extra=problems)
