"""The one place JSON request bodies are decoded: Litestar's ``Request.json``, with a bounded nesting depth.

Every ``data: SomeStruct`` parameter reaches its Struct through ``Request.json()`` (Litestar decodes the
body to plain values first, then converts), so bounding the depth here covers every JSON route, widget
tokens included. Routes that decode a body themselves (the NDJSON stream, DSR task acknowledgements,
imports) decode straight into Structs that forbid unknown fields, which refuse the first bracket that does
not belong and so never recurse deeper than their type.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from prefcenter.core.json_depth import MAX_JSON_DEPTH, nests_deeper_than
from prefcenter.errors import MalformedBody


class DepthBoundedRequest(Request):
    """A request whose JSON body is refused (400) when it nests deeper than ``MAX_JSON_DEPTH`` levels."""

    __slots__ = ()

    async def json(self) -> Any:
        if nests_deeper_than(await self.body(), MAX_JSON_DEPTH):
            raise MalformedBody(f"JSON nests deeper than {MAX_JSON_DEPTH} levels")
        return await super().json()
