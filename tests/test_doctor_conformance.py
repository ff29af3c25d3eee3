"""The doctor's sign-in (`mcpauth doctor URL --login`) is a spec-compliant MCP client: the
official MCP conformance suite's client scenarios, with the doctor as the client under
test, pass every check, and the doctor's report names what it did in each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conformance_fixtures import run_scenario

CIMD_URL = "https://conformance-test.local/client-metadata.json"  # the suite's fixed CIMD URL
# The flags a user would pass; the same for every scenario. `--platform doctor`: check the
# doctor's own sign-in only (no probes as other platforms' clients, which send a bogus code on
# purpose); test-tool is the mock server's tool.
FLAGS = ["--json", "--platform", "doctor", "--call-tool", "test-tool"]

SIGN_IN_SCENARIOS = [
    # scenario, what the doctor's sign-in note must name
    ("auth/metadata-default", ["dynamic client registration", "no scope"]),
    ("auth/metadata-var1", ["dynamic client registration", "/.well-known/openid-configuration"]),
    ("auth/metadata-var2", ["/.well-known/oauth-authorization-server/tenant1"]),
    ("auth/metadata-var3", ["/custom/metadata/location.json", "/tenant1/.well-known/openid-configuration"]),
    ("auth/scope-from-www-authenticate", ["scope 'mcp:basic' (from the WWW-Authenticate challenge)"]),
    ("auth/scope-from-scopes-supported",
     ["scope 'mcp:basic mcp:read mcp:write' (all scopes_supported of the protected-resource metadata)"]),
    ("auth/scope-omitted-when-undefined", ["no scope (none: neither the challenge nor the metadata"]),
    ("auth/scope-step-up", ["403 insufficient_scope on tools/call: stepped up to 'mcp:basic mcp:write'",
                            "tools/call test-tool ok"]),
    ("auth/token-endpoint-auth-basic", ["token endpoint auth client_secret_basic"]),
    ("auth/token-endpoint-auth-post", ["token endpoint auth client_secret_post"]),
    ("auth/token-endpoint-auth-none", ["token endpoint auth none"]),
    ("auth/pre-registration", ["pre-registered client pre-registered-client",
                               "token endpoint auth client_secret_basic"]),
    # MCP 2025-03-26 servers (no protected-resource metadata): the origin is the AS
    ("auth/2025-03-26-oauth-metadata-backcompat", ["MCP 2025-03-26", "/.well-known/oauth-authorization-server"]),
    ("auth/2025-03-26-oauth-endpoint-fallback", ["MCP 2025-03-26", "(2025-03-26 default endpoints)"]),
    ("auth/offline-access-scope", ["dynamic client registration"]),
    ("auth/offline-access-not-supported", ["scope 'mcp:basic mcp:read'"]),
]


def _login(run: Any) -> dict[str, Any]:
    steps = {s["id"]: s for s in run.report().get("steps", [])}
    assert "login" in steps, run.explain()
    return steps["login"]


@pytest.mark.parametrize(("scenario", "named"), SIGN_IN_SCENARIOS, ids=[s for s, _ in SIGN_IN_SCENARIOS])
def test_conformance_scenario_passes_every_check(scenario: str, named: list[str], tmp_path: Path) -> None:
    run = run_scenario(scenario, tmp_path, FLAGS)
    assert run.scored and not run.failed, run.explain()
    login = _login(run)
    assert login["status"] == "pass", (login, run.explain())
    for words in named:
        assert words in login["note"], (words, login["note"])
    assert "test-client-secret" not in run.client_stdout and "pre-registered-secret" not in run.client_stdout


def test_conformance_resource_mismatch_stops_before_signing_in(tmp_path: Path) -> None:
    run = run_scenario("auth/resource-mismatch", tmp_path, FLAGS)
    assert run.scored and not run.failed, run.explain()
    found = [f["code"] for f in _login(run)["findings"]]
    assert found == ["PRM_RESOURCE_MISMATCH"], run.explain()


def test_conformance_cimd_uses_the_metadata_document_url(tmp_path: Path) -> None:
    run = run_scenario("auth/basic-cimd", tmp_path, [*FLAGS, "--client-metadata-url", CIMD_URL])
    assert run.scored and not run.failed, run.explain()
    assert f"client ID metadata document {CIMD_URL}" in _login(run)["note"]


def test_conformance_cimd_without_a_document_says_so_and_registers(tmp_path: Path) -> None:
    """The doctor hosts no metadata document of its own: it says so and falls back to DCR."""
    run = run_scenario("auth/basic-cimd", tmp_path, FLAGS)
    note = _login(run)["note"]
    assert "the doctor has no hosted document (--client-metadata-url)" in note, run.explain()
    assert "dynamic client registration" in note
    assert [c["status"] for c in run.checks if c["id"] == "cimd-client-id-used"] == ["WARNING"]


def test_conformance_scope_retry_limit_stops_after_three_sign_ins(tmp_path: Path) -> None:
    """A server that answers 403 insufficient_scope forever: the doctor stops (no endless loop)
    and says so."""
    run = run_scenario("auth/scope-retry-limit", tmp_path, FLAGS)
    assert run.scored and not run.failed, run.explain()
    login = _login(run)
    assert [f["code"] for f in login["findings"]] == ["MCP_INSUFFICIENT_SCOPE"], run.explain()
    assert "after 3 sign-in(s)" in login["findings"][0]["message"]
