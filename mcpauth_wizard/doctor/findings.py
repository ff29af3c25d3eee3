"""Finding codes (stable: the JSON report and the docs use them), findings and step results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["pass", "warn", "fail", "skip"]

# code → (severity, what it means): the one table of finding codes. The README's list and
# the report schema's enum are generated from it (`codes_markdown`; tests keep them equal).
CODES: dict[str, tuple[Severity, str]] = {
    "AWS_CREDENTIALS": ("warning", "no usable AWS credentials / region"),
    "COGNITO_POOL_NOT_FOUND": ("error", "the pool id does not exist in that region"),
    "COGNITO_NO_DOMAIN": ("error", "the pool has no login domain"),
    "COGNITO_DOMAIN_NOT_ACTIVE": ("error", "the login domain is not live yet"),
    "COGNITO_BRANDING_MISSING": ("error", "managed login v2 but no style for this client"),
    "COGNITO_CLIENT_NOT_FOUND": ("error", "the client id is not in the pool"),
    "COGNITO_CLIENT_OAUTH_DISABLED": ("error", "AllowedOAuthFlowsUserPoolClient is false"),
    "COGNITO_CLIENT_NO_CODE_FLOW": ("error", "code is not in AllowedOAuthFlows"),
    "COGNITO_CLIENT_M2M_ONLY": ("error", "a client_credentials client used for user sign-in"),
    "COGNITO_CLIENT_NO_IDP": ("error", "SupportedIdentityProviders is empty"),
    "COGNITO_CALLBACK_MISSING": ("error", "a platform's callback URL is not registered"),
    "COGNITO_CALLBACK_NEAR_MISS": ("warning", "a registered URL differs only by slash / host / scheme / port"),
    "COGNITO_RESOURCE_SERVER_MISSING": ("error", "no resource server for the MCP resource URL"),
    "COGNITO_RESOURCE_SERVER_NEAR_MISS": ("warning", "a resource server differs only by a slash or /mcp"),
    "COGNITO_SCOPE_NOT_ALLOWED": ("error", "the resource scope is not in the client's AllowedOAuthScopes"),
    "COGNITO_PASSKEY_INCOMPLETE": ("warning", "passkeys asked for but a required piece is missing"),
    "GATEWAY_NOT_FOUND": ("error", "the gateway does not exist"),
    "GATEWAY_NOT_JWT": ("error", "the gateway's inbound authorizer is not CUSTOM_JWT"),
    "GATEWAY_DISCOVERY_URL_MISMATCH": ("error", "discoveryUrl is not this pool's"),
    "GATEWAY_CLIENT_NOT_ALLOWED": ("error", "the client id is not in allowedClients"),
    "GATEWAY_AUDIENCE_UNMATCHABLE": ("error", "allowedAudience holds only values no Cognito token carries"),
    "GATEWAY_AUDIENCE_NEEDS_BINDING": ("error", "allowedAudience needs resource binding the pool cannot do"),
    "GATEWAY_AUDIENCE_NO_RESOURCE": ("warning", "allowedAudience is set but this client may not send resource"),
    "GATEWAY_SCOPE_SHORT_NAME": ("error", "allowedScopes holds a short name, not the full scope string"),
    "REGISTRATION_REQUIRED_OFF": ("error", "the recorded setup relies on clients that register "
                                  "themselves, and registration is off: those platforms get no client id"),
    "REGISTRATION_OFF": ("info", "dynamic client registration is off: clients need a pre-registered id"),
    "REGISTRATION_TIER": ("error", "registration is on but the pool is LITE (needs ESSENTIALS or higher)"),
    "REGISTRATION_AUTHENTICATED_ONLY": ("error", "registration needs an initial access token MCP clients cannot get"),
    "REGISTRATION_OPEN_M2M": ("error", "open registration allows client_credentials (billable M2M clients)"),
    "REGISTRATION_SCOPE_NOT_ALLOWED": ("error", "the resource scope is not in the DcrConfiguration's AllowedScopes"),
    "REGISTRATION_QUOTA_NEAR": ("warning", "the pool holds 80% or more of its 1,000 app clients"),
    "REGISTRATION_NO_LOGIN_PAGE": ("error", "a registered client's sign-in shows no login page"),
    "REGISTRATION_PROBE_FAILED": ("error", "registering like an MCP client, or its authorize request, failed"),
    "GATEWAY_SHUTS_OUT_REGISTERED": ("error", "allowedClients at the gateway refuses clients that register themselves"),
    "MCP_UNREACHABLE": ("error", "DNS / TCP / TLS / timeout reaching the MCP URL"),
    "MCP_NOT_PROTECTED": ("warning", "initialize succeeds without a token"),
    "MCP_NO_CHALLENGE": ("error", "401 without a Bearer WWW-Authenticate"),
    "MCP_CHALLENGE_REMAPPED": ("error", 'a 401 without `WWW-Authenticate` but with `x-amzn-remapped-www-authenticate`: API Gateway renamed the challenge, clients never start sign-in (fix: a gateway response / header mapping that returns `WWW-Authenticate`, or a Lambda Function URL)'),
    "MCP_NO_RESOURCE_METADATA": ("warning", "the challenge lacks resource_metadata"),
    "PRM_NOT_FOUND": ("error", "no protected-resource metadata"),
    "PRM_INVALID": ("error", "the protected-resource metadata is malformed"),
    "PRM_RESOURCE_MISMATCH": ("error", "PRM resource differs from the URL"),
    "PRM_NO_SCOPES": ("warning", "no scope in the challenge nor scopes_supported"),
    "AS_METADATA_NOT_FOUND": ("error", "no authorization server metadata URL answered"),
    "AS_ISSUER_MISMATCH": ("error", "metadata issuer differs from the authorization server URL"),
    "PLATFORM_SENDS_NO_SCOPE": ("warning", "a client known to send no scope meets a server advertising none"),
    "PLATFORM_ASKS_ALL_SCOPES": ("warning", "a client known to ask for every AS scope meets a server advertising none"),
    "PLATFORM_REQUIRES_ISS": ("warning", "a client that refuses a response without RFC 9207 iss once "
                              "it discovered the issuer meets an AS that sends none"),
    "PLATFORM_CALLBACK_NEEDS_ISS": ("warning", "ChatGPT's per-connector callback (no RFC 9207 iss) is not registered"),
    "AS_NO_S256": ("warning", "code_challenge_methods_supported missing or without S256"),
    "AS_NO_REGISTRATION": ("info", "neither DCR nor CIMD: clients need a pre-registered id"),
    "PROXY_STATE_NOT_SHARED": ("error", "an OAuth proxy (FastMCP's, on Lambda) lost sign-ins begun on another instance: the state probe found k of N authorizations unknown where they finished (see [FastMCP's OAuth proxy on Lambda](#fastmcps-oauth-proxy-on-lambda))"),
    "AS_HOSTED_DOMAIN_AS_ISSUER": ("error", "PRM names the Cognito domain instead of the issuer"),
    "JWKS_UNREACHABLE": ("error", "the signing keys cannot be fetched"),
    "JWKS_INVALID": ("error", "the signing keys cannot be parsed"),
    "CORS_MISSING": ("warning", "metadata has no CORS headers (browser clients in direct mode)"),
    "AUTHZ_REDIRECT_MISMATCH": ("error", "the authorize probe was refused for that redirect URI"),
    "AUTHZ_INVALID_SCOPE": ("error", "the authorize probe was refused for the scopes"),
    "AUTHZ_UNAUTHORIZED_CLIENT": ("error", "the client may not use the code grant"),
    "AUTHZ_UNKNOWN_CLIENT": ("error", "the client id is unknown to the server"),
    "AUTHZ_RESOURCE_REJECTED": ("error", "the resource parameter was refused"),
    "AUTHZ_NO_LOGIN_PAGE": ("error", "no login page is served"),
    "AUTHZ_INVALID_REQUEST": ("error", 'the authorize request refused as invalid (e.g. PKCE `plain`)'),
    "TOKEN_CLIENT_AUTH_FAILED": ("error", "invalid_client at the token endpoint"),
    "LOGIN_STATE_MISMATCH": ("error", "the callback's state differs from the one sent"),
    "LOGIN_ISS_MISMATCH": ("error", "the callback's iss differs from the issuer"),
    "LOGIN_ERROR": ("error", "the sign-in ended with an error"),
    "LOGIN_TIMEOUT": ("error", "no sign-in arrived before the deadline"),
    "LOGIN_NO_CLIENT": ("error", "no client id, and no registration (CIMD / DCR) the doctor can use"),
    "LOGIN_REGISTRATION_FAILED": ("error", "dynamic client registration (RFC 7591) failed"),
    "LOGIN_NO_LOOPBACK_CALLBACK": ("warning", '`--login` found no `http://localhost:<port>/callback` on the client to listen on (`mcpauth add-callback doctor` registers one)'),
    "TOKEN_SIGNATURE_INVALID": ("error", "the token's signature does not verify"),
    "TOKEN_EXPIRED": ("error", "the token has expired"),
    "TOKEN_ISSUER_MISMATCH": ("error", "the token's iss is not the authorization server"),
    "TOKEN_WRONG_USE": ("error", "an ID token where an access token is needed"),
    "TOKEN_AUDIENCE_MISMATCH": ("error", "the token's client_id / aud is not what the server allows"),
    "TOKEN_SCOPE_MISSING": ("error", "the token lacks a scope the server requires"),
    "MCP_TOKEN_REJECTED": ("error", "the server answers 401 to a token that validates"),
    "MCP_INSUFFICIENT_SCOPE": ("error", "403 insufficient_scope"),
    "MCP_PROTOCOL_UNSUPPORTED": ("error", 'with a valid token, neither `server/discover` (2026-07-28) nor `initialize` (2025-11-25) answered with a result'),
    "COGNITO_CLIENT_SECRET_ON_PUBLIC_PLATFORM": ("warning", 'a platform usually set up as a public client (Inspector, Claude Code, VS Code, …) is pointed at a client with a secret: unless the secret is entered there, token exchange fails with `invalid_client`'),
    "DOCTOR_STOPPED": ("error", "the run was stopped at --step: the steps after it did not run, so "
                       "nothing is concluded about what they check"),
    "AWS_UNREACHABLE": ("error", "the AWS endpoint did not answer (endpoint, region and credential "
                        "source named): the AWS checks could not run"),
    "AWS_CALL_FAILED": ("error", "AWS refused a read the doctor needs (e.g. access denied): the AWS "
                        "check it feeds could not run"),
    "DOCTOR_STEP_FAILED": ("error", 'a doctor step crashed or timed out (exception type and message in the evidence); what it checks is unknown, so are the verdicts that depend on it'),
    "HTTP_RESPONSE_TOO_LARGE": ("error", "an answer ran past the doctor's bound (256 KiB for metadata and JWKS, 1 MiB otherwise, counted after decoding; 100 header fields): not read, named with its URL"),
    "HTTP_RESPONSE_ENCODING": ("error", 'an answer stacked content-codings (`gzip, gzip`, or two `Content-Encoding` lines), used one the doctor did not ask for, or did not decode: not read'),
    "REGISTRATION_ANSWER_FOREIGN_CLIENT": ("error", 'a registration answer named an app client this run did not create (a REGULAR client, or one older than the run): misconfigured or hostile server; nothing deleted'),
    "REGISTRATION_CLIENT_LEFT": ("warning", 'a client the doctor registered could not be proven its own in AWS, so it was left (the fix names the delete command)'),
    "SERVER_ACCEPTS_FORGED_TOKEN": ("error", "`--audit`: the MCP server accepted a bearer token no honest server may accept (alg none, a key of the doctor's own, expired, another issuer or audience, an ID token, garbage)"),
    "LOGIN_PORT_TAKEN": ("error", "`--login`: another process listens on the callback's port on one of the addresses `localhost` means (127.0.0.1, ::1): the sign-in does not start, so the code cannot land there"),
    # `mcpauth monitor`: the setup against its last good run (doctor/drift.py)
    "DRIFT_CALLBACK_REMOVED": ("warning", "`mcpauth monitor`: a callback URL registered at the last good run is gone from the app client"),
    "DRIFT_CLIENT_RECREATED": ("warning", "`mcpauth monitor`: an app client was re-created (same name, new id): platforms and allowedClients still hold the old id"),
    "DRIFT_CLIENT_REMOVED": ("warning", "`mcpauth monitor`: an app client of the last good run is gone, and none has its name"),
    "DRIFT_SCOPE_REMOVED": ("warning", "`mcpauth monitor`: a scope was unticked on an app client, or removed from (or with) the resource server, since the last good run"),
    "DRIFT_FLOW_REMOVED": ("warning", "`mcpauth monitor`: an OAuth grant type (AllowedOAuthFlows) was switched off since the last good run"),
    "DRIFT_ALLOWED_CLIENT_REMOVED": ("warning", "`mcpauth monitor`: the gateway's allowedClients no longer admits a client it admitted at the last good run"),
    "DRIFT_AUDIENCE_CHANGED": ("warning", "`mcpauth monitor`: the gateway's allowedAudience dropped a value, or checks an audience it did not check at the last good run"),
    "DRIFT_GATEWAY_SCOPES_CHANGED": ("warning", "`mcpauth monitor`: the gateway's allowedScopes differ from the last good run's"),
    "DRIFT_DISCOVERY_URL_CHANGED": ("warning", "`mcpauth monitor`: the gateway's discoveryUrl (the pool it trusts) changed since the last good run"),
}


@dataclass
class Finding:
    """One thing found, with the evidence that proves it and how to fix it."""

    code: str
    message: str
    step: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""
    platform: str | None = None
    caused_by: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def as_dict(self) -> dict[str, Any]:
        data = {"code": self.code, "severity": self.severity, "step": self.step,
                "message": self.message, "evidence": self.evidence, "fix": self.fix,
                "caused_by": self.caused_by}
        if self.platform:
            data["platform"] = self.platform
        return data


@dataclass
class StepResult:
    id: str
    title: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    duration_ms: int = 0
    note: str = ""  # why a step was skipped, or what it established

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "duration_ms": self.duration_ms, "note": self.note,
                "findings": [f.as_dict() for f in self.findings]}


def status_of(findings: list[Finding]) -> Status:
    severities = {f.severity for f in findings}
    if "error" in severities:
        return "fail"
    if "warning" in severities:
        return "warn"
    return "pass"


def codes_markdown() -> str:
    """The README's table of every finding code (README.md carries it between its `codes`
    markers; a test keeps the two equal)."""
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    rows += [f"| `{code}` | {severity} | {meaning.replace('|', chr(92) + '|')} |"
             for code, (severity, meaning) in CODES.items()]
    return "\n".join(rows) + "\n"
