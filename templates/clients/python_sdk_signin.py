"""Sign in to an MCP server with the official MCP Python SDK (PyPI `mcp` 2.3) and a
pre-registered Cognito app client, then list its tools. Made by `mcpauth show`.

    pip install "mcp>=2.3,<2.4"
    python signin.py

The SDK registers a client itself only when the storage has none: returning the app client
from get_client_info() is how a pre-registered client id is given. redirect_uris[0] is the
redirect URI sent, and this script listens there (the SDK has no listener of its own)."""

import asyncio
import os
import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

MCP_URL = "__MCP_URL__"
CLIENT_ID = "__CLIENT_ID__"
CLIENT_SECRET = os.environ.get("MCP_CLIENT_SECRET")  # __SECRET_NOTE__
SCOPE = "__SCOPE__"
PORT = int("__PORT__")
REDIRECT_URI = f"http://localhost:{PORT}/callback"  # registered on the app client
AUTH_METHOD = "client_secret_post" if CLIENT_SECRET else "none"


class PreRegistered(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client = OAuthClientInformationFull(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[REDIRECT_URI],
            token_endpoint_auth_method=AUTH_METHOD, scope=SCOPE or None,
            grant_types=["authorization_code", "refresh_token"], response_types=["code"])

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


answer: dict[str, str] = {}
arrived = threading.Event()


class Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        if url.path != "/callback":
            self.send_response(404)
            self.end_headers()
            return
        answer.update({k: v[0] for k, v in parse_qs(url.query).items()})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"Signed in. You can close this tab.")
        arrived.set()

    def log_message(self, *args: object) -> None:
        pass


async def open_browser(authorization_url: str) -> None:
    answer.clear()
    arrived.clear()
    server = HTTPServer(("127.0.0.1", PORT), Callback)  # listening before the browser opens
    threading.Thread(target=server.handle_request, daemon=True).start()
    print("Sign in at:", authorization_url)
    webbrowser.open(authorization_url)


async def wait_for_callback() -> AuthorizationCodeResult:
    if not await asyncio.to_thread(arrived.wait, 300):
        raise TimeoutError("no sign-in within 5 minutes")
    if "error" in answer:
        raise RuntimeError(f"{answer['error']}: {answer.get('error_description', '')}")
    return AuthorizationCodeResult(code=answer["code"], state=answer.get("state"), iss=answer.get("iss"))


provider = OAuthClientProvider(
    server_url=MCP_URL,
    client_metadata=OAuthClientMetadata(
        client_name="mcpauth python-sdk", redirect_uris=[REDIRECT_URI], scope=SCOPE or None,
        grant_types=["authorization_code", "refresh_token"], response_types=["code"],
        token_endpoint_auth_method=AUTH_METHOD),
    storage=PreRegistered(), redirect_handler=open_browser, callback_handler=wait_for_callback)


async def main() -> None:
    async with httpx2.AsyncClient(auth=provider) as http:
        async with Client(streamable_http_client(MCP_URL, http_client=http)) as client:
            tools = await client.list_tools()
            print("tools:", ", ".join(t.name for t in tools.tools))


if __name__ == "__main__":
    asyncio.run(main())
