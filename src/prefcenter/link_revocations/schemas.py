"""Link-revocation shapes."""

from __future__ import annotations

from datetime import datetime

import msgspec


class LinkRevocationRead(msgspec.Struct):
    subject_id: str
    links_not_before: datetime  # links minted at or before this instant are refused (410)
