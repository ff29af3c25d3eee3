"""`/oauth2/register` on the emulated login domain: RFC 7591 as Cognito implements it.

Sources: RFC 7591 §2 (client metadata, `token_endpoint_auth_method` default
`client_secret_basic`), §3.2.1 (201 + the registered metadata), §3.2.2 (400 with
`invalid_redirect_uri` / `invalid_client_metadata`); botocore `cognito-idp`
`DcrConfigurationType` (open vs authenticated registration, `OpenDcrGrantTypes` default
`code`, `AuthenticatedGrantTypes` default `code` + `client_credentials`, an empty list refuses,
`AllowedScopes` besides `openid email phone profile`, `aws.cognito/dcr/register` never
granted), `ClientTypeType` (DCR). Cognito's rules for app clients apply to what is created
(http only for localhost callbacks, client_credentials never with code).

Unverified (no public page found), each with the live contract test that checks it on AWS:
- which members Cognito's 201 answer carries (here RFC 7591 §3.2.1's, below);
  contract: tests/test_live_aws.py::test_live_registration_answer_shape
- the error answers' shape (here RFC 7591 §3.2.2: 400 and error / error_description);
  contract: tests/test_live_aws.py::test_live_registration_refusal_shape
- the status and body when registration is off (here 404);
  contract: tests/test_live_aws.py::test_live_registration_endpoint_when_registration_is_off
- the default client name and scopes when the request names none (here "dcr-client" and
  every scope the pool allows);
  contract: tests/test_live_aws.py::test_live_registration_defaults_without_name_or_scope
- whether registered clients get a managed login style (`REGISTERED_CLIENTS_STYLED`; tests
  run the product under both answers).
  contract: tests/test_live_aws.py::test_live_managed_login_for_self_registered_clients
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mcpauth_wizard.sandbox.directory import Directory
from mcpauth_wizard.sandbox.tokens import Signer

OIDC_SCOPES = ("openid", "email", "phone", "profile")
REGISTER_SCOPE = "aws.cognito/dcr/register"
CLIENT_NAME = re.compile(r"^[\w\s+=,.@-]{1,128}$")
_GRANTS = {"authorization_code": "code", "client_credentials": "client_credentials"}
_AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
# Whether managed login v2 shows registered clients a page without a style of their own:
# unverified (contract: tests/test_live_aws.py::test_live_managed_login_for_self_registered_clients).
REGISTERED_CLIENTS_STYLED = True


def dcr_configuration(directory: Directory, pool_id: str) -> dict[str, Any] | None:
    """The pool's DcrConfiguration when registration is on, else None."""
    pool = directory.pool(pool_id)
    dcr = (pool.extended_config.get("DcrConfiguration") if pool else None) or None
    if not dcr or dcr.get("EnableStatus", "Enabled") != "Enabled":
        return None
    return dcr


def pool_tier(directory: Directory, pool_id: str) -> str:
    pool = directory.pool(pool_id)
    return (pool.extended_config.get("UserPoolTier") if pool else None) or "ESSENTIALS"


def _error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _redirect_problem(uri: str) -> str | None:
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment:
        return f"{uri} is not an absolute URI without a fragment"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"{uri}: http is accepted only for localhost"
    return None


