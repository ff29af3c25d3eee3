"""Do no harm at the gateway: scopes tokens carry are kept as written, an audience a token can
carry is kept, access is never taken away without consent, failed or concurrent updates
are noticed (issue 9, gateway half). Each test runs `mcpauth` against moto on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from mcpauth_wizard.core.project import load_project
from mcpauth_wizard.sandbox.control_plane import ServedCall

ROLE = "arn:aws:iam::123456789012:role/gateway"
ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def agentcore(aws) -> Any:
    return boto3.client("bedrock-agentcore-control", endpoint_url=aws.url, region_name=REGION)


def discovery(pool_id: str) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}/.well-known/openid-configuration"


def moto_gateway(gateway_id: str) -> Any:
    """The gateway inside moto, to play another writer or a failing AgentCore."""
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    return bedrockagentcorecontrol_backends[ACCOUNT][REGION].gateways[gateway_id]


@dataclass
class Existing:
    """A working setup made by hand: pool, domain, resource server, a gateway trusting it."""

    pool: str
    gateway: str
    url: str


@pytest.fixture
def existing(aws, cognito, agentcore) -> Callable[..., Existing]:
    def make(tier: str = "ESSENTIALS", **authorizer: Any) -> Existing:
        pool = cognito.create_user_pool(PoolName="team", UserPoolTier=tier)["UserPool"]["Id"]
        created = agentcore.create_gateway(
            name="tools", roleArn=ROLE, protocolType="MCP", authorizerType="CUSTOM_JWT",
            description="team tools",
            authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": discovery(pool), **authorizer}})
        url = created["gatewayUrl"] + "/mcp"
        cognito.create_resource_server(UserPoolId=pool, Identifier=url, Name="mcp",
                                       Scopes=[{"ScopeName": "invoke", "ScopeDescription": "call tools"}])
        aws.log.clear()
        return Existing(pool, created["gatewayId"], url)

    return make


def init(run: Any, setup: Existing, *extra: str) -> Any:
    return run("init", "--pool-id", setup.pool, "--domain", "team-login", "--gateway-id", setup.gateway,
               "--platform", "chatgpt,claude", "--yes", *extra)


def authorizer_of(agentcore: Any, gateway_id: str) -> dict[str, Any]:
    return agentcore.get_gateway(gatewayIdentifier=gateway_id)["authorizerConfiguration"]["customJWTAuthorizer"]


# --- item 1: standard scopes are never rewritten -------------------------------------


def test_standard_scopes_are_kept_and_only_resource_server_names_are_written_in_full(
        run, agentcore, existing) -> None:
    setup = existing(allowedScopes=["openid", "email", "aws.cognito.signin.user.admin", "invoke", "other"],
                     advertisedScopeMapping={"invoke": "tools", "openid": "openid"})

    result = init(run, setup)

    assert result.code == 0, result.err
    authorizer = authorizer_of(agentcore, setup.gateway)
    assert authorizer["allowedScopes"] == [
        "openid", "email", "aws.cognito.signin.user.admin", f"{setup.url}/invoke", "other"]
    assert authorizer["advertisedScopeMapping"] == {f"{setup.url}/invoke": "tools", "openid": "openid"}
    assert "allowedClients" not in authorizer  # it admitted every client of the pool: it still does


def test_the_rule_is_one_function_for_init_and_doctor() -> None:
    from mcpauth_wizard.provision.rules import short_scope_names, token_scope

    url = "https://gw.example.com/mcp"
    assert [token_scope(s, url, ["invoke"]) for s in ("openid", "email", "phone", "profile",
                                                      "aws.cognito.signin.user.admin", "invoke", "read")] \
        == ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin", f"{url}/invoke", "read"]
    assert short_scope_names(["openid", "invoke", f"{url}/invoke"], url, ["invoke"]) == ["invoke"]


# --- item 2: an audience equal to the resource URL is kept ---------------------------


def test_an_audience_equal_to_the_mcp_url_is_kept_and_values_no_token_carries_are_dropped(
        run, agentcore, existing) -> None:
    setup = existing()
    agentcore_update(agentcore, setup.gateway, allowedAudience=[setup.url, "3n4b5urk1ft4fl3mg5cg4ktlpc"])

    result = init(run, setup)

    assert result.code == 0, result.err
    assert authorizer_of(agentcore, setup.gateway)["allowedAudience"] == [setup.url]
    assert "not known to: claude" in result.err  # the per-platform warning


def agentcore_update(agentcore: Any, gateway_id: str, **authorizer: Any) -> None:
    gateway = agentcore.get_gateway(gatewayIdentifier=gateway_id)
    jwt = {**gateway["authorizerConfiguration"]["customJWTAuthorizer"], **authorizer}
    agentcore.update_gateway(gatewayIdentifier=gateway_id, name=gateway["name"], roleArn=gateway["roleArn"],
                             protocolType=gateway["protocolType"], authorizerType="CUSTOM_JWT",
                             description=gateway["description"],
                             authorizerConfiguration={"customJWTAuthorizer": jwt})
    agentcore.get_gateway(gatewayIdentifier=gateway_id)  # UPDATING → READY


def test_gateway_audience_sets_it_with_consent_since_clients_without_resource_lose_access(
        run, aws, agentcore, existing) -> None:
    setup = existing()

    refused = init(run, setup, "--gateway-audience")
    assert refused.code == 1 and aws.log.mutating() == []
    assert "allowedAudience now" in refused.err and "claude" in refused.err

    result = init(run, setup, "--gateway-audience", "--allow-breaking")
    assert result.code == 0, result.err
    assert authorizer_of(agentcore, setup.gateway)["allowedAudience"] == [setup.url]


def test_gateway_audience_on_a_pool_that_cannot_bind_aud_is_refused_before_any_change(
        run, aws, existing) -> None:
    setup = existing(tier="LITE")

    result = init(run, setup, "--gateway-audience", "--allow-breaking")

    assert result.code == 2
    assert "LITE" in result.err and "ESSENTIALS" in result.err
    assert aws.log.mutating() == []


# --- item 3: breaking changes need consent ----------------------------------------------


@pytest.fixture
def iam_gateway(agentcore, aws) -> str:
    gateway_id = agentcore.create_gateway(name="iam-tools", roleArn=ROLE, protocolType="MCP",
                                          authorizerType="AWS_IAM", description="signed calls")["gatewayId"]
    aws.log.clear()
    return gateway_id


def new_setup(run: Any, gateway_id: str, *extra: str) -> Any:
    return run("init", "--new-pool", "mcp users", "--domain", "tools-login", "--gateway-id", gateway_id,
               "--platform", "chatgpt", "--yes", *extra)


def test_an_aws_iam_gateway_is_not_switched_by_yes_alone(run, aws, agentcore, iam_gateway) -> None:
    result = new_setup(run, iam_gateway)

    assert result.code == 1
    assert aws.log.mutating() == []  # nothing at all: not even the pool
    assert agentcore.get_gateway(gatewayIdentifier=iam_gateway)["authorizerType"] == "AWS_IAM"
    assert "AWS IAM" in result.err and "--allow-breaking" in result.err
    assert "(breaking)" in result.out


def test_an_aws_iam_gateway_is_switched_with_allow_breaking_and_the_plan_says_who_loses_access(
        run, agentcore, iam_gateway) -> None:
    result = new_setup(run, iam_gateway, "--allow-breaking", "--dry-run", "--json")
    [step] = [s for s in json.loads(result.out)["plan"] if s["kind"] == "gateway authorizer"]
    assert step["breaking"] == [{"change": "authorizerType AWS_IAM → CUSTOM_JWT",
                                 "loses_access": "every caller signing with AWS IAM (SigV4)"}]

    result = new_setup(run, iam_gateway, "--allow-breaking")

    assert result.code == 0, result.err
    assert agentcore.get_gateway(gatewayIdentifier=iam_gateway)["authorizerType"] == "CUSTOM_JWT"


def test_trusting_another_pool_names_the_clients_that_lose_access(run, aws, cognito, agentcore) -> None:
    other = cognito.create_user_pool(PoolName="legacy")["UserPool"]["Id"]
    legacy = cognito.create_user_pool_client(UserPoolId=other, ClientName="legacy-app")["UserPoolClient"]["ClientId"]
    gateway_id = agentcore.create_gateway(
        name="tools", roleArn=ROLE, protocolType="MCP", authorizerType="CUSTOM_JWT",
        authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": discovery(other),
                                                         "allowedClients": [legacy]}})["gatewayId"]
    aws.log.clear()

    result = new_setup(run, gateway_id)

    assert result.code == 1 and aws.log.mutating() == []
    assert f"legacy-app ({legacy})" in result.err


def test_adding_a_client_to_the_same_pool_is_not_breaking(run, cognito, agentcore, existing) -> None:
    setup = existing()
    first = cognito.create_user_pool_client(UserPoolId=setup.pool, ClientName="first")["UserPoolClient"]["ClientId"]
    agentcore_update(agentcore, setup.gateway, allowedClients=[first])

    result = init(run, setup)

    assert result.code == 0, result.err
    assert authorizer_of(agentcore, setup.gateway)["allowedClients"][0] == first


@dataclass
class Answers:
    """The answers a user gives to init's questions (Options with a fake terminal)."""

    confirm: bool
    typed: str
    asked: list[tuple[str, Any]]


