"""The OAuth 2 client-credentials grant (RFC 6749 section 4.4), run by authlib's authorization server.

The route authenticates the client first (``auth.clients.authenticate_client``: async, throttled, uniform
for unknown ids); authlib then runs the grant for that one client and accepts only the secret that passed."""

from __future__ import annotations

import hmac

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list

from prefcenter.auth.principal import SCOPES
from prefcenter.auth.tokens import TokenIssuer
from prefcenter.store.models import ApiClient


class _Client(ClientMixin):
    def __init__(self, row: ApiClient, verified_secret: str) -> None:
        self.row = row
        self.verified_secret = verified_secret
        self.allowed = set(row.scopes.split())

    def get_client_id(self) -> str:
        return self.row.id

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.verified_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(sorted(self.allowed))
        return " ".join(s for s in scope_to_list(scope) if s in self.allowed)


class _ScopedClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = set(scope_to_list(self.request.payload.scope) or [])
        if not requested <= self.request.client.allowed:
            raise InvalidScopeError(
                description="scope not granted to this client: "
                + " ".join(sorted(requested - self.request.client.allowed))
            )


class _FormRequest(OAuth2Request):
    def __init__(self, form: dict[str, str], headers: dict[str, str]) -> None:
        super().__init__("POST", "https://prefcenter.invalid/oauth/token", headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class _TokenServer(AuthorizationServer):
    def __init__(self, issuer: TokenIssuer, client: ApiClient, verified_secret: str) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self._client = _Client(client, verified_secret)
        self._issuer = issuer
        self.register_grant(_ScopedClientCredentials)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str):
        if self._client.get_client_id() == client_id:
            return self._client
        return None

    def save_token(self, token, request) -> None:  # stateless JWTs: nothing to store
        return None

    def send_signal(self, name, *args, **kwargs) -> None:
        return None

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, dict(headers)

    def _generate(
        self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=False
    ):
        scopes = scope_to_list(scope) or sorted(client.allowed)
        token, ttl = self._issuer.client_token(client.get_client_id(), scopes)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(sorted(scopes)),
        }


def issue_token(
    issuer: TokenIssuer,
    client: ApiClient,
    verified_secret: str,
    form: dict[str, str],
    headers: dict[str, str],
) -> tuple[int, dict, dict[str, str]]:
    """Run the grant for one authenticated client; returns (status, body, headers) per RFC 6749 section 5."""
    server = _TokenServer(issuer, client, verified_secret)
    return server.create_token_response(_FormRequest(form, headers))


def requested_credentials(form: dict[str, str], headers: dict[str, str]) -> tuple[str, str]:
    """The client id and secret as authlib reads them: HTTP Basic (``client_secret_basic``) when it holds
    both, else the form (``client_secret_post``); empty strings where none were given."""
    client_id, secret = extract_basic_authorization(headers)
    if client_id and secret:
        return client_id, secret
    return form.get("client_id") or "", form.get("client_secret") or ""
