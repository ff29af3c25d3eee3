"""The monitor's findings as CloudWatch metrics: Embedded Metric Format (EMF) log lines.

Lambda writes each line to CloudWatch Logs, which extracts the metrics from it: no
PutMetricData call, no permission beyond writing the function's own log group. Each line is
one JSON object with `_aws.Timestamp` (ms) and `_aws.CloudWatchMetrics` (Namespace,
Dimensions, Metrics); the values sit beside it as top-level members.

Per gateway (dimensions Monitor, Region, GatewayId): Errors, Warnings, Drift, with its root
causes and drift as plain members (searchable in Logs Insights, not metrics). Per finding code
found (Monitor, Code): Findings, for each error code and drift code. For the whole run
(Monitor): Errors, Drift, Gateways, GatewaysWithErrors, which the alarm watches.
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_NAMESPACE = "mcpauth"
DEFAULT_MONITOR = "mcpauth-monitor"


def _line(namespace: str, timestamp_ms: int, dimensions: dict[str, str],
          metrics: dict[str, int], **members: Any) -> dict[str, Any]:
    return {"_aws": {"Timestamp": timestamp_ms,
                     "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": [list(dimensions)],
                                            "Metrics": [{"Name": name, "Unit": "Count"}
                                                        for name in metrics]}]},
            **dimensions, **metrics, **{k: v for k, v in members.items() if v not in (None, [], "")}}


def drift_findings(entry: Any) -> list[Any]:
    from mcpauth_wizard.doctor.drift import STEP_ID

    if entry.report is None:
        return []
    return [f for s in entry.report.steps if s.id == STEP_ID for f in s.findings]


def metric_lines(fleet: Any, *, namespace: str = DEFAULT_NAMESPACE, monitor: str = DEFAULT_MONITOR,
                 timestamp_ms: int) -> list[dict[str, Any]]:
    """The EMF objects of one run of the monitor over `fleet` (doctor/fleet.py's Fleet)."""
    from mcpauth_wizard.doctor.drift import DRIFT_CODES

    lines = []
    per_code: dict[str, list[str]] = {}
    severities: dict[str, str] = {}
    drift_total = 0
    for entry in fleet.entries:
        drifted = drift_findings(entry)
        drift_total += len(drifted)
        found = entry.report.findings if entry.report else []
        for finding in found:
            if finding.severity == "error" or finding.code in DRIFT_CODES:
                per_code.setdefault(finding.code, []).append(entry.gateway_id)
                severities[finding.code] = finding.severity
        lines.append(_line(
            namespace, timestamp_ms,
            {"Monitor": monitor, "Region": entry.region, "GatewayId": entry.gateway_id},
            {"Errors": entry.errors, "Warnings": entry.warnings - len(drifted), "Drift": len(drifted)},
            GatewayName=entry.name, RootCauses=entry.root_causes, Problem=entry.problem,
            DriftFindings=[{"code": f.code, "message": f.message,
                            "explains": f.evidence.get("explains", [])} for f in drifted]))
    for code, gateways in sorted(per_code.items()):
        lines.append(_line(namespace, timestamp_ms, {"Monitor": monitor, "Code": code},
                           {"Findings": len(gateways)}, Severity=severities[code],
                           Gateways=sorted(set(gateways))))
    lines.append(_line(namespace, timestamp_ms, {"Monitor": monitor},
                       {"Errors": fleet.errors, "Drift": drift_total, "Gateways": len(fleet.entries),
                        "GatewaysWithErrors": sum(e.errors > 0 for e in fleet.entries)},
                       Regions=list(fleet.regions)))
    return lines


def render(lines: list[dict[str, Any]]) -> list[str]:
    """One log line per object: compact JSON, never wrapped."""
    return [json.dumps(line, separators=(",", ":"), default=str, ensure_ascii=False) for line in lines]
