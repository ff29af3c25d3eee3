"""A real MCP client against the sandbox: npm mcp-remote (pinned in tests/clients), run with
the exact command `mcpauth show` generates.

mcp-remote opens the authorize URL through `open` → xdg-open → $BROWSER. BROWSER here is a
hook that records the URL; the test then plays the browser: it fills the sandbox's login form
and follows the redirect to mcp-remote's loopback listener, which exchanges the code. The
test speaks MCP over mcp-remote's stdio and lists the gateway's tools.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mcpauth_wizard.sandbox.form_signin import sign_in
from mcpauth_wizard.sandbox.server import Sandbox, Seed
from tests.npm_fixtures import _tool, npm_ci
from tests.sandbox_fixtures import mcpauth

CLIENTS = Path(__file__).parent / "clients"
DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mcp_remote_installed() -> None:
    _tool("node")
    npm_ci(CLIENTS, CLIENTS / "node_modules" / "mcp-remote" / "package.json", "the mcp-remote client")


@dataclass
class RemoteSetup:
    sandbox: Sandbox
    seed: Seed
    folder: Path
    handoff: dict[str, Any]
    port: int
    mcp_url: str


def init_for_mcp_remote(sandbox: Sandbox, folder: Path, domain: str, *extra: str) -> RemoteSetup:
    """`mcpauth init` for mcp-remote with a pinned free port, then `show --reveal --json`."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = sandbox.seed()
    port = free_port()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", domain,
                        "--gateway-id", seed.gateway_id, "--platform", "mcp-remote",
                        "--port", f"mcp-remote={port}", "--secret", "mcp-remote", *extra, "--yes",
                        "--allow-breaking")  # the seeded gateway is AWS_IAM
    assert code == 0, out
    code, shown = mcpauth(sandbox, folder, "show", "--reveal", "--json")
    assert code == 0, shown
    data = json.loads(shown)
    handoff = next(h for h in data["handoffs"] if h["platform"] == "mcp-remote")
    return RemoteSetup(sandbox, seed, folder, handoff, port, data["mcp_url"])


