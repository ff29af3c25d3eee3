"""The product's rules as tables: one row per case — the honest one, each near miss, each
exemption — so that breaking a rule fails a row. (Rules proven elsewhere as tables: the
loopback rule in test_architecture, the ownership rule and bounded decoding in
test_doctor_hands, Codex's callback id and mcp-remote's port in test_client_registry, the
resource rule in test_doctor_login, RFC 3986 normal form in test_writes_cannot_hurt.)"""

from __future__ import annotations

from typing import Any

import pytest

RESOURCE = "https://mcp.example.com/mcp"


# --- the resource-scope rule: what a Cognito token carries for an allowedScopes entry -----

@pytest.mark.parametrize(("entry", "short_names", "carried"), [
    ("invoke", {"invoke"}, f"{RESOURCE}/invoke"),  # a short name of the resource server: in full
    (f"{RESOURCE}/invoke", {"invoke"}, f"{RESOURCE}/invoke"),  # already in full
    ("openid", {"openid"}, "openid"),  # standard OIDC scopes are written as they are
    ("email", {"email"}, "email"),
    ("phone", {"phone"}, "phone"),
    ("profile", {"profile"}, "profile"),
    ("aws.cognito.signin.user.admin", {"aws.cognito.signin.user.admin"}, "aws.cognito.signin.user.admin"),
    ("read", {"invoke"}, "read"),  # not a scope of this resource server: left as it is
    ("https://other.example/mcp/invoke", {"invoke"}, "https://other.example/mcp/invoke"),
])
def test_resource_scope_rule(entry: str, short_names: set[str], carried: str) -> None:
    from mcpauth_wizard.provision.rules import token_scope

    assert token_scope(entry, RESOURCE, short_names) == carried


# --- the audience rule: only the bound resource can be an aud -----------------------------

@pytest.mark.parametrize(("value", "matchable"), [
    (RESOURCE, True),
    (RESOURCE + "/", False),  # a trailing slash: another string, no token carries it
    (RESOURCE.upper(), False),
    ("https://mcp.example.com", False),
    ("4abc1234clientid", False),  # a client id is never an aud of a Cognito access token
])
def test_audience_rule(value: str, matchable: bool) -> None:
    from mcpauth_wizard.provision.rules import audience_can_match, dead_audience

    assert audience_can_match(value, RESOURCE) is matchable
    assert dead_audience([value], RESOURCE) == ([] if matchable else [value])


# --- the breaking-change rules --------------------------------------------------------------

def _gw(kind: str = "CUSTOM_JWT", **jwt: Any) -> dict[str, Any]:
    base = {"discoveryUrl": "https://issuer.example/p/.well-known/openid-configuration", **jwt}
    return {"authorizerType": kind, "authorizerConfiguration": {"customJWTAuthorizer": base}}


@pytest.mark.parametrize(("before", "after", "breaking"), [
    (_gw(), _gw(), []),  # nothing changes
    (_gw("AWS_IAM"), _gw(), ["authorizerType AWS_IAM → CUSTOM_JWT"]),
    (_gw(), _gw(discoveryUrl="https://other.example/.well-known/openid-configuration"),
     ["discoveryUrl → https://other.example/.well-known/openid-configuration"]),
    (_gw(), _gw(allowedClients=["a"]), ["allowedClients set where any client of the pool was admitted"]),
    (_gw(allowedClients=["a", "b"]), _gw(allowedClients=["a"]), ["allowedClients drops b"]),
    (_gw(allowedClients=["a"]), _gw(allowedClients=["a", "b"]), []),  # adding a client takes nothing
    (_gw(), _gw(allowedScopes=[f"{RESOURCE}/invoke"]), [f"allowedScopes now {RESOURCE}/invoke"]),
    (_gw(allowedScopes=["invoke"]), _gw(allowedScopes=[f"{RESOURCE}/invoke"]), []),  # a dead short name
    (_gw(allowedScopes=["openid", f"{RESOURCE}/invoke"]), _gw(allowedScopes=[f"{RESOURCE}/invoke"]),
     [f"allowedScopes now {RESOURCE}/invoke"]),  # dropping a standard scope takes access
    (_gw(), _gw(allowedAudience=[RESOURCE]), [f"allowedAudience now {RESOURCE}"]),
    (_gw(allowedAudience=[RESOURCE]), _gw(allowedAudience=[RESOURCE]), []),
])
def test_breaking_change_rules(before: dict[str, Any], after: dict[str, Any], breaking: list[str]) -> None:
    from mcpauth_wizard.provision.rules import breaking_changes

    assert [b.change for b in breaking_changes(before, after)] == breaking


