"""Signed, short-lived JWT access tokens (Ed25519) for API clients and for one subject (the widget)."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jwt import JWTClaimsRegistry

from prefcenter.auth.principal import AGENT_TOKEN_SCOPES, SUBJECT_TOKEN_SCOPES, Principal
from prefcenter.errors import Unauthorized

ALGORITHM = "Ed25519"
AUDIENCE_API = "prefcenter-api"
VERIFIED_CACHE_SIZE = 10_000  # verified bearer tokens remembered (least recently used forgotten first)


def subject_token_scopes(mode: str | None) -> frozenset[str]:
    """The most a subject token of this mode may hold: a customer's, or an agent's (last contacts too)."""
    return SUBJECT_TOKEN_SCOPES | AGENT_TOKEN_SCOPES if mode == "agent" else SUBJECT_TOKEN_SCOPES


class TokenIssuer:
    def __init__(self, signing_key_raw: bytes, issuer: str, client_ttl: int, subject_ttl: int) -> None:
        self._key = OKPKey.import_key(Ed25519PrivateKey.from_private_bytes(signing_key_raw))
        self.issuer = issuer
        self.client_ttl = client_ttl
        self.subject_ttl = subject_ttl
        # token string -> (Principal, exp): a token verified once is not re-verified until it expires.
        # Only tokens that passed every check get in; the key is the whole token, so a forged or altered
        # token never matches (it is verified, and refused, like any other). Ed25519 verification plus
        # claims validation is ~100 us per request; a hit is a dict lookup.
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()

    def _encode(self, claims: dict) -> str:
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def client_token(self, client_id: str, scopes: list[str], ttl: int | None = None) -> tuple[str, int]:
        ttl = ttl or self.client_ttl
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE_API,
            "sub": client_id,
            "kind": "client",
            "scope": " ".join(sorted(scopes)),
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return self._encode(claims), ttl

    def subject_token(
        self,
        *,
        subject_id: str,
        client_id: str,
        origin: str | None,
        touchpoint: str | None,
        mode: str,
        agent_id: str | None,
        ttl: int | None = None,
        agent_scopes: frozenset[str] = frozenset(),
        site: str | None = None,
    ) -> tuple[str, int]:
        """``agent_scopes``: what an agent-mode token holds beyond a customer's (``AGENT_TOKEN_SCOPES``)."""
        if agent_scopes and (mode != "agent" or not agent_scopes <= AGENT_TOKEN_SCOPES):
            raise ValueError("only an agent-mode token holds agent scopes")
        ttl = min(ttl or self.subject_ttl, self.subject_ttl)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE_API,
            "sub": subject_id,
            "kind": "subject",
            "azp": client_id,
            "scope": " ".join(sorted(SUBJECT_TOKEN_SCOPES | agent_scopes)),
            "origin": origin,
            "tp": touchpoint,
            "mode": mode,
            "agent": agent_id,
            "site": site,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return self._encode({k: v for k, v in claims.items() if v is not None}), ttl

    def purpose_token(self, purpose: str, subject_id: str, ttl: int, **claims: str) -> tuple[str, int]:
        """A single-purpose link token (``manage``, ``confirm``): its own audience, never an API bearer.

        ``iat_ms`` (issued at, in milliseconds) lets a link revocation refuse the links minted before it
        and accept one minted in the same second after it (``link_revocations``)."""
        now_ms = time.time_ns() // 1_000_000
        now = now_ms // 1000
        body = {
            "iss": self.issuer,
            "aud": f"prefcenter-{purpose}",
            "sub": subject_id,
            "kind": purpose,
            "iat": now,
            "iat_ms": now_ms,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return self._encode(body), ttl

    def verify_purpose(self, token: str, purpose: str) -> dict:
        """The claims of a link token made for ``purpose``; Unauthorized when forged, expired or another kind."""
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": f"prefcenter-{purpose}"},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
        except JoseError as exc:
            reason = "expired" if "expired" in str(exc).lower() else "invalid"
            raise Unauthorized(f"this link is {reason}", reason=reason) from exc
        except (ValueError, TypeError) as exc:
            raise Unauthorized("this link is malformed", reason="invalid") from exc
        if decoded.claims.get("kind") != purpose:
            raise Unauthorized("this link is invalid", reason="invalid")
        return decoded.claims

    @staticmethod
    def issued_at_ms(claims: dict) -> int:
        """When a link token was minted, in milliseconds (links minted before ``iat_ms`` existed: ``iat``)."""
        issued = claims.get("iat_ms")
        if isinstance(issued, int) and not isinstance(issued, bool):
            return issued
        iat = claims.get("iat")
        return int(iat) * 1000 if isinstance(iat, int | float) and not isinstance(iat, bool) else 0

    def principal(self, token: str) -> Principal:
        """Verify a bearer token and say who holds it; Unauthorized when forged, expired or malformed."""
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() < cached[1]:  # joserfc refuses once exp <= now: the same rule here
                self._verified.move_to_end(token)
                return cached[0]
            self._verified.pop(token, None)
        principal, exp = self._verify(token)
        self._verified[token] = (principal, exp)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, int]:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": AUDIENCE_API},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
        except JoseError as exc:
            reason = "expired" if "expired" in str(exc).lower() else "invalid"
            # reason "expired" lets the widget say so and ask its host page for a fresh token
            raise Unauthorized(f"the access token is {reason}", reason=reason) from exc
        except (ValueError, TypeError) as exc:
            raise Unauthorized("the access token is malformed") from exc
        claims = decoded.claims
        scopes = frozenset(str(claims.get("scope", "")).split())
        exp = int(claims["exp"])
        if claims.get("kind") == "subject":
            return Principal(
                kind="subject",
                client_id=str(claims.get("azp", "")),
                scopes=scopes & subject_token_scopes(claims.get("mode")),
                subject_id=str(claims["sub"]),
                origin=claims.get("origin"),
                touchpoint=claims.get("tp"),
                mode=claims.get("mode"),
                agent_id=claims.get("agent"),
                site=claims.get("site"),
            ), exp
        if claims.get("kind") != "client":
            raise Unauthorized("the access token is invalid")
        return Principal(kind="client", client_id=str(claims["sub"]), scopes=scopes), exp
