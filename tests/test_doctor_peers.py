"""`mcpauth doctor` against outside peers nobody here wrote: the npm `oidc-provider` as
authorization server and a FastMCP server (RemoteAuthProvider + JWTVerifier) in front of it.

A correct setup is all green; each fault gives its own code. The doctor runs as the CLI does
(`python -m mcpauth_wizard doctor URL --json …`, no AWS settings, so only the HTTP checks run),
except the sign-in test, which needs an opener to be the browser. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.peer_fixtures")  # its helpers assert what the peers answer
from tests.peer_fixtures import CLIENT_ID, CLIENT_SECRET, McpPeer, OidcPeer  # noqa: E402

pytest_plugins = ["tests.peer_fixtures"]

SECRET_VAR = "PEER_CLIENT_SECRET"
TOKEN_VAR = "PEER_ACCESS_TOKEN"


def doctor(folder: Path, url: str, *args: str, platforms: str = "chatgpt", client_id: str = CLIENT_ID,
           secret: str = CLIENT_SECRET, token: str | None = None,
           issuer: str | None = None) -> tuple[int, dict[str, Any]]:
    """The CLI in a subprocess, in an empty folder, with no AWS settings at all. The secret
    goes to the token endpoint only when `issuer` names the authorization server it belongs to."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({SECRET_VAR: secret, "COLUMNS": "200", "AWS_EC2_METADATA_DISABLED": "true"})
    extra = list(args) + (["--issuer", issuer] if issuer else [])
    if token is not None:
        env[TOKEN_VAR] = token
        extra += ["--token-env", TOKEN_VAR]
    proc = subprocess.run([sys.executable, "-m", "mcpauth_wizard", "doctor", url, "--json",
                           "--platform", platforms, "--client-id", client_id,
                           "--client-secret-env", SECRET_VAR, *extra],
                          capture_output=True, text=True, cwd=folder, env=env, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    assert secret not in proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for s in report["steps"] for f in s["findings"] if f["severity"] == "error"]


def steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in report["steps"]}


def test_a_correct_setup_is_all_green(oidc_peer: OidcPeer, mcp_peer: Callable[..., McpPeer],
                                      tmp_path: Path) -> None:
    server = mcp_peer()
    token = oidc_peer.token(server.url)

    code, report = doctor(tmp_path, server.url, token=token, issuer=oidc_peer.issuer)

    assert code == 0, errors(report)
    assert report["summary"] == {"errors": 0, "warnings": 0}
    assert report["root_causes"] == []
    assert report["platforms"]["chatgpt"]["verdict"] == "ready"
    by_id = steps(report)
    for step in report["steps"]:
        expected = "skip" if step["id"].startswith(("aws.", "proxy.")) else "pass"  # not a proxy
        assert step["status"] == expected, step
    assert by_id["discovery.protected_resource"]["note"].endswith("/.well-known/oauth-protected-resource/mcp")
    assert by_id["discovery.authorization_server"]["note"] == \
        f"from {oidc_peer.issuer}/.well-known/oauth-authorization-server"
    assert by_id["authorize.chatgpt"]["note"].endswith(": login page")
    assert "invalid_grant" in by_id["token.chatgpt"]["note"]  # the secret authenticated
    # FastMCP 4.2 answers server/discover only with the 2026-07-28 request headers (Mcp-Method)
    assert by_id["mcp.call"]["note"] == "MCP 2026-07-28: server/discover ok; tools: add, echo"
    # oidc-provider has no dynamic registration configured: said, but only as info.
    infos = [f["code"] for s in report["steps"] for f in s["findings"]]
    assert infos == ["AS_NO_REGISTRATION"]
    assert token.split(".")[2] not in json.dumps(report)  # the signature is never shown


FAULTS = [
    ("prm_resource", "PRM_RESOURCE_MISMATCH", "discovery.protected_resource"),
    ("no_challenge", "MCP_NO_CHALLENGE", "discovery.challenge"),
    ("issuer_alias", "AS_ISSUER_MISMATCH", "discovery.authorization_server"),
]


