"""A real OpenID Connect provider for tests, built from authlib's authorization server on Flask.

The shape of authlib's own example provider (authlib/example-oidc-server): an ``AuthorizationServer`` with
the authorization-code grant, the PKCE extension (RFC 7636, S256 required) and the ``OpenIDCode`` extension
signing ID tokens with an RSA key, plus discovery and JWKS documents. It runs in a thread on a real port.

It has no login form: the test names the person at the authorization endpoint with ``login_hint`` (their
email), or beforehand in ``signing_in`` (for a browser that follows the redirects itself), and the
provider's users (with their claims) are given when it starts.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server


@dataclass
class ProviderClient(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time


@dataclass
class Provider:
    issuer: str
    client: ProviderClient
    users: dict[str, dict]  # email -> extra claims (e.g. {"groups": ["officer"]})
    codes: dict[str, Code] = field(default_factory=dict)
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
    )
    tokens_issued: int = 0
    # who signs in at an authorization request without a login_hint (a browser test: the person who would
    # type their name into the provider's own form)
    signing_in: str | None = None


def build_app(provider: Provider) -> Flask:
    app = Flask("oidc-provider")
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = True

    class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code, req):
            data = req.payload.data
            provider.codes[code] = Code(
                code=code,
                client_id=req.payload.client_id,
                redirect_uri=req.payload.redirect_uri,
                scope=req.scope,
                user=req.user,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code, client):
            found = provider.codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code):
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code):
            return authorization_code.user

    class IdToken(OpenIDCode):
        def exists_nonce(self, nonce, req):
            return any(c.nonce == nonce for c in provider.codes.values())

        def resolve_client_private_key(self, client):
            return provider.key

        def get_client_algorithm(self, client):
            return "RS256"

        def get_client_claims(self, client):
            return {"iss": provider.issuer, "aud": [client.get_client_id()]}

        def get_encode_header(self, client):
            return {"alg": "RS256", "kid": "test-1"}

        def generate_user_info(self, user, scope):
            return UserInfo(
                sub=user["sub"], email=user["email"], email_verified=True, name=user["name"], **user["extra"]
            )

    def query_client(client_id):
        return provider.client if client_id == provider.client.client_id else None

    def save_token(token, req):
        provider.tokens_issued += 1

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify(
            issuer=provider.issuer,
            authorization_endpoint=f"{provider.issuer}/authorize",
            token_endpoint=f"{provider.issuer}/token",
            jwks_uri=f"{provider.issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        )

    @app.get("/jwks")
    def jwks():
        return jsonify(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize")
    def authorize():
        email = request.args.get("login_hint") or provider.signing_in or ""
        if email not in provider.users:
            return server.create_authorization_response(grant_user=None)  # access_denied back to the client
        user = {
            "sub": "idp-" + email,
            "email": email,
            "name": email.split("@")[0],
            "extra": provider.users[email],
        }
        return server.create_authorization_response(grant_user=user)

    @app.post("/token")
    def token():
        return server.create_token_response()

    return app


@contextmanager
def running_provider(
    client_id: str, client_secret: str, redirect_uri: str, users: dict[str, dict]
) -> Iterator[Provider]:
    """The provider listening on 127.0.0.1 (a free port) in a thread, stopped on exit."""
    holder: dict = {}
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    port = server.socket.getsockname()[1]
    provider = Provider(
        issuer=f"http://127.0.0.1:{port}",
        client=ProviderClient(client_id, client_secret, redirect_uri),
        users=users,
    )
    server.app = build_app(provider)
    holder["thread"] = threading.Thread(target=server.serve_forever, daemon=True)
    holder["thread"].start()
    try:
        yield provider
    finally:
        server.shutdown()
        holder["thread"].join(timeout=10)
