"""`mcpauth monitor`: the fleet doctor on a schedule (monitor/), against the sandbox.

Three gateways set up by the real `init`; `monitor run-once --state DIR` before and after one of
them is broken the way a console edit breaks it (its ChatGPT callback removed): EMF lines
valid per the Embedded Metric Format, an Errors metric > 0 for the broken gateway and 0 for
the others, and the drift (callback removed) named beside its root cause. The template passes
cfn-lint (as written, and as the SAM transform turns it into CloudFormation); the IAM actions
it allows are exactly those the handler's calls need. Deploy and remove run against moto's
CloudFormation (it does not run the SAM transform: the calls and the consent are what is
tested); the package is given with --package, pip is faked only in the build's own test."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox.local import environment, working_folder
from mcpauth_wizard.sandbox.server import Sandbox
from tests.aws_proxy import AwsProxy
from tests.sandbox_fixtures import remove_callbacks, sandbox  # noqa: F401 - the module fixture
from tests.sandbox_fixtures import sandbox_boto as boto

pytestmark = pytest.mark.filterwarnings(  # moto's CloudFormation skips the types it lacks
    "ignore:Tried to parse AWS:UserWarning")
FAR = "eu-west-1"
UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
         "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
         "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
         "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
         "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}


def cli(sandbox: Sandbox, folder: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:  # noqa: F811
    """The CLI in this process against the sandbox: exit code, stdout, stderr."""
    from mcpauth_wizard.cli import main

    out, err = io.StringIO(), io.StringIO()
    with environment({**sandbox.aws_env(), "COLUMNS": "200", **(env or {})}), \
            working_folder(str(folder)), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def check_emf(line: dict[str, Any]) -> None:
    """One EMF record as CloudWatch reads it: `_aws.Timestamp` (ms), CloudWatchMetrics with a
    Namespace, dimension sets whose keys are string members, metrics whose names are numbers."""
    meta = line["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_500_000_000_000
    assert isinstance(meta["CloudWatchMetrics"], list) and meta["CloudWatchMetrics"]
    for directive in meta["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str) and directive["Namespace"]
        assert directive["Dimensions"] and all(isinstance(s, list) and len(s) <= 30
                                               for s in directive["Dimensions"])
        for dimension in (d for s in directive["Dimensions"] for d in s):
            assert isinstance(line[dimension], str) and line[dimension], dimension
        assert 1 <= len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            value = line[metric["Name"]]
            assert isinstance(value, int | float) and not isinstance(value, bool), metric
            assert metric.get("Unit", "None") in UNITS


def emf_lines(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(text) for text in out.splitlines()]  # every stdout line is one record
    for line in lines:
        check_emf(line)
    return lines


def by_gateway(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["GatewayId"]: line for line in lines if "GatewayId" in line}


@pytest.fixture(scope="module")
def runs(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # noqa: F811
    """Three gateways by init; run-once; one broken (its ChatGPT callback removed); run-once."""
    gateways = {}
    for index in range(3):
        seed = sandbox.seed(pool_name=f"monitor-pool-{index}", gateway_name=f"monitor-gw-{index}")
        code, _, err = cli(sandbox, tmp_path_factory.mktemp(f"monitor{index}"), "init", "--pool-id",
                           seed.pool_id, "--domain", f"monitor-login-{index}", "--gateway-id",
                           seed.gateway_id, "--platform", "chatgpt,claude", "--gateway-allowed-scopes",
                           "--yes", "--allow-breaking")
        assert code == 0, err
        gateways[seed.gateway_id] = seed.pool_id
    broken = list(gateways)[1]
    folder = tmp_path_factory.mktemp("monitor-runs")
    state = folder / "state"
    before = cli(sandbox, folder, "monitor", "run-once", "--state", str(state))
    snapshot_before = json.loads((state / "snapshots" / "us-east-1" / f"{broken}.json").read_text())
    remove_callbacks(sandbox, gateways[broken], "mcpauth-chatgpt")
    after = cli(sandbox, folder, "monitor", "run-once", "--state", str(state))
    return {"gateways": gateways, "broken": broken, "state": state, "before": before,
            "after": after, "snapshot_before": snapshot_before}


def test_run_once_prints_emf_lines_with_errors_only_for_the_broken_gateway(runs: dict[str, Any]) -> None:
    code, out, err = runs["after"]
    assert code == 1, err  # errors found, like `doctor --all`
    lines = emf_lines(out)
    per_gateway = by_gateway(lines)
    assert set(runs["gateways"]) <= set(per_gateway)
    for gateway_id, line in per_gateway.items():
        assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Monitor", "Region", "GatewayId"]]
        if gateway_id == runs["broken"]:
            assert line["Errors"] > 0 and line["RootCauses"] == ["COGNITO_CALLBACK_MISSING"]
        else:
            assert line["Errors"] == 0 and "RootCauses" not in line
    total = next(line for line in lines if set(line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == {"Monitor"})
    assert total["Errors"] == per_gateway[runs["broken"]]["Errors"]
    assert total["GatewaysWithErrors"] == 1 and total["Gateways"] == len(runs["gateways"])
    codes = {line["Code"]: line for line in lines if "Code" in line}
    assert codes["COGNITO_CALLBACK_MISSING"]["Findings"] == 1
    assert codes["COGNITO_CALLBACK_MISSING"]["Gateways"] == [runs["broken"]]


def test_the_first_run_is_all_good_and_keeps_a_snapshot_per_gateway(runs: dict[str, Any]) -> None:
    code, out, err = runs["before"]
    assert code == 0, err
    lines = emf_lines(out)
    assert all(line["Errors"] == 0 and line["Drift"] == 0 for line in by_gateway(lines).values())
    assert not [line for line in lines if "Code" in line]  # no finding code to count
    kept = sorted(p.stem for p in (runs["state"] / "snapshots" / "us-east-1").glob("*.json"))
    assert kept == sorted(runs["gateways"])
    assert "ClientSecret" not in json.dumps(runs["snapshot_before"])


def test_no_client_secret_reaches_a_log_line_or_a_snapshot(sandbox: Sandbox, runs: dict[str, Any]) -> None:  # noqa: F811
    cognito = boto(sandbox, "cognito-idp")
    secrets = [cognito.describe_user_pool_client(UserPoolId=pool, ClientId=c["ClientId"])[
                   "UserPoolClient"].get("ClientSecret")
               for pool in runs["gateways"].values()
               for c in cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]]
    assert len([s for s in secrets if s]) >= 6  # init made confidential clients: the check sees them
    written = "".join(runs[k][1] + runs[k][2] for k in ("before", "after"))
    written += "".join(p.read_text() for p in runs["state"].rglob("*.json"))
    assert not [s for s in secrets if s and s in written]


def test_the_second_run_names_the_drift_beside_the_root_cause(runs: dict[str, Any]) -> None:
    code, out, err = runs["after"]
    per_gateway = by_gateway(emf_lines(out))
    broken = per_gateway[runs["broken"]]
    assert broken["Drift"] == 1
    [drift] = broken["DriftFindings"]
    assert drift["code"] == "DRIFT_CALLBACK_REMOVED"
    assert "https://chatgpt.com/connector_platform_oauth_redirect" in drift["message"]
    assert "mcpauth-chatgpt" in drift["message"]
    assert "COGNITO_CALLBACK_MISSING" in drift["explains"]
    assert all(line["Drift"] == 0 for g, line in per_gateway.items() if g != runs["broken"])
    lines = err.splitlines()  # the summary: the drift on the line after its gateway's root cause
    at = next(i for i, line in enumerate(lines) if runs["broken"] in line)
    assert lines[at].startswith("✗") and "COGNITO_CALLBACK_MISSING" in lines[at]
    assert lines[at + 1].strip().startswith("drift: DRIFT_CALLBACK_REMOVED")
    # the broken run is not a good one: the last good snapshot is kept as it was
    kept = json.loads((runs["state"] / "snapshots" / "us-east-1" / f"{runs['broken']}.json").read_text())
    assert kept == runs["snapshot_before"]


def test_without_state_there_is_no_drift_and_it_is_said(sandbox: Sandbox, runs: dict[str, Any],  # noqa: F811
                                                       tmp_path: Path) -> None:
    code, out, err = cli(sandbox, tmp_path, "monitor", "run-once")
    assert code == 1
    assert all(line["Drift"] == 0 for line in by_gateway(emf_lines(out)).values())
    assert "drift was not compared" in err
    assert list(tmp_path.iterdir()) == []


# --- the template -------------------------------------------------------------------------


def sam_translate(template: dict[str, Any]) -> dict[str, Any]:
    """The template through the SAM translator (what CloudFormation's transform runs), offline."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    def no_managed_policies() -> dict[str, str]:
        raise AssertionError("the template should need no managed policy looked up")

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1"))
    return translator.translate(template, parameter_values={"CodeBucket": "b", "CodeKey": "k.zip"},
                                get_managed_policy_map=no_managed_policies)


def cfn_lint() -> list[str]:
    found = Path(sys.executable).parent / ("cfn-lint.exe" if os.name == "nt" else "cfn-lint")
    if not found.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"cfn-lint is not installed beside {sys.executable} (the test extra has it)")
        pytest.skip("cfn-lint is not installed (pip install -e '.[test]')")
    return [str(found)]


