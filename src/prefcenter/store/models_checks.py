"""Tables of the checks/import area: the ledger that makes ``prefcenter import`` idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from prefcenter.store.models import Base, UTCDateTime


class ImportedRow(Base):
    """One imported source row, keyed by the SHA-256 of its canonical content.

    Written in the same transaction as the row's projections and audit event, so a row is either fully
    imported and listed here, or neither; a re-run skips every listed row."""

    __tablename__ = "import_rows"

    row_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
