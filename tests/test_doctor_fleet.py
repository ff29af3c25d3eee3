"""`mcpauth doctor --all`: every gateway with a JWT authorizer, in the sandbox.

Three gateways set up by the real `init` (each its own pool and folder), a fourth in another
region, an IAM gateway that is skipped; one setup broken afterwards the way a console edit
breaks it (its ChatGPT callback removed). The fleet run reports each gateway, names the
broken one with its root cause and exits 1; AWS throttling is absorbed by the retries."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from mcpauth_wizard.sandbox.local import environment
from mcpauth_wizard.sandbox.server import Sandbox
from tests.aws_proxy import AwsProxy
from tests.sandbox_fixtures import mcpauth, remove_callbacks, sandbox  # noqa: F401 - the module fixture

OTHER_REGION = "eu-west-1"


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:  # noqa: F811
    gateways: dict[str, dict[str, Any]] = {}
    for index in range(3):
        seed = sandbox.seed(pool_name=f"fleet-pool-{index}", gateway_name=f"fleet-gw-{index}")
        folder = tmp_path_factory.mktemp(f"fleet{index}")
        code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain",
                            f"fleet-login-{index}", "--gateway-id", seed.gateway_id, "--platform",
                            "chatgpt,claude", "--gateway-allowed-scopes", "--yes", "--allow-breaking")
        assert code == 0, out
        gateways[seed.gateway_id] = {"folder": folder, "pool": seed.pool_id, "index": index}
    # a gateway in another region, set up by init with --region
    other = boto3.client("bedrock-agentcore-control", endpoint_url=sandbox.endpoint_url,
                         region_name=OTHER_REGION, aws_access_key_id="sandbox",
                         aws_secret_access_key="sandbox")
    far = other.create_gateway(name="fleet-gw-far", roleArn="arn:aws:iam::123456789012:role/gw",
                               protocolType="MCP", authorizerType="AWS_IAM")["gatewayId"]
    folder = tmp_path_factory.mktemp("fleetfar")
    code, out = mcpauth(sandbox, folder, "--region", OTHER_REGION, "init", "--new-pool", "fleet-far",
                        "--domain", "fleet-login-far", "--gateway-id", far, "--platform", "claude",
                        "--gateway-allowed-scopes", "--yes", "--allow-breaking")
    assert code == 0, out
    iam = sandbox.seed(pool_name="fleet-iam", gateway_name="fleet-gw-iam").gateway_id
    broken = next(g for g, v in gateways.items() if v["index"] == 1)
    remove_callbacks(sandbox, gateways[broken]["pool"], "mcpauth-chatgpt")
    return {"gateways": gateways, "broken": broken, "far": far, "iam": iam}


def _fleet_json(sandbox: Sandbox, folder: Path, *args: str) -> tuple[int, dict[str, Any]]:  # noqa: F811
    code, out = mcpauth(sandbox, folder, "doctor", "--all", "--json", *args)
    return code, json.loads(out)


def test_every_gateway_is_checked_and_the_broken_one_named(sandbox: Sandbox, fleet: dict[str, Any],  # noqa: F811
                                                           tmp_path: Path) -> None:
    code, report = _fleet_json(sandbox, tmp_path)  # a folder without mcpauth.toml
    assert code == 1
    by_id = {g["gateway_id"]: g for g in report["gateways"]}
    assert set(fleet["gateways"]) <= set(by_id)
    assert fleet["far"] not in by_id  # another region: only with --region
    assert {s["gateway_id"] for s in report["skipped"]} >= {fleet["iam"]}
    assert all(s["authorizer_type"] == "AWS_IAM" for s in report["skipped"])
    for gateway_id in fleet["gateways"]:
        entry = by_id[gateway_id]
        assert entry["setup_from"] == "client names and callbacks"
        assert set(entry["report"]["platforms"]) == {"chatgpt", "claude"}
        assert entry["report"]["target"]["gateway_id"] == gateway_id
        if gateway_id == fleet["broken"]:
            assert entry["errors"] > 0
            assert entry["root_causes"] == ["COGNITO_CALLBACK_MISSING"]
        else:
            assert entry["errors"] == 0, entry["root_causes"]
    assert report["summary"]["with_errors"] == 1


def test_regions_are_listed_side_by_side(sandbox: Sandbox, fleet: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    code, report = _fleet_json(sandbox, tmp_path, "--region", "us-east-1", "--region", OTHER_REGION)
    assert code == 1
    regions = {g["gateway_id"]: g["region"] for g in report["gateways"]}
    assert regions[fleet["far"]] == OTHER_REGION
    assert all(regions[g] == "us-east-1" for g in fleet["gateways"])
    far = next(g for g in report["gateways"] if g["gateway_id"] == fleet["far"])
    assert far["errors"] == 0 and set(far["report"]["platforms"]) == {"claude"}
    assert report["regions"] == ["us-east-1", OTHER_REGION]


def test_a_project_file_names_the_platforms_of_its_own_gateway(sandbox: Sandbox,  # noqa: F811
                                                                fleet: dict[str, Any]) -> None:
    broken = fleet["broken"]
    code, report = _fleet_json(sandbox, fleet["gateways"][broken]["folder"])
    assert code == 1
    sources = {g["gateway_id"]: g["setup_from"] for g in report["gateways"]}
    assert sources[broken] == "mcpauth.toml"
    assert all(sources[g] == "client names and callbacks" for g in fleet["gateways"] if g != broken)


def test_the_text_summary_keeps_each_id_on_one_line(sandbox: Sandbox, fleet: dict[str, Any],  # noqa: F811
                                                   tmp_path: Path) -> None:
    code, out = mcpauth(sandbox, tmp_path, "doctor", "--all", columns=80)
    assert code == 1
    lines = out.splitlines()
    broken = [line for line in lines if fleet["broken"] in line]
    assert len(broken) == 1 and broken[0].startswith("✗") and "COGNITO_CALLBACK_MISSING" in broken[0]
    for gateway_id in fleet["gateways"]:
        assert sum(gateway_id in line for line in lines) == 1
    assert any(line.startswith(f"{len(fleet['gateways'])} gateway(s)") or "with errors" in line
               for line in lines)


@pytest.mark.parametrize(("args", "says"), [
    (["--gateway-id", "abc"], "--gateway-id names one setup"),
    (["https://example.com/mcp"], "a URL names one setup"),
    (["--login"], "--login names one setup"),
    (["--fix"], "--fix names one setup"),
    (["--format", "sarif"], "accepted with --all: text, json"),
    (["--region", "nowhere-9"], "nowhere-9"),
])
def test_bad_input_with_all_is_one_line(sandbox: Sandbox, tmp_path: Path, args: list[str],  # noqa: F811
                                        says: str) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mcpauth_wizard", "doctor", "--all", *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**__import__("os").environ, **sandbox.aws_env()})
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_two_regions_without_all_is_bad_input(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    code, _ = mcpauth(sandbox, tmp_path, "doctor", "--region", "us-east-1", "--region", OTHER_REGION)
    assert code == 2


def test_throttling_is_absorbed_by_the_retries(sandbox: Sandbox, fleet: dict[str, Any],  # noqa: F811
                                              tmp_path: Path) -> None:
    """The first GetGateway of the broken gateway and the first DescribeUserPoolClient call
    are throttled: each gateway is still diagnosed (no AWS_CALL_FAILED) with the same
    verdicts. (Few throttles: after one, botocore's adaptive mode sends slowly for a while —
    benchmarks/fleet.py measures a throttled fleet.)"""
    lock = threading.Lock()
    throttled: list[str] = []

    def rule(operation: str) -> str | None:  # AgentCore is REST: "GET /gateways/<id>"
        kind = "GetGateway" if operation.startswith(f"GET /gateways/{fleet['broken']}") else operation
        with lock:
            if kind not in throttled and kind in ("GetGateway", "DescribeUserPoolClient"):
                throttled.append(kind)
                return "ThrottlingException"
        return None

    with AwsProxy(sandbox.endpoint_url, rule=rule) as proxy:
        code, out = mcpauth(sandbox, tmp_path, "doctor", "--all", "--json", "--concurrency", "4",
                            env={"AWS_ENDPOINT_URL": proxy.url})
    report = json.loads(out)
    assert code == 1
    assert sorted(throttled) == ["DescribeUserPoolClient", "GetGateway"]
    codes = {f["code"] for g in report["gateways"] for s in g["report"]["steps"]
             for f in s.get("findings", [])}
    assert not codes & {"AWS_CALL_FAILED", "AWS_UNREACHABLE", "DOCTOR_STEP_FAILED"}, codes
    by_id = {g["gateway_id"]: g for g in report["gateways"]}
    for gateway_id in fleet["gateways"]:
        wanted = ["COGNITO_CALLBACK_MISSING"] if gateway_id == fleet["broken"] else []
        assert by_id[gateway_id]["root_causes"] == wanted


def test_a_deleted_client_in_allowed_clients_does_not_stop_the_run(sandbox: Sandbox,  # noqa: F811
                                                                    fleet: dict[str, Any],
                                                                    tmp_path: Path) -> None:
    """allowedClients still names a client deleted in the console: the gateway is diagnosed
    (its other clients' platforms found), not dropped as 'not diagnosed'."""
    pool = next(v["pool"] for v in fleet["gateways"].values() if v["index"] == 0)
    cognito = sandbox.boto("cognito-idp")
    gone = cognito.create_user_pool_client(UserPoolId=pool, ClientName="deleted-later")["UserPoolClient"]["ClientId"]
    cognito.delete_user_pool_client(UserPoolId=pool, ClientId=gone)
    claude = next(c["ClientId"] for c in cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)[
        "UserPoolClients"] if c["ClientName"] == "mcpauth-claude")
    control = sandbox.boto("bedrock-agentcore-control")
    first = control.get_gateway(gatewayIdentifier=next(iter(fleet["gateways"])))
    authorizer = {"customJWTAuthorizer": {**first["authorizerConfiguration"]["customJWTAuthorizer"],
                                          "allowedClients": [gone, claude]}}
    extra = control.create_gateway(name="fleet-gw-stale", roleArn=first["roleArn"], protocolType="MCP",
                                   authorizerType="CUSTOM_JWT", authorizerConfiguration=authorizer)["gatewayId"]
    try:
        _, report = _fleet_json(sandbox, tmp_path)
    finally:
        control.delete_gateway(gatewayIdentifier=extra)
    entry = next(g for g in report["gateways"] if g["gateway_id"] == extra)
    assert entry["report"] is not None and "problem" not in entry, entry.get("problem")
    assert set(entry["report"]["platforms"]) == {"claude"}