def test_the_template_passes_cfn_lint_as_written_and_as_transformed(sandbox: Sandbox,  # noqa: F811
                                                                    tmp_path: Path) -> None:
    code, _, err = cli(sandbox, tmp_path, "monitor", "template", "-o", str(tmp_path / "monitor.json"))
    assert code == 0, err
    template = json.loads((tmp_path / "monitor.json").read_text())
    translated = sam_translate(template)
    (tmp_path / "translated.json").write_text(json.dumps(translated))
    done = subprocess.run([*cfn_lint(), str(tmp_path / "monitor.json"), str(tmp_path / "translated.json")],
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")  # no error, warning or info
    types = sorted(r["Type"] for r in translated["Resources"].values())
    assert {"AWS::Lambda::Function", "AWS::Scheduler::Schedule", "AWS::CloudWatch::Alarm",
            "AWS::SNS::Topic", "AWS::Logs::LogGroup", "AWS::S3::Bucket"} <= set(types)
    assert "AWS::Serverless::Function" not in types and "PutMetricData" not in json.dumps(translated)
    function = next(r["Properties"] for r in translated["Resources"].values()
                    if r["Type"] == "AWS::Lambda::Function")
    assert function["Runtime"] == "python3.12"
    assert function["Handler"] == "mcpauth_wizard.monitor.handler.handler"
    assert function["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    schedule = next(r["Properties"] for r in translated["Resources"].values()
                    if r["Type"] == "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == {"Ref": "Schedule"}
    assert template["Parameters"]["Schedule"]["Default"] == "rate(15 minutes)"
    alarm = template["Resources"]["ErrorsAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == \
        ("Errors", 0, "GreaterThanThreshold")
    assert template["Resources"]["MonitorLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def _policy_actions(template: dict[str, Any]) -> dict[str, set[str]]:
    role = template["Resources"]["MonitorRole"]["Properties"]
    return {p["PolicyName"]: {a for s in p["PolicyDocument"]["Statement"] for a in s["Action"]}
            for p in role["Policies"]}


@pytest.fixture(scope="module")
def handler_calls(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # noqa: F811
    """The Lambda handler run twice over a gateway in eu-west-1 (passkeys on) with its drift
    store in S3, the setup broken between the runs (the resource server deleted, the claude
    client deleted and created again under its name); every AWS call it made."""
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.monitor.handler import handler

    control = boto(sandbox, "bedrock-agentcore-control", FAR)
    gateway = control.create_gateway(name="monitor-far", roleArn="arn:aws:iam::123456789012:role/gw",
                                     protocolType="MCP", authorizerType="AWS_IAM")["gatewayId"]
    code, _, err = cli(sandbox, tmp_path_factory.mktemp("far"), "--region", FAR, "init", "--new-pool",
                       "monitor-far", "--passkeys", "--domain", "monitor-far-login", "--gateway-id",
                       gateway, "--platform", "claude", "--gateway-allowed-scopes", "--yes",
                       "--allow-breaking")
    assert code == 0, err
    boto(sandbox, "s3").create_bucket(Bucket="monitor-drift-store")
    calls: list[tuple[str, str]] = []
    env = {**sandbox.aws_env(), "MCPAUTH_MONITOR_REGIONS": FAR, "MCPAUTH_MONITOR_BUCKET": "monitor-drift-store",
           "MCPAUTH_MONITOR_NAME": "test-stack"}

    def once() -> tuple[dict[str, Any], str]:
        out = io.StringIO()
        with environment(env), contextlib.redirect_stdout(out):
            aws = AwsContext(call_observers=[lambda service, op, _: calls.append((service, op))])
            return handler({}, None, aws=aws), out.getvalue()

    first = once()
    cognito = boto(sandbox, "cognito-idp", FAR)
    pool = next(p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "monitor-far")
    for server in cognito.list_resource_servers(UserPoolId=pool, MaxResults=50)["ResourceServers"]:
        cognito.delete_resource_server(UserPoolId=pool, Identifier=server["Identifier"])
    old = next(c for c in cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
               if c["ClientName"] == "mcpauth-claude")
    described = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=old["ClientId"])["UserPoolClient"]
    cognito.delete_user_pool_client(UserPoolId=pool, ClientId=old["ClientId"])
    new_id = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="mcpauth-claude", GenerateSecret=True,
        CallbackURLs=described["CallbackURLs"], AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True, SupportedIdentityProviders=["COGNITO"])["UserPoolClient"]["ClientId"]
    # as infrastructure as code replaces a client: the gateway admits the new id instead
    found = control.get_gateway(gatewayIdentifier=gateway)
    config = found["authorizerConfiguration"]
    config["customJWTAuthorizer"]["allowedClients"] = [new_id]
    control.update_gateway(gatewayIdentifier=gateway, name=found["name"], roleArn=found["roleArn"],
                           protocolType=found["protocolType"], authorizerType="CUSTOM_JWT",
                           authorizerConfiguration=config)
    second = once()
    return {"gateway": gateway, "calls": calls, "first": first, "second": second}


def test_the_policy_allows_exactly_what_the_handler_calls(handler_calls: dict[str, Any]) -> None:
    from mcpauth_wizard.monitor.iam import action_of
    from mcpauth_wizard.monitor.template import build

    observed = {action_of(service, op) for service, op in handler_calls["calls"]}
    policies = _policy_actions(build())
    assert set(policies) == {"doctor-reads-and-drift-store", "own-log-group"}
    assert observed == policies["doctor-reads-and-drift-store"]
    # the other policy is the Lambda service's own writing of the function's log lines
    assert policies["own-log-group"] == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert all(not a.split(":")[1].startswith(("Create", "Update", "Delete", "Put", "Set"))
               for a in observed if not a.startswith("s3:"))  # the doctor only reads
    statements = build()["Resources"]["MonitorRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    for statement in statements:
        if any(a.startswith("s3:") for a in statement["Action"]):
            assert "*" not in statement["Resource"]  # the drift store: its own bucket only


def test_the_handler_reports_drift_from_its_s3_store(handler_calls: dict[str, Any]) -> None:
    first, _ = handler_calls["first"]
    second, out = handler_calls["second"]
    assert first["errors"] == 0 and first["snapshots_saved"] == [handler_calls["gateway"]]
    assert second["errors"] > 0 and second["snapshots_saved"] == []
    drift = second["drift"][handler_calls["gateway"]]
    assert "DRIFT_CLIENT_RECREATED" in drift and "DRIFT_SCOPE_REMOVED" in drift
    assert "DRIFT_ALLOWED_CLIENT_REMOVED" not in drift  # the re-created client's story is told once
    line = by_gateway([json.loads(t) for t in out.splitlines() if t.startswith("{")])[handler_calls["gateway"]]
    check_emf(line)
    assert line["Monitor"] == "test-stack" and line["Drift"] == len(drift)
    assert "COGNITO_RESOURCE_SERVER_MISSING" in line["RootCauses"]


def test_the_iam_table_names_real_actions_on_the_right_resources() -> None:
    """cfn-lint's copy of the IAM service reference: every action exists, and one that takes
    no resource type is given "*", one that does is scoped."""
    import cfnlint

    from mcpauth_wizard.monitor.iam import ANY, OPERATIONS

    reference = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" /
                            "Policies.json").read_text())
    for action, where in OPERATIONS.values():
        prefix, name = action.split(":")
        known = reference[prefix]["Actions"][name.lower()]
        assert bool(known.get("Resources")) == (where != ANY), action


# --- deploy and remove (moto's CloudFormation) --------------------------------------------


def fake_package(folder: Path, marker: str = "mcpauth_wizard/monitor/handler.py") -> Path:
    path = folder / "monitor.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(marker, "def handler(event, context):\n    return {}\n")
    return path


def _stack(sandbox: Sandbox, name: str) -> dict[str, Any] | None:  # noqa: F811
    stacks = boto(sandbox, "cloudformation").list_stacks()["StackSummaries"]
    return next((s for s in stacks if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"), None)


def test_deploy_with_yes_shows_the_change_set_then_creates_the_stack(sandbox: Sandbox,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    from mcpauth_wizard.monitor.package import digest
    from mcpauth_wizard.monitor.template import build

    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-yes")
    package = fake_package(tmp_path)
    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-yes",
                       "--package", str(package), "--stack-name", "mon-yes", "--regions",
                       "us-east-1,eu-west-1", "--email", "ops@example.com", "--yes")
    assert code == 0, err
    operations = sandbox.control_plane.log.operations()
    assert [o for o in operations if "ChangeSet" in o][:1] == ["CreateChangeSet"]
    assert "ExecuteChangeSet" in operations
    for logical in build()["Resources"]:  # each resource change shown before it is executed
        assert any(line.strip().startswith("+ Add") and line.split()[-1] == logical
                   for line in err.splitlines()), logical
    stack = boto(sandbox, "cloudformation").describe_stacks(StackName="mon-yes")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    key = f"mcpauth-monitor/{digest(package)}.zip"
    assert params["CodeBucket"] == "monitor-deploy-yes" and params["CodeKey"] == key
    assert params["Regions"] == "us-east-1,eu-west-1" and params["AlertEmail"] == "ops@example.com"
    body = boto(sandbox, "s3").get_object(Bucket="monitor-deploy-yes", Key=key)["Body"].read()
    assert body == package.read_bytes()
    assert "Confirm the subscription e-mail" in err

    # the same again: nothing to change, nothing executed
    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-yes",
                       "--package", str(package), "--stack-name", "mon-yes", "--regions",
                       "us-east-1,eu-west-1", "--email", "ops@example.com", "--yes")
    assert code == 0, err
    assert "nothing to change" in err and "ExecuteChangeSet" not in sandbox.control_plane.log.operations(), err


def test_a_code_only_update_keeps_the_deployed_settings(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    """Deployed with regions, e-mail, schedule and retention; then a deploy with new code
    and no such flags: every one is kept (UsePreviousValue), the screen says so, and a flag
    given again with another value is shown as before → after."""
    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-keep")
    first = fake_package(tmp_path)
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-keep",
                       "--package", str(first), "--stack-name", "mon-keep", "--regions",
                       "us-east-1,eu-west-1", "--email", "ops@example.com", "--schedule",
                       "rate(1 hour)", "--log-retention-days", "365", "--yes")
    assert code == 0, err
    cf = boto(sandbox, "cloudformation")

    def deployed() -> dict[str, str]:
        stack = cf.describe_stacks(StackName="mon-keep")["Stacks"][0]
        return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}

    before = deployed()
    (tmp_path / "v2").mkdir()
    second = fake_package(tmp_path / "v2")
    with zipfile.ZipFile(second, "a") as archive:  # other code: an update to make
        archive.writestr("mcpauth_wizard/monitor/version.txt", "2")
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-keep",
                       "--package", str(second), "--stack-name", "mon-keep", "--yes")
    assert code == 0, err
    after = deployed()
    for key in ("Regions", "AlertEmail", "Schedule", "LogRetentionDays"):
        assert after[key] == before[key], (key, before, after)
    assert after["CodeKey"] != before["CodeKey"]
    assert "kept as deployed: Regions, Schedule, AlertEmail, LogRetentionDays" in err, err
    (tmp_path / "v3").mkdir()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-keep",
                       "--package", str(second), "--stack-name", "mon-keep", "--schedule",
                       "rate(30 minutes)", "--yes")
    assert code == 0, err
    assert "Parameter Schedule: 'rate(1 hour)' → 'rate(30 minutes)'" in err, err
    assert deployed()["Schedule"] == "rate(30 minutes)" and deployed()["Regions"] == before["Regions"]


