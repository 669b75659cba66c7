"""An identity revealed by a POST, handed to the page that POST redirects to, and shown there once.

Revealing answers with a redirect (POST-redirect-GET), so reloading the page never sends the reveal again.
The revealed value crosses the redirect in a cookie, never in the URL (history, logs, referrers): sealed
(AES-GCM, a key derived from the master key) and bound to the staff session that revealed it, the person's
page (its path and its id inside the seal) and a short expiry. The page that shows it deletes it in the same
answer, so a reload shows the page without it. The reveal itself is audited by the POST
(``staff.identity_revealed`` with the sealed reason); showing it adds nothing to the log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import msgspec
from litestar import Request
from litestar.datastructures import Cookie

from prefcenter.admin.session import SignedInStaff, is_secure
from prefcenter.context import AppContext
from prefcenter.core import crypto
from prefcenter.subjects.people import RevealedIdentity

COOKIE = "prefcenter_revealed"
TTL_SECONDS = 60


class _Handover(msgspec.Struct, frozen=True):
    subject_id: str
    identity: RevealedIdentity
    expires: int  # unix seconds


def _key(ctx: AppContext) -> bytes:
    return hmac.new(ctx.keys.master_key, b"prefcenter admin revealed identity", hashlib.sha256).digest()


def _aad(staff: SignedInStaff) -> bytes:
    return b"prefcenter revealed\x00" + staff.session.session_id.encode()


def _cookie(ctx: AppContext, request: Request, subject_id: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        path=f"/admin/subjects/{subject_id}",
        httponly=True,
        secure=is_secure(ctx, request),
        samesite="strict",
        max_age=max_age,
    )


def hand_over(
    ctx: AppContext, request: Request, staff: SignedInStaff, subject_id: str, revealed: RevealedIdentity
) -> Cookie:
    """The cookie that carries ``revealed`` to the person's page for the next ``TTL_SECONDS``."""
    handover = _Handover(subject_id, revealed, int(time.time()) + TTL_SECONDS)
    sealed = crypto.seal(_key(ctx), msgspec.json.encode(handover), aad=_aad(staff))
    return _cookie(ctx, request, subject_id, base64.urlsafe_b64encode(sealed).decode(), TTL_SECONDS)


def take(
    ctx: AppContext, request: Request, staff: SignedInStaff, subject_id: str
) -> tuple[RevealedIdentity | None, list[Cookie]]:
    """The identity handed over to this person's page by this session (None when there is none, it expired, or
    it was sealed for another session or person), and the cookie that deletes the handover once shown."""
    given = request.cookies.get(COOKIE)
    if not given:
        return None, []
    deleted = [_cookie(ctx, request, subject_id, "", 0)]
    try:
        opened = crypto.unseal(_key(ctx), base64.urlsafe_b64decode(given.encode()), aad=_aad(staff))
        handover = msgspec.json.decode(opened, type=_Handover)
    except (crypto.CryptoError, ValueError, msgspec.DecodeError):
        return None, deleted
    if handover.subject_id != subject_id or handover.expires < time.time():
        return None, deleted
    return handover.identity, deleted
