"""structlog set-up: JSON in production, readable on a terminal, a request id on every line and
no personal data (emails, phone numbers, IP addresses) in any line."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from prefcenter.settings import LogSettings

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.-])\+?\d[\d \-().]{7,}\d(?![\w.-])")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){5})[0-9A-Fa-f:]{2,39}(?![\w:])")
_SENSITIVE_KEYS = {
    "email",
    "phone",
    "ip",
    "client_ip",
    "remote_addr",
    "user_agent",
    "value",
    "password",
    "secret",
}


def scrub_text(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _IPV6.sub("[ip]", text)
    text = _IPV4.sub("[ip]", text)
    return _PHONE.sub("[phone]", text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in _SENSITIVE_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def scrub_personal_data(_logger, _name, event_dict: dict) -> dict:
    """structlog processor: redact personal data from every field, including exception text."""
    return {k: ("[redacted]" if k in _SENSITIVE_KEYS else _scrub(v)) for k, v in event_dict.items()}


def configure_logging(settings: LogSettings, stream=None) -> None:
    stream = stream or sys.stderr
    fmt = settings.format
    if fmt == "auto":
        fmt = "console" if stream.isatty() else "json"
    renderer = (
        structlog.dev.ConsoleRenderer(colors=stream.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.format_exc_info,
        scrub_personal_data,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(settings.level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # Route stdlib logging (uvicorn, alembic, sqlalchemy) through the same processors.
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer,
            foreign_pre_chain=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                scrub_personal_data,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).handlers[:] = []
        logging.getLogger(noisy).propagate = False
    global access_log
    # Bound once per configuration: a lazy ``get_logger`` proxy re-binds (builds a logger) on every call.
    # Below the configured level ``info`` is a no-op method of the filtering logger class.
    access_log = structlog.get_logger("prefcenter.access").bind()


access_log: Any = structlog.get_logger(
    "prefcenter.access"
)  # the per-request access line (http/request_context.py)