def consent_with(answers: Answers, plan: Any, *, yes: bool = False, allow_breaking: bool = False) -> bool:
    from mcpauth_wizard.cli import Options
    from mcpauth_wizard.commands.init_command import consent

    class Terminal(Options):
        @property
        def interactive(self) -> bool:
            return True

        def confirm(self, question: str, *, default: bool = False) -> bool:
            answers.asked.append(("confirm", default))
            return True if self.yes else answers.confirm

        def confirm_by_typing(self, question: str, expected: str) -> bool:
            answers.asked.append(("type", question))
            return answers.typed == expected

    return consent(Terminal(None, None, None, 0, yes, False, allow_breaking), plan, "Apply?")


def breaking_plan() -> Any:
    from mcpauth_wizard.provision.rules import Breaking
    from mcpauth_wizard.provision.setup import Plan, Step
    from mcpauth_wizard.provision.spec import Spec

    step = Step("update", "gateway authorizer", "tools (gw1)", consent_name="tools",
                breaking=(Breaking("authorizerType AWS_IAM → CUSTOM_JWT", "IAM callers"),))
    return Plan(spec=Spec(mcp_url="https://x.example.com/mcp"), steps=(step,), warnings=(), region=REGION)


def test_interactively_a_breaking_plan_defaults_to_no_and_needs_the_gateway_name_typed() -> None:
    typed_right = Answers(confirm=True, typed="tools", asked=[])
    assert consent_with(typed_right, breaking_plan())
    assert typed_right.asked[0] == ("confirm", False)  # the default answer is No
    assert typed_right.asked[1][0] == "type" and "tools" in typed_right.asked[1][1]

    assert not consent_with(Answers(confirm=True, typed="tool", asked=[]), breaking_plan())
    assert not consent_with(Answers(confirm=False, typed="tools", asked=[]), breaking_plan())
    assert not consent_with(Answers(confirm=True, typed="tools", asked=[]), breaking_plan(), yes=True)
    assert consent_with(Answers(confirm=False, typed="", asked=[]), breaking_plan(), yes=True,
                        allow_breaking=True)


