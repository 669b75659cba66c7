from __future__ import annotations

from typing import Annotated

import structlog
from litestar import Controller, Request, Response, post
from litestar.enums import RequestEncodingType
from litestar.params import Body

from prefcenter.auth import throttle
from prefcenter.auth.clients import authenticate_client
from prefcenter.auth.oauth import issue_token, requested_credentials
from prefcenter.auth.schemas import TokenRequest, TokenResponse
from prefcenter.context import AppContext
from prefcenter.http.client_address import client_ip
from prefcenter.http.problems import problem_response

log = structlog.get_logger("prefcenter.auth")
_OAUTH_ERROR_STATUS = {"invalid_client": 401}


class OAuthController(Controller):
    path = "/oauth"
    tags = ["auth"]

    @post("/token", operation_id="issueToken", status_code=200)
    async def token(
        self,
        ctx: AppContext,
        request: Request,
        data: Annotated[TokenRequest, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[TokenResponse]:
        """OAuth 2 client-credentials grant: exchange a client id and secret for a short-lived scoped JWT.

        Failed client authentications are throttled per (client id, address) and per address: 429 with
        Retry-After once a limit is reached."""
        form = {
            k: v for k, v in ((f, getattr(data, f)) for f in TokenRequest.__struct_fields__) if v is not None
        }
        headers = {k.title(): v for k, v in request.headers.items()}
        client_id, secret = requested_credentials(form, headers)
        attempt = await throttle.admit(
            ctx, client_id, client_ip(request, ctx.settings.server.trusted_proxies)
        )
        client = await authenticate_client(ctx, client_id, secret)
        if client is None:
            await throttle.failed(ctx, attempt)
            log.info("auth.token_refused", client_id=client_id[:64])
            status, body = (
                401,
                {"error": "invalid_client", "error_description": "client authentication failed"},
            )
        else:
            await throttle.succeeded(ctx, attempt)
            status, body, _headers = issue_token(ctx.tokens, client, secret, form, headers)
        if status == 200:
            return Response(
                TokenResponse(**body), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
            )
        error = body.get("error", "invalid_request")
        status = _OAUTH_ERROR_STATUS.get(error, status)
        return problem_response(
            status,
            "oauth-" + error.replace("_", "-"),
            "The token request was refused",
            body.get("error_description") or error.replace("_", " "),
            request,
            headers={"Cache-Control": "no-store", **({"WWW-Authenticate": "Basic"} if status == 401 else {})},
            error=error,
            error_description=body.get("error_description"),
        )
