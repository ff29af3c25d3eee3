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


def _verdicts(w: Written) -> dict[str, Any]:
    code, out = mcpauth(w.sandbox, w.folder, "doctor", "--json", "--platform", "fastmcp,python-sdk,codex")
    report = json.loads(out[out.index("{"):])
    assert report["summary"]["errors"] == 0, (code, report["root_causes"])
    return report["platforms"]


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


def _codex_binary() -> Path:
    """codex-cli from the npm registry (cached): the platform build of @openai/codex."""
    from tests.clients.facts import CACHE, tarball

    binary = CACHE / f"codex-{CODEX_VERSION}"
    if not binary.exists():
        with tarfile.open(tarball("@openai/codex", CODEX_VERSION), "r|gz") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith("/bin/codex"):
                    source = archive.extractfile(member)
                    assert source is not None
                    partial = binary.with_suffix(".partial")
                    with partial.open("wb") as out:
                        while chunk := source.read(8 << 20):
                            out.write(chunk)
                    partial.chmod(0o755)
                    partial.rename(binary)
                    break
    assert binary.exists(), "no bin/codex in the package"
    return binary


@pytest.mark.binary_client
def test_codex_signs_in_with_the_written_config_and_login_line(written: Written, tmp_path: Path) -> None:
    codex = _codex_binary()
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
