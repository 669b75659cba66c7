"""The one error path: every error leaves the API as RFC 9457 ``application/problem+json``.

A person's browser that asks for a page outside the API (an address mistyped or cut short, a form's address
opened directly) gets the same status as a small page in their language instead (``browser_page``)."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from prefcenter import i18n
from prefcenter.errors import DatabaseUnavailable, DomainError, StorageFull
from prefcenter.http.pages import message_page
from prefcenter.store.outage import database_outage

PROBLEM_BASE = "https://prefcenter.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger("prefcenter.http")

_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict with the current state"),
    412: ("precondition-failed", "The resource changed since you read it"),
    413: ("payload-too-large", "The request is too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "The request is not valid"),
    429: ("rate-limited", "Too many requests"),
}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = problem_body(
        status, slug, title, detail, request.url.path if request is not None else None, **extra
    )
    return Response(content=body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_body(status: int, slug: str, title: str, detail: str, instance: str | None, **extra: Any) -> dict:
    """The problem document (also written by ``checks/fast_path.py``)."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def domain_error_headers(exc: DomainError) -> dict[str, str]:
    headers = {}
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="prefcenter"'
    return headers


def _domain_error(request: Request, exc: DomainError) -> Response:
    return problem_response(
        exc.status, exc.slug, exc.title, exc.detail, request, domain_error_headers(exc) or None, **exc.extra
    )


def _validation_error(request: Request, exc: ValidationException) -> Response:
    errors = exc.extra if isinstance(exc.extra, list) else None
    detail = exc.detail or "Validation failed"
    if errors:
        first = errors[0]
        if isinstance(first, dict) and first.get("message"):
            where = first.get("key") or first.get("source")
            detail = f"{first['message']}" + (f" (at {where})" if where else "")
    return problem_response(
        400, "validation-error", "The request is not valid", detail, request, errors=errors
    )


# Paths whose answers are for programs: they keep their problem documents whatever the client accepts.
API_PREFIXES = ("/v1/", "/oauth/", "/public/", "/schema", "/widget/", "/health")
CONSOLE_PREFIX = "/admin"


def browser_page(request: Request, status: int) -> Response | None:
    """The page a browser navigating outside the API gets for a 404 or 405 (``Accept`` names text/html), in
    the language it asks for; None for everyone else (they get the problem document)."""
    path = request.url.path
    if status not in (404, 405) or path.startswith(API_PREFIXES):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    if path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"):  # the console is in English
        text = (
            "There is no page at this address in the staff console."
            if status == 404
            else "This address only takes a form that is sent from its page; it cannot be opened directly."
        )
        return message_page(
            "Page not found" if status == 404 else "Not a page",
            text,
            status=status,
            back=CONSOLE_PREFIX,
            back_label="Go to the staff console's dashboard",
        )
    locale = i18n.pick_locale(None, request.headers.get("accept-language"))
    return message_page(
        i18n.text(locale, "page_missing_heading"),
        i18n.text(locale, "page_missing_text"),
        status=status,
        lang=locale,
    )


def _http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        return _unexpected(request, exc)
    page = browser_page(request, status)
    if page is not None:
        return page
    slug, title = _HTTP_SLUGS.get(status, ("http-error", "HTTP error"))
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="prefcenter"')
    detail = exc.detail if exc.detail and exc.detail != title else title
    return problem_response(status, slug, title, detail, request, headers or None)


_UNEXPECTED = (
    HTTP_500_INTERNAL_SERVER_ERROR,
    "internal-error",
    "Internal server error",
    "The server failed to handle this request; it has been logged.",
)


def database_outage_error(exc: Exception) -> DomainError | None:
    """The retryable answer for a database that is away (``store/outage.py``): 507 for a full disk, 503 when
    it cannot be reached or cannot write; ``None`` for any other error (a 500)."""
    outage = database_outage(exc)
    if outage is None:
        return None
    log.warning("database unavailable", outage=outage, error_type=type(exc).__name__, error=str(exc)[:300])
    if outage == "full":
        return StorageFull(
            "the database's disk is full; retry later",
            retry_after=StorageFull.RETRY_AFTER_SECONDS,
        )
    return DatabaseUnavailable(
        "the database cannot be reached or cannot write just now; retry later",
        retry_after=DatabaseUnavailable.RETRY_AFTER_SECONDS,
    )


def unexpected_body(exc: Exception, instance: str | None) -> dict:
    """Log an unexpected error and give its problem document (also used by ``checks/fast_path.py``)."""
    log.exception("unhandled error", error_type=type(exc).__name__)
    return problem_body(*_UNEXPECTED, instance)


def exception_answer(exc: Exception, instance: str | None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the problem for ``exc``, for the ASGI paths outside Litestar's handlers
    (``checks/fast_path.py``, ``http/idempotency.py``): the same answers as ``EXCEPTION_HANDLERS``."""
    error = exc if isinstance(exc, DomainError) else database_outage_error(exc)
    if error is None:
        status, body, headers = 500, unexpected_body(exc, instance), {}
    else:
        status, headers = error.status, domain_error_headers(error)
        body = problem_body(error.status, error.slug, error.title, error.detail, instance, **error.extra)
    return (
        status,
        [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        msgspec.json.encode(body),
    )


def _unexpected(request: Request, exc: Exception) -> Response:
    outage = database_outage_error(exc)
    if outage is not None:
        return _domain_error(request, outage)
    log.exception("unhandled error", error_type=type(exc).__name__)
    return problem_response(*_UNEXPECTED, request)


EXCEPTION_HANDLERS = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    NotAuthorizedException: _http_error,
    PermissionDeniedException: _http_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
