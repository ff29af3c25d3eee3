"""Outside clients against the sandbox: the official MCP Python SDK, a real browser, the demo."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox.form_signin import sign_in
from tests.sandbox_fixtures import Setup

CLAUDE_CALLBACK = "https://claude.ai/api/mcp/auth_callback"


async def sdk_list_tools(url: str, client_id: str | None, secret: str | None, redirect_uri: str,
                         username: str, password: str, seen: dict[str, object] | None = None) -> list[str]:
    """The MCP SDK's OAuthClientProvider with a pre-registered client (or none: then the SDK
    registers itself); the browser step is the form. `seen` receives the tokens and client."""
    from mcp.shared.auth import OAuthClientInformationFull

    from mcpauth_wizard.sandbox.proxy_lab import MemoryTokenStorage, sdk_session

    client = OAuthClientInformationFull(
        client_id=client_id, client_secret=secret, redirect_uris=[redirect_uri],
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        grant_types=["authorization_code", "refresh_token"], response_types=["code"]) if client_id else None
    storage = MemoryTokenStorage(client)
    async with sdk_session(url, username, password, redirect_uri=redirect_uri, browser=sign_in,
                           storage=storage) as session:
        tools = [t.name for t in (await session.list_tools()).tools]
    if seen is not None:
        seen["tokens"], seen["client"] = storage.tokens, storage.client
    return tools


def test_mcp_sdk_client_signs_in_through_the_gateway_with_init_s_client(setup: Setup) -> None:
    """The SDK (mcp 2.3) does not insist on code_challenge_methods_supported: it sends S256
    anyway and completes against Cognito-shaped discovery. Measured, not assumed."""
    tools = asyncio.run(sdk_list_tools(setup.mcp_url, setup.clients["claude"], setup.secrets["claude"],
                                       CLAUDE_CALLBACK, setup.seed.username, setup.seed.password))
    assert tools == ["add", "echo"]


def test_mcp_sdk_client_against_the_plain_fastmcp_server(setup: Setup) -> None:
    url = setup.sandbox.start_plain_server(setup.pool_id, ["openid"])
    # The SDK sends resource=<url> (RFC 8707); the pool must know that resource, as init makes it.
    setup.sandbox.boto("cognito-idp").create_resource_server(
        UserPoolId=setup.pool_id, Identifier=url, Name="plain",
        Scopes=[{"ScopeName": "invoke", "ScopeDescription": "invoke"}])
    tools = asyncio.run(sdk_list_tools(url, setup.clients["claude"], setup.secrets["claude"],
                                       CLAUDE_CALLBACK, setup.seed.username, setup.seed.password))
    assert tools == ["add", "echo"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_a_real_browser_signs_in_to_a_loopback_callback(setup: Setup) -> None:
    """Chromium (Debian) driven by playwright fills the login page; the code lands on a
    loopback listener registered as the Inspector callback."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI must install it: apt-get install chromium)")
        pytest.skip("chromium is not installed here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request, exchange_code
    from tests.loopback import CallbackListener

    with CallbackListener() as listener:
        callback = f"http://localhost:{listener.port}/callback"
        from tests.sandbox_fixtures import mcpauth

        code, out = mcpauth(setup.sandbox, setup.folder, "add-callback", callback,
                            "--client-id", setup.clients["inspector"])
        assert code == 0, out
        client = ClientCredentials(setup.clients["inspector"])
        request = authorization_request(setup.authorize, client, callback, setup.scope)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            page.goto(request.url)
            assert page.title() == "Sign in"
            page.fill("#username", setup.seed.username)
            page.fill("#password", setup.seed.password)
            page.click("#signin")
            page.wait_for_url(f"{callback}*", timeout=15000)
            assert "Signed in" in page.content()
            browser.close()
        received = listener.wait(10)
    assert received["state"] == request.state
    tokens = exchange_code(setup.token, client, request, received["code"])
    assert tokens["token_type"] == "Bearer"


def test_demo_runs_as_a_process_and_exits_0(tmp_path) -> None:
    """Two demos at once (two terminals, a CI matrix): each doctor sign-in finds a free one of
    the ports registered for it, and both exit 0."""
    env = {**os.environ, "COLUMNS": "120", "TMPDIR": str(tmp_path)}
    for key in [k for k in env if k.startswith("AWS_")]:
        env.pop(key)
    procs = [subprocess.Popen([sys.executable, "-m", "mcpauth_wizard", "demo"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (stdout, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
        assert "Demo failed" not in stdout
    out = outputs[0][0]
    assert "tools/call add(2, 3) = 5" in out
    assert "sign-in now fails: the authorize endpoint answered error=invalid_scope" in out
    assert "The doctor named COGNITO_SCOPE_NOT_ALLOWED and --fix repaired it" in out
    assert "server/discover ok; tools: add, echo" in out  # the doctor's real sign-in (MCP 2026-07-28)
    assert "Paste into MCP Inspector" in out  # what a user would paste, as init shows it
    folder = out.split("The demo's mcpauth.toml (what init recorded, no secrets) is in ")[1].split()[0]
    assert Path(folder).parent == tmp_path and (Path(folder) / "mcpauth.toml").is_file()


def _as_a_background_job() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell does to `cmd &`


@pytest.mark.parametrize(("started", "stop"), [(_as_a_background_job, signal.SIGINT), (None, signal.SIGTERM)],
                         ids=["ctrl-c, even as a background job", "SIGTERM"])
def test_sandbox_up_prints_how_to_use_it_and_stops_cleanly(started: Any, stop: int) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "mcpauth_wizard", "sandbox", "up"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=started)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(lines)
        assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in text
        assert "demo user          demo@example.com / " in text
        endpoint = text.split("export AWS_ENDPOINT_URL=")[1].split()[0]
        import boto3

        pools = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                             aws_access_key_id="x", aws_secret_access_key="x").list_user_pools(MaxResults=10)
        assert [p["Name"] for p in pools["UserPools"]] == ["sandbox-users"]
    finally:
        proc.send_signal(stop)
        rest, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopping the sandbox" in rest
    assert "Traceback" not in err