# --- item 6: UpdateGateway is read back ------------------------------------------------


def after_first(operation: str, then: Callable[[], None]) -> Callable[[ServedCall], bool]:
    """A control-plane hook: once `operation` was served, run `then` before the next read."""
    state = {"seen": False, "done": False}

    def hook(call: ServedCall) -> bool:
        if call.operation == operation:
            state["seen"] = True
        elif state["seen"] and not state["done"] and call.operation == "GetGateway":
            state["done"] = True
            then()
        return False

    return hook


def test_a_writer_that_undoes_our_update_is_noticed_and_ours_applied_again(
        run, aws, agentcore, existing) -> None:
    setup = existing(allowedAudience=["api://old"])
    old_authorizer = {"customJWTAuthorizer": {"discoveryUrl": discovery(setup.pool),
                                              "allowedAudience": ["api://old"]}}

    def another_writer() -> None:  # a tool that read before us writes its stale copy + its change
        gateway = moto_gateway(setup.gateway)
        gateway.authorizer_configuration = old_authorizer
        gateway.exception_level = "DEBUG"

    aws.fail_when = after_first("UpdateGateway", another_writer)
    result = init(run, setup)

    assert result.code == 0, result.err
    gateway = agentcore.get_gateway(gatewayIdentifier=setup.gateway)
    assert "allowedAudience" not in gateway["authorizerConfiguration"]["customJWTAuthorizer"]  # ours
    assert gateway["exceptionLevel"] == "DEBUG"  # theirs
    assert "someone else changed it" in result.err
    assert aws.log.mutating().count("UpdateGateway") == 2


