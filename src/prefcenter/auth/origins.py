"""Which web origins may embed the widget: ``PREFCENTER_CORS_ORIGINS`` plus prefcenter's own public URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from prefcenter.errors import Forbidden
from prefcenter.settings import Settings


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allowed_origins(settings: Settings) -> frozenset[str]:
    """The configured origins and our own; empty when none are configured (the embedded development default)."""
    configured = settings.server.cors_origins
    if not configured:
        return frozenset()
    return frozenset({*configured, origin_of(settings.server.public_url)})


def ensure_origin_allowed(settings: Settings, origin: str | None) -> None:
    """Refuse to bind a widget token to an origin that is not configured (any origin when none are)."""
    allowed = allowed_origins(settings)
    if origin is not None and allowed and origin not in allowed:
        raise Forbidden(
            f"origin {origin} may not embed the widget; add it to PREFCENTER_CORS_ORIGINS", reason="origin"
        )
