"""Outside peers for the doctor: the npm `oidc-provider` as authorization server (a node
subprocess) and a real FastMCP server (RemoteAuthProvider + JWTVerifier) in front of it.

Everything listens on 127.0.0.1. The npm packages are installed here on first use
(`npm ci` from tests/peers/package-lock.json). In CI (CI=true) a missing node / npm or a failed
install fails the tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest

from tests.npm_fixtures import _tool, npm_ci

os.environ.setdefault("FASTMCP_SHOW_SERVER_BANNER", "false")
os.environ.setdefault("FASTMCP_CHECK_FOR_UPDATES", "off")

PEERS = Path(__file__).parent / "peers"
CLIENT_ID = "mcp_peer_client"
CLIENT_SECRET = "peer-client-secret-not-for-production"  # a test fixture's, in oidc_server.mjs too
SCOPE = "mcp:invoke"
CHATGPT_REDIRECT = "https://chatgpt.com/connector_platform_oauth_redirect"
READY_TIMEOUT = 20.0


def install_peers() -> None:
    """`npm ci` in tests/peers when node_modules lacks the pinned oidc-provider."""
    npm_ci(PEERS, PEERS / "node_modules" / "oidc-provider" / "package.json")


# --- oidc-provider -------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """The first form of a page: its action and its hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action") or ""
        elif tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[a["name"] or ""] = a.get("value") or ""


def form_sign_in(authorize_url: str, redirect_uri: str, login: str = "alice",
                 timeout: float = 10.0) -> str:
    """Be the browser on oidc-provider's development login and consent pages (cookies kept,
    redirects followed by hand) until it sends us to `redirect_uri`; return that URL. The
    redirect itself is not followed."""
    import httpx

    with httpx.Client(timeout=timeout, follow_redirects=False) as browser:
        url, method, data = authorize_url, "GET", None
        for _ in range(12):
            answer = browser.request(method, url, data=data)
            if answer.is_redirect:
                url, method, data = urljoin(url, answer.headers["location"]), "GET", None
                if url.startswith(redirect_uri):
                    return url
                continue
            if answer.status_code != 200:
                raise AssertionError(f"{method} {url} answered {answer.status_code}: {answer.text[:300]}")
            form = _FormReader()
            form.feed(answer.text)
            if form.action is None:
                raise AssertionError(f"no form at {url}: {answer.text[:300]}")
            data = {**form.fields, "login": login, "password": "any"}
            url, method = urljoin(url, form.action), "POST"
        raise AssertionError("too many steps before the redirect to the client")


