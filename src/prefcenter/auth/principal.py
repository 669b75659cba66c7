"""Who is calling: an API client (scoped JWT) or a customer/agent holding a subject token."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefcenter.store.unit_of_work import Actor

SCOPES = (
    "preferences:read",
    "preferences:write",
    "consent:check",
    "dsr:manage",
    "audit:read",
    "interactions:read",
    "interactions:write",
    "insights:read",
    "feedback:write",
    "admin",
)
SUBJECT_TOKEN_SCOPES = frozenset({"preferences:read", "preferences:write", "feedback:write"})
# An agent-mode widget token (minted for staff) also reads the subject's last contacts, when the client that
# minted it holds the scope itself; a customer's token never does.
AGENT_TOKEN_SCOPES = frozenset({"interactions:read"})


@dataclass(frozen=True)
class Principal:
    kind: str  # "client" | "subject"
    client_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    subject_id: str | None = None
    origin: str | None = None
    touchpoint: str | None = None
    mode: str | None = None
    agent_id: str | None = None
    site: str | None = None  # a widget token's site: the events its writes append record it

    @property
    def actor(self) -> Actor:
        if self.kind == "subject":
            if self.agent_id:
                return Actor("agent", self.agent_id, self.site)
            return Actor("customer", self.subject_id, self.site)
        return Actor("client", self.client_id)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or (self.kind == "client" and "admin" in self.scopes)

    def can_access_subject(self, subject_id: str) -> bool:
        return self.kind == "client" or self.subject_id == subject_id
