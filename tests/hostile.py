"""A loopback HTTP server whose answers a test sets path by path: malformed headers,
non-JSON or huge bodies, redirect loops, slow answers, closed connections. It records
every request it receives, so a test can tell what the doctor sent (and what it did not).
An answer may also be a function of the request (for servers that speak a protocol)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    close: bool = False  # drop the connection without answering
    lines: list[tuple[str, str]] = field(default_factory=list)  # header lines sent besides (repeats)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


class HostileServer:
    def __init__(self) -> None:
        self.answers: dict[str, Answer | Callable[[Received], Answer]] = {}
        self.requests: list[Received] = []
        answers, requests = self.answers, self.requests

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(self.command, self.path,
                                    {k.lower(): v for k, v in self.headers.items()}, body)
                requests.append(received)
                answer = answers.get(self.path.split("?")[0], Answer(404, body=b"not found"))
                if callable(answer):
                    answer = answer(received)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.close:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(answer.status)
                for key, value in [*answer.headers.items(), *answer.lines]:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_DELETE = _answer  # noqa: N815 - http.server's names

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def stateless_mcp(token: str, resource_metadata: str, *, initialize: bool = False
                  ) -> Callable[[Received], Answer]:
    """An MCP endpoint speaking 2026-07-28 (no initialize, no session: server/discover, and
    the version in params._meta matching the MCP-Protocol-Version header), shaped after the
    specification's schema (schema/2026-07-28/schema.ts: DiscoverResult,
    UnsupportedProtocolVersionError -32022, HeaderMismatchError -32020; the Mcp-Method and
    Mcp-Name headers of basic/transports/streamable-http.mdx). With `initialize`
    it also answers 2025-11-25's initialize (a server that supports both)."""
    import json

    version = "2026-07-28"

    def reply(status: int, message: dict[str, object]) -> Answer:
        return Answer(status, {"Content-Type": "application/json"}, json.dumps(message).encode())

    def answer(request: Received) -> Answer:
        if request.headers.get("authorization") != f"Bearer {token}":
            return Answer(401, {"WWW-Authenticate": f'Bearer resource_metadata="{resource_metadata}"'})
        try:
            message = json.loads(request.body)
        except ValueError:
            return reply(400, {"jsonrpc": "2.0", "error": {"code": -32700, "message": "parse error"}})
        ident, method = message.get("id"), message.get("method")
        if method == "initialize":
            if initialize:
                return reply(200, {"jsonrpc": "2.0", "id": ident, "result": {
                    "protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                    "serverInfo": {"name": "both", "version": "1"}}})
            return reply(400, {"jsonrpc": "2.0", "id": ident, "error": {
                "code": -32022, "message": "unsupported protocol version",
                "data": {"supported": [version], "requested": "2025-11-25"}}})
        meta = (message.get("params") or {}).get("_meta") or {}
        requested = meta.get("io.modelcontextprotocol/protocolVersion")
        # Streamable HTTP "Standard Request Headers" (2026-07-28): Mcp-Method on every request,
        # Mcp-Name on tools/call; missing or different is -32020 HeaderMismatch, HTTP 400.
        name = (message.get("params") or {}).get("name")
        if request.headers.get("mcp-method") != method or (
                method == "tools/call" and request.headers.get("mcp-name") != name):
            return reply(400, {"jsonrpc": "2.0", "id": ident,
                               "error": {"code": -32020, "message": "header mismatch: Mcp-Method"}})
        if requested != request.headers.get("mcp-protocol-version"):
            return reply(400, {"jsonrpc": "2.0", "id": ident,
                               "error": {"code": -32020, "message": "header mismatch"}})
        if requested != version:
            return reply(400, {"jsonrpc": "2.0", "id": ident, "error": {
                "code": -32022, "message": "unsupported protocol version",
                "data": {"supported": [version], "requested": requested}}})
        if method == "server/discover":
            return reply(200, {"jsonrpc": "2.0", "id": ident, "result": {
                "resultType": "complete", "supportedVersions": [version],
                "capabilities": {"tools": {}}}})
        if method == "tools/list":
            return reply(200, {"jsonrpc": "2.0", "id": ident, "result": {
                "resultType": "complete", "tools": [{"name": "add", "inputSchema": {"type": "object"}},
                                                    {"name": "echo", "inputSchema": {"type": "object"}}]}})
        return reply(200, {"jsonrpc": "2.0", "id": ident,
                           "error": {"code": -32601, "message": f"method not found: {method}"}})

    return answer


PRM = "/.well-known/oauth-protected-resource/mcp"


def serve_as_own_issuer(server: HostileServer, *, token_error: str, jwks: dict[str, object] | None = None
                        ) -> None:
    """MCP endpoint, protected-resource metadata and authorization server all on `server`:
    an honest small server, or a harvester whose metadata names itself as token endpoint.
    Its token endpoint answers every request with `token_error`."""
    import json

    base = server.url
    as_json = {"Content-Type": "application/json"}
    server.answers["/mcp"] = Answer(401, {"WWW-Authenticate": f'Bearer resource_metadata="{base}{PRM}"'})
    server.answers[PRM] = Answer(200, {**as_json, "Access-Control-Allow-Origin": "*"}, json.dumps({
        "resource": f"{base}/mcp", "authorization_servers": [base], "scopes_supported": ["mcp"]}).encode())
    # both metadata documents with CORS, as browser clients need (the doctor checks each)
    server.answers["/.well-known/oauth-authorization-server"] = Answer(200, {
        **as_json, "Access-Control-Allow-Origin": "*"}, json.dumps({
        "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
        "jwks_uri": f"{base}/jwks", "code_challenge_methods_supported": ["S256"],
        "registration_endpoint": f"{base}/register"}).encode())
    server.answers["/jwks"] = Answer(200, as_json, json.dumps(jwks or {"keys": []}).encode())
    server.answers["/authorize"] = Answer(302, {"Location": f"{base}/login"})
    server.answers["/login"] = Answer(200, body=b"<form>login</form>")
    server.answers["/token"] = Answer(401 if token_error == "invalid_client" else 400, as_json,
                                      json.dumps({"error": token_error}).encode())


@contextlib.contextmanager
def signing_in_server() -> Iterator[HostileServer]:
    """An MCP server that is its own authorization server and lets the doctor register
    (DCR) and sign in: tokens are opaque, the login is whatever the test's browser does."""
    import json

    def reply(data: object, status: int = 200, **headers: str) -> Answer:
        return Answer(status, {"Content-Type": "application/json", **headers}, json.dumps(data).encode())

    with HostileServer() as s:
        prm = f"{s.url}/.well-known/oauth-protected-resource/mcp"
        s.answers.update({
            "/mcp": reply({"error": "invalid_token"}, 401,
                          **{"WWW-Authenticate": f'Bearer resource_metadata="{prm}"'}),
            "/.well-known/oauth-protected-resource/mcp": reply(
                {"resource": f"{s.url}/mcp", "authorization_servers": [s.url]}),
            "/.well-known/oauth-authorization-server": reply({
                "issuer": s.url, "authorization_endpoint": f"{s.url}/authorize",
                "token_endpoint": f"{s.url}/token", "registration_endpoint": f"{s.url}/register",
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"]}),
            "/register": reply({"client_id": "dcr-client"}, 201),
            "/token": reply({"access_token": "opaque-token", "token_type": "Bearer"}),
        })
        yield s
