"""The OAuth authorization-code + PKCE pieces an MCP client uses (authlib), shared by the
demo, the doctor's sign-in and the tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str | None = None

    @property
    def auth_method(self) -> str:
        return "client_secret_basic" if self.client_secret else "none"


def authorization_request(authorize_endpoint: str, client: ClientCredentials, redirect_uri: str,
                          scope: str | None, resource: str | None = None) -> AuthorizationRequest:
    """The authorize URL an MCP client would open: code grant, S256 PKCE, state, resource."""
    from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    extra: dict[str, Any] = {"code_challenge": create_s256_code_challenge(verifier),
                             "code_challenge_method": "S256"}
    if resource:
        extra["resource"] = resource  # RFC 8707
    url = prepare_grant_uri(authorize_endpoint, client.client_id, "code", redirect_uri=redirect_uri,
                            scope=scope, state=state, **extra)
    return AuthorizationRequest(url=url, state=state, code_verifier=verifier, redirect_uri=redirect_uri)


def exchange_code(token_endpoint: str, client: ClientCredentials, request: AuthorizationRequest,
                  code: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """Trade the code for tokens (PKCE verifier, client secret via HTTP basic if any)."""
    from authlib.integrations.httpx_client import OAuth2Client

    with OAuth2Client(client_id=client.client_id, client_secret=client.client_secret,
                      token_endpoint_auth_method=client.auth_method,
                      redirect_uri=request.redirect_uri, timeout=timeout) as oauth:
        return dict(oauth.fetch_token(token_endpoint, grant_type="authorization_code", code=code,
                                      code_verifier=request.code_verifier,
                                      redirect_uri=request.redirect_uri))


def callback_params(location: str) -> dict[str, str]:
    """The query of a redirect to the client's callback (code, state, iss or error)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