def test_gateways_on_one_pool_read_it_once(sandbox: Sandbox, fleet: dict[str, Any],  # noqa: F811
                                          tmp_path: Path) -> None:
    """Two more gateways on the first setup's pool, one gateway at a time: the pool, its
    domain, resource servers and clients are read from AWS once for the three gateways (the
    run's read cache), and every gateway's verdict is what it is without the cache."""
    control = sandbox.boto("bedrock-agentcore-control")
    first_id = next(g for g, v in fleet["gateways"].items() if v["index"] == 0)
    first = control.get_gateway(gatewayIdentifier=first_id)
    extra = [control.create_gateway(name=f"fleet-gw-twin-{i}", roleArn=first["roleArn"], protocolType="MCP",
                                    authorizerType="CUSTOM_JWT",
                                    authorizerConfiguration=first["authorizerConfiguration"])["gatewayId"]
             for i in range(2)]
    sandbox.control_plane.log.clear()
    try:
        code, report = _fleet_json(sandbox, tmp_path, "--concurrency", "1")
        served = sandbox.control_plane.log.operations()
    finally:
        for gateway_id in extra:
            control.delete_gateway(gatewayIdentifier=gateway_id)
    assert code == 1  # the broken setup is still broken
    gateways = len(report["gateways"])  # the three setups and the two twins
    assert served.count("DescribeUserPool") == 3, served  # the three setups' pools, once each
    assert served.count("GetGateway") == gateways, served  # read_setup's read serves the run too
    by_id = {g["gateway_id"]: g for g in report["gateways"]}
    for gateway_id in extra:
        assert by_id[gateway_id]["report"] is not None
        assert set(by_id[gateway_id]["report"]["platforms"]) == {"chatgpt", "claude"}
    assert by_id[first_id]["root_causes"] == []


