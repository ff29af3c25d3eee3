"""A full-replace Update built from a read that carries a member the installed botocore does
not model would erase that member (the parser drops it, the Update omits it, AWS resets it).
Each of the four full-replace writes refuses, names the member, and writes nothing. The
member is planted in AWS's raw answer by a proxy in front of the sandbox's control plane."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from mcpauth_wizard.sandbox.local import environment as _environment
from mcpauth_wizard.sandbox.server import Sandbox
from tests.aws_proxy import AwsProxy


def _shape(service: str, operation: str, member: str | None) -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service).operation_model(operation)
    return model.output_shape.members[member] if member else model.output_shape


@pytest.mark.parametrize(("raw", "found"), [
    ({"ClientId": "a", "ClientName": "n", "CallbackURLs": ["https://x"]}, []),
    ({"ClientId": "a", "FutureSetting": True}, ["FutureSetting"]),
    ({"ClientId": "a", "TokenValidityUnits": {"AccessToken": "hours", "SoonUnit": "days"}},
     ["TokenValidityUnits.SoonUnit"]),
    ({"AnalyticsConfiguration": {"ApplicationId": "x", "Extra": 1}, "Other": 2},
     ["AnalyticsConfiguration.Extra", "Other"]),
])
def test_unmodelled_members_rule_for_an_app_client(raw: dict[str, Any], found: list[str]) -> None:
    from mcpauth_wizard.aws.session import unmodelled_members

    shape = _shape("cognito-idp", "DescribeUserPoolClient", "UserPoolClient")
    assert sorted(unmodelled_members(raw, shape)) == found


def test_members_are_matched_by_the_name_aws_sends() -> None:
    """domainOverride.defaultDomain arrives as "default" (its serialization name): known."""
    from mcpauth_wizard.aws.session import unmodelled_members

    shape = _shape("bedrock-agentcore-control", "GetGateway", None)
    member = shape.members["domainOverride"]
    wire = {m.serialization.get("name", n): n for n, m in member.members.items()}
    raw = {"gatewayId": "g", "domainOverride": {name: "x" for name in wire}}
    assert unmodelled_members(raw, shape) == []
    assert any(w != n for w, n in wire.items()), wire  # the case this guards: a renamed member


def test_unmodelled_members_rule_in_lists_and_nested_structures() -> None:
    from mcpauth_wizard.aws.session import unmodelled_members

    gateway = {"gatewayId": "g", "authorizerConfiguration": {"customJWTAuthorizer": {
        "discoveryUrl": "https://x/.well-known/openid-configuration",
        "customClaims": [{"inboundTokenClaimName": "c", "futureOperator": "x"}],
        "advertisedScopeMappingV9": {"on": True}}}}
    found = unmodelled_members(gateway, _shape("bedrock-agentcore-control", "GetGateway", None))
    assert found == ["authorizerConfiguration.customJWTAuthorizer.customClaims[].futureOperator",
                     "authorizerConfiguration.customJWTAuthorizer.advertisedScopeMappingV9"]


def _plant(operation: str, path: list[str], value: Any) -> Callable[[str, bytes], bytes]:
    def rewrite(op: str, body: bytes) -> bytes:
        if op != operation and not (operation == "GetGateway" and op.startswith("GET /gateways/")):
            return body
        data = json.loads(body)
        node = data
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
        return json.dumps(data).encode()
    return rewrite


@pytest.fixture(scope="module")
def seeded(sandbox: Sandbox) -> Any:
    seed = sandbox.seed(pool_name="unmodelled", gateway_name="unmodelled-gw")
    cognito = sandbox.boto("cognito-idp")
    client = cognito.create_user_pool_client(UserPoolId=seed.pool_id, ClientName="c")["UserPoolClient"]["ClientId"]
    cognito.create_resource_server(UserPoolId=seed.pool_id, Identifier="https://mcp.example/mcp",
                                   Name="mcp", Scopes=[{"ScopeName": "invoke", "ScopeDescription": "x"}])
    return seed, client


def _writes(seed: Any, client: str) -> dict[str, tuple[str, list[str], Callable[[Any], Any]]]:
    from mcpauth_wizard.aws import agentcore, app_clients, resource_servers, user_pools

    def callback(c: dict[str, Any]) -> dict[str, Any]:
        return {**c, "CallbackURLs": [*(c.get("CallbackURLs") or []), "https://claude.ai/api/mcp/auth_callback"]}

    def pool(p: dict[str, Any]) -> dict[str, Any]:
        return {**p, "DeletionProtection": "ACTIVE"}

    def gateway(g: dict[str, Any]) -> dict[str, Any]:
        g["description"] = "changed by the test"
        return g

    return {
        "UpdateUserPoolClient": ("DescribeUserPoolClient", ["UserPoolClient", "FutureSetting"],
                                 lambda aws: app_clients.safe_update_client(aws, seed.pool_id, client, callback)),
        "UpdateUserPool": ("DescribeUserPool", ["UserPool", "Policies", "FuturePolicy"],
                           lambda aws: user_pools.safe_update_user_pool(aws, seed.pool_id, pool)),
        "UpdateResourceServer": ("DescribeResourceServer", ["ResourceServer", "FutureAudience"],
                                 lambda aws: resource_servers.safe_update_resource_server(
                                     aws, seed.pool_id, "https://mcp.example/mcp",
                                     [{"ScopeName": "read", "ScopeDescription": "y"}])),
        "UpdateGateway": ("GetGateway", ["authorizerConfiguration", "customJWTAuthorizer", "futureMapping"],
                          lambda aws: agentcore.safe_update_gateway(aws, seed.gateway_id, gateway)),
    }


@pytest.mark.parametrize("update", ["UpdateUserPoolClient", "UpdateUserPool", "UpdateResourceServer",
                                    "UpdateGateway"])
def test_a_full_replace_write_is_refused_when_the_read_has_a_member_botocore_lacks(
        sandbox: Sandbox, seeded: Any, update: str) -> None:
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.core.errors import AwsProblem

    seed, client = seeded
    read, path, write = _writes(seed, client)[update]
    with _environment(sandbox.aws_env()), \
            AwsProxy(sandbox.endpoint_url, rewrite=_plant(read, path, {"kept": "by AWS"})) as proxy:
        with pytest.raises(AwsProblem) as refused:
            write(AwsContext(endpoint_url=proxy.url))
    assert path[-1] in str(refused.value) and "does not know" in str(refused.value)
    assert "nothing was written" in str(refused.value)
    assert not [c for c in proxy.calls if c == update or c.startswith("PUT /gateways/")], proxy.calls
    # the same write without the planted member goes through (the guard is not a blanket refusal)
    with _environment(sandbox.aws_env()), AwsProxy(sandbox.endpoint_url) as honest:
        write(AwsContext(endpoint_url=honest.url))
    assert [c for c in honest.calls if c == update or c.startswith("PUT /gateways/")], honest.calls
