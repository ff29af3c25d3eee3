"""The access token's claims beside what the gateway's authorizer requires (with
`--token-env` or after `--login`): one row per requirement, marked match or mismatch.

AgentCore's CUSTOM_JWT authorizer (botocore model `CustomJWTAuthorizerConfiguration`:
discoveryUrl, allowedAudience, allowedClients, allowedScopes, customClaims) enforces every
field that is set: `iss` must be the discovery document's issuer, `aud` one of
allowedAudience, `client_id` one of allowedClients, `scope` at least one of allowedScopes."""

from __future__ import annotations

import json
import time
from typing import Any


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]


def claims_table(claims: dict[str, Any], authorizer: dict[str, Any] | None, issuer: str | None,
                 now: float | None = None) -> list[dict[str, str]]:
    now = time.time() if now is None else now
    auth = authorizer or {}
    rows: list[dict[str, str]] = []

    def row(claim: str, token: Any, required: str, ok: bool | None) -> None:
        shown = json.dumps(token) if not isinstance(token, str) else token
        rows.append({"claim": claim, "token": "(absent)" if token in (None, "", []) else shown,
                     "required": required,
                     "result": "match" if ok else "not checked" if ok is None else "mismatch"})

    discovery = auth.get("discoveryUrl")
    row("iss", claims.get("iss"), f"{issuer} (from {discovery or 'the AS metadata'})" if issuer else "unknown",
        None if not issuer else claims.get("iss") == issuer)
    auds = _listed(claims.get("aud"))
    wanted_aud = auth.get("allowedAudience") or []
    row("aud", claims.get("aud"), "one of " + ", ".join(wanted_aud) if wanted_aud else "not required",
        bool(set(auds) & set(wanted_aud)) if wanted_aud else None)
    clients = auth.get("allowedClients") or []
    row("client_id", claims.get("client_id"), "one of " + ", ".join(clients) if clients else "not required",
        claims.get("client_id") in clients if clients else None)
    scopes = set(str(claims.get("scope") or "").split())
    wanted_scopes = auth.get("allowedScopes") or []
    row("scope", claims.get("scope"), "at least one of " + ", ".join(wanted_scopes) if wanted_scopes
        else "not required", bool(scopes & set(wanted_scopes)) if wanted_scopes else None)
    row("token_use", claims.get("token_use"), "access (an ID token is not for MCP servers)",
        claims.get("token_use") == "access" if claims.get("token_use") else None)
    exp = claims.get("exp")
    row("exp", exp, "in the future", isinstance(exp, (int, float)) and exp > now if exp is not None else False)
    for entry in auth.get("customClaims") or []:
        name = str(entry.get("inboundTokenClaimName") or "?")
        match = entry.get("authorizingClaimMatchValue") or {}
        wanted = json.dumps(match, sort_keys=True)
        value = claims.get(name)
        expected = [str(v) for v in _values(match)]
        got = _listed(value)
        row(name, value, f"custom claim {wanted}",
            bool(set(got) & set(expected)) if expected else value is not None)
    return rows


def _values(match: Any) -> list[Any]:
    """Every string a custom-claim match names (its exact shape is the model's; unverified)."""
    if isinstance(match, dict):
        return [v for item in match.values() for v in _values(item)]
    if isinstance(match, list):
        return [v for item in match for v in _values(item)]
    return [match] if isinstance(match, str) else []