# --- the secret rule: where a client secret may go -------------------------------------------

class _Ctx:
    def __init__(self, facts: dict[str, Any], issuer: str | None = None) -> None:
        from types import SimpleNamespace

        self.facts, self.aws = facts, None
        self.target = SimpleNamespace(issuer=issuer, region="us-east-1")


POOL = {"Id": "us-east-1_AbC123", "Domain": "team-login"}
LOGIN = "https://team-login.auth.us-east-1.amazoncognito.com/oauth2/token"
NAMED = "https://login.example.com"


@pytest.mark.parametrize(("facts", "issuer", "token_url", "sent"), [
    ({"pool": POOL}, None, LOGIN, True),  # the pool's own login domain
    ({"pool": POOL}, None, "https://evil.example/oauth2/token", False),  # a host the metadata named
    ({"pool": POOL}, None, LOGIN.replace("https", "http"), False),  # not https
    ({"pool": {**POOL, "CustomDomain": "auth.example.com"}}, None, "https://auth.example.com/oauth2/token", True),
    ({}, None, "https://as.example/token", False),  # no pool, no --issuer: nobody owns the secret
    ({"issuer": NAMED, "as": {"issuer": NAMED}}, NAMED, f"{NAMED}/token", True),  # the issuer named
    ({"issuer": NAMED, "as": {"issuer": "https://evil.example"}}, NAMED, f"{NAMED}/token", False),
    ({"issuer": "https://evil.example", "as": {"issuer": NAMED}}, NAMED, f"{NAMED}/token", False),
    ({"issuer": NAMED, "as": {"issuer": NAMED}}, NAMED, "http://login.example.com/token", False),
    ({"issuer": "http://127.0.0.1:9", "as": {"issuer": "http://127.0.0.1:9"}}, "http://127.0.0.1:9",
     "http://127.0.0.1:9/token", True),  # plain http only to loopback
])
def test_secret_rule(facts: dict[str, Any], issuer: str | None, token_url: str, sent: bool) -> None:
    from mcpauth_wizard.doctor.trust import secret_refusal

    assert (secret_refusal(_Ctx(facts, issuer), token_url) is None) is sent  # type: ignore[arg-type]


# --- the near-miss callback rule ------------------------------------------------------------

@pytest.mark.parametrize(("wanted", "registered", "differences"), [
    ("http://localhost:8765/callback", "http://localhost:8765/callback", None),  # exact: no miss
    ("http://localhost:8765/callback", "http://localhost:8766/callback", ["port 8766 vs 8765"]),
    ("http://localhost:8765/callback", "http://127.0.0.1:8765/callback", ["host 127.0.0.1 vs localhost"]),
    ("http://localhost:8765/callback", "http://localhost:8765/callback/", ["a trailing slash"]),
    ("https://app.example/cb", "http://app.example/cb", ["scheme http vs https"]),
    ("https://app.example/cb", "https://app.example:8443/cb", ["port 8443 vs 443"]),
    ("https://app.example/cb", "https://APP.example/cb", ["letter case"]),
    ("https://app.example/cb", "https://app.example/cb?x=1", None),  # another query: not a near miss
    ("https://app.example/cb", "https://other.example/cb", None),  # another host: unrelated
    ("https://app.example/cb", "https://app.example/other", None),  # another path: unrelated
])
def test_near_miss_rule(wanted: str, registered: str, differences: list[str] | None) -> None:
    from mcpauth_wizard.oauth.redirects import near_miss

    miss = near_miss(wanted, registered)
    assert (list(miss.differences) if miss else None) == differences


# --- the cause rule: a symptom links to the fault of its own platform (or of all) -------------

def _f(code: str, platform: str | None = None) -> Any:
    from mcpauth_wizard.doctor.findings import Finding

    return Finding(code, code, platform=platform)