@dataclass
class OidcPeer:
    """A running oidc-provider (node subprocess) and how to get tokens from it."""

    issuer: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    def authorize_url(self, redirect_uri: str, resource: str, scope: str = SCOPE,
                      client_id: str = CLIENT_ID) -> tuple[str, str, str]:
        """(authorize URL, state, PKCE verifier)."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        state = secrets.token_urlsafe(12)
        query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
                 "scope": scope, "resource": resource, "state": state,
                 "code_challenge": challenge.decode(), "code_challenge_method": "S256"}
        return f"{self.issuer}/auth?{urlencode(query)}", state, verifier

    def token(self, resource: str, scope: str = SCOPE) -> str:
        """A real access token (JWT, aud = resource) through sign-in, consent and code exchange."""
        import httpx

        url, state, verifier = self.authorize_url(CHATGPT_REDIRECT, resource, scope)
        back = form_sign_in(url, CHATGPT_REDIRECT)
        params = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
        assert params.get("state") == state and "code" in params, params
        answer = httpx.post(f"{self.issuer}/token", auth=(CLIENT_ID, CLIENT_SECRET), timeout=10, data={
            "grant_type": "authorization_code", "code": params["code"],
            "redirect_uri": CHATGPT_REDIRECT, "code_verifier": verifier})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_oidc_peer() -> OidcPeer:
    node = _tool("node")
    install_peers()
    process = subprocess.Popen([node, "oidc_server.mjs", "0"], cwd=PEERS, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "NODE_ENV": "development"})
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def pump(stream: Any, keep: Callable[[str], None], at_end: Callable[[], None]) -> None:
        for line in stream:
            keep(line.rstrip("\n"))
        at_end()

    threading.Thread(target=pump, args=(process.stdout, lines.put, lambda: lines.put(None)),
                     daemon=True).start()
    threading.Thread(target=pump, args=(process.stderr, log.append, lambda: None), daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    peer = OidcPeer("", process, log)
    while True:
        try:
            line = lines.get(timeout=max(0.05, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line and line.startswith("READY "):
            peer.issuer = line.split(" ", 1)[1].strip()
            return peer
        if line is None or time.monotonic() > deadline:
            peer.stop()
            raise RuntimeError(f"oidc-provider did not print READY within {READY_TIMEOUT:.0f}s "
                               f"(exit {process.poll()}): {' | '.join(log)[-800:]}")


@pytest.fixture(scope="session")
def oidc_peer() -> Iterator[OidcPeer]:
    peer = start_oidc_peer()
    try:
        yield peer
    finally:
        peer.stop()


# --- FastMCP in front ----------------------------------------------------------------------


class _Late:
    """An ASGI app set after the socket is bound (its URL is part of its configuration)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class _Faults:
    """ASGI middleware that breaks one thing, as a misconfigured proxy or server would."""

    def __init__(self, app: Any, *, strip_challenge: bool = False,
                 documents: dict[str, dict[str, Any]] | None = None) -> None:
        self.app = app
        self.strip_challenge = strip_challenge
        self.documents = documents or {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in self.documents:
            body = json.dumps(self.documents[scope["path"]]).encode()
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] != "http" or not self.strip_challenge:
            await self.app(scope, receive, send)
            return

        async def without_challenge(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                message = {**message, "headers": [(k, v) for k, v in message["headers"]
                                                  if k.lower() != b"www-authenticate"]}
            await send(message)

        await self.app(scope, receive, without_challenge)


@dataclass
class McpPeer:
    """A FastMCP server on 127.0.0.1 validating oidc-provider's JWTs itself."""

    url: str  # the MCP endpoint (…/mcp): the resource clients ask tokens for
    base_url: str
    web: Any


FAULTS = ("prm_resource", "no_challenge", "issuer_alias")


def start_mcp_peer(oidc: OidcPeer, fault: str | None = None) -> McpPeer:
    """fault: None (a correct setup), or
    prm_resource  resource_base_url set to another path: PRM resource ≠ the URL clients use;
    no_challenge  a proxy in front drops WWW-Authenticate from 401 answers;
    issuer_alias  PRM names the MCP server itself as authorization server and it serves a copy
                  of oidc-provider's metadata, whose issuer is oidc-provider's own URL."""
    import httpx
    from fastmcp.server.auth import RemoteAuthProvider
    from fastmcp.server.auth.providers.jwt import JWTVerifier

    from mcpauth_wizard.sandbox.mcp_servers import _tools
    from mcpauth_wizard.sandbox.server import _Web

    if fault not in (None, *FAULTS):
        raise ValueError(f"unknown fault {fault!r}")
    late = _Late()
    web = _Web(late, "127.0.0.1", 0)
    base, url = web.url, f"{web.url}/mcp"
    verifier = JWTVerifier(jwks_uri=oidc.jwks_uri, issuer=oidc.issuer, audience=url,
                           required_scopes=[SCOPE])
    servers = [base if fault == "issuer_alias" else oidc.issuer]
    auth = RemoteAuthProvider(token_verifier=verifier, authorization_servers=servers, base_url=base,
                              resource_base_url=f"{base}/api" if fault == "prm_resource" else None)
    app = _tools("peer-mcp", auth).http_app(path="/mcp", stateless_http=True, json_response=True)
    documents = {}
    if fault == "issuer_alias":
        metadata = httpx.get(f"{oidc.issuer}/.well-known/oauth-authorization-server", timeout=10).json()
        documents = {"/.well-known/oauth-authorization-server": metadata,
                     "/.well-known/openid-configuration": metadata}
    late.app = _Faults(app, strip_challenge=fault == "no_challenge", documents=documents)
    web.start()
    return McpPeer(url, base, web)


@pytest.fixture
def mcp_peer(oidc_peer: OidcPeer) -> Iterator[Callable[..., McpPeer]]:
    """Start FastMCP servers in front of oidc-provider: mcp_peer() or mcp_peer(fault=…)."""
    started: list[McpPeer] = []

    def start(fault: str | None = None) -> McpPeer:
        peer = start_mcp_peer(oidc_peer, fault)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.web.stop()
