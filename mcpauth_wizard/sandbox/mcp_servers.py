"""Real FastMCP servers for the sandbox: the tools behind the gateway, and a plain
FastMCP server that checks tokens itself (RemoteAuthProvider + JWTVerifier)."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")


def _tools(name: str, auth: Any = None) -> Any:
    from fastmcp import FastMCP

    mcp = FastMCP(name, auth=auth)

    @mcp.tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @mcp.tool
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    return mcp


def gateway_tools_app() -> Any:
    """The MCP server behind every sandbox gateway (stateless, JSON responses)."""
    return _tools("sandbox-tools").http_app(path="/mcp", stateless_http=True, json_response=True)


def plain_server_app(base_url: str, issuer: str, scopes: list[str]) -> Any:
    """A FastMCP server in front of nobody's gateway: it validates Cognito-shaped tokens itself."""
    from fastmcp.server.auth import RemoteAuthProvider
    from fastmcp.server.auth.providers.jwt import JWTVerifier

    verifier = JWTVerifier(jwks_uri=f"{issuer}/.well-known/jwks.json", issuer=issuer,
                           required_scopes=scopes or None)
    auth = RemoteAuthProvider(token_verifier=verifier, authorization_servers=[issuer],
                              base_url=base_url, scopes_supported=scopes or None)
    return _tools("sandbox-plain", auth).http_app(path="/mcp", stateless_http=True,
                                                   json_response=True)
