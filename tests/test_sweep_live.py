"""The live suite's sweeper on moto: it deletes every user pool (domain and app clients first)
and every AgentCore gateway (targets first) tagged mcpauth-live and older than the limit, and
nothing else — not a tagged one that is too young, not an old one without the tag."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import click
import pytest

from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.options import Options
from mcpauth_wizard.sandbox.control_plane import ControlPlane
from mcpauth_wizard.sandbox.sweep import LIVE_TAG, run_sweep_live, sweep_live

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
ROLE = f"arn:aws:iam::{ACCOUNT}:role/gateway"
HOURS = 3600
TAGS = {LIVE_TAG: "run-1", "created-by": "mcpauth"}


class Account:
    """Pools and gateways in moto, each with the age it is given."""

    def __init__(self, plane: ControlPlane) -> None:
        self.cognito = boto3.client("cognito-idp", endpoint_url=plane.url, region_name=REGION)
        self.agentcore = boto3.client("bedrock-agentcore-control", endpoint_url=plane.url,
                                      region_name=REGION)

    @staticmethod
    def _past(age_s: float) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=age_s)

    def pool(self, name: str, tags: dict[str, str] | None, age_s: float, *, domain: bool = True,
             protected: bool = False) -> str:
        from moto.cognitoidp.models import cognitoidp_backends

        pool = self.cognito.create_user_pool(
            PoolName=name, UserPoolTags=tags or {},
            DeletionProtection="ACTIVE" if protected else "INACTIVE")["UserPool"]["Id"]
        self.cognito.create_user_pool_client(UserPoolId=pool, ClientName=f"{name}-client")
        if domain:
            self.cognito.create_user_pool_domain(UserPoolId=pool, Domain=f"{name}-login")
        cognitoidp_backends[ACCOUNT][REGION].user_pools[pool].creation_date = self._past(age_s)
        return pool

    def gateway(self, name: str, tags: dict[str, str] | None, age_s: float, *, target: bool = False) -> str:
        from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

        gateway = self.agentcore.create_gateway(name=name, roleArn=ROLE, protocolType="MCP",
                                                authorizerType="AWS_IAM", **({"tags": tags} if tags else {})
                                                )["gatewayId"]
        if target:
            self.agentcore.create_gateway_target(
                gatewayIdentifier=gateway, name=f"{name}-target", targetConfiguration={"mcp": {"lambda": {
                    "lambdaArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tools",
                    "toolSchema": {"inlinePayload": []}}}})
        bedrockagentcorecontrol_backends[ACCOUNT][REGION].gateways[gateway].created_at = self._past(age_s)
        return gateway

    def pools(self) -> set[str]:
        return {p["Id"] for page in self.cognito.get_paginator("list_user_pools").paginate(
            PaginationConfig={"PageSize": 60}) for p in page["UserPools"]}

    def gateways(self) -> set[str]:
        return {g["gatewayId"] for g in self.agentcore.list_gateways()["items"]}

    def domains(self) -> set[str]:
        from moto.cognitoidp.models import cognitoidp_backends

        return set(cognitoidp_backends[ACCOUNT][REGION].user_pool_domains)


@pytest.fixture
def account(aws: ControlPlane) -> Account:
    return Account(aws)


def test_only_what_is_tagged_and_old_is_deleted(account: Account) -> None:
    old_pool = account.pool("tagged-old", TAGS, 2 * HOURS)
    young_pool = account.pool("tagged-new", TAGS, 60)
    plain_pool = account.pool("untagged-old", None, 5 * HOURS)
    other_tags = account.pool("other-tags", {"created-by": "mcpauth"}, 5 * HOURS)
    old_gateway = account.gateway("tagged-old", TAGS, 2 * HOURS, target=True)
    young_gateway = account.gateway("tagged-new", TAGS, 60)
    plain_gateway = account.gateway("untagged-old", None, 5 * HOURS)

    lines = sweep_live(AwsContext())

    assert account.pools() == {young_pool, plain_pool, other_tags}
    assert account.gateways() == {young_gateway, plain_gateway}
    assert account.domains() == {"tagged-new-login", "untagged-old-login", "other-tags-login"}
    assert lines == [f"deleted gateway {old_gateway} (tagged-old; {LIVE_TAG}=run-1; created 120 min ago)",
                     f"deleted user pool {old_pool} (tagged-old; {LIVE_TAG}=run-1; created 120 min ago)"]


def test_the_order_the_services_require(account: Account, aws: ControlPlane) -> None:
    """Targets before their gateway; the domain and the app clients before their pool."""
    pool = account.pool("tagged-old", TAGS, 2 * HOURS)
    gateway = account.gateway("tagged-old", TAGS, 2 * HOURS, target=True)
    aws.log.clear()

    sweep_live(AwsContext())

    deletes = [op for op in aws.log.operations() if op.startswith("Delete")]
    assert deletes == ["DeleteGatewayTarget", "DeleteGateway", "DeleteUserPoolDomain",
                       "DeleteUserPoolClient", "DeleteUserPool"], (pool, gateway)


def test_a_dry_run_deletes_nothing_and_says_what_it_would(account: Account, aws: ControlPlane) -> None:
    pool = account.pool("tagged-old", TAGS, 2 * HOURS)
    aws.log.clear()

    lines = sweep_live(AwsContext(), dry_run=True)

    assert lines == [line for line in lines if line.startswith(f"would delete user pool {pool} ")]
    assert len(lines) == 1
    assert aws.log.mutating() == []
    assert pool in account.pools()


def test_the_age_limit_and_the_clock_are_parameters(account: Account) -> None:
    pool = account.pool("tagged-old", TAGS, 20 * 60)
    assert sweep_live(AwsContext()) == []  # 20 minutes: younger than an hour
    assert sweep_live(AwsContext(), older_than_s=30 * 60) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert sweep_live(AwsContext(), now=later, dry_run=True)[0].startswith(f"would delete user pool {pool}")
    assert sweep_live(AwsContext(), older_than_s=10 * 60)[0].startswith(f"deleted user pool {pool}")


def test_every_page_is_read(account: Account) -> None:
    """More pools than one ListUserPools page (60): the tagged one on the second page goes too."""
    for n in range(60):
        account.pool(f"plain-{n}", None, 5 * HOURS, domain=False)
    tagged = account.pool("tagged-old", TAGS, 2 * HOURS, domain=False)

    lines = sweep_live(AwsContext())

    assert [line.split(" (")[0] for line in lines] == [f"deleted user pool {tagged}"]
    assert len(account.pools()) == 60


def test_a_pool_with_deletion_protection_is_left_and_named(account: Account) -> None:
    pool = account.pool("tagged-old", TAGS, 2 * HOURS, protected=True)

    lines = sweep_live(AwsContext())

    assert lines == [line for line in lines if line.startswith(f"left user pool {pool} ")]
    assert lines[0].endswith("deletion protection is on")
    assert pool in account.pools()


def test_one_run_only(account: Account) -> None:
    """What the live suite's own clean-up uses: that run's resources, whatever their age."""
    mine = account.pool("mine", TAGS, 10)
    other = account.pool("other", {**TAGS, LIVE_TAG: "run-2"}, 10)

    sweep_live(AwsContext(), older_than_s=0, run_id="run-1")

    assert mine not in account.pools() and other in account.pools()


def _options(*, yes: bool) -> Options:
    return Options(profile=None, region=None, endpoint_url=None, verbose=0, yes=yes, no_input=True)


def test_the_command_asks_first_and_without_a_yes_deletes_nothing(account: Account,
                                                                    capsys: Any) -> None:
    pool = account.pool("tagged-old", TAGS, 2 * HOURS)

    with pytest.raises(click.exceptions.Exit) as stopped:
        run_sweep_live(_options(yes=False), older_than_minutes=60)

    assert stopped.value.exit_code == 1
    assert pool in account.pools()
    captured = capsys.readouterr()
    assert pool in captured.out and "rerun with --yes" in captured.err


def test_the_command_with_yes_deletes_and_a_dry_run_does_not(account: Account, capsys: Any) -> None:
    pool = account.pool("tagged-old", TAGS, 2 * HOURS)
    run_sweep_live(_options(yes=True), older_than_minutes=60, dry_run=True)
    assert pool in account.pools() and "Dry run: nothing was deleted." in capsys.readouterr().out

    run_sweep_live(_options(yes=True), older_than_minutes=60)

    assert pool not in account.pools()
    assert f"deleted user pool {pool}" in capsys.readouterr().out
    run_sweep_live(_options(yes=True), older_than_minutes=60)
    assert "Nothing tagged mcpauth-live" in capsys.readouterr().out
