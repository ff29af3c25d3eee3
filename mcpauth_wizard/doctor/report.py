"""Root causes, per-platform verdicts and the JSON report (its schema: report.schema.json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mcpauth_wizard.doctor.context import Target
from mcpauth_wizard.doctor.findings import Finding, StepResult
from mcpauth_wizard.mcp.platforms import PLATFORMS, Prediction, predict_from_facts

Verdict = Literal["ready", "needs_action", "at_risk", "incompatible", "unknown"]

_AUDIENCE = ("GATEWAY_AUDIENCE_UNMATCHABLE", "GATEWAY_AUDIENCE_NEEDS_BINDING", "GATEWAY_AUDIENCE_NO_RESOURCE")
# symptom → the configuration faults that cause it (first match wins)
CAUSES: dict[str, tuple[str, ...]] = {
    "AUTHZ_INVALID_SCOPE": ("COGNITO_RESOURCE_SERVER_MISSING", "COGNITO_SCOPE_NOT_ALLOWED",
                            "COGNITO_CLIENT_NOT_FOUND", "GATEWAY_SCOPE_SHORT_NAME"),
    "AUTHZ_RESOURCE_REJECTED": ("COGNITO_RESOURCE_SERVER_MISSING",),
    "AUTHZ_REDIRECT_MISMATCH": ("COGNITO_CALLBACK_MISSING",),
    "AUTHZ_UNAUTHORIZED_CLIENT": ("COGNITO_CLIENT_M2M_ONLY", "COGNITO_CLIENT_OAUTH_DISABLED",
                                  "COGNITO_CLIENT_NO_CODE_FLOW"),
    "AUTHZ_NO_LOGIN_PAGE": ("COGNITO_NO_DOMAIN", "COGNITO_DOMAIN_NOT_ACTIVE", "COGNITO_CLIENT_NO_IDP",
                            "COGNITO_BRANDING_MISSING"),
    "AUTHZ_UNKNOWN_CLIENT": ("COGNITO_CLIENT_NOT_FOUND", "GATEWAY_DISCOVERY_URL_MISMATCH"),
    "TOKEN_CLIENT_AUTH_FAILED": ("COGNITO_CLIENT_NOT_FOUND", "GATEWAY_DISCOVERY_URL_MISMATCH"),
    "GATEWAY_CLIENT_NOT_ALLOWED": ("COGNITO_CLIENT_NOT_FOUND",),
    # a gateway whose inbound auth is not JWT serves no challenge and no metadata: one root
    "PRM_NOT_FOUND": ("GATEWAY_NOT_JWT",),
    "PRM_INVALID": ("GATEWAY_NOT_JWT",),
    "COGNITO_SCOPE_NOT_ALLOWED": ("COGNITO_RESOURCE_SERVER_MISSING",),
    "COGNITO_CALLBACK_MISSING": (),
    "LOGIN_ERROR": ("COGNITO_RESOURCE_SERVER_MISSING", "COGNITO_SCOPE_NOT_ALLOWED",
                    "COGNITO_CALLBACK_MISSING", "COGNITO_BRANDING_MISSING"),
    # an ID token used as a bearer carries neither the access token's audience nor its scopes
    "TOKEN_AUDIENCE_MISMATCH": ("TOKEN_WRONG_USE", "GATEWAY_CLIENT_NOT_ALLOWED", *_AUDIENCE),
    "TOKEN_SCOPE_MISSING": ("TOKEN_WRONG_USE", "COGNITO_SCOPE_NOT_ALLOWED", "GATEWAY_SCOPE_SHORT_NAME",
                            "PRM_NO_SCOPES"),
    "MCP_TOKEN_REJECTED": ("TOKEN_WRONG_USE", "GATEWAY_CLIENT_NOT_ALLOWED", *_AUDIENCE,
                           "GATEWAY_DISCOVERY_URL_MISMATCH", "TOKEN_AUDIENCE_MISMATCH",
                           "TOKEN_ISSUER_MISMATCH", "TOKEN_EXPIRED"),
    "MCP_INSUFFICIENT_SCOPE": ("TOKEN_WRONG_USE", "GATEWAY_SCOPE_SHORT_NAME", "TOKEN_SCOPE_MISSING",
                               "COGNITO_SCOPE_NOT_ALLOWED"),
    "AS_METADATA_NOT_FOUND": ("GATEWAY_NOT_JWT", "AS_HOSTED_DOMAIN_AS_ISSUER", "COGNITO_NO_DOMAIN",
                              "GATEWAY_DISCOVERY_URL_MISMATCH"),
    "MCP_NO_CHALLENGE": ("GATEWAY_NOT_JWT",),
    "JWKS_UNREACHABLE": ("AS_METADATA_NOT_FOUND",),
}
_AWS_FIRST = ("COGNITO_", "GATEWAY_", "AWS_")
# What the doctor itself could not do: never a platform's fault.
DOCTOR_LIMITS = frozenset({"LOGIN_NO_LOOPBACK_CALLBACK", "DOCTOR_STEP_FAILED", "DOCTOR_STOPPED",
                           "AWS_UNREACHABLE", "AWS_CALL_FAILED"})
# What leaves a verdict unknown: a check that could not run.
UNKNOWN_MAKERS = frozenset({"DOCTOR_STEP_FAILED", "DOCTOR_STOPPED", "AWS_UNREACHABLE", "AWS_CALL_FAILED"})


def link_causes(findings: list[Finding]) -> None:
    """Mark each symptom with the fault found for the same platform (or for all)."""
    for finding in findings:
        for cause_code in CAUSES.get(finding.code, ()):
            cause = next((c for c in findings if c.code == cause_code and c is not finding
                          and (c.platform is None or finding.platform is None
                               or c.platform == finding.platform)), None)
            if cause is not None:
                finding.caused_by = cause.code
                break


def root_causes(findings: list[Finding]) -> list[Finding]:
    """Errors that are not symptoms of another finding, configuration before HTTP. A warning
    is never a root cause (it has its own list: `worth_a_look`)."""
    roots = [f for f in findings if f.caused_by is None and f.severity == "error"]
    return sorted(roots, key=lambda f: not f.code.startswith(_AWS_FIRST))


def worth_a_look(findings: list[Finding]) -> list[Finding]:
    """Warnings that are not symptoms: what may fail, kept apart from the root causes."""
    return [f for f in findings if f.caused_by is None and f.severity == "warning"]


@dataclass
class PlatformVerdict:
    verdict: Verdict
    codes: list[str] = field(default_factory=list)
    note: str = ""
    predicted: list[Prediction] = field(default_factory=list)  # from the client registry's facts


def verdicts(target: Target, findings: list[Finding],
             facts: dict[str, Any] | None = None) -> dict[str, PlatformVerdict]:
    """Per platform: ready / needs action / may fail (a reported, unverified refusal) / cannot
    work as set up (a verified one), with the deciding codes;
    unknown when a step it depends on could not finish and nothing else decides it; plus
    what the registry's facts about the client predict (confirmed → needs action)."""
    codes_found = {f.code for f in findings}
    result = {}
    for name in target.platforms:
        platform = PLATFORMS[name]
        strict = [q for q in platform.quirks if q.code in codes_found]
        mine = [f for f in findings if f.platform is None or f.platform == name]
        errors = sorted({f.code for f in mine if f.severity == "error" and f.code not in DOCTOR_LIMITS})
        failed = sorted({f.code for f in mine if f.code in UNKNOWN_MAKERS})
        predicted = [p for p in predict_from_facts(platform, facts or {})
                     if p.code not in {q.code for q in platform.quirks}]
        confirmed = [p.code for p in predicted if p.severity == "error"]
        verified = [q for q in strict if q.verified]
        quirk = verified[0] if verified else (strict[0] if strict else None)
        quirk_note = (f"{platform.title} {quirk.text}" + ("" if quirk.verified else " (reported, unverified)")
                      if quirk else "")
        if verified:  # a verified refusal: nothing else can make it work
            result[name] = PlatformVerdict("incompatible", [q.code for q in strict] + errors + failed,
                                           note=quirk_note)
        elif errors or confirmed:  # something to fix comes first, even beside a reported risk
            result[name] = PlatformVerdict("needs_action", errors + confirmed + failed, note=quirk_note)
        elif strict:  # only reported: a risk, not a certainty
            result[name] = PlatformVerdict("at_risk", [q.code for q in strict] + failed, note=quirk_note)
        elif failed:
            result[name] = PlatformVerdict("unknown", failed, note="a check it depends on did not finish")
        elif any(p.severity == "warning" and not p.avoidable for p in predicted):
            # reported, or confirmed of some versions only (e.g. a web UI that needs CORS), and
            # not avoided by the panel: may fail
            risk = next(p for p in predicted if p.severity == "warning" and not p.avoidable)
            result[name] = PlatformVerdict("at_risk", note=risk.text + (
                "" if risk.fact.verified else " (reported, unverified)"))
        else:
            result[name] = PlatformVerdict("ready")
        result[name].predicted = predicted
    return result


