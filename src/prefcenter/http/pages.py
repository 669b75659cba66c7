"""HTML pages: one Jinja environment (autoescaped) that Litestar's template engine renders every page with.

Templates live with their area, in ``<area>/templates/``, and are named ``<area>/<file>``
(``admin/dsr_detail.html``, ``web/demo.html``): the loader maps a name's first part to that package's
folder, so this module knows no area. ``page`` answers a page with the headers every page sends;
``message_page`` and ``refused_link_page`` are the pages the emailed links share
(``http/layout.html``, ``http/message.html``); ``is_link_token`` tells a link token from a mangled one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound
from litestar import MediaType
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup

from prefcenter import i18n
from prefcenter.core.labels import readable

PACKAGE_ROOT = Path(__file__).resolve().parent.parent

# Pages load only our own script and talk only to our own API.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
}


def logo_headers(logo_url: str | None) -> dict[str, str]:
    """The page headers that let a branded page show its logo (an https URL on another origin)."""
    if not logo_url:
        return {}
    scheme, _, rest = logo_url.partition("://")
    origin = f"{scheme}://{rest.split('/', 1)[0]}"
    return {
        "Content-Security-Policy": PAGE_CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")
    }


class AreaTemplateLoader(BaseLoader):
    """``<area>/<file>`` from ``prefcenter/<area>/templates/<file>`` (no path leaves that folder)."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]:
        area, _, name = template.partition("/")
        folder = PACKAGE_ROOT / area / "templates"
        if not area.isidentifier() or not folder.is_dir():
            raise TemplateNotFound(template)
        return FileSystemLoader(folder).get_source(environment, name)


def when(moment: datetime | str | None, zone: str = "UTC") -> str:
    """A moment as pages show it: ``2026-12-01 09:30 UTC`` (empty for none); in ``zone`` (an IANA time zone,
    e.g. a staff member's ``Europe/Berlin``: ``2026-12-01 10:30 CET``) when one is given and known."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        return moment
    if zone != "UTC":
        try:
            local = moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def or_dash(value: object) -> object:
    """A dash for a value that is missing or empty."""
    return Markup("&mdash;") if value is None or value == "" else value


def escaped(value: object) -> object:
    """Every value a template prints, escaped as ``html.escape`` does (``&quot;``, ``&#x27;``) unless it is
    already markup: the same text the pages had before they were templates."""
    if value is None or isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value)))


TEMPLATES = Environment(
    loader=AreaTemplateLoader(),
    autoescape=True,
    finalize=escaped,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
TEMPLATES.filters["when"] = when
TEMPLATES.filters["or_dash"] = or_dash
TEMPLATES.filters["label"] = readable


def template_config() -> TemplateConfig:
    """The app's one template configuration: Litestar renders ``Template`` answers with ``TEMPLATES``."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(TEMPLATES))


def page(
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    cookies: Sequence[Cookie] | None = None,
    **context: object,
) -> Template:
    """A page rendered from ``template`` with ``context``, not cached, not framed elsewhere."""
    return Template(
        template,
        context=context,
        status_code=status,
        media_type=MediaType.HTML,  # Litestar adds "; charset=utf-8" to text/* types
        headers={**PAGE_HEADERS, **(headers or {})},
        cookies=list(cookies or []),
    )


def message_page(
    heading: str, text: str, *, status: int = 200, lang: str = "en", back: str = "", back_label: str = ""
) -> Template:
    """A heading and a sentence (and, with ``back``, one link onwards)."""
    return page(
        "http/message.html",
        status=status,
        title=heading,
        heading=heading,
        text=text,
        lang=lang,
        back=back,
        back_label=back_label,
    )


LINK_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_.\-]+")


def is_link_token(text: str, max_length: int) -> bool:
    """Whether ``text`` could be a signed link token at all (base64url, JWT dots, at most ``max_length``):
    a link pages answer; anything else (cut, run on, mangled by a mail client) gets the "not valid" page."""
    return len(text) <= max_length and LINK_TOKEN_SHAPE.fullmatch(text) is not None


def refused_link_page(locale: str, reason: str, gone_text: str = "link_expired_text") -> Template:
    """What a link that cannot be used answers: 410 once it ``expired`` or was ``revoked`` (with
    ``gone_text``), else 404 (not valid: malformed, forged or altered). It offers nothing else to do."""
    if reason in ("expired", "revoked"):
        heading = "expired_heading" if reason == "expired" else "revoked_heading"
        return message_page(i18n.text(locale, heading), i18n.text(locale, gone_text), status=410, lang=locale)
    return message_page(
        i18n.text(locale, "invalid_heading"), i18n.text(locale, "invalid_text"), status=404, lang=locale
    )