def test_a_declined_deploy_executes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-no")
    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-no",
                       "--package", str(fake_package(tmp_path)), "--stack-name", "mon-no")
    assert code == 1
    operations = sandbox.control_plane.log.operations()
    assert "CreateChangeSet" in operations and "DescribeChangeSet" in operations
    assert "ExecuteChangeSet" not in operations
    assert "DeleteChangeSet" in operations  # declined: the change set is not left behind
    assert any(line.strip().startswith("+ Add") for line in err.splitlines())  # it was shown
    assert "Nothing was executed" in err and "--yes" in err
    assert _stack(sandbox, "mon-no") is None


def test_consent_defaults_to_no_in_a_terminal(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    import pexpect

    from tests.terminal import spawn_mcpauth

    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-tty")
    package = fake_package(tmp_path)
    with environment(sandbox.aws_env()):
        child = spawn_mcpauth(tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-tty",
                              "--package", str(package), "--stack-name", "mon-tty")
    child.expect("Execute this change set")
    child.sendline("")  # Enter: the default
    child.expect("Nothing was executed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert _stack(sandbox, "mon-tty") is None
    assert "ExecuteChangeSet" not in sandbox.control_plane.log.operations()


def test_remove_asks_then_deletes_the_stack_and_its_snapshots(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-rm")
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-rm",
                       "--package", str(fake_package(tmp_path)), "--stack-name", "mon-rm", "--yes")
    assert code == 0, err
    cf = boto(sandbox, "cloudformation")
    bucket = cf.describe_stack_resource(StackName="mon-rm", LogicalResourceId="StateBucket")[
        "StackResourceDetail"]["PhysicalResourceId"]
    boto(sandbox, "s3").put_object(Bucket=bucket, Key="snapshots/us-east-1/abc.json", Body=b"{}")

    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "remove", "--stack-name", "mon-rm")
    assert code == 1 and "Nothing was deleted" in err and "1 drift snapshot(s)" in err
    assert "DeleteStack" not in sandbox.control_plane.log.operations()
    assert _stack(sandbox, "mon-rm") is not None

    code, _, err = cli(sandbox, tmp_path, "monitor", "remove", "--stack-name", "mon-rm", "--yes")
    assert code == 0, err
    assert _stack(sandbox, "mon-rm") is None and "deleted" in err
    code, _, err = cli(sandbox, tmp_path, "monitor", "remove", "--stack-name", "mon-rm", "--yes")
    assert code == 0 and "nothing to remove" in err


def test_a_stack_deploy_did_not_make_is_neither_updated_nor_deleted(sandbox: Sandbox,  # noqa: F811
                                                                     tmp_path: Path) -> None:
    """Someone's own stack under the name given: deploy would replace its template and remove
    would delete it; both refuse (one line, exit 2) without a change set or a delete."""
    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-foreign")
    cf = boto(sandbox, "cloudformation")
    cf.create_stack(StackName="team-stack", TemplateBody=json.dumps({"Resources": {
        "Topic": {"Type": "AWS::SNS::Topic"}}}), Tags=[{"Key": "team", "Value": "payments"}])
    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-foreign",
                       "--package", str(fake_package(tmp_path)), "--stack-name", "team-stack", "--yes")
    assert code == 2 and "not made by `mcpauth monitor deploy`" in err and "nothing changed" in err, err
    code, _, err = cli(sandbox, tmp_path, "monitor", "remove", "--stack-name", "team-stack", "--yes")
    assert code == 2 and "nothing deleted" in err, err
    operations = sandbox.control_plane.log.operations()
    assert not {"CreateChangeSet", "ExecuteChangeSet", "DeleteStack", "PutObject"} & set(operations), operations
    assert _stack(sandbox, "team-stack") is not None


