"""Sites: the company's web properties that embed the widget, each with the exact origins it is served from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class Site(Base):
    """One web property. ``origins`` are canonical (``scheme://host[:port]``, lower case, no default port)."""

    __tablename__ = "sites"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    origins: Mapped[list] = mapped_column(JSON)
    touchpoint: Mapped[str | None] = mapped_column(String(20))  # default touchpoint of its widget tokens
    # Branding of its hosted pages and emails (all optional: the company settings' name otherwise)
    company_name: Mapped[str | None] = mapped_column(String(200))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    accent_colour: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb", AA contrast with white
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
