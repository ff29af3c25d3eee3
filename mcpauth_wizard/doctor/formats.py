"""The doctor's report in formats other tools read: SARIF 2.1.0 (code scanning) and JUnit XML
(CI test reports). Pure functions of the JSON report dict (`Report.as_dict()`, what `--json`
prints), so secrets and token signatures are already redacted exactly as there.

SARIF, as GitHub code scanning reads it (docs: "SARIF support for code scanning"): a rule per
finding code of the table (`findings.CODES`), each with its short and full description, help
text and level; a result per finding with a message, a level and a location. GitHub shows a
result only with a physical location in the repository (an https URL as the artifact is
refused), and a finding is about configuration, not a line of code: the location is the
project file (`mcpauth.toml`, line 1) when the run had one, and always a logical location
naming the platform and the step. Each result has its own fingerprint (code, platform, step,
MCP URL and its occurrence among equal ones), so two findings on the same line are two
alerts, and a finding is the same alert from run to run. A platform's predicted behaviour
(the report's `predicted`, from the client registry) is a result too, at level note.

JUnit: a <testsuite> per platform ("setup" for the steps every platform shares), a
<testcase> per step (classname = the platform) plus one for each platform's verdict; error
findings are a <failure>, a skipped step <skipped>, warnings and notes <system-out>.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from mcpauth_wizard.doctor.explanations import EXPLANATIONS, explain_markdown, help_uri, plain
from mcpauth_wizard.doctor.findings import CODES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
SETUP = "setup"  # the suite of the steps every platform shares
_RULE_INDEX = {code: index for index, code in enumerate(CODES)}
_TEXT_LIMIT = 1024  # GitHub: shortDescription and fullDescription are limited to 1024 characters


def _cut(text: str, limit: int = _TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rule_name(code: str) -> str:
    """COGNITO_CALLBACK_MISSING → CognitoCallbackMissing (SARIF's rule name, a readable id)."""
    return "".join(part.capitalize() for part in code.split("_"))


def findings_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for step in report.get("steps", []) for f in step.get("findings", [])]


def step_platform(step: dict[str, Any], platforms: set[str]) -> str | None:
    """The platform a step is about: the last part of its id (`authorize.claude`), else the one
    platform all its findings name (the sign-in step), else None (a step every platform shares)."""
    last = str(step.get("id", "")).rsplit(".", 1)[-1]
    if last in platforms:
        return last
    named = {f.get("platform") for f in step.get("findings", [])}
    if len(named) == 1 and None not in named and next(iter(named)) in platforms:
        return next(iter(named))
    return None


def _known_platforms(report: dict[str, Any]) -> set[str]:
    from mcpauth_wizard.mcp.platforms import PLATFORMS

    return set(report.get("platforms", {})) | set(PLATFORMS)


def _message(finding: dict[str, Any]) -> str:
    text = str(finding.get("message", "")).rstrip()
    fix = str(finding.get("fix") or "").strip()
    if fix:
        text += ("" if text.endswith((".", "!", "?")) else ".") + f" Fix: {fix}"
    return text


# --- SARIF -------------------------------------------------------------------------------------

def sarif_rules() -> list[dict[str, Any]]:
    """One reportingDescriptor per code of the finding table, in the table's order."""
    rules = []
    for code, (severity, meaning) in CODES.items():
        item = EXPLANATIONS[code]
        rule: dict[str, Any] = {
            "id": code,
            "name": _rule_name(code),
            "shortDescription": {"text": _cut(plain(meaning))},
            "fullDescription": {"text": _cut(plain(item.why))},
            "help": {"text": _cut(f"{plain(item.why)} Fix: {plain(item.fix)}", 8000),
                     "markdown": explain_markdown(code)},
            "defaultConfiguration": {"level": LEVEL[severity]},
            "properties": {"tags": list(dict.fromkeys(["mcp", "oauth", code.split("_", 1)[0].lower()])),
                           "problem.severity": PROBLEM_SEVERITY[severity]},
        }
        uri = help_uri(code)
        if uri:
            rule["helpUri"] = uri
        rules.append(rule)
    return rules


def _fingerprint(url: str, code: str, platform: str | None, step: str, kind: str) -> str:
    return hashlib.sha256("\x1f".join([kind, url, code, platform or "", step]).encode()).hexdigest()


def _location(artifact: str | None, platform: str | None, step: str) -> dict[str, Any]:
    where = platform or SETUP
    location: dict[str, Any] = {
        "logicalLocations": [{"name": step or where, "fullyQualifiedName": f"{where}/{step}"}],
    }
    if artifact:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": artifact, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 1},
        }
    return location


