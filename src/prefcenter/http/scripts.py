"""Built browser scripts served from /widget/v1 (the preference widget, the privacy-request element): read
once per process, cacheable for a year, loadable from any origin, with their Subresource Integrity value."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from litestar import Request, Response

LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class BuiltScript:
    data: bytes
    etag: str
    sri: str

    def headers(self) -> dict[str, str]:
        return {
            "Cache-Control": LONG_CACHE,
            "ETag": self.etag,
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
            "X-Integrity": self.sri,
        }


@cache
def built_script(path: Path) -> BuiltScript:
    """The checked-in bundle at ``path`` and its ``.sri`` file beside it."""
    data = path.read_bytes()
    sri = path.with_name(path.name + ".sri").read_text().strip()
    return BuiltScript(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"', sri)


def script_response(request: Request, script: BuiltScript) -> Response[bytes]:
    """The script, or 304 when the browser has it (``If-None-Match``)."""
    if script.etag in (request.headers.get("if-none-match") or ""):
        return Response(b"", status_code=304, headers=script.headers())
    return Response(script.data, media_type="text/javascript", headers=script.headers())


def script_head_response(script: BuiltScript) -> Response[None]:
    return Response(
        None,
        media_type="text/javascript",
        headers={**script.headers(), "Content-Length": str(len(script.data))},
    )


def integrity_response(script: BuiltScript) -> Response[str]:
    """The script's SRI value (``sha384-...``) as text, for the ``integrity`` attribute."""
    return Response(
        script.sri + "\n",
        media_type="text/plain",
        headers={"Cache-Control": "no-cache", "ETag": script.etag, "Access-Control-Allow-Origin": "*"},
    )