def test_the_read_cache_keeps_only_successful_reads_per_region(sandbox: Sandbox,  # noqa: F811
                                                               fleet: dict[str, Any]) -> None:
    """The rule, case by case: the same read again is answered from the cache (as a copy);
    another region, another pool, an error and a write each go to AWS."""
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.doctor.fleet import ReadCache, fleet_aws

    cache = ReadCache()
    base = AwsContext(endpoint_url=sandbox.endpoint_url)
    here, there = (fleet_aws(base, region, 1, cache) for region in ("us-east-1", OTHER_REGION))
    pools = [v["pool"] for v in fleet["gateways"].values()]
    log = sandbox.control_plane.log

    def served(call: Any) -> int:
        """How many calls reached the control plane."""
        log.clear()
        try:
            call()
        except Exception:  # noqa: BLE001 - an error answer is one of the cases
            pass
        return len(log.operations())

    with environment(sandbox.aws_env()):
        cognito_here, cognito_there = here.client("cognito-idp"), there.client("cognito-idp")
    first = cognito_here.describe_user_pool(UserPoolId=pools[0])
    first["UserPool"]["Name"] = "changed by the caller"  # must not reach the next caller
    cases = [
        ("the same read again", lambda: cognito_here.describe_user_pool(UserPoolId=pools[0]), 0),
        ("another pool", lambda: cognito_here.describe_user_pool(UserPoolId=pools[1]), 1),
        ("another region", lambda: cognito_there.list_user_pools(MaxResults=10), 1),
        ("the same list in the first region", lambda: cognito_here.list_user_pools(MaxResults=10), 1),
        ("a read that failed", lambda: cognito_here.describe_user_pool(UserPoolId="us-east-1_nope"), 1),
        ("the failed read again", lambda: cognito_here.describe_user_pool(UserPoolId="us-east-1_nope"), 1),
        ("a write", lambda: cognito_here.update_user_pool(UserPoolId=pools[2]), 1),
    ]
    for name, call, sent in cases:
        assert served(call) == sent, name
    again = cognito_here.describe_user_pool(UserPoolId=pools[0])
    assert again["UserPool"]["Name"] != "changed by the caller"