def _result(code: str, level: str, text: str, *, artifact: str | None, url: str,
            platform: str | None, step: str, kind: str, properties: dict[str, Any],
            seen: dict[str, int]) -> dict[str, Any]:
    digest = _fingerprint(url, code, platform, step, kind)
    seen[digest] = occurrence = seen.get(digest, 0) + 1  # the same finding twice in a step
    return {
        "ruleId": code,
        "ruleIndex": _RULE_INDEX[code],
        "level": level,
        "message": {"text": text},
        "locations": [_location(artifact, platform, step)],
        # GitHub code scanning identifies an alert by primaryLocationLineHash: one per
        # finding (not per line of mcpauth.toml), stable from run to run
        "partialFingerprints": {"primaryLocationLineHash": f"{digest[:16]}:{occurrence}",
                                "mcpauthFinding/v1": f"{digest}:{occurrence}"},
        "properties": {k: v for k, v in properties.items() if v not in (None, "", [], {})},
    }


def to_sarif(report: dict[str, Any], *, version: str | None = None,
             artifact: str | None = None) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log: one run of the tool `mcpauth`. `artifact`: the
    repository path results are shown at (the project file), or None for logical locations
    only (GitHub then does not display them)."""
    if version is None:
        from mcpauth_wizard import __version__ as version
    url = str(report.get("target", {}).get("url") or "")
    roots = set(report.get("root_causes", []))
    platforms = _known_platforms(report)
    results: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for step in report.get("steps", []):
        step_id = str(step.get("id", ""))
        for finding in step.get("findings", []):
            code = finding["code"]
            results.append(_result(
                code, LEVEL[CODES[code][0]], _message(finding), artifact=artifact, url=url,
                platform=finding.get("platform") or step_platform(step, platforms), step=step_id,
                kind="finding", seen=seen,
                properties={"step": step_id, "stepTitle": step.get("title"),
                            "platform": finding.get("platform"),
                            "causedBy": finding.get("caused_by"),
                            "rootCause": code in roots and not finding.get("caused_by"),
                            "evidence": finding.get("evidence")}))
    for name, verdict in report.get("platforms", {}).items():
        for predicted in verdict.get("predicted", []):  # known client behaviour, not a finding
            code = predicted.get("code")
            if code not in CODES:
                continue
            text = (f"{name} ({predicted.get('confidence', 'reported')} behaviour): "
                    f"{predicted.get('text', '')}. Fix: {predicted.get('fix', '')}")
            results.append(_result(
                code, "note", text, artifact=artifact, url=url, platform=name,
                step=f"platforms.{name}", kind="prediction", seen=seen,
                properties={"platform": name, "predicted": True,
                            "confidence": predicted.get("confidence"),
                            "oauthError": predicted.get("error")}))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "mcpauth", "version": version, "semanticVersion": version,
                            "rules": sarif_rules()}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "mcpauthDoctor": report.get("mcpauth_doctor"),
            "target": report.get("target"),
            "rootCauses": report.get("root_causes", []),
            "worthALook": report.get("worth_a_look", []),
            "platforms": {k: v.get("verdict") for k, v in report.get("platforms", {}).items()},
            "summary": report.get("summary"),
        },
    }
    if artifact:
        run["artifacts"] = [{"location": {"uri": artifact, "uriBaseId": "%SRCROOT%"},
                             "roles": ["analysisTarget"]}]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def sarif_text(report: dict[str, Any], **kwargs: Any) -> str:
    return json.dumps(to_sarif(report, **kwargs), indent=2, ensure_ascii=False, default=str) + "\n"


# --- JUnit XML -----------------------------------------------------------------------------

# XML 1.0 has no place for most control characters: an answer a hostile server sent (echoed
# in a message) must not make the report unreadable
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def _seconds(ms: Any) -> str:
    try:
        return f"{float(ms) / 1000:.3f}"
    except (TypeError, ValueError):
        return "0.000"


def _line(finding: dict[str, Any]) -> str:
    where = f" [{finding['platform']}]" if finding.get("platform") else ""
    cause = f" (because of {finding['caused_by']})" if finding.get("caused_by") else ""
    return f"{finding['code']}{where}: {_message(finding)}{cause}"


def _testcase(suite: ET.Element, name: str, classname: str, time: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"name": _xml(name), "classname": _xml(classname),
                                             "time": time})


def _step_case(suite: ET.Element, step: dict[str, Any], classname: str) -> str:
    """One step as a testcase; returns its outcome: passed, failed or skipped."""
    case = _testcase(suite, f"{step.get('id')}: {step.get('title')}", classname,
                     _seconds(step.get("duration_ms")))
    findings = step.get("findings", [])
    errors = [f for f in findings if CODES[f["code"]][0] == "error"]
    others = [f for f in findings if CODES[f["code"]][0] != "error"]
    outcome = "passed"
    if errors or step.get("status") == "fail":
        first = errors[0] if errors else None
        failure = ET.SubElement(case, "failure", {
            "type": _xml(first["code"] if first else "STEP_FAILED"),
            "message": _xml(f"{first['code']}: {first['message']}" if first
                            else step.get("note") or "the step failed")})
        failure.text = _xml("\n".join(_line(f) for f in errors) or step.get("note") or "")
        outcome = "failed"
    elif step.get("status") == "skip":
        ET.SubElement(case, "skipped", {"message": _xml(step.get("note") or "skipped")})
        outcome = "skipped"
    out = [f"{CODES[f['code']][0].upper()} {_line(f)}" for f in others]
    if step.get("note") and outcome != "skipped":
        out.insert(0, f"note: {step['note']}")
    if out:
        ET.SubElement(case, "system-out").text = _xml("\n".join(out))
    return outcome


def _verdict_case(suite: ET.Element, name: str, verdict: dict[str, Any]) -> str:
    kind = verdict.get("verdict", "unknown")
    codes = ", ".join(verdict.get("codes", []))
    case = _testcase(suite, f"verdict: {kind}", name, "0.000")
    detail = "; ".join(x for x in (codes, verdict.get("note", "")) if x)
    out = [f"{p.get('code')} ({p.get('confidence')}): {p.get('text')}. Fix: {p.get('fix')}"
           for p in verdict.get("predicted", [])]
    outcome = "passed"
    if kind in ("needs_action", "incompatible"):
        ET.SubElement(case, "failure", {"type": kind, "message": _xml(
            f"{name}: {kind.replace('_', ' ')}" + (f" ({detail})" if detail else ""))}).text = \
            _xml(detail)
        outcome = "failed"
    elif kind == "unknown":
        ET.SubElement(case, "skipped", {"message": _xml(
            "unknown: " + (detail or "a check it depends on did not finish"))})
        outcome = "skipped"
    elif detail:
        out.insert(0, f"{kind}: {detail}")
    if out:
        ET.SubElement(case, "system-out").text = _xml("\n".join(out))
    return outcome


def to_junit(report: dict[str, Any]) -> ET.Element:
    """The report as JUnit XML: <testsuites> of a "setup" suite and one per platform."""
    platforms = _known_platforms(report)
    verdicts = report.get("platforms", {})
    groups: dict[str, list[dict[str, Any]]] = {SETUP: []}
    groups.update({name: [] for name in verdicts})
    for step in report.get("steps", []):
        groups.setdefault(step_platform(step, platforms) or SETUP, []).append(step)
    root = ET.Element("testsuites", {"name": "mcpauth doctor"})
    totals = {"tests": 0, "failures": 0, "skipped": 0, "time": 0.0}
    for name, steps in groups.items():
        if not steps and name not in verdicts:
            continue
        suite = ET.SubElement(root, "testsuite", {"name": _xml(name)})
        if name == SETUP:
            target = report.get("target", {})
            props = ET.SubElement(suite, "properties")
            for key in ("url", "region", "user_pool_id", "gateway_id", "issuer"):
                if target.get(key):
                    ET.SubElement(props, "property", {"name": key, "value": _xml(target[key])})
            ET.SubElement(props, "property", {
                "name": "root_causes", "value": _xml(", ".join(report.get("root_causes", [])))})
        outcomes = [_step_case(suite, step, name) for step in steps]
        if name in verdicts:
            outcomes.append(_verdict_case(suite, name, verdicts[name]))
        seconds = sum(float(_seconds(s.get("duration_ms"))) for s in steps)
        counts = {"tests": len(outcomes), "failures": outcomes.count("failed"),
                  "skipped": outcomes.count("skipped")}
        suite.attrib.update({k: str(v) for k, v in counts.items()})
        suite.attrib.update({"errors": "0", "time": f"{seconds:.3f}"})
        for key, value in counts.items():
            totals[key] += value
        totals["time"] += seconds
    root.attrib.update({"tests": str(totals["tests"]), "failures": str(totals["failures"]),
                        "errors": "0", "skipped": str(totals["skipped"]),
                        "time": f"{totals['time']:.3f}"})
    return root


def junit_text(report: dict[str, Any]) -> str:
    root = to_junit(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: dict[str, Any], fmt: str, **kwargs: Any) -> str:
    """The report dict in `fmt` (sarif or junit; json is render.as_json's) as text to print or write."""
    if fmt == "sarif":
        return sarif_text(report, **kwargs)
    if fmt == "junit":
        return junit_text(report)
    raise ValueError(f"no such format {fmt!r}")