@dataclass
class Report:
    target: Target
    region: str | None
    steps: list[StepResult]
    findings: list[Finding]
    roots: list[Finding]
    platforms: dict[str, PlatformVerdict]
    # The run's exchanges (step, start, request body, Exchange) and the values to redact from
    # them: what --trace and --record read; never part of the JSON report.
    log: list[Any] = field(default_factory=list)
    redact_with: tuple[str, ...] = ()
    audit: dict[str, Any] | None = None  # --audit: the forged-token and posture tables
    claims: list[dict[str, str]] | None = None  # the token's claims beside the authorizer's rules
    record_facts: dict[str, Any] | None = None  # what AWS said of the setup (--record)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mcpauth_doctor": 1,
            "target": {"url": self.target.url, "region": self.region,
                       "user_pool_id": self.target.pool_id,
                       "client_id": next(iter(self.target.clients.values()), None),
                       "clients": dict(self.target.clients), "gateway_id": self.target.gateway_id,
                       "issuer": self.target.issuer},
            "steps": [s.as_dict() for s in self.steps],
            "root_causes": list(dict.fromkeys(f.code for f in self.roots)),
            "worth_a_look": list(dict.fromkeys(f.code for f in worth_a_look(self.findings))),
            "platforms": {k: {"verdict": v.verdict, "codes": v.codes, "note": v.note,
                              **({"predicted": [{"code": p.code, "error": p.error, "text": p.text,
                                                 "fix": p.fix, "confidence": p.fact.confidence}
                                                for p in v.predicted]} if v.predicted else {})}
                          for k, v in self.platforms.items()},
            "summary": {"errors": self.errors, "warnings": self.warnings},
            **({"audit": self.audit} if self.audit else {}),
            **({"claims": self.claims} if self.claims else {}),
        }


def build_report(target: Target, region: str | None, steps: list[StepResult],
                 facts: dict[str, Any] | None = None) -> Report:
    findings = [f for s in steps for f in s.findings]
    link_causes(findings)
    return Report(target, region, steps, findings, root_causes(findings),
                  verdicts(target, findings, facts))
