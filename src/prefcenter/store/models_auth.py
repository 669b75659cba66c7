"""Sign-in state shared by every server process: failed sign-ins being counted and revoked admin sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class SignInFailure(Base):
    """Failed sign-ins of one throttle key in its current window (auth/throttle.py).

    ``key`` is a keyed hash of what is counted (principal and address, or address alone), so neither client
    ids nor IP addresses are stored here. A row whose window has ended counts nothing and is pruned."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RevokedSession(Base):
    """A signed-out admin session (the ``jti`` of its cookie token), refused until the token expires anyway."""

    __tablename__ = "revoked_sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
