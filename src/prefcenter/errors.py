"""Domain errors. Services raise these; ``http/problems.py`` maps them to RFC 9457 problem details."""

from __future__ import annotations


class DomainError(Exception):
    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    status, slug, title = 422, "invalid-input", "The request is not valid"


class InvalidField(DomainError):
    """A field the schema let through but a domain rule refuses (blank after trimming, too long): answered
    like a schema error, with the field named in ``errors``."""

    status, slug, title = 400, "validation-error", "The request is not valid"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"message": detail, "key": field, "source": "body"}])


class MalformedBody(DomainError):
    """The body cannot be read as sent (e.g. JSON nested too deeply): answered like malformed JSON."""

    status, slug, title = 400, "bad-request", "Bad request"


class ServiceMessageOptOut(DomainError):
    """An opt-out of a service message (a topic that is not optional): refused, with the topic named."""

    status, slug, title = 422, "service-message", "A service message cannot be switched off"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "The resource changed since you read it"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "The request is too large"


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class Gone(DomainError):
    status, slug, title = 410, "gone", "No longer available"


class DatabaseUnavailable(DomainError):
    """The database cannot be reached or cannot write just now (restarting, read-only, locked): retry."""

    status, slug, title = 503, "database-unavailable", "The database is unavailable"
    RETRY_AFTER_SECONDS = 5


class StorageFull(DomainError):
    """The database's disk is full: nothing was written; retry once space is freed."""

    status, slug, title = 507, "storage-full", "The database's storage is full"
    RETRY_AFTER_SECONDS = 60