@pytest.mark.parametrize(("fault", "code", "step"), FAULTS, ids=[f[0] for f in FAULTS])
def test_one_fault_gives_its_code(mcp_peer: Callable[..., McpPeer], tmp_path: Path,
                                  fault: str, code: str, step: str) -> None:
    server = mcp_peer(fault=fault)

    exit_code, report = doctor(tmp_path, server.url)

    assert exit_code == 1
    found = errors(report)
    assert [f["code"] for f in found] == [code], found
    assert found[0]["step"] == step and found[0]["fix"]
    assert report["root_causes"] == [code]
    assert report["platforms"]["chatgpt"] == {"verdict": "needs_action", "codes": [code], "note": ""}


def test_prm_resource_mismatch_names_both_urls(mcp_peer: Callable[..., McpPeer], tmp_path: Path) -> None:
    server = mcp_peer(fault="prm_resource")
    _, report = doctor(tmp_path, server.url)
    finding = errors(report)[0]
    assert f"{server.base_url}/api/mcp" in finding["message"] and server.url in finding["message"]


def test_issuer_mismatch_names_the_metadata_issuer(oidc_peer: OidcPeer, mcp_peer: Callable[..., McpPeer],
                                                   tmp_path: Path) -> None:
    server = mcp_peer(fault="issuer_alias")
    _, report = doctor(tmp_path, server.url)
    finding = errors(report)[0]
    assert repr(oidc_peer.issuer) in finding["message"] and repr(server.base_url) in finding["message"]


def test_authorize_probe_meets_the_login_page_or_the_redirect_error_page(
        mcp_peer: Callable[..., McpPeer], tmp_path: Path) -> None:
    """ChatGPT's redirect URI is registered on the client, Claude's is not: oidc-provider
    shows its login page to the first and an error page (400, no redirect) to the second."""
    server = mcp_peer()

    code, report = doctor(tmp_path, server.url, platforms="chatgpt,claude")

    assert code == 1
    by_id = steps(report)
    assert by_id["authorize.chatgpt"]["status"] == "pass"
    assert by_id["authorize.chatgpt"]["note"] == \
        "https://chatgpt.com/connector_platform_oauth_redirect: login page"
    refused = by_id["authorize.claude"]["findings"]
    assert [f["code"] for f in refused] == ["AUTHZ_REDIRECT_MISMATCH"]
    assert refused[0]["platform"] == "claude"
    assert refused[0]["evidence"]["status"] == 400
    assert "location" not in refused[0]["evidence"].get("headers", {})
    assert report["platforms"]["chatgpt"]["verdict"] == "ready"
    assert report["platforms"]["claude"] == {"verdict": "needs_action", "codes": ["AUTHZ_REDIRECT_MISMATCH"],
                                             "note": ""}


@pytest.mark.parametrize(("client_id", "secret", "code", "step"), [
    ("nobody_registered", CLIENT_SECRET, "AUTHZ_UNKNOWN_CLIENT", "authorize.chatgpt"),
    (CLIENT_ID, "not-the-secret", "TOKEN_CLIENT_AUTH_FAILED", "token.chatgpt"),
], ids=["unknown client", "wrong secret"])
def test_client_faults_at_oidc_provider(oidc_peer: OidcPeer, mcp_peer: Callable[..., McpPeer], tmp_path: Path,
                                        client_id: str, secret: str, code: str, step: str) -> None:
    server = mcp_peer()
    exit_code, report = doctor(tmp_path, server.url, client_id=client_id, secret=secret,
                               issuer=oidc_peer.issuer)
    assert exit_code == 1
    assert code in [f["code"] for f in steps(report)[step]["findings"]]