class Browser:
    """$BROWSER for mcp-remote: a script that appends each URL it is asked to open to a file."""

    def __init__(self, folder: Path) -> None:
        self.log = folder / "opened.txt"
        self.script = folder / "browser.sh"
        self.script.write_text('#!/bin/sh\nprintf "%s\\n" "$1" >> "$MCPAUTH_BROWSER_LOG"\n')
        self.script.chmod(0o755)

    def env(self) -> dict[str, str]:
        return {"BROWSER": str(self.script), "MCPAUTH_BROWSER_LOG": str(self.log)}

    def next_url(self, proc: subprocess.Popen[str], stderr: list[str]) -> str:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.log.exists() and self.log.read_text().strip():
                return self.log.read_text().splitlines()[0]
            if proc.poll() is not None:
                raise AssertionError(f"mcp-remote exited {proc.returncode}: {''.join(stderr)[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"mcp-remote opened no browser in {DEADLINE:.0f}s: {''.join(stderr)[-3000:]}")


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    return Browser(tmp_path)


def start(command: str, browser: Browser, config_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """Run the generated command as a user would, from tests/clients (where npx finds the pinned
    mcp-remote without the network); stderr is collected in a thread."""
    argv = shlex.split(command)
    assert argv[:3] == ["npx", "-y", "mcp-remote"], command
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DBUS_SESSION_BUS_ADDRESS")}
    env.update(browser.env(), MCP_REMOTE_CONFIG_DIR=str(config_dir), npm_config_offline="true",
               npm_config_update_notifier="false")
    proc = subprocess.Popen([_tool("npx"), *argv[1:]], cwd=CLIENTS, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stderr: list[str] = []
    assert proc.stderr is not None
    threading.Thread(target=lambda: stderr.extend(iter(proc.stderr.readline, "")),  # type: ignore[union-attr]
                     daemon=True).start()
    return proc, stderr


def play_browser(authorize_url: str, seed: Seed) -> str:
    """Fill the login form and follow the redirect to mcp-remote's listener; return where the
    authorization server sent the browser."""
    import httpx

    landed = sign_in(authorize_url, seed.username, seed.password)
    if urlsplit(landed).hostname == "localhost":
        httpx.get(landed, timeout=20)
    return landed


def rpc(proc: subprocess.Popen[str], stderr: list[str], request: dict[str, Any]) -> dict[str, Any]:
    """One JSON-RPC request over mcp-remote's stdio, and its answer."""
    stdin: IO[str] | None = proc.stdin
    stdout: IO[str] | None = proc.stdout
    assert stdin is not None and stdout is not None
    stdin.write(json.dumps(request) + "\n")
    stdin.flush()
    answer: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: answer.update(_answer(stdout, request["id"])), daemon=True)
    reader.start()
    reader.join(DEADLINE)
    assert answer, f"no answer to {request['method']} in {DEADLINE:.0f}s: {''.join(stderr)[-3000:]}"
    return answer


def _answer(stdout: IO[str], request_id: int) -> dict[str, Any]:
    for line in iter(stdout.readline, ""):
        message = json.loads(line)
        if message.get("id") == request_id:
            return dict(message)
    return {}


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def remote(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory,
           mcp_remote_installed: None) -> Iterator[RemoteSetup]:
    """The default setup for mcp-remote: the gateway's challenge names the resource scope."""
    yield init_for_mcp_remote(sandbox, tmp_path_factory.mktemp("remote"), "remote-login",
                              "--gateway-allowed-scopes")


def test_mcp_remote_signs_in_with_the_generated_command_and_lists_the_tools(
        remote: RemoteSetup, browser: Browser, tmp_path: Path) -> None:
    command = remote.handoff["fields"]["Command"]
    proc, stderr = start(command, browser, tmp_path / "mcp-auth")
    try:
        opened = browser.next_url(proc, stderr)
        request = parse_qs(urlsplit(opened).query)
        # what the registry says mcp-remote sends, seen on the wire
        assert request["redirect_uri"] == [f"http://localhost:{remote.port}/oauth/callback"]
        assert request["code_challenge_method"] == ["S256"]
        assert request["resource"] == [remote.mcp_url]
        landed = play_browser(opened, remote.seed)
        assert "code=" in landed, landed
        init = rpc(proc, stderr, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "mcpauth-test", "version": "0"}}})
        assert "result" in init, init
        proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")  # type: ignore[union-attr]
        tools = rpc(proc, stderr, {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        assert sorted(t["name"] for t in tools["result"]["tools"]) == ["add", "echo"], tools
    finally:
        stop(proc)


def drop_gateway_scopes(sandbox: Sandbox, gateway_id: str) -> None:
    """The gateway advertises no scope (no allowedScopes): neither challenge nor PRM names one."""
    from mcpauth_wizard.aws.agentcore import jwt_authorizer, safe_update_gateway
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.sandbox.local import environment

    def drop(gateway: dict[str, Any]) -> dict[str, Any]:
        jwt_authorizer(gateway).pop("allowedScopes", None)
        return gateway

    with environment(sandbox.aws_env()):
        safe_update_gateway(AwsContext(None, "us-east-1", sandbox.endpoint_url), gateway_id, drop)


def without_pinned_scope(command: str) -> str:
    argv = shlex.split(command)
    at = argv.index("--static-oauth-client-metadata")
    return shlex.join(argv[:at] + argv[at + 2:])


def test_the_registry_s_verified_mcp_remote_facts_are_what_the_sandbox_sees(
        sandbox: Sandbox, tmp_path: Path, browser: Browser, mcp_remote_installed: None) -> None:
    """With no scope advertised and none pinned, mcp-remote does what the registry says it does
    (read in its source), and the registry's prediction is the error the sign-in really ends in."""
    import httpx

    from mcpauth_wizard.mcp.platforms import PLATFORMS, SCOPE_ALL_AS, predict

    remote = init_for_mcp_remote(sandbox, tmp_path / "project", "bare-login")
    drop_gateway_scopes(sandbox, remote.seed.gateway_id)
    facts = PLATFORMS["mcp-remote"].behaviour
    discovery = httpx.get(f"{sandbox.issuer(remote.seed.pool_id)}/.well-known/openid-configuration").json()
    client = remote.sandbox.boto("cognito-idp").describe_user_pool_client(
        UserPoolId=remote.seed.pool_id, ClientId=remote.handoff["client_id"])["UserPoolClient"]

    proc, stderr = start(without_pinned_scope(remote.handoff["fields"]["Command"]), browser,
                         tmp_path / "mcp-auth")
    try:
        request = parse_qs(urlsplit(browser.next_url(proc, stderr)).query)
        landed = play_browser(browser.log.read_text().splitlines()[0], remote.seed)
    finally:
        stop(proc)

    assert facts.scope_when_none_advertised.verified and facts.scope_when_none_advertised.value == SCOPE_ALL_AS
    assert request["scope"] == [" ".join(discovery["scopes_supported"])]
    assert facts.sends_resource.verified and facts.sends_resource.value.startswith("authorize")
    assert request["resource"] == [remote.mcp_url]
    assert facts.strict_s256.verified and facts.strict_s256.value is False
    assert "code_challenge_methods_supported" not in discovery and request["code_challenge_method"] == ["S256"]
    assert request["redirect_uri"] == list(PLATFORMS["mcp-remote"].callback_urls(remote.port))
    predicted = predict(PLATFORMS["mcp-remote"], advertised_scopes=[],
                        as_scopes=discovery["scopes_supported"], client_scopes=client["AllowedOAuthScopes"],
                        s256_advertised=False, iss_advertised=False)
    assert [p.error for p in predicted] == ["invalid_scope"]
    assert parse_qs(urlsplit(landed).query)["error"] == ["invalid_scope"]