@pytest.mark.parametrize(("findings", "caused"), [
    ([_f("COGNITO_CALLBACK_MISSING", "claude"), _f("AUTHZ_REDIRECT_MISMATCH", "claude")],
     {"AUTHZ_REDIRECT_MISMATCH": "COGNITO_CALLBACK_MISSING"}),
    # another platform's fault is not this platform's cause
    ([_f("COGNITO_CALLBACK_MISSING", "chatgpt"), _f("AUTHZ_REDIRECT_MISMATCH", "claude")], {}),
    # a fault of every platform (no platform) causes each platform's symptom
    ([_f("COGNITO_RESOURCE_SERVER_MISSING"), _f("AUTHZ_INVALID_SCOPE", "claude")],
     {"AUTHZ_INVALID_SCOPE": "COGNITO_RESOURCE_SERVER_MISSING"}),
    ([_f("COGNITO_CLIENT_NOT_FOUND", "chatgpt"), _f("TOKEN_CLIENT_AUTH_FAILED", "chatgpt"),
      _f("GATEWAY_CLIENT_NOT_ALLOWED", "chatgpt")],
     {"TOKEN_CLIENT_AUTH_FAILED": "COGNITO_CLIENT_NOT_FOUND", "GATEWAY_CLIENT_NOT_ALLOWED": "COGNITO_CLIENT_NOT_FOUND"}),
    ([_f("GATEWAY_NOT_JWT"), _f("MCP_NO_CHALLENGE"), _f("PRM_NOT_FOUND")],
     {"MCP_NO_CHALLENGE": "GATEWAY_NOT_JWT", "PRM_NOT_FOUND": "GATEWAY_NOT_JWT"}),
    ([_f("TOKEN_WRONG_USE"), _f("TOKEN_AUDIENCE_MISMATCH"), _f("TOKEN_SCOPE_MISSING"), _f("MCP_TOKEN_REJECTED")],
     {"TOKEN_AUDIENCE_MISMATCH": "TOKEN_WRONG_USE", "TOKEN_SCOPE_MISSING": "TOKEN_WRONG_USE",
      "MCP_TOKEN_REJECTED": "TOKEN_WRONG_USE"}),
])
def test_cause_rule(findings: list[Any], caused: dict[str, str]) -> None:
    from mcpauth_wizard.doctor.report import link_causes, root_causes

    link_causes(findings)
    assert {f.code: f.caused_by for f in findings if f.caused_by} == caused
    assert {f.code for f in root_causes(findings)} == {f.code for f in findings if f.code not in caused}


@pytest.mark.parametrize(("codes", "roots", "worth"), [
    (["AS_NO_S256"], [], ["AS_NO_S256"]),  # a warning alone is never a root cause
    (["AS_NO_S256", "COGNITO_NO_DOMAIN"], ["COGNITO_NO_DOMAIN"], ["AS_NO_S256"]),
    (["REGISTRATION_OFF"], [], []),  # info: neither
    (["MCP_NO_CHALLENGE", "COGNITO_CALLBACK_MISSING"], ["COGNITO_CALLBACK_MISSING", "MCP_NO_CHALLENGE"], []),
])
def test_root_causes_are_errors_only_and_aws_first(codes: list[str], roots: list[str], worth: list[str]) -> None:
    from mcpauth_wizard.doctor.report import root_causes, worth_a_look

    findings = [_f(c) for c in codes]
    assert [f.code for f in root_causes(findings)] == roots
    assert [f.code for f in worth_a_look(findings)] == worth


# --- the verdict rule: what a registry prediction does to a platform's verdict ---------------

@pytest.mark.parametrize(("platform", "client", "verdict"), [
    # ChatGPT reportedly uses a per-connector callback with an AS without iss: none registered
    ("chatgpt", {"CallbackURLs": ["https://chatgpt.com/connector_platform_oauth_redirect"]}, "at_risk"),
    ("chatgpt", {"CallbackURLs": ["https://chatgpt.com/connector/oauth/abc123"]}, "ready"),
    # Gemini CLI refuses a response without iss after discovery: its panel avoids discovery
    ("gemini-cli", {"CallbackURLs": ["http://localhost:7777/oauth/callback"]}, "ready"),
    ("inspector", {"CallbackURLs": ["http://localhost:6274/oauth/callback"]}, "ready"),
])
def test_verdict_rule_for_registry_predictions(platform: str, client: dict[str, Any], verdict: str) -> None:
    from mcpauth_wizard.doctor.context import Target
    from mcpauth_wizard.doctor.report import verdicts

    facts = {"as": {"issuer": "https://as.example", "code_challenge_methods_supported": ["S256"],
                    "scopes_supported": ["openid"]},
             "challenge_scope": f"openid {RESOURCE}/invoke",
             "clients": {platform: {**client, "AllowedOAuthScopes": ["openid", f"{RESOURCE}/invoke"]}}}
    found = verdicts(Target(RESOURCE, (platform,)), [], facts)
    assert found[platform].verdict == verdict, found[platform]