class Registrar:
    """Registers app clients in moto the way the pool's DcrConfiguration allows."""

    def __init__(self, directory: Directory, signer: Signer, issuer: Any) -> None:
        self.directory = directory
        self.signer = signer
        self.issuer = issuer  # pool id → issuer URL

    def _grant_types_allowed(self, request: Request, pool_id: str,
                             dcr: dict[str, Any]) -> tuple[list[str] | None, Response | None]:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            if not dcr.get("OpenDcrEnabled", False):
                # RFC 6750 §3.1: no credentials, so a challenge without an error code; the JSON
                # body as the other refusals (contract: tests/test_live_aws.py::test_live_registration_refusal_shape)
                return None, JSONResponse(
                    {"error": "invalid_token", "error_description": "an initial access token is required"},
                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
            return list(dcr.get("OpenDcrGrantTypes", ["code"])), None
        try:
            claims = self.signer.verify(token.strip())
        except Exception:  # noqa: BLE001 - any bad token is invalid_token
            claims = {}
        if (claims.get("iss") != self.issuer(pool_id) or claims.get("token_use") != "access"
                or REGISTER_SCOPE not in str(claims.get("scope", "")).split()
                or claims.get("exp", 0) < time.time()):
            return None, JSONResponse(
                {"error": "invalid_token", "error_description": f"the token lacks {REGISTER_SCOPE}"},
                status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return list(dcr.get("AuthenticatedGrantTypes", ["code", "client_credentials"])), None

    async def register(self, request: Request) -> Response:
        domain = self.directory.domain(request.path_params["prefix"])
        if domain is None:
            return JSONResponse({"message": "domain not found"}, status_code=404)
        dcr = dcr_configuration(self.directory, domain.pool_id)
        if dcr is None:  # unverified (contract: tests/test_live_aws.py::test_live_registration_endpoint_when_registration_is_off)
            return JSONResponse({"message": "dynamic client registration is not enabled"},
                                status_code=404)
        allowed_grants, problem = self._grant_types_allowed(request, domain.pool_id, dcr)
        if problem is not None:
            return problem
        try:
            metadata = await request.json()
        except ValueError:
            return _error("invalid_client_metadata", "the body is not a JSON object")
        if not isinstance(metadata, dict):
            return _error("invalid_client_metadata", "the body is not a JSON object")
        return self._create(domain.pool_id, metadata, allowed_grants or [], dcr)

    def _create(self, pool_id: str, metadata: dict[str, Any], allowed_grants: list[str],
                dcr: dict[str, Any]) -> Response:
        grant_types = metadata.get("grant_types") or ["authorization_code"]
        if not isinstance(grant_types, list):
            return _error("invalid_client_metadata", "grant_types must be a list")
        flows = []
        for grant in grant_types:
            if grant == "refresh_token":
                continue
            flow = _GRANTS.get(grant)
            if flow is None:
                return _error("invalid_client_metadata", f"grant type {grant} is not supported")
            if flow not in allowed_grants:
                return _error("invalid_client_metadata", f"grant type {grant} is not allowed")
            flows.append(flow)
        if not flows or len(set(flows)) > 1:
            return _error("invalid_client_metadata",
                          "register either authorization_code or client_credentials")
        method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
        if method not in _AUTH_METHODS:
            return _error("invalid_client_metadata", f"token_endpoint_auth_method {method} is not supported")
        if flows == ["client_credentials"] and method == "none":
            return _error("invalid_client_metadata", "client_credentials needs a client secret")
        redirect_uris = metadata.get("redirect_uris") or []
        if not isinstance(redirect_uris, list) or not all(isinstance(u, str) for u in redirect_uris):
            return _error("invalid_redirect_uri", "redirect_uris must be a list of URIs")
        if flows == ["code"] and not redirect_uris:
            return _error("invalid_redirect_uri", "redirect_uris is required for authorization_code")
        for uri in redirect_uris:
            why = _redirect_problem(uri)
            if why:
                return _error("invalid_redirect_uri", why)
        allowed_scopes = [s for s in dcr.get("AllowedScopes") or [] if s != REGISTER_SCOPE]
        custom = set(self.directory.existing_scopes(pool_id))
        grantable = [*OIDC_SCOPES, *(s for s in allowed_scopes if s in custom)]
        requested = str(metadata.get("scope") or "").split() or list(grantable)
        if flows == ["client_credentials"]:
            requested = [s for s in requested if s not in OIDC_SCOPES] or [
                s for s in grantable if s not in OIDC_SCOPES]
        bad = [s for s in requested if s not in grantable]
        if bad:
            return _error("invalid_client_metadata", f"scope not allowed: {' '.join(bad)}")
        # the default name and scopes: unverified (contract: tests/test_live_aws.py::test_live_registration_defaults_without_name_or_scope)
        name = str(metadata.get("client_name") or "dcr-client")
        if not CLIENT_NAME.match(name):
            return _error("invalid_client_metadata",
                          "client_name may hold letters, digits, spaces and + = , . @ - only")
        client = self._store(pool_id, name, flows, requested, redirect_uris, method != "none")
        body: dict[str, Any] = {
            "client_id": client.id,
            "client_id_issued_at": int(time.time()),
            "client_name": name,
            "redirect_uris": redirect_uris,
            "grant_types": grant_types,
            "response_types": ["code"] if flows == ["code"] else [],
            "token_endpoint_auth_method": method,
            "scope": " ".join(requested),
        }
        if method != "none":
            body.update(client_secret=client.secret, client_secret_expires_at=0)
        return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})

    def _store(self, pool_id: str, name: str, flows: list[str], scopes: list[str],
               redirect_uris: list[str], secret: bool) -> Any:
        pool = self.directory.pool(pool_id)
        client = pool.backend.create_user_pool_client(pool_id, secret, {
            "ClientName": name,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": flows,
            "AllowedOAuthScopes": scopes,
            "CallbackURLs": redirect_uris,
            "SupportedIdentityProviders": ["COGNITO"],
        })
        client.client_type = "DCR"
        return client
