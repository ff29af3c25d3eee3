"""The rules of an AgentCore Gateway's CUSTOM_JWT authorizer, in one place for init and doctor.

What a Cognito access token carries decides what the authorizer may ask for (AgentCore
developer guide, "Configure inbound JWT authorizer": allowedAudience is checked against
`aud`, allowedClients against `client_id`, and at least one token scope must be in
allowedScopes):

- scopes: custom scopes are `<resource server identifier>/<name>`; OIDC scopes and
  `aws.cognito.*` are written as they are. Only a name that is a scope of the MCP URL's
  resource server is a short name to write in full.
- audience: `aud` is the MCP URL when the client sent `resource` (RFC 8707 resource binding,
  ESSENTIALS or PLUS tier, managed login), and absent otherwise. No other value can match.
- access: a change that cuts callers off (another authorizer type, another issuer, fewer
  allowed clients, a new restriction) is breaking and needs explicit consent.

Pure functions: no AWS calls.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

# Scopes Cognito writes into tokens as they are (Cognito developer guide, "Scopes, M2M, and
# APIs with resource servers": standard OIDC scopes and aws.cognito.signin.user.admin).
OIDC_SCOPES = frozenset({"openid", "email", "phone", "profile"})


def is_standard_scope(scope: str) -> bool:
    return scope in OIDC_SCOPES or scope.startswith("aws.cognito.")


def token_scope(entry: str, resource: str, short_names: Collection[str]) -> str:
    """The scope string a Cognito token carries for one allowedScopes entry."""
    if "/" in entry or is_standard_scope(entry) or entry not in short_names:
        return entry
    return f"{resource}/{entry}"


def short_scope_names(scopes: list[str], resource: str, short_names: Collection[str]) -> list[str]:
    """The entries that are short names of the resource server's scopes (never match)."""
    return [s for s in scopes if token_scope(s, resource, short_names) != s]


def with_full_scopes(authorizer: dict[str, Any], resource: str, short_names: Collection[str],
                     wanted: list[str]) -> dict[str, Any]:
    """allowedScopes with short names written in full and `wanted` added; the keys of
    advertisedScopeMapping (allowedScopes entries) follow the rewrite."""
    current = list(authorizer.get("allowedScopes") or [])
    if not current and not wanted:
        return authorizer
    rewritten = {s: token_scope(s, resource, short_names) for s in current}
    scopes = list(dict.fromkeys([*rewritten.values(), *wanted]))
    merged = {**authorizer, "allowedScopes": scopes}
    mapping = authorizer.get("advertisedScopeMapping")
    if mapping:
        merged["advertisedScopeMapping"] = {rewritten.get(k, k): v for k, v in mapping.items()}
    return merged


# --- audience -----------------------------------------------------------------


def audience_can_match(value: str, resource: str) -> bool:
    """Can a Cognito access token carry this aud? Only the resource a client binds."""
    return value == resource


def dead_audience(values: list[str], resource: str) -> list[str]:
    """allowedAudience values no Cognito access token can carry (a client id, another URL)."""
    return [v for v in values if not audience_can_match(v, resource)]


def binding_problem(tier: str | None, login_version: int | None) -> str | None:
    """Why this pool cannot bind `aud` (resource binding), or None if it can / is unknown."""
    if (tier or "").upper() == "LITE":
        return "the pool's tier is LITE; resource binding needs ESSENTIALS or PLUS"
    if login_version == 1:
        return "the login domain uses the classic hosted UI; resource binding needs managed login"
    return None


# Which clients send RFC 8707 `resource` on authorize, while the platform registry does not
# say (source per entry; None: nobody knows).
_SENDS_RESOURCE: dict[str, bool] = {
    "chatgpt": True,  # OpenAI apps-sdk auth docs as quoted by third parties (reported)
    "vscode": True,  # microsoft/vscode src/vs/base/common/oauth.ts
    "mcp-remote": True,  # geelen/mcp-remote src/lib/utils.ts
    "inspector": True,  # the MCP TypeScript SDK's auth() that Inspector calls
    "doctor": True,  # this tool (doctor/login.py sends resource)
}