@pytest.mark.parametrize(("args", "says"), [
    (["deploy", "--bucket", "Bad_Bucket", "--package", "{pkg}"], "not an S3 bucket name"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{pkg}", "--stack-name", "9lives"], "--stack-name"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{pkg}", "--schedule", "every 5 min"], "--schedule"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{pkg}", "--email", "not-an-address"], "--email"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{pkg}", "--log-retention-days", "2"],
     "--log-retention-days 2"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{pkg}", "--regions", "nowhere-9"], "nowhere-9"),
    (["deploy", "--bucket", "ok-bucket", "--package", "missing.zip"], "no such file"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{text}"], "not a zip file"),
    (["deploy", "--bucket", "ok-bucket", "--package", "{other}"], "not a monitor package"),
    (["remove", "--stack-name", "bad name"], "--stack-name"),
    (["run-once", "--regions", "nowhere-9"], "nowhere-9"),
    (["run-once", "--state", "{text}"], "--state"),
])
def test_bad_input_is_one_line_exit_2_and_no_aws_call(sandbox: Sandbox, tmp_path: Path,  # noqa: F811
                                                      args: list[str], says: str) -> None:
    (tmp_path / "other").mkdir()
    names = {"{pkg}": str(fake_package(tmp_path)), "{text}": str(tmp_path / "note.txt"),
             "{other}": str(fake_package(tmp_path / "other", "something_else.py"))}
    (tmp_path / "note.txt").write_text("not a zip")
    sandbox.control_plane.log.clear()
    code, out, err = cli(sandbox, tmp_path, "monitor", *[names.get(a, a) for a in args])
    assert code == 2, err
    assert says in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert sandbox.control_plane.log.operations() == []


