"""Document the problem-details responses every operation may return, so clients and schemathesis know them."""

from __future__ import annotations

import dataclasses
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Union, get_args, get_origin, get_type_hints

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

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
    "503": "The database is unreachable, restarting or read-only; retry after Retry-After",
    "507": "The database's disk is full; retry after Retry-After",
}
# A handler whose success answer comes in several media types names them all: ``opt={ANSWERS_OPT: (...)}``.
# The document then lists exactly those for its 2xx answer (JSON keeps its schema; the others are text).
ANSWERS_OPT = "answers"

_PUBLIC = ("400", "404", "413", "422", "429", "500", "503")
_WRITES = ("put", "post", "delete", "patch")


def document_problem_responses(schema: OpenAPI) -> None:
    components = schema.components
    components.schemas = dict(components.schemas or {})
    components.schemas["Problem"] = PROBLEM_SCHEMA
    ref = Reference(ref="#/components/schemas/Problem")
    for path, item in (schema.paths or {}).items():
        if path.startswith("/v1/"):
            codes = tuple(c for c in _DESCRIPTIONS if c != "507")
        elif path == "/health":
            codes = ("500",)
        else:
            codes = _PUBLIC + (("401",) if path == "/oauth/token" else ())
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            method_codes = codes + (("507",) if method in _WRITES and path != "/health" else ())
            if path.startswith("/v1/"):
                operation.security = [{"BearerToken": []}]
            operation.responses = dict(operation.responses or {})
            for code in method_codes:
                # a route's own answer for a code stays (pages answer pages); Litestar's generic 400 does not
                if code in operation.responses and code != "400":
                    continue
                operation.responses[code] = OpenAPIResponse(
                    description=_DESCRIPTIONS[code],
                    content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=ref)},
                )
            if path == "/ready":
                operation.responses["503"] = OpenAPIResponse(
                    description="Not ready: the database does not answer",
                    content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=ref)},
                )


def document_answer_media_types(app: Litestar, schema: OpenAPI) -> None:
    """Each handler's ``ANSWERS_OPT`` media types become the content of its documented success answer."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            media_types = handler.opt.get(ANSWERS_OPT)
            if not media_types:
                continue
            for method in handler.http_methods:
                operation = getattr((schema.paths or {}).get(route.path_format), method.lower(), None)
                if operation is None:
                    continue
                for code, response in (operation.responses or {}).items():
                    if not code.startswith("2") or not isinstance(response, OpenAPIResponse):
                        continue
                    documented = response.content or {}
                    response.content = {
                        media: documented.get(media)
                        or OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
                        for media in media_types
                    }


class StructSchemaFromMsgspec(StructSchemaPlugin):
    """Document a request or response Struct exactly as msgspec validates it.

    Litestar drops the constraints of list items (``list[Key]`` becomes a list of any string) and knows nothing
    of ``forbid_unknown_fields``. Here every field without a nested Struct or Enum gets msgspec's own JSON
    schema for its type (lengths, patterns, enums, items, ``extra_json_schema``), and a Struct that refuses
    unknown fields says ``additionalProperties: false``. Nested Structs stay Litestar's references."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct_type = field_definition.type_
        if struct_type.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        hints = get_type_hints(struct_type, include_extras=True)
        for field in msgspec.structs.fields(struct_type):
            documented = (schema.properties or {}).get(field.encode_name)
            exact = _msgspec_schema(hints[field.name])
            if exact is None and isinstance(documented, Schema):
                _document_key_constraints(documented, hints[field.name])
            if exact is None or not isinstance(documented, Schema):
                continue
            exact.default = documented.default
            exact.description = exact.description or documented.description
            exact.examples = exact.examples or documented.examples
            schema.properties[field.encode_name] = exact
        return schema


def _document_key_constraints(documented: Schema, annotation: object) -> None:
    """A ``dict[Key, Struct]`` field (e.g. translations by language): say what its keys must be."""
    while get_origin(annotation) is Annotated or get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        annotation = args[0]
    if get_origin(annotation) is dict:
        (key,), components = msgspec.json.schema_components([get_args(annotation)[0]])
        if not components and set(key) - {"type"}:  # only keys with constraints are worth saying
            documented.property_names = _as_schema(key)


def _msgspec_schema(annotation: object) -> Schema | None:
    """msgspec's JSON schema for a field type as a Litestar ``Schema``; None when it names components."""
    (schema,), components = msgspec.json.schema_components([annotation])
    return None if components else _as_schema(schema)


_SCHEMA_FIELDS = {f.metadata.get("alias", f.name): f.name for f in dataclasses.fields(Schema)}
_NESTED = {"items", "not", "additionalProperties"}
_NESTED_LISTS = {"anyOf", "oneOf", "allOf", "prefixItems"}


def _as_schema(data: dict) -> Schema:
    values: dict[str, object] = {}
    for key, value in data.items():
        if key == "type":
            value = [OpenAPIType(v) for v in value] if isinstance(value, list) else OpenAPIType(value)
        elif key in _NESTED and isinstance(value, dict):
            value = _as_schema(value)
        elif key in _NESTED_LISTS:
            value = [_as_schema(v) for v in value]
        values[_SCHEMA_FIELDS[key]] = value
    return Schema(**values)


def answer_options_with_every_method(app: Litestar) -> None:
    """Make the automatic ``OPTIONS`` answer list every method of its path in ``Allow``.

    Litestar 2.25 builds that handler for the route made by a path's first handler; when more handlers of
    the same path join, a new route replaces that one but the handler still reads the first route's methods
    (``OPTIONS /v1/sites/{key}`` said ``DELETE, OPTIONS``). Point each automatic handler at its final route."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        fn = route.route_handler_map["OPTIONS"][0].fn
        if getattr(fn, "__name__", "") != "options_handler" or not fn.__closure__:
            continue  # an OPTIONS handler of our own
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__, strict=True):
            if name == "self" and isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route


def document_parameters_as_sent(schema: OpenAPI) -> None:
    """An optional text parameter is absent or a string: drop the ``null`` Litestar documents for ``str | None``
    parameters (``If-Match: null`` is the text "null", refused like any other malformed ETag). Booleans and
    numbers keep it: Litestar reads ``?overdue=null`` as absent."""
    for item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            for parameter in (operation.parameters or []) if operation else []:
                described = parameter.schema
                if not isinstance(described, Schema) or not described.one_of:
                    continue
                kept = [
                    s for s in described.one_of if not (isinstance(s, Schema) and s.type == OpenAPIType.NULL)
                ]
                if len(kept) == 1 and isinstance(kept[0], Schema) and kept[0].type == OpenAPIType.STRING:
                    described.type, described.one_of = kept[0].type, None
