"""CORS on the sandbox's metadata is a switch (what AWS sends is unverified: sandbox/cors.py),
and the doctor is run under each plausible value: a missing Access-Control-Allow-Origin on
either metadata document is named, and the clients whose registry fact says they fetch it
from a web page (MCP Inspector's v1 web UI) are at risk — no other client is. And the gateway
look-alike's challenge follows RFC 6750 §3.1: no error code when no credentials were sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mcpauth_wizard.doctor.discovery import BROWSER_ORIGIN
from mcpauth_wizard.mcp.platforms import PLATFORMS, predict
from mcpauth_wizard.sandbox import cors
from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import Setup, mcpauth

ORIGIN = {"Origin": BROWSER_ORIGIN}


@pytest.fixture
def switch(setup: Setup) -> Iterator[Any]:
    """Set the sandbox's CORS surfaces for one test; put the defaults back after."""
    sandbox = setup.sandbox

    def to(value: str) -> None:
        sandbox.cors = cors.parse(value)

    try:
        yield to
    finally:
        sandbox.cors = cors.DEFAULT


def _urls(setup: Setup) -> dict[str, str]:
    issuer = setup.sandbox.issuer(setup.pool_id)
    return {"discovery": f"{issuer}/.well-known/openid-configuration",
            "resource_metadata": f"{setup.mcp_url.removesuffix('/mcp')}/.well-known/oauth-protected-resource",
            "oauth": setup.token}


def test_the_defaults_and_the_variable() -> None:
    assert cors.parse(None) == cors.DEFAULT == {"discovery", "resource_metadata", "oauth"}
    assert cors.parse("none") == cors.parse("") == frozenset()
    assert cors.parse(" discovery , oauth") == {"discovery", "oauth"}
    with pytest.raises(ValueError, match="accepted: discovery, resource_metadata, oauth or none"):
        cors.parse("metadata")


def test_cors_environment_variable_reaches_a_new_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cors.ENV, "resource_metadata")
    assert Sandbox().cors == {"resource_metadata"}
    assert Sandbox(cors="none").cors == frozenset()


@pytest.mark.parametrize("surface", cors.SURFACES)
def test_each_surface_sends_cors_only_when_switched_on(setup: Setup, switch: Any, surface: str) -> None:
    url = _urls(setup)[surface]
    preflight = {**ORIGIN, "Access-Control-Request-Method": "POST" if surface == "oauth" else "GET",
                 "Access-Control-Request-Headers": "mcp-protocol-version"}
    switch(surface)
    answer = httpx.post(url, headers=ORIGIN) if surface == "oauth" else httpx.get(url, headers=ORIGIN)
    assert answer.headers.get("access-control-allow-origin") == "*"
    asked = httpx.options(url, headers=preflight)
    assert asked.status_code == 204
    assert asked.headers["access-control-allow-origin"] == "*"
    assert asked.headers["access-control-allow-headers"] == "mcp-protocol-version"
    assert "GET" in asked.headers["access-control-allow-methods"]
    others = [u for name, u in _urls(setup).items() if name != surface]
    assert all("access-control-allow-origin" not in httpx.get(u, headers=ORIGIN).headers for u in others)

    switch("none")
    answer = httpx.post(url, headers=ORIGIN) if surface == "oauth" else httpx.get(url, headers=ORIGIN)
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in httpx.options(url, headers=preflight).headers


def _doctor(setup: Setup) -> dict[str, Any]:
    code, out = mcpauth(setup.sandbox, setup.folder, "doctor", "--json")
    assert code in (0, 1), out
    return dict(json.loads(out[out.index("{"):]))


def _cors_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for s in report["steps"] for f in s["findings"] if f["code"] == "CORS_MISSING"]


@pytest.mark.parametrize(("surfaces", "missing"), [
    ("discovery,resource_metadata,oauth", []),
    ("discovery,oauth", ["protected-resource metadata"]),
    ("resource_metadata,oauth", ["authorization server metadata"]),
    ("none", ["protected-resource metadata", "authorization server metadata"]),
], ids=["all (the default)", "no CORS on the gateway's metadata", "no CORS on Cognito's discovery",
        "none"])
def test_the_doctor_under_each_cors_behaviour(setup: Setup, switch: Any, surfaces: str,
                                              missing: list[str]) -> None:
    switch(surfaces)

    report = _doctor(setup)

    found = _cors_findings(report)
    assert [next(m for m in missing if f["message"].startswith(f"the {m} ")) for f in found] == missing
    assert all(f["severity"] == "warning" and "MCP Inspector v1 (0.x) web UI" in f["message"]
               for f in found)
    assert report["summary"]["errors"] == 0  # a risk for one client, not an error of the setup
    inspector = report["platforms"]["inspector"]
    predicted = {p["code"]: p for p in inspector.get("predicted", [])}
    if not missing:
        assert inspector["verdict"] == "ready" and "CORS_MISSING" not in predicted
        return
    assert inspector["verdict"] == "at_risk", inspector
    assert predicted["CORS_MISSING"]["confidence"] == "confirmed"
    assert all(m in predicted["CORS_MISSING"]["text"] for m in missing)
    assert "Failed to fetch" in inspector["note"] and "(reported" not in inspector["note"]
    for other in ("chatgpt", "claude"):  # they fetch from their servers, not from a page
        assert "CORS_MISSING" not in {p["code"] for p in report["platforms"][other].get("predicted", [])}


def test_only_clients_that_fetch_from_a_page_are_predicted_to_break() -> None:
    def cors_predictions(name: str) -> list[Any]:
        found = predict(PLATFORMS[name], advertised_scopes=["https://x/mcp/invoke"], as_scopes=[],
                        client_scopes=[], s256_advertised=True, iss_advertised=True,
                        cors_missing=("protected-resource metadata",))
        return [p for p in found if p.code == "CORS_MISSING"]

    (inspector,) = cors_predictions("inspector")
    assert inspector.severity == "warning" and inspector.versions == "v1 (0.x) web UI"
    assert "fetch the metadata from the page" in inspector.text
    readers = [name for name in PLATFORMS if cors_predictions(name)]
    assert readers == ["inspector"]  # inspector-cli: "no"; the others: no fact


# --- the challenge: RFC 6750 §3.1 --------------------------------------------------------

def _initialize(url: str, token: str | None) -> httpx.Response:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                                 "params": {"protocolVersion": "2025-11-25",
                                                            "capabilities": {},
                                                            "clientInfo": {"name": "t", "version": "1"}}})


def test_no_credentials_no_error_code_a_bad_token_invalid_token(setup: Setup) -> None:
    without = _initialize(setup.mcp_url, None)
    assert without.status_code == 401
    assert without.headers["www-authenticate"].startswith("Bearer scope=")
    assert "error=" not in without.headers["www-authenticate"]

    bad = _initialize(setup.mcp_url, "not-a-token")
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"].startswith('Bearer error="invalid_token", scope=')
