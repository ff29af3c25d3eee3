"""The official MCP conformance suite (npm @modelcontextprotocol/conformance, pinned in
tests/conformance/package-lock.json) with the doctor's sign-in as the client under test.

The suite starts a mock MCP server and authorization server on localhost for a scenario,
runs tests/conformance/doctor_client.py with the server URL appended, and records checks.
Python's webbrowser honours BROWSER: tests/conformance/browser.py follows the mock's
redirects to the doctor's loopback listener. In CI (CI=true) a missing node / npm or a
failed install fails the tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.npm_fixtures import _tool, _unavailable, npm_ci

SUITE = Path(__file__).parent / "conformance"
ENTRY = SUITE / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
WHAT = "MCP conformance suite"
SCENARIO_TIMEOUT_MS = 60_000


def install_suite() -> None:
    """`npm ci` in tests/conformance when node_modules lacks the pinned suite."""
    _tool("node", WHAT)
    npm_ci(SUITE, SUITE / "node_modules" / "glob" / "package.json", WHAT)
    if not ENTRY.exists():
        _unavailable(f"{ENTRY} is missing after `npm ci`", WHAT)


@dataclass(frozen=True)
class ScenarioRun:
    """What the suite recorded for one scenario, and what the doctor printed."""

    scenario: str
    checks: list[dict[str, Any]]
    client_stdout: str
    client_stderr: str
    suite_output: str

    @property
    def scored(self) -> list[dict[str, Any]]:
        """The checks the suite counts (SUCCESS or FAILURE; WARNING counts against too)."""
        return [c for c in self.checks if c["status"] in ("SUCCESS", "FAILURE", "WARNING")]

    @property
    def failed(self) -> list[str]:
        return [f"{c['id']} ({c['status']}): {c.get('errorMessage') or c['description']}"
                for c in self.scored if c["status"] != "SUCCESS"]

    def report(self) -> dict[str, Any]:
        """The doctor's --json report, when it printed one."""
        start = self.client_stdout.find("{")
        return json.loads(self.client_stdout[start:]) if start >= 0 else {}

    def explain(self) -> str:
        return (f"{self.scenario}: failed checks {self.failed}\n--- doctor stdout ---\n"
                f"{self.client_stdout[-4000:]}\n--- doctor stderr ---\n{self.client_stderr[-3000:]}\n"
                f"--- suite ---\n{self.suite_output[-3000:]}")


def run_scenario(scenario: str, workdir: Path, flags: list[str] | None = None) -> ScenarioRun:
    """Run one client scenario of the suite with the doctor as the client."""
    install_suite()
    results = workdir / "results"
    client = f"{sys.executable} {SUITE / 'doctor_client.py'}"
    env = {**os.environ, "BROWSER": f"{sys.executable} {SUITE / 'browser.py'} %s",
           "MCPAUTH_CONFORMANCE_FLAGS": json.dumps(flags or []), "NO_COLOR": "1"}
    env.pop("MCP_CONFORMANCE_CONTEXT", None)
    proc = subprocess.run(
        [_tool("node", WHAT), "--import", str(SUITE / "node20.mjs"), str(ENTRY), "client",
         "--command", client, "--scenario", scenario, "--timeout", str(SCENARIO_TIMEOUT_MS),
         "-o", str(results)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=SCENARIO_TIMEOUT_MS / 1000 + 60)
    found = sorted(results.rglob("checks.json"))
    if not found:
        raise AssertionError(f"the suite wrote no checks for {scenario}: {proc.stderr[-3000:]}")
    folder = found[-1].parent
    return ScenarioRun(scenario, json.loads(found[-1].read_text()),
                       (folder / "stdout.txt").read_text(), (folder / "stderr.txt").read_text(),
                       proc.stdout + proc.stderr)