def test_a_code_bucket_in_another_region_is_bad_input(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    boto(sandbox, "s3", FAR).create_bucket(Bucket="monitor-far-code",
                                          CreateBucketConfiguration={"LocationConstraint": FAR})
    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-far-code",
                       "--package", str(fake_package(tmp_path)))
    assert code == 2 and f"is in {FAR}" in err and len(err.strip().splitlines()) == 1
    assert "CreateChangeSet" not in sandbox.control_plane.log.operations()


# --- the package (pip faked: the one step that would need the network) ---------------------


def test_the_package_is_the_wheel_installed_for_lambda_and_zipped(tmp_path: Path) -> None:
    from mcpauth_wizard.monitor import package

    commands: list[list[str]] = []

    def fake_pip(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append(argv)
        if argv[3] == "wheel":
            wheels = Path(argv[argv.index("--wheel-dir") + 1])
            (wheels / "mcpauth-0.1.0-py3-none-any.whl").write_bytes(b"wheel")
        else:
            target = Path(argv[argv.index("--target") + 1])
            for name in (package.MARKER, "httpx/__init__.py", "bin/mcpauth",
                         "mcpauth_wizard/__pycache__/x.cpython-312.pyc"):
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_text(name)
        return subprocess.CompletedProcess(argv, 0, "", "")

    first = package.build(tmp_path / "a.zip", tmp_path / "work-a", runner=fake_pip)
    second = package.build(tmp_path / "b.zip", tmp_path / "work-b", runner=fake_pip)
    install = commands[1]
    for flag, value in (("--platform", "manylinux2014_x86_64"), ("--python-version", "3.12"),
                        ("--implementation", "cp")):
        assert install[install.index(flag) + 1] == value
    assert "--only-binary=:all:" in install and install[-1].endswith("mcpauth-0.1.0-py3-none-any.whl")
    assert commands[0][3] == "wheel" and "--no-deps" in commands[0]
    names = zipfile.ZipFile(first).namelist()
    assert sorted(names) == ["httpx/__init__.py", package.MARKER]  # no caches, no scripts
    assert package.digest(first) == package.digest(second)  # the same files, the same zip


def test_when_pip_cannot_build_it_says_so_in_one_line(tmp_path: Path) -> None:
    from mcpauth_wizard.monitor import package

    def failing_pip(argv: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "Collecting x\nERROR: No matching distribution found for cryptography\n")

    with pytest.raises(package.PackageFailed) as failed:
        package.build(tmp_path / "a.zip", tmp_path / "work", runner=failing_pip)
    message = str(failed.value)
    assert "\n" not in message and "No matching distribution found for cryptography" in message
    assert "--package FILE.zip" in message and failed.value.exit_code == 1


class _Stack:
    """A CloudFormation client whose stack goes through `statuses`, one per poll."""

    def __init__(self, statuses: list[str], events: list[dict[str, Any]]) -> None:
        self.statuses, self.events, self.polls = statuses, events, 0

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        status = self.statuses[min(self.polls, len(self.statuses) - 1)]
        self.polls += 1
        return {"Stacks": [{"StackId": "arn:stack/mon", "StackStatus": status}]}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:  # noqa: N803
        shown = self.events[:self.polls]
        return {"StackEvents": list(reversed(shown))}  # newest first, as AWS lists them


def _event(n: int, status: str, logical: str, reason: str = "") -> dict[str, Any]:
    return {"EventId": f"e{n}", "ResourceStatus": status, "ResourceType": "AWS::Lambda::Function",
            "LogicalResourceId": logical, **({"ResourceStatusReason": reason} if reason else {})}


def test_the_wait_prints_progress_and_names_the_failing_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from mcpauth_wizard.core.errors import AwsProblem
    from mcpauth_wizard.monitor import deploy

    monkeypatch.setattr(deploy, "POLL_SECONDS", 0)
    events = [_event(1, "CREATE_IN_PROGRESS", "MonitorFunction"),
              _event(2, "CREATE_FAILED", "MonitorFunction", "Resource handler returned message: bad code"),
              _event(3, "ROLLBACK_COMPLETE", "mon")]
    said: list[str] = []
    stack = _Stack(["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "ROLLBACK_COMPLETE"], events)
    with pytest.raises(AwsProblem) as failed:
        deploy._wait_stack(stack, "mon", time.monotonic() + 3600, said.append, seen=set())
    assert "ROLLBACK_COMPLETE" in str(failed.value) and "MonitorFunction — Resource handler" in str(failed.value)
    assert [line.split()[0] for line in said] == ["CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_COMPLETE"]


def test_the_wait_stops_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from mcpauth_wizard.core.errors import AwsProblem
    from mcpauth_wizard.monitor import deploy

    monkeypatch.setattr(deploy, "POLL_SECONDS", 0)
    stack = _Stack(["CREATE_IN_PROGRESS"], [_event(1, "CREATE_IN_PROGRESS", "StateBucket")])
    with pytest.raises(AwsProblem) as late:
        deploy._wait_stack(stack, "mon", time.monotonic() - 1, lambda _: None, seen=set())
    assert "still CREATE_IN_PROGRESS at the deadline" in str(late.value)
    assert "describe-stacks --stack-name mon" in str(late.value)


def test_a_failing_drift_store_fails_the_run_after_the_metrics_are_written(
        sandbox: Sandbox, runs: dict[str, Any]) -> None:  # noqa: F811
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.monitor.handler import handler

    out = io.StringIO()
    env = {**sandbox.aws_env(), "MCPAUTH_MONITOR_BUCKET": "monitor-no-such-bucket"}
    with environment(env), contextlib.redirect_stdout(out), pytest.raises(RuntimeError) as failed:
        handler({"regions": ["us-east-1"]}, None, aws=AwsContext())
    assert "the drift store failed" in str(failed.value) and "monitor-no-such-bucket" in str(failed.value)
    written = by_gateway([json.loads(t) for t in out.getvalue().splitlines() if t.startswith("{")])
    assert set(runs["gateways"]) <= set(written)  # the doctor's metrics went out first
    assert written[runs["broken"]]["Errors"] > 0


@pytest.mark.parametrize(("answer", "told"), [
    (None, "the client as AWS describes it"),
    ("ResourceNotFoundException", "gone: None"),
    ("AccessDeniedException", "raised: drift not compared"),
    ("ThrottlingException", "raised: drift not compared"),
])
def test_only_not_found_makes_a_client_gone(sandbox: Sandbox, runs: dict[str, Any],  # noqa: F811
                                            answer: str | None, told: str) -> None:
    """A client of the last snapshot this run did not probe is read again: only AWS's
    not-found makes it gone (DRIFT_CLIENT_REMOVED); a denied or throttled read is raised, so
    the gateway's drift is not compared and its snapshot is not replaced."""
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.monitor.handler import _described_missing

    gateway_id, pool_id = next(iter(runs["gateways"].items()))
    client = next(c for c in boto(sandbox, "cognito-idp").list_user_pool_clients(
        UserPoolId=pool_id, MaxResults=60)["UserPoolClients"] if c["ClientName"] == "mcpauth-claude")
    old = {"clients": {client["ClientId"]: {"ClientName": "mcpauth-claude"}}}
    new = {"clients": {}}

    def rule(operation: str) -> str | None:
        return answer if operation == "DescribeUserPoolClient" else None

    with AwsProxy(sandbox.endpoint_url, rule=rule) as proxy, \
            environment({**sandbox.aws_env(), "AWS_MAX_ATTEMPTS": "1"}):
        aws = AwsContext(endpoint_url=proxy.url)
        if told.startswith("raised"):
            with pytest.raises(Exception) as raised:
                _described_missing(aws, pool_id, old, new)
            assert answer.removesuffix("Exception").lower()[:6] in str(raised.value).lower().replace(" ", "")
        else:
            found = _described_missing(aws, pool_id, old, new)
            # not found: gone (its name's twin, looked up by name, is not found either)
            assert [c["ClientId"] for c in found] == ([client["ClientId"]] if answer is None else [])


def test_someone_elses_pending_create_is_not_deleted_by_a_declined_deploy(sandbox: Sandbox,  # noqa: F811
                                                                          tmp_path: Path) -> None:
    """A stack REVIEW_IN_PROGRESS (someone's change set, not executed) under the name given:
    deploy refuses before making a change set, so a decline cannot delete their stack."""
    boto(sandbox, "s3").create_bucket(Bucket="monitor-deploy-pending")
    cf = boto(sandbox, "cloudformation")
    cf.create_change_set(StackName="pending-stack", ChangeSetName="theirs", ChangeSetType="CREATE",
                         TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    assert _stack(sandbox, "pending-stack")["StackStatus"] == "REVIEW_IN_PROGRESS"
    sandbox.control_plane.log.clear()
    code, _, err = cli(sandbox, tmp_path, "monitor", "deploy", "--bucket", "monitor-deploy-pending",
                       "--package", str(fake_package(tmp_path)), "--stack-name", "pending-stack")
    assert code == 2 and "not made by `mcpauth monitor deploy`" in err, err
    operations = sandbox.control_plane.log.operations()
    assert not {"CreateChangeSet", "DeleteStack", "DeleteChangeSet", "PutObject"} & set(operations), operations
    assert _stack(sandbox, "pending-stack") is not None


@pytest.mark.parametrize(("content", "kept"), [
    (b'{"gateway": {}}', True),  # a snapshot
    (b"not json", False),  # damaged: no baseline
    (b"[1, 2]", False),  # not an object
    (b'{"pad": "' + b"x" * (256 * 1024) + b'"}', False),  # past the bound: not read whole
])
def test_a_snapshot_is_read_within_its_bound(tmp_path: Path, content: bytes, kept: bool) -> None:
    from mcpauth_wizard.monitor.store import FolderStore, key_of

    path = tmp_path / key_of("us-east-1", "gw1")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    loaded = FolderStore(tmp_path).load("us-east-1", "gw1")
    assert (loaded is not None) == kept, loaded
