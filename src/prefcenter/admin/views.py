"""HTML for the admin pages: ``templates/`` rendered like the demo page (string.Template, every value escaped
unless it is ``Safe``), plus small builders for tables, forms and tags."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from string import Template

from litestar import Response

from prefcenter.admin.session import Officer
from prefcenter.web.pages import PAGE_CSP, Safe

HERE = Path(__file__).parent
NAV = (
    ("/admin", "Dashboard", None),
    ("/admin/dsr", "GDPR requests", "dsr:manage"),
    ("/admin/audit", "Audit log", "audit:read"),
    ("/admin/catalog", "Catalog", None),
    ("/admin/systems", "Downstream systems", "admin"),
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

Cell = str | Safe | int | None


def esc(value: object) -> Safe:
    return Safe("&mdash;" if value is None or value == "" else html.escape(str(value)))


def when(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        return moment
    return moment.strftime("%Y-%m-%d %H:%M UTC")


@cache
def _template(name: str) -> Template:
    return Template((HERE / "templates" / f"{name}.html").read_text())


def render(name: str, **values: object) -> Safe:
    return Safe(
        _template(name).substitute(
            {k: v if isinstance(v, Safe) else html.escape(str(v)) for k, v in values.items()}
        )
    )


def html_response(text: str, status: int = 200, cookies: list | None = None) -> Response[str]:
    return Response(
        text, status_code=status, media_type="text/html", headers=HEADERS, cookies=cookies
    )


def nav(officer: Officer, current: str) -> Safe:
    current_attr = ' aria-current="page"'
    links = "\n".join(
        f'<li><a href="{href}"{current_attr if href == current else ""}>{html.escape(label)}</a></li>'
        for href, label, scope in NAV
        if scope is None or officer.can(scope)
    )
    return render(
        "nav", links=Safe(links), client_name=officer.name, client_id=officer.client_id, csrf=officer.csrf
    )


def admin_page(
    title: str, body: str, officer: Officer | None, *, current: str = "", status: int = 200, cookies=None
) -> Response[str]:
    text = render("layout", title=title, body=Safe(body), nav=nav(officer, current) if officer else Safe(""))
    return html_response(text, status, cookies)


def message(
    heading: str,
    text: str,
    officer: Officer | None,
    *,
    status: int,
    back: str = "/admin",
    back_label: str = "Back to the dashboard",
) -> Response[str]:
    body = render("message", heading=heading, text=text, back=back, back_label=back_label)
    return admin_page(heading, body, officer, status=status)


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    row_class: Sequence[str] | None = None,
    empty: str = "None.",
    wrap_columns: Sequence[int] = (),
) -> Safe:
    """A table with a caption, column headers (``scope="col"``) and the first cell of each row as its header."""
    body = []
    for index, row in enumerate(rows):
        klass = row_class[index] if row_class and row_class[index] else ""
        cells = []
        for column, value in enumerate(row):
            content = value if isinstance(value, Safe) else esc(value)
            wrap = ' class="wrap"' if column in wrap_columns else ""
            cells.append(
                f'<th scope="row"{wrap}>{content}</th>' if column == 0 else f"<td{wrap}>{content}</td>"
            )
        attr = f' class="{klass}"' if klass else ""
        body.append(f"<tr{attr}>{''.join(cells)}</tr>")
    if not body:
        return Safe(f'<p class="note">{html.escape(empty)}</p>')
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    label = html.escape(caption)
    return Safe(
        f'<div class="table-wrap" role="region" aria-label="{label}" tabindex="0"><table>'
        f"<caption>{label}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def tag(text: str, kind: str) -> Safe:
    return Safe(f'<span class="tag {kind}">{html.escape(text)}</span>')


def link(href: str, text: str) -> Safe:
    return Safe(f'<a href="{html.escape(href)}">{html.escape(text)}</a>')


def options(values: Iterable[tuple[str, str]], selected: str | None) -> Safe:
    return Safe(
        "".join(
            f'<option value="{html.escape(v)}"{" selected" if v == selected else ""}>{html.escape(label)}</option>'
            for v, label in values
        )
    )


def alert(text: str | None, kind: str = "alert") -> Safe:
    if not text:
        return Safe("")
    role = "alert" if kind == "alert" else "status"
    return Safe(f'<div class="{kind}" role="{role}"><p>{html.escape(text)}</p></div>')
