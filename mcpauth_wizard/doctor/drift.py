"""Drift: one gateway's setup now, against its last good run (`mcpauth monitor`).

A snapshot holds what decides whether sign-in works, from what AWS described in a doctor run
(`Report.record_facts`): the gateway's JWT authorizer (discoveryUrl, allowedClients,
allowedAudience, allowedScopes), each app client's ClientId, ClientName, CallbackURLs,
AllowedOAuthFlows and AllowedOAuthScopes, and the resource server's scopes. Never a secret.

`compare(old, new)` names each change that can take sign-in away from someone; a change that
only gives (a callback, scope, flow or allowed client added, a client renamed, an audience or
scope check dropped) is not drift. Pure: no AWS call, no clock, no file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcpauth_wizard.doctor.findings import Finding

SNAPSHOT_VERSION = 1
STEP_ID = "monitor.drift"
CLIENT_KEYS = ("ClientId", "ClientName", "CallbackURLs", "AllowedOAuthFlows", "AllowedOAuthScopes")
AUTHORIZER_KEYS = ("discoveryUrl", "allowedClients", "allowedAudience", "allowedScopes")
# drift code → the doctor's findings it can explain (named beside them when both are found)
EXPLAINS: dict[str, tuple[str, ...]] = {
    "DRIFT_CALLBACK_REMOVED": ("COGNITO_CALLBACK_MISSING", "AUTHZ_REDIRECT_MISMATCH"),
    "DRIFT_CLIENT_RECREATED": ("GATEWAY_CLIENT_NOT_ALLOWED", "COGNITO_CLIENT_NOT_FOUND",
                               "AUTHZ_UNKNOWN_CLIENT"),
    "DRIFT_CLIENT_REMOVED": ("COGNITO_CLIENT_NOT_FOUND", "AUTHZ_UNKNOWN_CLIENT"),
    "DRIFT_SCOPE_REMOVED": ("COGNITO_SCOPE_NOT_ALLOWED", "COGNITO_RESOURCE_SERVER_MISSING",
                            "AUTHZ_INVALID_SCOPE"),
    "DRIFT_FLOW_REMOVED": ("COGNITO_CLIENT_NO_CODE_FLOW", "AUTHZ_UNAUTHORIZED_CLIENT"),
    "DRIFT_ALLOWED_CLIENT_REMOVED": ("GATEWAY_CLIENT_NOT_ALLOWED",),
    "DRIFT_AUDIENCE_CHANGED": ("GATEWAY_AUDIENCE_UNMATCHABLE", "GATEWAY_AUDIENCE_NEEDS_BINDING",
                               "GATEWAY_AUDIENCE_NO_RESOURCE", "TOKEN_AUDIENCE_MISMATCH"),
    "DRIFT_GATEWAY_SCOPES_CHANGED": ("GATEWAY_SCOPE_SHORT_NAME", "MCP_INSUFFICIENT_SCOPE",
                                     "TOKEN_SCOPE_MISSING"),
    "DRIFT_DISCOVERY_URL_CHANGED": ("GATEWAY_DISCOVERY_URL_MISMATCH",),
}
DRIFT_CODES = tuple(EXPLAINS)


@dataclass(frozen=True)
class Drift:
    """One change since the last good run that can take sign-in away."""

    code: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""


def _names(values: Any) -> list[str]:
    return sorted({str(v) for v in values or ()})


def client_snapshot(described: dict[str, Any]) -> dict[str, Any]:
    """The parts of a DescribeUserPoolClient answer a snapshot keeps (lists as sorted sets)."""
    return {"ClientId": described.get("ClientId"), "ClientName": described.get("ClientName") or "",
            **{k: _names(described.get(k)) for k in CLIENT_KEYS[2:]}}


def snapshot(facts: dict[str, Any] | None, *, gateway_id: str, region: str,
             more_clients: list[dict[str, Any]] | tuple[dict[str, Any], ...] = ()) -> dict[str, Any] | None:
    """A gateway's snapshot from a run's `record_facts` (None when the run could not read the
    gateway). `more_clients`: DescribeUserPoolClient answers the run did not probe (a client of
    the last snapshot that no platform's name or callback points to any more)."""
    facts = facts or {}
    gateway = facts.get("gateway")
    if not isinstance(gateway, dict) or not gateway:
        return None
    config = (gateway.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
    authorizer = {"discoveryUrl": config.get("discoveryUrl"),
                  **{k: _names(config.get(k)) for k in AUTHORIZER_KEYS[1:]}}
    clients: dict[str, dict[str, Any]] = {}
    for described in [*(facts.get("clients") or {}).values(), *more_clients]:
        if isinstance(described, dict) and described.get("ClientId"):
            clients[described["ClientId"]] = client_snapshot(described)
    server = facts.get("resource_server")
    resource = ({"Identifier": server.get("Identifier"),
                 "Scopes": _names(s.get("ScopeName") for s in server.get("Scopes") or ())}
                if isinstance(server, dict) and server else None)
    return {"mcpauth_snapshot": SNAPSHOT_VERSION, "gateway_id": gateway_id, "region": region,
            "authorizer": authorizer, "clients": dict(sorted(clients.items())),
            "resource_server": resource}


def _label(client: dict[str, Any]) -> str:
    return f"{client.get('ClientName') or 'app client'} ({client.get('ClientId')})"


def _compare_client(old: dict[str, Any], new: dict[str, Any]) -> list[Drift]:
    found = []
    label = _label(new)
    gone = sorted(set(old["CallbackURLs"]) - set(new["CallbackURLs"]))
    if gone:
        found.append(Drift("DRIFT_CALLBACK_REMOVED",
                           f"{label}: callback URL(s) removed since the last good run: {', '.join(gone)}",
                           {"ClientId": new["ClientId"], "removed": gone,
                            "CallbackURLs": new["CallbackURLs"]},
                           f"if that was not meant: `mcpauth add-callback URL --client-id "
                           f"{new['ClientId']}` puts each back"))
    gone = sorted(set(old["AllowedOAuthScopes"]) - set(new["AllowedOAuthScopes"]))
    if gone:
        found.append(Drift("DRIFT_SCOPE_REMOVED",
                           f"{label}: scope(s) unticked since the last good run: {', '.join(gone)}",
                           {"ClientId": new["ClientId"], "removed": gone,
                            "AllowedOAuthScopes": new["AllowedOAuthScopes"]},
                           "tick them again on the app client (AllowedOAuthScopes), or run "
                           "`mcpauth doctor --fix` where mcpauth.toml is"))
    gone = sorted(set(old["AllowedOAuthFlows"]) - set(new["AllowedOAuthFlows"]))
    if gone:
        found.append(Drift("DRIFT_FLOW_REMOVED",
                           f"{label}: OAuth grant type(s) switched off since the last good run: "
                           f"{', '.join(gone)}",
                           {"ClientId": new["ClientId"], "removed": gone,
                            "AllowedOAuthFlows": new["AllowedOAuthFlows"]},
                           "switch the grant on again (AllowedOAuthFlows): `mcpauth add-callback "
                           f"PLATFORM --client-id {new['ClientId']} --enable-code-flow`"))
    return found


def _compare_clients(old: dict[str, dict[str, Any]],
                     new: dict[str, dict[str, Any]]) -> tuple[list[Drift], set[str]]:
    """Changes of the app clients, and the ids whose story is told (gone or re-created)."""
    found: list[Drift] = []
    told: set[str] = set()
    by_name: dict[str, list[str]] = {}
    for client_id, client in new.items():
        if client_id not in old and client["ClientName"]:
            by_name.setdefault(client["ClientName"], []).append(client_id)
    for client_id, before in old.items():
        now = new.get(client_id)
        if now is None:
            told.add(client_id)
            twins = by_name.get(before["ClientName"]) or []
            if before["ClientName"] and twins:
                now = new[twins.pop(0)]
                found.append(Drift("DRIFT_CLIENT_RECREATED",
                                   f"app client {before['ClientName']} was re-created: "
                                   f"{client_id} is gone, {now['ClientId']} has its name now",
                                   {"ClientName": before["ClientName"], "old": client_id,
                                    "new": now["ClientId"]},
                                   "point the platform (and the gateway's allowedClients) at the "
                                   f"new id {now['ClientId']}: `mcpauth init` records it"))
            else:
                found.append(Drift("DRIFT_CLIENT_REMOVED",
                                   f"app client {_label(before)} is gone since the last good run",
                                   {"ClientId": client_id, "ClientName": before["ClientName"]},
                                   "create it again with `mcpauth init`, and give the platform "
                                   "its new id"))
                continue
        found += _compare_client(before, now)
    return found, told


def _compare_authorizer(old: dict[str, Any], new: dict[str, Any], old_clients: set[str],
                        told: set[str]) -> list[Drift]:
    found = []
    if old["discoveryUrl"] != new["discoveryUrl"]:
        found.append(Drift("DRIFT_DISCOVERY_URL_CHANGED",
                           f"the gateway's discoveryUrl changed: {old['discoveryUrl']} → "
                           f"{new['discoveryUrl']}",
                           {"old": old["discoveryUrl"], "new": new["discoveryUrl"]},
                           "tokens of the old pool are refused now: set discoveryUrl back, or "
                           "move every client to the new pool (`mcpauth init`)"))
    admitted_before = set(old["allowedClients"]) or old_clients  # empty: every client
    if new["allowedClients"]:
        gone = sorted(admitted_before - set(new["allowedClients"]) - told)
        if gone:
            found.append(Drift("DRIFT_ALLOWED_CLIENT_REMOVED",
                               f"the gateway no longer admits client(s) {', '.join(gone)} "
                               "(allowedClients)",
                               {"removed": gone, "allowedClients": new["allowedClients"]},
                               "add them back to allowedClients (`mcpauth init` with the "
                               "platforms that use them)"))
    before, now = set(old["allowedAudience"]), set(new["allowedAudience"])
    if now and (before - now or not before):  # values dropped, or a check that was not there
        found.append(Drift("DRIFT_AUDIENCE_CHANGED",
                           f"the gateway's allowedAudience changed: {sorted(before) or 'none'} → "
                           f"{sorted(now)}",
                           {"old": sorted(before), "new": sorted(now)},
                           "tokens carry the old audience (or none): set allowedAudience back, "
                           "or re-run `mcpauth init --gateway-audience`"))
    before, now = set(old["allowedScopes"]), set(new["allowedScopes"])
    if now and before != now:  # an emptied list checks no scope: not drift
        found.append(Drift("DRIFT_GATEWAY_SCOPES_CHANGED",
                           f"the gateway's allowedScopes changed: {sorted(before) or 'none'} → "
                           f"{sorted(now)}",
                           {"old": sorted(before), "new": sorted(now),
                            "added": sorted(now - before), "removed": sorted(before - now)},
                           "set allowedScopes back to the full scope strings the clients ask for "
                           "(`mcpauth init --gateway-allowed-scopes`)"))
    return found


def _compare_resource_server(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Drift]:
    if not old:
        return []
    if not new or new.get("Identifier") != old.get("Identifier"):
        return [Drift("DRIFT_SCOPE_REMOVED",
                      f"resource server {old.get('Identifier')} is gone since the last good run, "
                      f"with its scope(s) {', '.join(old['Scopes']) or 'none'}",
                      {"Identifier": old.get("Identifier"), "removed": old["Scopes"]},
                      "`mcpauth doctor --fix` (or `mcpauth init`) creates it again")]
    gone = sorted(set(old["Scopes"]) - set(new["Scopes"]))
    if not gone:
        return []
    return [Drift("DRIFT_SCOPE_REMOVED",
                  f"resource server {old.get('Identifier')}: scope(s) removed since the last good "
                  f"run: {', '.join(gone)}",
                  {"Identifier": old.get("Identifier"), "removed": gone, "Scopes": new["Scopes"]},
                  "`mcpauth doctor --fix` (or `mcpauth init`) adds them again")]


def compare(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Drift]:
    """What changed between the last good snapshot and now that can take sign-in away."""
    if not old or not new or old.get("mcpauth_snapshot") != SNAPSHOT_VERSION:
        return []
    found, told = _compare_clients(old["clients"], new["clients"])
    found += _compare_authorizer(old["authorizer"], new["authorizer"], set(old["clients"]), told)
    found += _compare_resource_server(old.get("resource_server"), new.get("resource_server"))
    return found


def missing_clients(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """Client ids of the last snapshot that the new one lacks: read them before comparing (a
    client the run did not probe is not a client that is gone)."""
    if not old or not new:
        return []
    return [c for c in old.get("clients") or {} if c not in new.get("clients", {})]


def as_findings(drifts: list[Drift], found_codes: set[str] | list[str]) -> list[Finding]:
    """Each drift as a finding of the `monitor.drift` step, naming the doctor's findings it
    explains (evidence `explains`) when the run found them."""
    findings = []
    for drift in drifts:
        explains = [c for c in EXPLAINS[drift.code] if c in found_codes]
        evidence = {**drift.evidence, **({"explains": explains} if explains else {})}
        findings.append(Finding(drift.code, drift.message, step=STEP_ID, evidence=evidence,
                                fix=drift.fix))
    return findings