def _token_for_another_resource(oidc_peer: OidcPeer, server: McpPeer) -> str:
    from mcpauth_wizard.core.redact import jwt_claims

    other = f"{server.base_url}/other/mcp"
    token = oidc_peer.token(other)
    assert jwt_claims(token)["aud"] == other  # a real token, valid in every way but its audience
    return token


def test_a_token_for_another_audience_is_rejected_by_the_server(
        oidc_peer: OidcPeer, mcp_peer: Callable[..., McpPeer], tmp_path: Path) -> None:
    server = mcp_peer()
    token = _token_for_another_resource(oidc_peer, server)

    code, report = doctor(tmp_path, server.url, token=token)

    assert code == 1
    assert "MCP_TOKEN_REJECTED" in [f["code"] for f in errors(report)]
    assert steps(report)["mcp.call"]["status"] == "fail"


def test_a_token_for_another_audience_is_named_as_the_root_cause(
        oidc_peer: OidcPeer, mcp_peer: Callable[..., McpPeer], tmp_path: Path) -> None:
    server = mcp_peer()
    token = _token_for_another_resource(oidc_peer, server)

    code, report = doctor(tmp_path, server.url, token=token)

    assert code == 1
    found = {f["code"]: f for f in errors(report)}
    assert found["TOKEN_AUDIENCE_MISMATCH"]["step"] == "token.validate"
    assert server.url in found["TOKEN_AUDIENCE_MISMATCH"]["message"]
    assert found["MCP_TOKEN_REJECTED"]["caused_by"] == "TOKEN_AUDIENCE_MISMATCH"
    assert report["root_causes"] == ["TOKEN_AUDIENCE_MISMATCH"]


DOCTOR_PORT = 8976  # `--login` without AWS listens on doctor's default http://localhost:8976/callback


def test_sign_in_through_the_loopback_listener_with_oidc_provider(
        oidc_peer: OidcPeer, mcp_peer: Callable[..., McpPeer], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """--login: the doctor listens on 127.0.0.1, oidc-provider's login and consent forms are
    filled in, the code comes back with state and iss, is exchanged (PKCE, client secret) and
    the token works at the FastMCP server."""
    import httpx

    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.doctor.run import make_target, run
    from tests.peer_fixtures import form_sign_in

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's listener does
        try:
            probe.bind(("127.0.0.1", DOCTOR_PORT))
        except OSError:
            reason = f"127.0.0.1:{DOCTOR_PORT} is busy: the doctor's loopback listener needs it"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
    server = mcp_peer()
    monkeypatch.setenv(SECRET_VAR, CLIENT_SECRET)
    monkeypatch.chdir(tmp_path)
    seen: list[str] = []

    def browser(url: str, deadline: float) -> None:
        seen.append(url)
        callback = form_sign_in(url, f"http://localhost:{DOCTOR_PORT}/callback")
        # deliver it to the listener by address: the test talks to 127.0.0.1 only
        httpx.get(callback.replace("http://localhost:", "http://127.0.0.1:", 1), timeout=10)

    target = make_target(Project(), url=server.url, platforms="chatgpt", client_id=CLIENT_ID,
                         secret_env=SECRET_VAR, pool_id=None, gateway_id=None, token_env=None,
                         login_platform="chatgpt", issuer=oidc_peer.issuer)
    report = run(target, None, "no AWS in this test", opener=browser)

    by_id = {s.id: s for s in report.steps}
    assert by_id["login"].status == "pass", (by_id["login"].note, by_id["login"].findings)
    assert by_id["token.validate"].status == "pass", by_id["token.validate"].findings
    assert by_id["mcp.call"].note == "MCP 2026-07-28: server/discover ok; tools: add, echo"
    assert report.errors == 0
    assert seen and seen[0].startswith(f"{oidc_peer.issuer}/auth?")
    assert "resource=" in seen[0] and "code_challenge_method=S256" in seen[0]
    assert CLIENT_SECRET not in json.dumps(report.as_dict())
