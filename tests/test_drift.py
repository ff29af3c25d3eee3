"""Drift (doctor/drift.py): a gateway's snapshot now against its last good one, as a table.

Each row changes what AWS described of a setup (the facts a doctor run records) and names the
drift codes that change must give: none for an honest no-change (lists in another order
included) and for each change that only gives (a callback, scope, flow, allowed client or
audience added, a client renamed, a check dropped); one per change that can take sign-in away."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from mcpauth_wizard.doctor import drift
from mcpauth_wizard.doctor.explanations import EXPLANATIONS
from mcpauth_wizard.doctor.findings import CODES

MCP = "https://gw.example.com/mcp"
SCOPE = f"{MCP}/invoke"
DISCOVERY = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AAA/.well-known/openid-configuration"
CHATGPT = "https://chatgpt.com/connector_platform_oauth_redirect"
CLAUDE = ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"]


def facts() -> dict[str, Any]:
    """What a doctor run records of a setup init made: two clients, one resource server."""
    def client(cid: str, name: str, callbacks: list[str]) -> dict[str, Any]:
        return {"ClientId": cid, "ClientName": name, "ClientSecret": "s3cr3t-" + cid,
                "CallbackURLs": list(callbacks), "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid", SCOPE], "AllowedOAuthFlowsUserPoolClient": True}

    return {
        "clients": {"chatgpt": client("chat1", "mcpauth-chatgpt", [CHATGPT]),
                    "claude": client("claude1", "mcpauth-claude", CLAUDE)},
        "resource_server": {"Identifier": MCP, "Name": "mcp",
                            "Scopes": [{"ScopeName": "invoke", "ScopeDescription": "invoke"}]},
        "gateway": {"gatewayId": "gw1", "authorizerConfiguration": {"customJWTAuthorizer": {
            "discoveryUrl": DISCOVERY, "allowedClients": ["chat1", "claude1"],
            "allowedScopes": [SCOPE]}}},
        "pool": {"Id": "us-east-1_AAA"}, "domain": None, "as": None, "prm": None,
    }


def snap(value: dict[str, Any], more: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    return drift.snapshot(value, gateway_id="gw1", region="us-east-1", more_clients=more or [])


def _jwt(f: dict[str, Any]) -> dict[str, Any]:
    return f["gateway"]["authorizerConfiguration"]["customJWTAuthorizer"]


def _recreate(f: dict[str, Any], callbacks: list[str] | None = None) -> None:
    f["clients"]["chatgpt"] = {**f["clients"]["chatgpt"], "ClientId": "chat2"}
    if callbacks is not None:
        f["clients"]["chatgpt"]["CallbackURLs"] = callbacks


def _set(path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(f: dict[str, Any]) -> None:
        path(f)[key] = value
    return change


def _chatgpt(f: dict[str, Any]) -> dict[str, Any]:
    return f["clients"]["chatgpt"]


def _reorder(f: dict[str, Any]) -> None:
    f["clients"] = dict(reversed(f["clients"].items()))
    f["clients"]["claude"]["CallbackURLs"].reverse()
    f["clients"]["claude"]["AllowedOAuthScopes"].reverse()
    _jwt(f)["allowedClients"].reverse()
    f["clients"]["chatgpt"]["ClientSecret"] = "rotated"  # never part of a snapshot


def _recreated_and_readmitted(f: dict[str, Any]) -> None:
    _recreate(f)
    _jwt(f)["allowedClients"] = ["chat2", "claude1"]


def _client_gone(f: dict[str, Any]) -> None:
    del f["clients"]["chatgpt"]


def _client_added(f: dict[str, Any]) -> None:
    f["clients"]["vscode"] = {**f["clients"]["claude"], "ClientId": "vs1", "ClientName": "mcpauth-vscode"}
    _jwt(f)["allowedClients"].append("vs1")


def _rs_scope(names: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(f: dict[str, Any]) -> None:
        f["resource_server"]["Scopes"] = [{"ScopeName": n} for n in names]
    return change


def _rs_gone(f: dict[str, Any]) -> None:
    f["resource_server"] = None


ROWS: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("nothing changed", lambda f: None, []),
    ("lists in another order, a secret rotated", _reorder, []),
    ("callback removed", _set(_chatgpt, "CallbackURLs", []), ["DRIFT_CALLBACK_REMOVED"]),
    ("callback added", _set(_chatgpt, "CallbackURLs", [CHATGPT, "https://chatgpt.com/x"]), []),
    ("callback replaced", _set(_chatgpt, "CallbackURLs", ["https://chatgpt.com/x"]), ["DRIFT_CALLBACK_REMOVED"]),
    ("client re-created (same name, new id)", _recreate, ["DRIFT_CLIENT_RECREATED"]),
    ("client re-created without its callback", lambda f: _recreate(f, []),
     ["DRIFT_CLIENT_RECREATED", "DRIFT_CALLBACK_REMOVED"]),
    ("client re-created and the gateway told", _recreated_and_readmitted, ["DRIFT_CLIENT_RECREATED"]),
    ("client removed", _client_gone, ["DRIFT_CLIENT_REMOVED"]),
    ("client added", _client_added, []),
    ("client renamed (same id)", _set(_chatgpt, "ClientName", "chatgpt-prod"), []),
    ("scope unticked", _set(_chatgpt, "AllowedOAuthScopes", ["openid"]), ["DRIFT_SCOPE_REMOVED"]),
    ("scope added", _set(_chatgpt, "AllowedOAuthScopes", ["openid", SCOPE, "email"]), []),
    ("code grant switched off", _set(_chatgpt, "AllowedOAuthFlows", []), ["DRIFT_FLOW_REMOVED"]),
    ("grant added", _set(_chatgpt, "AllowedOAuthFlows", ["code", "implicit"]), []),
    ("resource server scope removed", _rs_scope([]), ["DRIFT_SCOPE_REMOVED"]),
    ("resource server scope added", _rs_scope(["invoke", "admin"]), []),
    ("resource server deleted", _rs_gone, ["DRIFT_SCOPE_REMOVED"]),
    ("allowed client removed", lambda f: _jwt(f).update(allowedClients=["claude1"]),
     ["DRIFT_ALLOWED_CLIENT_REMOVED"]),
    ("allowed client added", lambda f: _jwt(f).update(allowedClients=["chat1", "claude1", "x"]), []),
    ("allowedClients emptied (every client admitted)", lambda f: _jwt(f).update(allowedClients=[]), []),
    ("audience now checked", lambda f: _jwt(f).update(allowedAudience=[MCP]), ["DRIFT_AUDIENCE_CHANGED"]),
    ("gateway scope changed", lambda f: _jwt(f).update(allowedScopes=["invoke"]),
     ["DRIFT_GATEWAY_SCOPES_CHANGED"]),
    ("gateway scope check dropped", lambda f: _jwt(f).update(allowedScopes=[]), []),
    ("discoveryUrl changed", lambda f: _jwt(f).update(discoveryUrl=DISCOVERY.replace("AAA", "BBB")),
     ["DRIFT_DISCOVERY_URL_CHANGED"]),
]


@pytest.mark.parametrize(("change", "codes"), [(r[1], r[2]) for r in ROWS], ids=[r[0] for r in ROWS])
def test_each_change_gives_its_drift_and_each_exemption_none(change: Callable[[dict[str, Any]], None],
                                                             codes: list[str]) -> None:
    before = facts()
    after = copy.deepcopy(before)
    change(after)
    found = drift.compare(snap(before), snap(after))
    assert [d.code for d in found] == codes
    for d in found:
        assert d.message and d.fix and d.code in CODES and d.code in EXPLANATIONS


AUDIENCE_ROWS = [
    ([MCP], [MCP], []),  # the same
    ([MCP], [MCP, "other"], []),  # one added beside it
    ([MCP], [], []),  # the check dropped: every token passes that did
    ([MCP], ["other"], ["DRIFT_AUDIENCE_CHANGED"]),  # replaced
    ([MCP, "other"], ["other"], ["DRIFT_AUDIENCE_CHANGED"]),  # one dropped
    ([], [MCP], ["DRIFT_AUDIENCE_CHANGED"]),  # a check where there was none
]


@pytest.mark.parametrize(("old", "new", "codes"), AUDIENCE_ROWS)
def test_audience_changes(old: list[str], new: list[str], codes: list[str]) -> None:
    before, after = facts(), facts()
    _jwt(before)["allowedAudience"], _jwt(after)["allowedAudience"] = old, new
    assert [d.code for d in drift.compare(snap(before), snap(after))] == codes


def test_from_every_client_admitted_to_a_list_names_those_left_out() -> None:
    before, after = facts(), facts()
    _jwt(before)["allowedClients"] = []  # any client of the pool
    _jwt(after)["allowedClients"] = ["chat1"]
    [found] = drift.compare(snap(before), snap(after))
    assert found.code == "DRIFT_ALLOWED_CLIENT_REMOVED" and found.evidence["removed"] == ["claude1"]


def test_the_drift_names_what_changed() -> None:
    before, after = facts(), facts()
    after["clients"]["chatgpt"]["CallbackURLs"] = []
    [callback] = drift.compare(snap(before), snap(after))
    assert CHATGPT in callback.message and "mcpauth-chatgpt (chat1)" in callback.message
    assert callback.evidence == {"ClientId": "chat1", "removed": [CHATGPT], "CallbackURLs": []}
    _recreate(before := facts())  # the other way round: chat2 is gone, chat1 has its name
    [recreated] = drift.compare(snap(before), snap(facts()))
    assert recreated.evidence == {"ClientName": "mcpauth-chatgpt", "old": "chat2", "new": "chat1"}


def test_a_snapshot_keeps_no_secret_and_nothing_outside_its_keys() -> None:
    taken = snap(facts())
    text = json.dumps(taken)
    assert "s3cr3t" not in text and "ClientSecret" not in text and "AllowedOAuthFlowsUserPoolClient" not in text
    assert set(taken["clients"]["chat1"]) == set(drift.CLIENT_KEYS)
    assert set(taken["authorizer"]) == set(drift.AUTHORIZER_KEYS)
    assert taken["resource_server"] == {"Identifier": MCP, "Scopes": ["invoke"]}
    assert json.loads(text) == taken  # JSON as it is stored


def test_no_gateway_read_no_snapshot_and_no_baseline_no_drift() -> None:
    assert snap({**facts(), "gateway": None}) is None
    assert drift.compare(None, snap(facts())) == []
    assert drift.compare(snap(facts()), None) == []
    older = {**snap(facts()), "mcpauth_snapshot": 0}  # another version is no baseline
    assert drift.compare(older, snap({**facts(), "clients": {}})) == []


def test_a_client_the_run_did_not_probe_is_read_not_called_gone() -> None:
    before = snap(facts())
    now = facts()
    unprobed = now["clients"].pop("claude")  # no platform pointed the run at it
    partial = snap(now)
    assert drift.missing_clients(before, partial) == ["claude1"]
    assert [d.code for d in drift.compare(before, partial)] == ["DRIFT_CLIENT_REMOVED"]
    completed = snap(now, more=[unprobed])  # the monitor describes it before comparing
    assert drift.missing_clients(before, completed) == [] and drift.compare(before, completed) == []


def test_findings_name_the_doctor_findings_they_explain() -> None:
    before, after = facts(), facts()
    after["clients"]["chatgpt"]["CallbackURLs"] = []
    drifts = drift.compare(snap(before), snap(after))
    [finding] = drift.as_findings(drifts, {"COGNITO_CALLBACK_MISSING", "PRM_NO_SCOPES"})
    assert finding.code == "DRIFT_CALLBACK_REMOVED" and finding.step == drift.STEP_ID
    assert finding.evidence["explains"] == ["COGNITO_CALLBACK_MISSING"]
    assert finding.severity == "warning"  # beside the root cause, never one itself
    [alone] = drift.as_findings(drifts, set())
    assert "explains" not in alone.evidence


def test_every_drift_code_is_a_finding_code_with_an_explanation() -> None:
    assert set(drift.DRIFT_CODES) == {c for c in CODES if c.startswith("DRIFT_")}
    for code in drift.DRIFT_CODES:
        assert CODES[code][0] == "warning" and code in EXPLANATIONS
        assert set(drift.EXPLAINS[code]) <= set(CODES)
