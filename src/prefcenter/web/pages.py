"""Small HTML pages from ``templates/`` (string.Template; every value is escaped unless marked safe)."""

from __future__ import annotations

import hashlib
import html
from functools import cache
from pathlib import Path
from string import Template

from litestar import Response

from prefcenter import i18n

HERE = Path(__file__).parent
BUNDLE = HERE / "widget" / "prefcenter.js"
BUNDLE_SRI = HERE / "widget" / "prefcenter.js.sri"
BUNDLE_URL = "/widget/v1/prefcenter.js"

# Pages built from templates load only our own script and talk only to our own API.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class Safe(str):
    """Already-escaped HTML."""


@cache
def _template(name: str) -> Template:
    return Template((HERE / "templates" / f"{name}.html").read_text())


def render(name: str, **values: str) -> str:
    return _template(name).substitute(
        {k: v if isinstance(v, Safe) else html.escape(str(v)) for k, v in values.items()}
    )


def page(title: str, body: str, *, status: int = 200, head: str = "", lang: str = "en") -> Response[str]:
    text = render("layout", title=title, body=Safe(body), head=Safe(head), lang=lang)
    return Response(
        text,
        status_code=status,
        media_type="text/html",  # Litestar adds "; charset=utf-8" to text/* types
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": PAGE_CSP,
            "X-Content-Type-Options": "nosniff",
        },
    )


def message_page(
    heading: str, text: str, *, status: int = 200, extra: str = "", lang: str = "en"
) -> Response[str]:
    body = render("message", heading=heading, text=text, extra=Safe(extra))
    return page(heading, body, status=status, lang=lang)


def refused_link_page(locale: str, reason: str, gone_text: str = "link_expired_text") -> Response[str]:
    """What a link that cannot be used answers: 410 once it ``expired`` or was ``revoked`` (with
    ``gone_text``), else 404 (not valid: malformed, forged or altered). It offers nothing else to do."""
    if reason in ("expired", "revoked"):
        heading = "expired_heading" if reason == "expired" else "revoked_heading"
        return message_page(i18n.text(locale, heading), i18n.text(locale, gone_text), status=410, lang=locale)
    return message_page(
        i18n.text(locale, "invalid_heading"), i18n.text(locale, "invalid_text"), status=404, lang=locale
    )


@cache
def bundle() -> tuple[bytes, str, str]:
    """The built widget: bytes, its ETag and its SRI value (checked-in, so read once per process)."""
    data = BUNDLE.read_bytes()
    sri = BUNDLE_SRI.read_text().strip()
    return data, f'"{hashlib.sha256(data).hexdigest()[:32]}"', sri


def script_tag(api: str, **data: str) -> Safe:
    _, _, sri = bundle()
    attrs = "".join(f' data-{k}="{html.escape(v)}"' for k, v in data.items())
    return Safe(
        f'<script src="{BUNDLE_URL}" integrity="{sri}" crossorigin="anonymous" '
        f'data-api="{html.escape(api)}"{attrs} async></script>'
    )