def test_a_change_made_after_the_plan_is_kept_and_named(aws, agentcore, existing) -> None:
    from mcpauth_wizard.aws import agentcore as gateways
    from mcpauth_wizard.aws.session import AwsContext

    setup = existing()
    seen = gateways.get_gateway(AwsContext(), setup.gateway)
    moto_gateway(setup.gateway).exception_level = "DEBUG"  # someone, while the plan was on screen

    def add_client(gw: dict[str, Any]) -> dict[str, Any]:
        gw["authorizerConfiguration"]["customJWTAuthorizer"]["allowedClients"] = ["abc"]
        return gw

    update = gateways.safe_update_gateway(AwsContext(), setup.gateway, add_client, seen=seen)

    assert update.written and update.after["exceptionLevel"] == "DEBUG"
    assert any("exceptionLevel changed since the plan" in n for n in update.notes)


# --- item 8: a failed update stops the wait at once -------------------------------------


@pytest.mark.parametrize("reasons", [["the role cannot be assumed by AgentCore"], []],
                         ids=["with statusReasons", "without statusReasons"])
def test_update_unsuccessful_stops_at_once_shows_why_and_a_rerun_resumes(
        run, aws, agentcore, iam_gateway, reasons: list[str]) -> None:
    def fail() -> None:
        gateway = moto_gateway(iam_gateway)
        gateway.status = "UPDATE_UNSUCCESSFUL"
        gateway.status_reasons = list(reasons)

    aws.fail_when = after_first("UpdateGateway", fail)
    failed = new_setup(run, iam_gateway, "--allow-breaking")

    assert failed.code == 1
    assert "UPDATE_UNSUCCESSFUL" in failed.err
    assert (reasons[0] if reasons else "no statusReasons") in failed.err
    operations = aws.log.operations()
    assert operations[operations.index("UpdateGateway"):].count("GetGateway") == 1  # no more polling
    assert load_project().user_pool_id  # what was made is recorded

    aws.fail_when = None
    plan = new_setup(run, iam_gateway, "--allow-breaking", "--dry-run", "--json")
    [step] = [s for s in json.loads(plan.out)["plan"] if s["kind"] == "gateway authorizer"]
    assert step["action"] == "update" and "UPDATE_UNSUCCESSFUL" in step["note"]
    assert new_setup(run, iam_gateway, "--allow-breaking").code == 0
    assert agentcore.get_gateway(gatewayIdentifier=iam_gateway)["status"] == "READY"


# --- item 10: an empty description, and export from the model ---------------------------


