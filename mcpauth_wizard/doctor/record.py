"""`doctor --record FILE`: the run as JSON a sandbox can be checked against.

It holds the target (MCP URL, platforms, client ids, pool, gateway, ports), what AWS said
of the setup (each client's OAuth settings, the pool's tier and domain, the resource server,
the gateway's authorizer), every HTTP exchange in the order it started, and every AWS call
(operation, parameters, status, error code, answer). All of it redacted as `--trace` is:
secrets, codes, tokens, cookies, passwords (AWS's spelling too: ClientSecret, …), token
signatures; bodies that are not JSON kept only as size and type.

`mcpauth sandbox check-trace FILE` replays it (sandbox/check_trace.py).
"""

from __future__ import annotations

from typing import Any

from mcpauth_wizard.core.redact import redact_value
from mcpauth_wizard.doctor.trace import records

RECORD_VERSION = 1
# What AWS said of the setup (ctx.facts keys) that a replay needs to shape its sandbox.
SETUP_FACTS = ("clients", "pool", "domain", "resource_server", "gateway", "as", "prm")


class AwsCalls:
    """Collects the AWS calls of a run (an answer observer of AwsContext: each answer with
    the request it answers)."""

    def __init__(self, aws: Any) -> None:
        self.calls: list[dict[str, Any]] = []
        if aws is not None:
            aws.answer_observers.append(self._answered)

    @staticmethod
    def _params(body: Any) -> dict[str, Any]:
        if isinstance(body, (bytes, str)):  # JSON protocols (Cognito, AgentCore): the body as sent
            import json

            try:
                body = json.loads(body or b"{}")
            except ValueError:
                return {"body": f"<{len(body)} bytes>"}
        return dict(body) if isinstance(body, dict) else {}

    def _answered(self, service: str, operation: str, body: Any, status: int | None,
                  parsed: dict[str, Any]) -> None:
        answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        error = (parsed.get("Error") or {}).get("Code")
        self.calls.append({"service": service, "operation": operation,
                           "params": redact_value(self._params(body)),
                           "status": status, **({"error": error} if error else {}),
                           "answer": redact_value({k: v for k, v in answer.items() if k != "Error"})})


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))  # datetimes and the like, as text


def build(report: Any, aws_calls: AwsCalls | None, ports: dict[str, int] | None = None) -> dict[str, Any]:
    target = report.target
    facts = report.record_facts or {}
    return _jsonable({
        "mcpauth_record": RECORD_VERSION,
        "target": {"url": target.url, "platforms": list(target.platforms), "clients": dict(target.clients),
                   "pool_id": target.pool_id, "gateway_id": target.gateway_id, "region": report.region,
                   "ports": dict(ports or {})},
        "setup": redact_value({k: facts.get(k) for k in SETUP_FACTS if facts.get(k) is not None},
                              report.redact_with),
        "summary": {"errors": report.errors, "warnings": report.warnings,
                    "root_causes": list(dict.fromkeys(f.code for f in report.roots))},
        "exchanges": records(report.log, report.redact_with),
        "aws_calls": [redact_value(c, report.redact_with) for c in (aws_calls.calls if aws_calls else [])],
    })