def sends_resource(platform: str) -> bool | None:
    """Does this MCP client send `resource` (so its tokens carry aud)? None: unknown."""
    from mcpauth_wizard.mcp.platforms import PLATFORMS

    fact = getattr(getattr(PLATFORMS.get(platform), "behaviour", None), "sends_resource", None)
    if fact is None:
        return _SENDS_RESOURCE.get(platform)
    value = getattr(fact, "value", fact)
    if value in (True, "authorize", "authorize+token"):
        return True
    if value in (False, "no"):
        return False
    return None


def audience_question(platforms: list[str]) -> tuple[str, str]:
    """init's offer to require aud = the MCP URL, and its help line: which chosen clients send
    `resource` (RFC 8707), and which would be refused."""
    senders = [p for p in platforms if sends_resource(p)]
    others = [p for p in platforms if not sends_resource(p)]
    return ("Refuse tokens not made for this MCP URL?",
            "The gateway checks that a token names this URL as its audience (aud).\n"
            f"Clients that ask for such tokens: {', '.join(senders) or 'none'}\n"
            f"Locked out: {', '.join(others) or 'none'}\n"
            "Default No: the gateway's audience check stays as it is.")


# --- breaking changes -------------------------------------------------------------


@dataclass(frozen=True)
class Breaking:
    """A change that takes access away, and from whom."""

    change: str
    loses_access: str

    def describe(self) -> str:
        return f"{self.change}; loses access: {self.loses_access}"


def breaking_changes(before: Mapping[str, Any], after: Mapping[str, Any], *,
                     client_names: Mapping[str, str] | None = None,
                     no_resource_platforms: Collection[str] = ()) -> list[Breaking]:
    """What in going from `before` to `after` (two GetGateway shapes) cuts callers off."""
    names = client_names or {}

    def label(ids: list[str]) -> str:
        return ", ".join(f"{names[i]} ({i})" if names.get(i) else i for i in ids)

    found: list[Breaking] = []
    old_type, new_type = before.get("authorizerType"), after.get("authorizerType")
    if old_type != new_type:
        who = {"AWS_IAM": "every caller signing with AWS IAM (SigV4)",
               "NONE": "every caller without a token from this pool"}.get(
            str(old_type), f"callers admitted by the {old_type} authorizer")
        found.append(Breaking(f"authorizerType {old_type} → {new_type}", who))
        return found
    old, new = _jwt(before), _jwt(after)
    if old.get("discoveryUrl") and old.get("discoveryUrl") != new.get("discoveryUrl"):
        clients = list(old.get("allowedClients") or [])
        who = (f"the clients of the other issuer ({label(clients)})" if clients
               else f"every client of the other issuer {old['discoveryUrl']}")
        found.append(Breaking(f"discoveryUrl → {new.get('discoveryUrl')}", who))
        return found
    old_clients, new_clients = list(old.get("allowedClients") or []), list(new.get("allowedClients") or [])
    if new_clients and not old_clients:
        found.append(Breaking("allowedClients set where any client of the pool was admitted",
                              "every other app client of the pool"))
    elif new_clients:
        dropped = [c for c in old_clients if c not in new_clients]
        if dropped:
            found.append(Breaking("allowedClients drops " + label(dropped), label(dropped)))
    old_scopes, new_scopes = set(old.get("allowedScopes") or []), set(new.get("allowedScopes") or [])
    # A bare name that is not a standard scope is in no Cognito token: dropping it takes nothing.
    removed = {s for s in old_scopes - new_scopes if "/" in s or is_standard_scope(s)}
    if new_scopes and (not old_scopes or removed):
        found.append(Breaking("allowedScopes now " + ", ".join(sorted(new_scopes)),
                              "clients whose tokens carry none of these scopes"))
    if new.get("allowedAudience") and not old.get("allowedAudience"):
        who = ", ".join(no_resource_platforms) or "clients that do not send resource"
        found.append(Breaking("allowedAudience now " + ", ".join(new["allowedAudience"]),
                              f"clients whose tokens carry no aud ({who})"))
    return found


def _jwt(gateway: Mapping[str, Any]) -> dict[str, Any]:
    return dict(((gateway.get("authorizerConfiguration") or {}).get("customJWTAuthorizer")) or {})