@pytest.mark.parametrize("shown_as", ["empty", "absent"])
def test_a_gateway_without_description_is_updated(run, agentcore, aws, shown_as: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from mcpauth_wizard.sandbox import moto_ext

    monkeypatch.setattr(moto_ext, "EMPTY_DESCRIPTION", shown_as, raising=False)  # "" or no member
    gateway_id = agentcore.create_gateway(name="bare", roleArn=ROLE, protocolType="MCP",
                                          authorizerType="AWS_IAM")["gatewayId"]

    result = new_setup(run, gateway_id, "--allow-breaking")

    assert result.code == 0, result.err
    assert agentcore.get_gateway(gatewayIdentifier=gateway_id)["authorizerType"] == "CUSTOM_JWT"


def test_export_keeps_every_gateway_field_the_model_has(run, agentcore, existing) -> None:
    setup = existing()
    gateway = agentcore.get_gateway(gatewayIdentifier=setup.gateway)
    interceptors = [{"interceptor": {"lambda": {"arn": "arn:aws:lambda:us-east-1:123456789012:function:audit"}},
                     "interceptionPoints": ["REQUEST"]}]
    policy = {"arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:policy-engine/pe1", "mode": "ENFORCE"}
    agentcore.update_gateway(gatewayIdentifier=setup.gateway, name="tools", roleArn=ROLE, protocolType="MCP",
                             authorizerType="CUSTOM_JWT", authorizerConfiguration=gateway["authorizerConfiguration"],
                             interceptorConfigurations=interceptors, policyEngineConfiguration=policy)

    result = run("export", "cloudformation", "--pool-id", setup.pool, "--gateway-id", setup.gateway)

    assert result.code == 0, result.err
    [exported] = [r for r in json.loads(result.out)["Resources"].values()
                  if r["Type"] == "AWS::BedrockAgentCore::Gateway"]
    properties = exported["Properties"]
    assert properties["InterceptorConfigurations"][0]["InterceptionPoints"] == ["REQUEST"]
    assert properties["PolicyEngineConfiguration"]["Mode"] == "ENFORCE"
    assert "Description" not in properties  # "" is no description: CloudFormation refuses it


# --- the doctor's gateway checks follow the same rules ------------------------------------


def doctor_gateway_findings(setup: Existing, platforms: tuple[str, ...]) -> list[Any]:
    """The doctor's AWS steps for the pool and the gateway (no HTTP: the URL is not loopback)."""
    import asyncio

    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.doctor import aws_checks
    from mcpauth_wizard.doctor.context import Context, Target

    async def check() -> list[Any]:
        ctx = Context(Target(url=setup.url, platforms=platforms, pool_id=setup.pool,
                             gateway_id=setup.gateway, scopes=("invoke",)), AwsContext())
        try:
            await aws_checks.pool(ctx)
            return (await aws_checks.gateway(ctx)).findings
        finally:
            await ctx.close()

    return asyncio.run(check())


@pytest.mark.parametrize(("tier", "login", "audience", "expected"), [
    ("ESSENTIALS", 2, "client-id", [("GATEWAY_AUDIENCE_UNMATCHABLE", None)]),
    ("LITE", 2, "url", [("GATEWAY_AUDIENCE_NEEDS_BINDING", None)]),
    ("ESSENTIALS", 1, "url", [("GATEWAY_AUDIENCE_NEEDS_BINDING", None)]),
    ("ESSENTIALS", 2, "url", [("GATEWAY_AUDIENCE_NO_RESOURCE", "claude")]),
], ids=["a client id", "LITE pool", "classic hosted UI", "a client that may not send resource"])
def test_doctor_audience_findings(aws, cognito, agentcore, existing, tier: str, login: int,
                                  audience: str, expected: list[tuple[str, str | None]]) -> None:
    setup = existing(tier=tier)
    cognito.create_user_pool_domain(UserPoolId=setup.pool, Domain=f"aud-{tier.lower()}-{login}",
                                    ManagedLoginVersion=login)
    agentcore_update(agentcore, setup.gateway, allowedAudience=[setup.url if audience == "url" else "4abc"])

    findings = doctor_gateway_findings(setup, ("chatgpt", "claude"))

    assert [(f.code, f.platform) for f in findings] == expected
    from mcpauth_wizard.doctor.findings import CODES

    assert [CODES[f.code][0] for f in findings] == (["warning"] if audience == "url" and tier != "LITE"
                                                     and login == 2 else ["error"])


def test_doctor_names_only_resource_server_scopes_as_short_names(aws, cognito, agentcore, existing) -> None:
    setup = existing(allowedScopes=["openid", "email", "aws.cognito.signin.user.admin", "invoke"])
    cognito.create_user_pool_domain(UserPoolId=setup.pool, Domain="short-login", ManagedLoginVersion=2)

    [finding] = doctor_gateway_findings(setup, ("chatgpt",))

    assert finding.code == "GATEWAY_SCOPE_SHORT_NAME"
    assert finding.message.startswith("allowedScopes holds short name(s) invoke;")
