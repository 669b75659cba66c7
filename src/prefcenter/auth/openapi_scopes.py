"""Write each operation's scope into the OpenAPI document, read from the route's own ``requires`` guard.

The guard is the one statement of which scope an operation needs; the document follows it, so the
README's scope table and generated clients cannot drift from what the server enforces."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi.spec import OpenAPI
from litestar.routes import HTTPRoute

from prefcenter.auth.guards import route_guards

SUBJECT_TOKEN_NOTE = "A widget subject token may call it too, for its own subject only."


def required_scopes(app: Litestar) -> dict[tuple[str, str], tuple[str, bool]]:
    """``(path, method) -> (scope, subject tokens allowed)`` for every guarded operation."""
    found: dict[tuple[str, str], tuple[str, bool]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for guard in route_guards(handler):
                scope = getattr(guard, "required_scope", None)
                if scope is None:
                    continue
                for method in handler.http_methods:
                    found[(route.path_format, method.lower())] = (scope, guard.subject_token)
    return found


def document_scopes(app: Litestar, schema: OpenAPI) -> None:
    """Each guarded operation: ``security: [{"BearerToken": [scope]}]`` and a line naming the scope."""
    for (path, method), (scope, subject_token) in required_scopes(app).items():
        operation = getattr((schema.paths or {}).get(path), method, None)
        if operation is None:
            continue
        operation.security = [{"BearerToken": [scope]}]
        note = f"Scope: `{scope}`." + (f" {SUBJECT_TOKEN_NOTE}" if subject_token else "")
        operation.description = (
            f"{operation.description.rstrip()}\n\n{note}" if operation.description else note
        )
