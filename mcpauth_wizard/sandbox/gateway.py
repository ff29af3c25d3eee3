"""The AgentCore Gateway look-alike: the gateway's live CUSTOM_JWT authorizer in front of
a real FastMCP server.

It reads each gateway's configuration from the control plane at request time and enforces
every field that is set (discoveryUrl → issuer + keys, allowedClients, allowedAudience,
allowedScopes), answering 401 in AgentCore's WWW-Authenticate shape and serving
protected-resource metadata (RFC 9728).

Sources, behaviour by behaviour ("guide" = AgentCore developer guide, "Configure inbound
JWT authorizer"; "model" = botocore bedrock-agentcore-control). Each behaviour without a
primary source names the live contract test (tests/test_live_aws.py) that checks it on AWS:
- keys and issuer come from discoveryUrl: guide.
- allowedClients is checked against the `client_id` claim: guide. Falling back to `aud`
  for a token without client_id (an ID token): unverified; the product never relies on it.
  contract: tests/test_live_aws.py::test_live_gateway_admits_an_id_token_of_an_allowed_client
- allowedAudience is checked against `aud`: guide. A token without `aud` fails it: guide
  (nothing to match). `aud` as a list: unverified (a Cognito token binds one resource).
  contract: tests/test_live_aws.py::test_live_bound_access_token_aud_is_one_string
- allowedScopes: at least one token scope must be in it: guide.
- advertisedScopeMapping renames allowedScopes entries in the metadata and challenge: model
  (CustomJWTAuthorizerConfiguration.advertisedScopeMapping).
- scopes_supported in the metadata: model (as above: "appears in OAuth protected resource
  metadata"); a public report says AgentCore's metadata carries no scopes: unverified.
  contract: tests/test_live_aws.py::test_live_gateway_metadata_lists_allowed_scopes
- a request without credentials: 401 and a challenge without an error code (RFC 6750 §3.1:
  "SHOULD NOT include an error code"); what AgentCore sends: unverified.
  contract: tests/test_live_aws.py::test_live_gateway_challenge_without_credentials
- a bad token: 401 with error="invalid_token" (RFC 6750 §3.1) and a JSON-RPC error body;
  the body and the challenge's exact shape: unverified (public reports, not documented).
  contract: tests/test_live_aws.py::test_live_gateway_challenge_for_a_bad_token
- 403 + insufficient_scope (RFC 6750 §3.1) for a token without an allowed scope: unverified.
  contract: tests/test_live_aws.py::test_live_gateway_insufficient_scope_is_403
- 403 "Missing Authentication Token" for an AWS_IAM gateway: unverified (public reports).
  contract: tests/test_live_aws.py::test_live_iam_gateway_answers_403_missing_authentication_token
- CORS on the metadata: a switch of the sandbox (sandbox/cors.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mcpauth_wizard.sandbox.directory import Directory
from mcpauth_wizard.sandbox.tokens import Signer

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_COGNITO_DISCOVERY = re.compile(
    r"^https://(?:issuer-)?cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9a-zA-Z]+)"
    r"/\.well-known/openid-configuration$"
)


class GatewayLookAlike:
    """ASGI app for /gateways/<id>/mcp and its metadata."""

    def __init__(self, base_url: str, directory: Directory, signer: Signer,
                 local_issuer: Callable[[str], str], mcp_app: Any) -> None:
        self.base = base_url.rstrip("/")
        self.directory = directory
        self.signer = signer
        self.local_issuer = local_issuer  # pool id → the sandbox issuer URL
        self.mcp_app = mcp_app

    def resource(self, gateway_id: str) -> str:
        return f"{self.base}/gateways/{gateway_id}/mcp"

    def metadata_url(self, gateway_id: str) -> str:
        return f"{self.base}/gateways/{gateway_id}/.well-known/oauth-protected-resource"

    def issuer_for(self, discovery_url: str) -> str | None:
        """The issuer behind a discovery URL: Cognito's AWS URL maps to the sandbox pool."""
        match = _COGNITO_DISCOVERY.match(discovery_url or "")
        if match and self.directory.pool(match.group(2)) is not None:
            return self.local_issuer(match.group(2))
        suffix = "/.well-known/openid-configuration"
        if discovery_url.startswith(self.base) and discovery_url.endswith(suffix):
            return discovery_url[: -len(suffix)]
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.mcp_app(scope, receive, send)
            return
        path = scope.get("path", "")
        parts = [p for p in path.split("/") if p]
        # /gateways/<id>/mcp , /gateways/<id>/.well-known/oauth-protected-resource ,
        # /.well-known/oauth-protected-resource/gateways/<id>/mcp (RFC 9728 path insertion)
        if parts[:2] == [".well-known", "oauth-protected-resource"] and len(parts) == 5:
            await self._metadata(parts[3], send)
            return
        if len(parts) >= 3 and parts[0] == "gateways":
            gateway_id, rest = parts[1], "/".join(parts[2:])
            if rest == ".well-known/oauth-protected-resource":
                await self._metadata(gateway_id, send)
                return
            if rest == "mcp":
                await self._mcp(gateway_id, scope, receive, send)
                return
        await _json(send, 404, {"message": "Not Found"})

    async def _metadata(self, gateway_id: str, send: Send) -> None:
        gateway = self.directory.gateway(gateway_id)
        if gateway is None:
            await _json(send, 404, {"message": "Not Found"})
            return
        authorizer = _jwt(gateway)
        issuer = self.issuer_for(authorizer.get("discoveryUrl", ""))
        document: dict[str, Any] = {
            "resource": self.resource(gateway_id),
            "authorization_servers": [issuer] if issuer else [],
            "bearer_methods_supported": ["header"],
        }
        if authorizer.get("allowedScopes"):
            document["scopes_supported"] = _advertised(authorizer)
        await _json(send, 200, document)  # CORS headers: sandbox/cors.py

    def _challenge(self, gateway_id: str, gateway: Any, error: str | None) -> str:
        """The WWW-Authenticate challenge; `error` None for a request that sent no credentials
        (RFC 6750 §3.1: then the server "SHOULD NOT include an error code or other error
        information"; what AgentCore sends then: unverified.
        contract: tests/test_live_aws.py::test_live_gateway_challenge_without_credentials)."""
        parts = [f'error="{error}"'] if error else []
        if _jwt(gateway).get("allowedScopes"):
            parts.append(f'scope="{" ".join(_advertised(_jwt(gateway)))}"')
        parts.append(f'resource_metadata="{self.metadata_url(gateway_id)}"')
        return "Bearer " + ", ".join(parts)

    def check_token(self, gateway: Any, token: str) -> tuple[int, str]:
        """(200, "") if the authorizer admits the token, else the status and the reason."""
        authorizer = _jwt(gateway)
        issuer = self.issuer_for(authorizer.get("discoveryUrl", ""))
        if issuer is None:
            return 401, "the discovery URL is not reachable from the sandbox"
        try:
            claims = self.signer.verify(token)
        except Exception:  # noqa: BLE001 - a bad signature or a malformed token
            return 401, "signature"
        if claims.get("iss") != issuer:
            return 401, "issuer"
        if claims.get("exp", 0) < time.time():
            return 401, "expired"
        clients = authorizer.get("allowedClients")
        if clients and claims.get("client_id", claims.get("aud")) not in clients:
            return 401, "client not allowed"
        audience = authorizer.get("allowedAudience")
        if audience:
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            if not set(auds) & set(audience):
                return 401, "audience"
        scopes = authorizer.get("allowedScopes")
        if scopes and not set(str(claims.get("scope", "")).split()) & set(scopes):
            return 403, "insufficient_scope"
        return 200, ""

    async def _mcp(self, gateway_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        gateway = self.directory.gateway(gateway_id)
        if gateway is None:
            await _json(send, 404, {"message": "Not Found"})
            return
        if gateway.authorizer_type != "CUSTOM_JWT":
            await _json(send, 403, {"message": "Missing Authentication Token"})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            await _rpc_error(send, 401, "Missing Bearer token", self._challenge(gateway_id, gateway, None))
            return
        status, reason = self.check_token(gateway, token)
        if status == 403:
            await _rpc_error(send, 403, "Insufficient scope",
                             self._challenge(gateway_id, gateway, "insufficient_scope"))
            return
        if status != 200:
            await _rpc_error(send, 401, f"Invalid Bearer token ({reason})",
                             self._challenge(gateway_id, gateway, "invalid_token"))
            return
        inner = dict(scope, path="/mcp", raw_path=b"/mcp", root_path="")
        await self.mcp_app(inner, receive, send)


def _advertised(authorizer: dict[str, Any]) -> list[str]:
    mapping = authorizer.get("advertisedScopeMapping") or {}
    return [mapping.get(s, s) for s in authorizer.get("allowedScopes") or []]


def _jwt(gateway: Any) -> dict[str, Any]:
    return ((gateway.authorizer_configuration or {}).get("customJWTAuthorizer")) or {}


async def _json(send: Send, status: int, body: dict[str, Any],
                extra: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _rpc_error(send: Send, status: int, message: str, challenge: str) -> None:
    await _json(send, status, {"jsonrpc": "2.0", "id": None,
                               "error": {"code": -32001, "message": message}},
                {"www-authenticate": challenge})
