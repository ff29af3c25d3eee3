"""CORS on the sandbox's answers that browser clients read, one switch per surface.

A browser client (MCP Inspector v1's web UI) fetches metadata, and posts to the token and
registration endpoints, from its page: without `Access-Control-Allow-Origin` the browser
hides the answer ("Failed to fetch"). What real AWS sends is documented for one endpoint
only (the token endpoint's `*`, below), so each surface is a switch (`Sandbox(cors=…)`, or MCPAUTH_SANDBOX_CORS: surfaces comma-separated, or
"none"), and tests run the doctor under each plausible combination
(tests/test_sandbox_cors.py). The defaults, surface by surface:

- "discovery": the pool's OpenID discovery document and JWKS. On: reported — browser OIDC
  libraries (oidc-client-ts, react-oidc-context) are set up with Cognito's issuer as their
  authority and fetch both from the page; no AWS page says so; unverified.
  contract: tests/test_live_aws.py::test_live_cors_on_cognito_discovery
- "resource_metadata": the gateway's protected-resource metadata (RFC 9728). On: what the
  sandbox always sent; AgentCore's guide says nothing about CORS; unverified.
  contract: tests/test_live_aws.py::test_live_cors_on_gateway_resource_metadata
- "oauth": the login domain's token, registration and userInfo endpoints. On: the token
  endpoint's `Access-Control-Allow-Origin: *` is in the AWS guide's token endpoint page
  (docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html, checked
  2026-12-06; trace tests/traces/aws-guide-token-endpoint-cors.json); userInfo's and the
  registration endpoint's: unverified.
  contract: tests/test_live_aws.py::test_live_cors_on_token_endpoint

A surface that is on answers every request with `Access-Control-Allow-Origin: *` and a CORS
preflight (OPTIONS with Access-Control-Request-Method) with 204, the methods and the headers
asked for (Fetch standard, "CORS protocol"). A surface that is off adds nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

SURFACES = ("discovery", "resource_metadata", "oauth")
DEFAULT = frozenset(SURFACES)
ENV = "MCPAUTH_SANDBOX_CORS"

_PATHS: dict[str, re.Pattern[str]] = {
    "discovery": re.compile(r"^/[^/]+/\.well-known/(openid-configuration|jwks\.json)$"),
    "resource_metadata": re.compile(
        r"^(/gateways/[^/]+/\.well-known/oauth-protected-resource|/\.well-known/oauth-protected-resource(/.*)?)$"),
    "oauth": re.compile(r"^/domains/[^/]+/oauth2/(token|register|userInfo)$"),
}

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def parse(value: str | Iterable[str] | None) -> frozenset[str]:
    """Surfaces from a comma-separated string ("none" or "" for none) or an iterable; None:
    MCPAUTH_SANDBOX_CORS if set, else the defaults. An unknown surface is refused."""
    if value is None:
        value = os.environ.get(ENV)
        if value is None:
            return DEFAULT
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v) for v in value]
    chosen = frozenset(v for v in items if v and v != "none")
    unknown = sorted(chosen - set(SURFACES))
    if unknown:
        raise ValueError(f"unknown CORS surface(s) {', '.join(unknown)}; accepted: "
                         f"{', '.join(SURFACES)} or none")
    return chosen


def surface_of(path: str) -> str | None:
    return next((name for name, pattern in _PATHS.items() if pattern.match(path)), None)


def wrap(app: App, surfaces: Callable[[], frozenset[str]]) -> App:
    """The app, with CORS on the surfaces `surfaces()` names (read at each request, so a
    running sandbox can be switched)."""

    async def with_cors(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or surface_of(scope.get("path", "")) not in surfaces():
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if scope.get("method") == "OPTIONS" and "access-control-request-method" in headers:
            allow = [(b"access-control-allow-origin", b"*"),
                     (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                     (b"access-control-max-age", b"600"), (b"content-length", b"0")]
            asked = headers.get("access-control-request-headers")
            if asked:
                allow.append((b"access-control-allow-headers", asked.encode("latin-1")))
            await send({"type": "http.response.start", "status": 204, "headers": allow})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_origin(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", [])
                        if k.lower() != b"access-control-allow-origin"]
                message = {**message, "headers": [*kept, (b"access-control-allow-origin", b"*")]}
            await send(message)

        await app(scope, receive, send_with_origin)

    return with_cors
