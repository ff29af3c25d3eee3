"""The generated FastMCP-on-Lambda server, as a security review would try it.

Codes are redeemed once even when two instances race; nothing in its table lives forever
or grows without bound; the table holds no usable code, token id or client id; no secret
goes through a command line; the role allows exactly what the code calls; and the SAM
template is valid for the translator that `sam deploy` runs.

As in test_scaffold.py the server runs in this process (fixtures_templates.cold_start),
DynamoDB and Secrets Manager are the moto control plane on 127.0.0.1, Cognito is FakeCognito.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fixtures_templates import (  # noqa: F401 - fixtures: deployed, fake_cognito, project
    BASE_URL,
    CLIENT_REDIRECT,
    REGION,
    STORAGE_KEY,
    FakeCognito,
    FunctionUrlBrowser,
    cold_start,
    deployed,
    fake_cognito,
    pkce,
    project,
    redeem,
    register_client,
    sign_in,
    sign_in_until_code,
    start_authorization,
    try_register,
)

CLIENTS = "mcp-oauth-proxy-clients"
CODES = "mcp-authorization-codes"
DAY = 86400


@pytest.fixture(autouse=True)
def quiet_fastmcp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTMCP_SHOW_SERVER_BANNER", "false")
    monkeypatch.setenv("FASTMCP_CHECK_FOR_UPDATES", "off")


class AwsCalls:
    """Every AWS operation the generated code makes (botocore's own events, on the default
    session its `boto3.client(...)` calls use), and hooks that run before one is sent."""

    def __init__(self) -> None:
        self.operations: list[tuple[str, str, dict[str, Any]]] = []
        self.hooks: list[Callable[[str, dict[str, Any]], None]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        action = f"{model.service_model.signing_name}:{model.name}"
        self.operations.append((action, model.name, dict(params)))
        for hook in self.hooks:
            hook(action, params)

    @property
    def actions(self) -> set[str]:
        return {action for action, _, _ in self.operations}


@pytest.fixture
def aws_calls(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    boto3.setup_default_session()
    calls = AwsCalls()
    boto3.DEFAULT_SESSION.events.register("before-parameter-build", calls)
    yield calls


def own_table_client(aws: Any) -> Any:
    """The test's own view of the table: a session of its own, so not among AwsCalls."""
    import boto3

    return boto3.session.Session().client("dynamodb", endpoint_url=aws.url, region_name=REGION)


def table_items(aws: Any) -> list[dict[str, Any]]:
    return own_table_client(aws).scan(TableName="oauth-state", ConsistentRead=True)["Items"]


def set_expiry(aws: Any, item: dict[str, Any], expires: int) -> None:
    own_table_client(aws).update_item(
        TableName="oauth-state", Key={"collection": item["collection"], "key": item["key"]},
        UpdateExpression="SET #ttl = :ttl", ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues={":ttl": {"N": str(expires)}})


def keyed_hash(key: str) -> str:
    """HMAC-SHA256 of a key under the table-key secret, computed here from the spec (a
    key derived from the StorageKey secret for the purpose "table-keys")."""
    secret = base64.urlsafe_b64encode(hashlib.sha256(f"table-keys\0{STORAGE_KEY}".encode()).digest())
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


# --- 1. an authorization code is redeemed once ------------------------------------------


def test_a_code_redeemed_at_once_on_two_instances_gives_one_token(
        deployed: Path, fake_cognito: FakeCognito, aws: Any, aws_calls: AwsCalls) -> None:  # noqa: F811
    first, second = cold_start(deployed), cold_start(deployed)
    issued = sign_in_until_code(FunctionUrlBrowser(), fake_cognito, first, second)
    # Both token requests read the code before either deletes it: the race FastMCP's
    # read-then-delete leaves open when instances share the table.
    both_read = threading.Barrier(2, timeout=20)

    def hold_code_deletes(action: str, params: dict[str, Any]) -> None:
        if action == "dynamodb:DeleteItem" and params["Key"]["collection"]["S"] == CODES:
            both_read.wait()

    aws_calls.hooks.append(hold_code_deletes)

    def redeem_on(instance: Any) -> Any:
        asyncio.set_event_loop(asyncio.new_event_loop())  # each instance's own main loop
        return redeem(FunctionUrlBrowser(), instance, issued)

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(redeem_on, (first, second)))

    # FastMCP answers invalid_grant with 401 (its reading of the MCP spec), not RFC 6749's 400.
    assert sorted(r.status for r in replies) == [200, 401], [r.body for r in replies]
    refused = next(r for r in replies if r.status == 401).json()
    assert refused["error"] == "invalid_grant"
    token = next(r for r in replies if r.status == 200).json()["access_token"]
    assert FunctionUrlBrowser().mcp(first, "tools/list", token=token).status == 200
    assert not [i for i in table_items(aws) if i["collection"]["S"] == CODES]