def test_a_region_that_cannot_be_listed_does_not_hide_the_others(sandbox: Sandbox,  # noqa: F811
                                                                 fleet: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    """ListGateways denied in one of two regions (an SCP, a region without AgentCore): that
    region is named as failed, the other's gateways are all reported, exit 1."""
    lock = threading.Lock()
    denied: list[str] = []

    def rule(operation: str) -> str | None:
        if operation.split("?")[0] != "GET /gateways/":
            return None
        with lock:
            if denied:
                return None
            denied.append(operation)
            return "AccessDeniedException"

    with AwsProxy(sandbox.endpoint_url, rule=rule) as proxy:
        code, out = mcpauth(sandbox, tmp_path, "doctor", "--all", "--json", "--region", "us-east-1",
                            "--region", OTHER_REGION, env={"AWS_ENDPOINT_URL": proxy.url})
    report = json.loads(out)
    assert code == 1 and len(denied) == 1
    [failed] = report["failed_regions"]
    assert "ListGateways failed" in failed["problem"] and "access denied" in failed["problem"], failed
    listed = {g["region"] for g in report["gateways"]}
    assert listed == {"us-east-1", OTHER_REGION} - {failed["region"]}
    wanted = set(fleet["gateways"]) if failed["region"] == OTHER_REGION else {fleet["far"]}
    assert wanted <= {g["gateway_id"] for g in report["gateways"]}
    assert report["summary"]["errors"] >= 1


def _sent(platform: str) -> str:
    """A redirect URI the platform sends (its first template, a port filled in)."""
    from mcpauth_wizard.mcp.platforms import PLATFORMS

    return PLATFORMS[platform].callback_templates[0].replace("{port}", "8765")


@pytest.mark.parametrize(("client", "platforms"), [
    ({"ClientName": "mcpauth-chatgpt"}, ["chatgpt"]),  # the name init gives
    ({"ClientName": "mcpauth-chatgpt", "CallbackURLs": ["CLAUDE"]}, ["chatgpt"]),  # the name wins
    ({"ClientName": "chatgpt"}, []),  # no prefix: not init's name
    ({"ClientName": "mcpauth-nosuch", "CallbackURLs": ["CLAUDE"]}, ["claude"]),  # else callbacks
    ({"ClientName": "console", "CallbackURLs": ["CHATGPT", "CLAUDE"]}, ["chatgpt", "claude"]),
    ({"ClientName": "console", "CallbackURLs": ["CHATGPT/"]}, []),  # off by a slash
    # a loopback callback several clients send: each of them, never the doctor itself
    ({"ClientName": "console", "CallbackURLs": ["DOCTOR"]}, ["claude-code", "fastmcp", "python-sdk"]),
    ({"ClientName": "console"}, []),
])
def test_the_platforms_a_client_serves(client: dict[str, Any], platforms: list[str]) -> None:
    from mcpauth_wizard.doctor.fleet import platforms_of

    urls = {"CHATGPT": _sent("chatgpt"), "CLAUDE": _sent("claude"), "DOCTOR": _sent("doctor"),
            "CHATGPT/": _sent("chatgpt") + "/"}
    described = {**client, "CallbackURLs": [urls[u] for u in client.get("CallbackURLs", [])]}
    assert platforms_of(described) == platforms


def test_record_pairs_each_aws_answer_with_its_own_request(sandbox: Sandbox,  # noqa: F811
                                                            fleet: dict[str, Any]) -> None:
    """--record's AWS calls under concurrency (the doctor reads its clients in threads): each
    recorded answer is the one to the request recorded beside it."""
    from concurrent.futures import ThreadPoolExecutor

    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.doctor.record import AwsCalls

    with environment(sandbox.aws_env()):
        aws = AwsContext()
        aws.client("cognito-idp")
    calls = AwsCalls(aws)
    pairs = [(v["pool"], c["ClientId"]) for v in fleet["gateways"].values()
             for c in sandbox.boto("cognito-idp").list_user_pool_clients(
                 UserPoolId=v["pool"], MaxResults=60)["UserPoolClients"]]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: app_clients.describe_client(aws, *p), pairs * 3))
    described = [c for c in calls.calls if c["operation"] == "DescribeUserPoolClient"]
    assert len(described) == len(pairs) * 3
    for call in described:
        assert call["params"]["ClientId"] == call["answer"]["UserPoolClient"]["ClientId"], call
