from __future__ import annotations

import msgspec


class ConfirmationEmailRead(msgspec.Struct):
    consent_id: str
    sent: bool