def test_a_code_redeemed_twice_in_a_row_is_refused_the_second_time(
        deployed: Path, fake_cognito: FakeCognito) -> None:  # noqa: F811
    first, second = cold_start(deployed), cold_start(deployed)
    issued = sign_in_until_code(FunctionUrlBrowser(), fake_cognito, first, second)

    assert redeem(FunctionUrlBrowser(), first, issued).status == 200
    again = redeem(FunctionUrlBrowser(), second, issued)

    assert again.status == 401 and again.json()["error"] == "invalid_grant"


# --- 2. nothing grows without bound -------------------------------------------------------


def test_every_item_the_server_stores_expires(deployed: Path, fake_cognito: FakeCognito,  # noqa: F811
                                              aws: Any) -> None:
    first, second = cold_start(deployed), cold_start(deployed)
    browser = FunctionUrlBrowser()
    token = sign_in(browser, fake_cognito, first, second)
    assert browser.mcp(second, "tools/list", token=token).status == 200
    sign_in_until_code(browser, fake_cognito, second, first)  # a code left unredeemed

    now = time.time()
    items = table_items(aws)
    collections = {i["collection"]["S"] for i in items}
    assert {CLIENTS, CODES, "mcp-upstream-tokens", "mcp-jti-mappings"} <= collections
    for item in items:
        assert "ttl" in item, f"{item['collection']['S']} item without ttl"
        assert now < int(item["ttl"]["N"]) <= now + 400 * DAY, item["collection"]["S"]
    for client in (i for i in items if i["collection"]["S"] == CLIENTS):
        assert abs(int(client["ttl"]["N"]) - (now + 30 * DAY)) < 60  # idle lifetime: 30 days


def test_a_registered_client_stays_while_used_and_expires_when_idle(
        deployed: Path, fake_cognito: FakeCognito, aws: Any) -> None:  # noqa: F811
    instance = cold_start(deployed)
    browser = FunctionUrlBrowser()
    used, idle = register_client(browser, instance), register_client(browser, instance)
    _, challenge = pkce()
    by_key = {i["key"]["S"]: i for i in table_items(aws) if i["collection"]["S"] == CLIENTS}
    now = int(time.time())
    set_expiry(aws, by_key[keyed_hash(used)], now + 2 * DAY)  # 28 days since its last use
    set_expiry(aws, by_key[keyed_hash(idle)], now - 60)  # unused for 30 days (not yet deleted)

    assert start_authorization(browser, instance, used, challenge).status == 302
    refused = start_authorization(browser, instance, idle, challenge)

    expiry = {i["key"]["S"]: int(i["ttl"]["N"]) for i in table_items(aws) if i["collection"]["S"] == CLIENTS}
    assert abs(expiry[keyed_hash(used)] - (now + 30 * DAY)) < 60  # refreshed by the use
    assert refused.status == 400 and f"Client ID '{idle}' is not registered" in refused.json()["error_description"]


