"""The FastMCP OAuth proxy on "Lambda", on this machine: a scaffolded fastmcp-lambda project
run as several instances (one process each) behind a front on 127.0.0.1 (round robin, or Lambda-like),
signing users in through the sandbox's Cognito.

    with Sandbox().start() as sandbox, ProxyLab(sandbox, folder, setup, storage="default") as lab:
        lab.mcp_url   # what an MCP client connects to

Lambda spreads requests over warm instances; the front does the same (see `front`). With FastMCP's default storage each instance keeps its own OAuth state (a
folder of its own, like Lambda's /tmp); with the scaffold's DynamoDB store (the sandbox's
moto) they share it.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcpauth_wizard.core.errors import McpAuthError
from mcpauth_wizard.sandbox.server import REGION, Sandbox, _Web

Storage = Literal["default", "dynamodb"]
STATE_TABLE = "oauth-state"
START_DEADLINE = 180.0  # a deadline, not a wait: a loaded machine imports FastMCP slowly


@dataclass(frozen=True)
class ProxySetup:
    """The Cognito side of a proxy: its pool, login domain and confidential app client."""

    pool_id: str
    domain: str
    client_id: str


def cognito_setup(sandbox: Sandbox, pool_id: str, base_url: str, *, domain: str = "proxy-login") -> ProxySetup:
    """A login domain, the one app client the proxy signs in with, and a resource server for
    the MCP URL, which the proxy sends to Cognito as `resource` (what `mcpauth init --server
    fastmcp-proxy` makes on AWS)."""
    from mcpauth_wizard.mcp.fastmcp_proxy import PROXY_SCOPES, proxy_callback

    cognito = sandbox.boto("cognito-idp")
    existing = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("Domain")
    if existing:  # one domain per pool
        domain = existing
    else:
        cognito.create_user_pool_domain(Domain=domain, UserPoolId=pool_id)
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="mcp-proxy", GenerateSecret=True,
        CallbackURLs=[proxy_callback(base_url)], AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=list(PROXY_SCOPES), AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]
    cognito.create_resource_server(UserPoolId=pool_id, Identifier=f"{base_url}/mcp", Name="mcp")
    return ProxySetup(pool_id, domain, client["ClientId"])


def free_port(host: str = "127.0.0.1") -> int:
    probe = socket.socket()
    probe.bind((host, 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def front(upstreams: list[str], spread: float | None = None, seed: int = 14) -> Any:
    """An ASGI reverse proxy over the instances, Host kept.

    Without `spread`: round robin, each request to the next instance. With it, like Lambda:
    an instance serves one request at a time, so concurrent requests go to different
    instances; a request goes to the first idle instance, except that this share of them
    find it busy (other users' traffic) and go to the next idle one (seeded: repeatable).
    """
    import random

    import httpx

    turn = itertools.count()  # the list may be refilled (new instances): read it per request
    chance = random.Random(seed)
    busy: dict[str, int] = {}
    http = httpx.AsyncClient(timeout=30.0, follow_redirects=False)

    def pick() -> str:
        if spread is None:
            return upstreams[next(turn) % len(upstreams)]
        order = list(upstreams)
        if len(order) > 1 and chance.random() < spread:
            order.append(order.pop(0))  # the first instance is serving someone else
        idle = [u for u in order if not busy.get(u)]
        return idle[0] if idle else chance.choice(order)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await http.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        upstream = pick()
        busy[upstream] = busy.get(upstream, 0) + 1
        query = scope.get("query_string", b"").decode()
        url = f"{upstream}{scope['path']}" + (f"?{query}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]]
        try:
            answer = await http.request(scope["method"], url, headers=headers, content=body)
            status, raw, out = answer.status_code, answer.content, answer.headers.multi_items()
        except httpx.HTTPError as exc:
            status, raw, out = 502, f"instance unreachable: {exc}".encode(), []
        finally:
            busy[upstream] -= 1
        skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        sent = [(k.encode(), v.encode()) for k, v in out if k.lower() not in skip]
        sent.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": sent})
        await send({"type": "http.response.body", "body": raw})

    return app


class ProxyLab:
    """N instances of the scaffolded server behind one front (see `front`)."""

    def __init__(self, sandbox: Sandbox, folder: Path, *, storage: Storage, instances: int = 2,
                 pool_id: str | None = None, setup: ProxySetup | None = None,
                 spread: float | None = None, then: Storage | None = None,
                 front_port: int = 0, on_wait: Callable[[str, float], None] | None = None) -> None:
        self.sandbox = sandbox
        self.folder = Path(folder)
        self.storage = storage
        self.count = instances
        self.spread = spread
        self.then = then  # the storage of a redeploy to come: its instances start at once
        self.on_wait = on_wait  # progress of the start-up wait: (what, seconds left)
        self._front = _Web(front([]), "127.0.0.1", front_port)
        self.base_url = self._front.url
        self.setup = setup or cognito_setup(sandbox, pool_id or sandbox.seed().pool_id, self.base_url,
                                            domain=f"proxy-{secrets.token_hex(3)}")
        self._fleet: _Fleet | None = None
        self._next: _Fleet | None = None
        self.instance_urls: list[str] = []
        self._env: dict[str, str] = {}

    @property
    def mcp_url(self) -> str:
        return f"{self.base_url}/mcp"

    def __enter__(self) -> ProxyLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _environment(self) -> dict[str, str]:
        """What template.yaml gives the function: the table, the secrets, the settings."""
        cognito = self.sandbox.boto("cognito-idp")
        secret = cognito.describe_user_pool_client(
            UserPoolId=self.setup.pool_id, ClientId=self.setup.client_id)["UserPoolClient"]["ClientSecret"]
        suffix = secrets.token_hex(4)
        manager = self.sandbox.boto("secretsmanager")
        client_secret = manager.create_secret(Name=f"proxy-client-secret-{suffix}", SecretString=secret)["ARN"]
        storage_key = manager.create_secret(Name=f"proxy-storage-key-{suffix}",
                                            SecretString=secrets.token_urlsafe(48))["ARN"]
        signing_key = manager.create_secret(Name=f"proxy-jwt-key-{suffix}",
                                            SecretString=secrets.token_urlsafe(48))["ARN"]
        dynamodb = self.sandbox.boto("dynamodb")
        if STATE_TABLE not in dynamodb.list_tables()["TableNames"]:
            dynamodb.create_table(
                TableName=STATE_TABLE, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "collection", "AttributeType": "S"},
                                      {"AttributeName": "key", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "collection", "KeyType": "HASH"},
                           {"AttributeName": "key", "KeyType": "RANGE"}])
        return {
            **os.environ, **self.sandbox.aws_env(),
            "COGNITO_USER_POOL_ID": self.setup.pool_id, "COGNITO_REGION": REGION,
            "COGNITO_CLIENT_ID": self.setup.client_id,
            "COGNITO_CLIENT_SECRET_REF": f"secretsmanager:{client_secret}",
            "STORAGE_KEY_REF": f"secretsmanager:{storage_key}",
            "JWT_SIGNING_KEY_REF": f"secretsmanager:{signing_key}",
            "OAUTH_STATE_TABLE": STATE_TABLE, "MCP_BASE_URL": self.base_url,
            "MCP_SERVER_NAME": "proxy-lab", "FASTMCP_SHOW_SERVER_BANNER": "false",
            "FASTMCP_CHECK_FOR_UPDATES": "off", "FASTMCP_LOG_LEVEL": "CRITICAL",
            "REGISTRATIONS_PER_HOUR": "1000",  # many test clients an hour, on one table
            "REGISTRATIONS_PER_SOURCE_PER_HOUR": "1000",  # all from 127.0.0.1
        }

    def start(self) -> ProxyLab:
        from mcpauth_wizard.provision.scaffold import ScaffoldValues, scaffold

        if not (self.folder / "handler.py").exists():
            scaffold("fastmcp-lambda", self.folder,
                     ScaffoldValues("proxy-lab", REGION, self.setup.pool_id, self.setup.client_id))
        self._env = self._environment()
        self._fleet = self._spawn(self.storage)
        if self.then:
            self._next = self._spawn(self.then)
        self._wait_ready(self._fleet)
        self.instance_urls[:] = self._fleet.urls
        self._front.server.config.app = front(self.instance_urls, self.spread)
        self._front.start()
        return self

    def use_storage(self, storage: Storage) -> None:
        """A redeploy: new instances with this storage take every request from now on."""
        fleet = self._next if self._next and self._next.storage == storage else self._spawn(storage)
        self._next = None
        self._wait_ready(fleet)
        old, self._fleet = self._fleet, fleet
        self.storage = storage
        self.instance_urls[:] = fleet.urls  # the front reads this very list
        if old:
            old.stop()

    def _spawn(self, storage: Storage) -> _Fleet:
        fleet = _Fleet(storage)
        for _ in range(self.count):
            home = tempfile.TemporaryDirectory(prefix="mcpauth-instance-")
            port = free_port()
            command = [sys.executable, "-m", "mcpauth_wizard.sandbox.lambda_instance",
                       str(self.folder), str(port), self.sandbox.web_url]
            if storage == "default":
                command.append("--default-storage")
            fleet.homes.append(home)
            fleet.processes.append(subprocess.Popen(
                command, env={**self._env, "FASTMCP_HOME": home.name}, cwd=home.name,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            fleet.urls.append(f"http://127.0.0.1:{port}")
        return fleet

    def _wait_ready(self, fleet: _Fleet) -> None:
        import httpx

        deadline = time.monotonic() + START_DEADLINE
        for process, url in zip(fleet.processes, fleet.urls, strict=True):
            while True:
                if process.poll() is not None:
                    error = (process.stderr.read() if process.stderr else b"").decode()[-800:]
                    self.stop()
                    raise McpAuthError(f"instance {url} exited: {error}")
                try:
                    if httpx.get(f"{url}/.well-known/oauth-authorization-server", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if self.on_wait:
                    self.on_wait(f"instance {url} to start", deadline - time.monotonic())
                if time.monotonic() > deadline:
                    self.stop()
                    raise McpAuthError(f"instance {url} did not start within {START_DEADLINE:.0f}s")
                time.sleep(0.2)

    def stop(self) -> None:
        for fleet in (self._fleet, self._next):
            if fleet:
                fleet.stop()
        self._fleet = self._next = None
        if self._front.server.started:
            self._front.stop()
        else:
            self._front.sock.close()


@dataclass
class _Fleet:
    """The instances of one deploy: a process and a home folder each."""

    storage: Storage
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    homes: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.stderr:
                process.stderr.close()
        for home in self.homes:
            home.cleanup()

class MemoryTokenStorage:
    """The MCP SDK client's token storage, in memory: nothing registered yet, or the
    pre-registered client given."""

    def __init__(self, client: Any = None) -> None:
        self.tokens: Any = None
        self.client = client

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, info: Any) -> None:
        self.client = info


@asynccontextmanager
async def sdk_session(mcp_url: str, username: str, password: str, *, client: Any = None,
                      redirect_uri: str = "http://localhost:33418/callback",
                      browser: Callable[[str, str, str], str] | None = None,
                      storage: MemoryTokenStorage | None = None) -> AsyncIterator[Any]:
    """An initialized session of the official MCP SDK client (mcp), signed in: the browser
    step (default: through an OAuth proxy's consent page) fills the sandbox's login form.
    Without `client` the SDK registers itself (DCR); `storage` shows the tokens and client after."""
    import asyncio

    import httpx2
    from mcp import ClientSession
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    from mcpauth_wizard.oauth.signin import callback_params
    from mcpauth_wizard.sandbox.form_signin import sign_in_through_proxy

    walk = browser or sign_in_through_proxy
    landed: dict[str, str] = {}

    async def redirect_handler(authorize_url: str) -> None:
        landed.update(callback_params(await asyncio.to_thread(walk, authorize_url, username, password)))

    async def callback_handler() -> AuthorizationCodeResult:
        if "code" not in landed:
            raise RuntimeError(f"sign-in failed: {landed}")
        return AuthorizationCodeResult(code=landed["code"], state=landed.get("state"),
                                       iss=landed.get("iss"))

    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(redirect_uris=[redirect_uri], client_name="mcp-sdk",
                                            grant_types=["authorization_code", "refresh_token"]),
        storage=storage or MemoryTokenStorage(client), redirect_handler=redirect_handler,
        callback_handler=callback_handler)
    async with httpx2.AsyncClient(auth=provider, timeout=20) as http, \
            streamable_http_client(mcp_url, http_client=http) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            yield session


async def sdk_sign_in(mcp_url: str, username: str, password: str, *, tool: str = "echo",
                      arguments: dict[str, Any] | None = None) -> str:
    """The MCP SDK client at the proxy: it registers itself, the user approves consent and
    signs in, then it calls a tool; the tool's text."""
    async with sdk_session(mcp_url, username, password) as session:
        result = await session.call_tool(tool, arguments if arguments is not None else {"text": "hello"})
        return "".join(getattr(c, "text", "") for c in result.content)
