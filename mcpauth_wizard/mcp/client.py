"""The few MCP calls mcpauth makes (Streamable HTTP, JSON-RPC): initialize, tools/list,
tools/call — enough to prove a token works, as an MCP client would use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = "2025-11-25"  # initialize + Mcp-Session-Id
STATELESS_VERSION = "2026-07-28"  # no initialize: server/discover, and _meta on every request
CLIENT_INFO = {"name": "mcpauth", "version": "0.1"}


def stateless_request(request_id: int, method: str, params: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
    """A 2026-07-28 request: version, client info and capabilities travel in params._meta
    (the MCP-Protocol-Version header must say the same version)."""
    meta = {"io.modelcontextprotocol/protocolVersion": STATELESS_VERSION,
            "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
            "io.modelcontextprotocol/clientCapabilities": {}}
    return {"jsonrpc": "2.0", "id": request_id, "method": method,
            "params": {**(params or {}), "_meta": meta}}


def stateless_headers(method: str, params: dict[str, Any] | None = None) -> dict[str, str]:
    """The 2026-07-28 standard request headers (Streamable HTTP, "Standard Request Headers"):
    Mcp-Method on every request, Mcp-Name for tools/call, resources/read and prompts/get;
    a server MUST refuse a request without them (-32020 HeaderMismatch). Non-ASCII values
    go base64 in the =?base64?…?= sentinel."""
    import base64

    def value(text: str) -> str:
        if text.isascii():
            return text
        return "=?base64?" + base64.b64encode(text.encode()).decode() + "?="

    headers = {"MCP-Protocol-Version": STATELESS_VERSION, "Mcp-Method": value(method)}
    name = (params or {}).get("name") or (params or {}).get("uri")
    if method in ("tools/call", "resources/read", "prompts/get") and isinstance(name, str):
        headers["Mcp-Name"] = value(name)
    return headers


@dataclass(frozen=True)
class McpAnswer:
    status: int
    headers: dict[str, str]
    result: Any = None
    error: Any = None


def parse_answer(status: int, headers: dict[str, str], text: str) -> McpAnswer:
    """A JSON-RPC answer from a JSON or an SSE (text/event-stream) body."""
    headers = {k.lower(): v for k, v in headers.items()}
    body: Any = None
    if headers.get("content-type", "").startswith("text/event-stream"):
        for line in text.splitlines():  # the first data: line carries the JSON-RPC answer
            if line.startswith("data:"):
                text = line[5:].strip()
                break
    try:
        import json

        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        return McpAnswer(status, headers, body.get("result"), body.get("error"))
    return McpAnswer(status, headers)


class McpSession:
    """A Streamable HTTP session with a bearer token (sync; for the demo and the doctor)."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 10.0) -> None:
        import httpx

        self.url = url
        self.http = httpx.Client(timeout=timeout, follow_redirects=False)
        self.headers = {"Accept": "application/json, text/event-stream",
                        "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._id = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> McpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, params: dict[str, Any] | None = None) -> McpAnswer:
        self._id += 1
        body = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params or {}}
        response = self.http.post(self.url, json=body, headers=self.headers)
        answer = parse_answer(response.status_code, dict(response.headers), response.text)
        session = answer.headers.get("mcp-session-id")
        if session:
            self.headers["Mcp-Session-Id"] = session
        return answer

    def initialize(self) -> McpAnswer:
        answer = self.request("initialize", {
            "protocolVersion": PROTOCOL_VERSION, "capabilities": {},
            "clientInfo": {"name": "mcpauth", "version": "0.1"}})
        if answer.status == 200 and answer.result:
            self.headers["MCP-Protocol-Version"] = answer.result.get("protocolVersion", PROTOCOL_VERSION)
            self.http.post(self.url, headers=self.headers,
                           json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def list_tools(self) -> McpAnswer:
        return self.request("tools/list")

    def call_tool(self, name: str, arguments: dict[str, Any]) -> McpAnswer:
        return self.request("tools/call", {"name": name, "arguments": arguments})