def test_registrations_beyond_the_hourly_cap_are_refused_on_every_instance(
        deployed: Path, fake_cognito: FakeCognito, aws: Any,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRATIONS_PER_HOUR", "2")
    first, second = cold_start(deployed), cold_start(deployed)
    browser = FunctionUrlBrowser()

    accepted = [try_register(browser, first).status, try_register(browser, second).status]
    over = [try_register(browser, first), try_register(browser, second)]

    assert accepted == [201, 201]
    for reply in over:
        assert reply.status == 429, reply.body
        assert reply.json()["error"] == "temporarily_unavailable"
        assert 0 < int(reply.headers["retry-after"]) <= 3600
    assert len([i for i in table_items(aws) if i["collection"]["S"] == CLIENTS]) == 2


def test_the_template_documents_the_cap_and_enables_dynamodb_ttl(project: Path) -> None:  # noqa: F811
    template = (project / "template.yaml").read_text()
    assert re.search(r"TimeToLiveSpecification:\s+AttributeName: ttl\s+Enabled: true", template)
    assert "REGISTRATIONS_PER_HOUR: !Ref RegistrationsPerHour" in template
    readme = (project / "README.md").read_text()
    assert "RegistrationsPerHour" in readme and "30 days" in readme


# --- 3. keys are keyed hashes ---------------------------------------------------------------


def test_the_table_holds_no_code_token_id_or_client_id(deployed: Path, fake_cognito: FakeCognito,  # noqa: F811
                                                       aws: Any, aws_calls: AwsCalls) -> None:
    first, second = cold_start(deployed), cold_start(deployed)
    browser = FunctionUrlBrowser()
    issued = sign_in_until_code(browser, fake_cognito, first, second)
    token = redeem(browser, second, issued).json()["access_token"]
    assert browser.mcp(first, "tools/list", token=token).status == 200
    code_after = sign_in_until_code(browser, fake_cognito, second, first)  # left unredeemed

    items = table_items(aws)
    keys = {c: sorted(i["key"]["S"] for i in items if i["collection"]["S"] == c) for c in (CODES, CLIENTS)}
    assert keys[CODES] == [keyed_hash(code_after.code)]
    assert keys[CLIENTS] == sorted([keyed_hash(issued.client_id), keyed_hash(code_after.client_id)])
    sent_keys = [p["Key"]["key"]["S"] if "Key" in p else p["Item"]["key"]["S"]
                 for action, _, p in aws_calls.operations if action.startswith("dynamodb:")]
    hashed = re.compile(r"[0-9a-f]{64}")
    counters = {i["key"]["S"] for i in items if i["collection"]["S"] == "registrations-per-hour"}
    assert sent_keys and all(hashed.fullmatch(k) or k in counters for k in sent_keys)
    stored = json.dumps(items)
    for clear in (code_after.code, issued.client_id, code_after.client_id, token.split(".")[1]):
        assert clear not in stored  # neither as a key nor inside a value


# --- 4. no secret on a command line -----------------------------------------------------------


def test_no_secret_is_put_on_a_command_line(project: Path) -> None:  # noqa: F811
    readme = (project / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)```", readme, re.S)
    putting = [c for c in commands if "put-secret-value" in c]
    assert putting, "the README shows how the client secret gets into Secrets Manager"
    for command in putting:
        assert re.search(r"--secret-string file:///dev/stdin", command), command
        assert "--secret-string \"$(" not in command and "--secret-string '" not in command
    assert "$(aws cognito-idp describe-user-pool-client" not in readme
    template = (project / "template.yaml").read_text()
    secrets_made = re.findall(r"Type: AWS::SecretsManager::Secret\n\s+Properties:\n(?:\s+.*\n){0,2}?\s+GenerateSecretString:",
                              template)
    assert len(secrets_made) == template.count("Type: AWS::SecretsManager::Secret") == 3
    assert "never on a command line" in readme


def test_a_secret_put_from_a_pipe_is_read_without_its_newline(deployed: Path, fake_cognito: FakeCognito) -> None:  # noqa: F811
    """server_environment stores the client secret as the README's pipe does ("…\\n");
    FakeCognito refuses any other secret than the exact one, so sign-in proves the strip."""
    instance = cold_start(deployed)
    assert sign_in(FunctionUrlBrowser(), fake_cognito, instance, instance)


# --- 5. the role allows what the code calls, and the code calls nothing else ---------------


def template_document(folder: Path) -> dict[str, Any]:
    from cfnlint.decode import decode_str

    document, matches = decode_str((folder / "template.yaml").read_text())
    assert not matches, matches
    return document


def role_statements(folder: Path) -> list[dict[str, Any]]:
    function = template_document(folder)["Resources"]["McpFunction"]["Properties"]
    return [s for policy in function["Policies"] for s in policy["Statement"]]


def test_the_role_allows_every_aws_call_the_server_makes(
        deployed: Path, fake_cognito: FakeCognito, aws: Any, aws_calls: AwsCalls,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRATIONS_PER_HOUR", "2")
    first, second = cold_start(deployed), cold_start(deployed)
    browser = FunctionUrlBrowser()
    issued = sign_in_until_code(browser, fake_cognito, first, second)
    token = redeem(browser, first, issued).json()["access_token"]
    assert redeem(browser, second, issued).status == 401  # a failed conditional delete
    assert browser.mcp(second, "tools/list", token=token).status == 200
    register_client(browser, first)
    for item in table_items(aws):  # clients 29 days idle: the next use refreshes them
        if item["collection"]["S"] == CLIENTS:
            set_expiry(aws, item, int(time.time()) + DAY)
    _, challenge = pkce()
    assert start_authorization(browser, second, issued.client_id, challenge).status == 302
    assert try_register(browser, second).status == 429

    allowed = {action for s in role_statements(deployed) if s["Effect"] == "Allow"
               for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    called = aws_calls.actions
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem",
            "secretsmanager:GetSecretValue"} <= called
    assert called - allowed == set()


def test_the_role_reads_exactly_the_secrets_the_function_is_given(project: Path) -> None:  # noqa: F811
    document = template_document(project)
    function = document["Resources"]["McpFunction"]["Properties"]
    references = {name: value for name, value in function["Environment"]["Variables"].items()
                  if name.endswith("_REF")}
    assert references and all(v["Fn::Sub"].startswith("secretsmanager:${") for v in references.values())
    named = {re.fullmatch(r"secretsmanager:\$\{(\w+)\}", v["Fn::Sub"]).group(1) for v in references.values()}
    readable = [s for s in role_statements(project) if s["Action"] == "secretsmanager:GetSecretValue"]
    assert len(readable) == 1 and {r["Ref"] for r in readable[0]["Resource"]} == named
    assert not [s for s in role_statements(project) if "ssm:" in json.dumps(s["Action"])]


def test_a_secret_reference_the_role_cannot_read_is_refused(deployed: Path, aws: Any) -> None:  # noqa: F811
    import sys

    sys.path.insert(0, str(deployed))
    try:
        sys.modules.pop("oauth_state", None)
        import oauth_state

        with pytest.raises(ValueError, match=r"'ssm:/mcp/key': expected secretsmanager:<name or ARN>"):
            oauth_state.read_secret("ssm:/mcp/key")
        assert oauth_state.read_secret("secretsmanager:storage-key") == STORAGE_KEY
    finally:
        sys.path.remove(str(deployed))
        sys.modules.pop("oauth_state", None)


# --- 6. the SAM template, as `sam deploy` translates it --------------------------------------


def sam_translate(folder: Path) -> dict[str, Any]:
    """template.yaml through the SAM translator (the package the SAM CLI uses), offline:
    the template names no managed policy, so the policy loader is never asked."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    def no_managed_policies() -> dict[str, str]:
        raise AssertionError("the template should not need managed policy ARNs looked up")

    document = template_document(folder)
    # What `sam deploy` hands the translator: the code uploaded (`sam package`), an S3 URI.
    document["Resources"]["McpFunction"]["Properties"]["CodeUri"] = "s3://deploy-bucket/mcp.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    return translator.translate(document, parameter_values={},
                                get_managed_policy_map=no_managed_policies)


def test_the_sam_translator_accepts_the_template_with_a_public_function_url(project: Path, tmp_path: Path) -> None:  # noqa: F811
    from cfnlint.api import lint_file

    translated = sam_translate(project)

    resources = translated["Resources"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources.values():
        by_type.setdefault(resource["Type"], []).append(resource["Properties"])
    assert "Transform" not in translated and "AWS::Serverless::Function" not in by_type
    [url] = by_type["AWS::Lambda::Url"]
    assert url["AuthType"] == "NONE" and url["TargetFunctionArn"] == {"Ref": "McpFunction"}
    permissions = {p["Action"]: p for p in by_type["AWS::Lambda::Permission"]}
    # A new public Function URL needs both since October 2025 (Lambda developer guide,
    # "Control access to Lambda function URLs"; SAM added the second in its PR #3735).
    assert permissions["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    assert permissions["lambda:InvokeFunctionUrl"]["Principal"] == "*"
    assert permissions["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True
    [role] = by_type["AWS::IAM::Role"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert {s.get("Sid") for s in statements} >= {"OAuthStateTable", "Keys", "OwnFunctionUrl"}
    [function] = by_type["AWS::Lambda::Function"]
    assert function["Handler"] == "handler.handler" and function["Runtime"] == "python3.12"

    translated_file = tmp_path / "translated.json"
    translated_file.write_text(json.dumps(translated))
    assert [str(m) for m in lint_file(translated_file) if m.rule.id.startswith("E")] == []


def _register(browser: FunctionUrlBrowser, instance: Any, metadata: dict[str, Any]) -> Any:
    return browser.request(instance, "POST", f"{BASE_URL}/register", headers={"content-type": "application/json"},
                           body=json.dumps(metadata))


@pytest.mark.parametrize(("metadata", "status", "error", "words"), [
    ({"redirect_uris": [CLIENT_REDIRECT], "client_name": "ok", "token_endpoint_auth_method": "none"},
     201, None, ""),
    ({"redirect_uris": [CLIENT_REDIRECT], "client_name": "n" * 256, "token_endpoint_auth_method": "none"},
     201, None, ""),  # at the limit
    ({"redirect_uris": [CLIENT_REDIRECT], "client_name": "n" * 257, "token_endpoint_auth_method": "none"},
     400, "invalid_client_metadata", "at most 256"),
    ({"redirect_uris": [CLIENT_REDIRECT], "client_name": "x" * 300_000}, 400, "invalid_client_metadata",
     "larger than 16384 bytes"),
    ({"redirect_uris": [CLIENT_REDIRECT + "#frag"], "client_name": "ok"}, 400, "invalid_redirect_uri",
     "fragment"),
    ({"redirect_uris": ["http://localhost:9999/cb?x=%23"], "client_name": "ok",
      "token_endpoint_auth_method": "none"}, 201, None, ""),  # an encoded # is no fragment
])
def test_registration_request_rule(deployed: Path, fake_cognito: FakeCognito, aws: Any,  # noqa: F811
                                   metadata: dict[str, Any], status: int, error: str | None,
                                   words: str) -> None:
    reply = _register(FunctionUrlBrowser(), cold_start(deployed), metadata)
    assert reply.status == status, reply.body
    if error:
        assert reply.json()["error"] == error and words in reply.json()["error_description"]
        assert [i for i in table_items(aws) if i["collection"]["S"] == CLIENTS] == []


def test_one_address_cannot_use_up_the_registrations_of_everyone(
        deployed: Path, fake_cognito: FakeCognito, aws: Any,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRATIONS_PER_SOURCE_PER_HOUR", "2")
    instance = cold_start(deployed)
    bot, person = FunctionUrlBrowser(source_ip="203.0.113.7"), FunctionUrlBrowser(source_ip="198.51.100.2")
    assert [try_register(bot, instance).status for _ in range(2)] == [201, 201]
    refused = try_register(bot, instance)
    assert refused.status == 429 and "from this address" in refused.json()["error_description"]
    assert try_register(person, instance).status == 201  # someone else still registers


def test_a_registration_nobody_uses_is_gone_after_a_day(deployed: Path, fake_cognito: FakeCognito,  # noqa: F811
                                                        aws: Any) -> None:
    now = time.time()
    register_client(FunctionUrlBrowser(), cold_start(deployed))
    (item,) = [i for i in table_items(aws) if i["collection"]["S"] == CLIENTS]
    assert abs(int(item["ttl"]["N"]) - (now + DAY)) < 60
