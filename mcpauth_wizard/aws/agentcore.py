"""Amazon Bedrock AgentCore gateways and their inbound JWT authorizer."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.aws.session import AwsContext, translate_aws_error, update_params
from mcpauth_wizard.errors import AwsProblem, BadInput, NotFound

SERVICE = "bedrock-agentcore-control"


@dataclass(frozen=True)
class GatewaySummary:
    id: str
    name: str
    status: str
    authorizer_type: str


def check_gateway_id(gateway_id: str) -> str:
    if not gateway_id or len(gateway_id) > 100 or not all(c.isalnum() or c in "-_" for c in gateway_id):
        raise BadInput(f"invalid gateway id {gateway_id!r}; accepted: letters, digits, - and _")
    return gateway_id


def list_gateways(aws: AwsContext) -> list[GatewaySummary]:
    paginator = aws.client(SERVICE).get_paginator("list_gateways")
    return [
        GatewaySummary(g["gatewayId"], g.get("name", ""), g.get("status", ""), g.get("authorizerType", ""))
        for page in paginator.paginate()
        for g in page.get("items", [])
    ]


def get_gateway(aws: AwsContext, gateway_id: str) -> dict[str, Any]:
    try:
        found = aws.client(SERVICE).get_gateway(gatewayIdentifier=check_gateway_id(gateway_id))
    except Exception as exc:
        if isinstance(translate_aws_error(exc), NotFound):
            raise NotFound(f"gateway {gateway_id} not found (region {aws.region_name})") from None
        raise
    return {k: v for k, v in found.items() if k != "ResponseMetadata"}


def mcp_url(gateway: dict[str, Any]) -> str:
    """The gateway's MCP endpoint: its URL, ending in /mcp."""
    url = gateway["gatewayUrl"].rstrip("/")
    return url if url.endswith("/mcp") else url + "/mcp"


def jwt_authorizer(gateway: dict[str, Any]) -> dict[str, Any]:
    return ((gateway.get("authorizerConfiguration") or {}).get("customJWTAuthorizer")) or {}


def safe_update_gateway(aws: AwsContext, gateway_id: str,
                        change: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
    """UpdateGateway replaces the whole configuration: read → merge → write → wait READY."""
    current = get_gateway(aws, gateway_id)
    wanted = change(copy.deepcopy(current))

    def params(gateway: dict[str, Any]) -> dict[str, Any]:
        return update_params(aws, SERVICE, "UpdateGateway",
                             {**gateway, "gatewayIdentifier": gateway["gatewayId"]})

    if params(wanted) == params(current):
        return False
    aws.client(SERVICE).update_gateway(**params(wanted))
    wait_ready(aws, gateway_id)
    return True


def wait_ready(aws: AwsContext, gateway_id: str, *, timeout: float = 300.0,
               on_wait: Callable[[str, float], None] | None = None) -> None:
    """Poll GetGateway until READY (or a FAILED status), with a deadline."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        status = get_gateway(aws, gateway_id).get("status", "")
        if status == "READY":
            return
        if "FAILED" in status:
            raise AwsProblem(f"gateway {gateway_id} is {status}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AwsProblem(f"gateway {gateway_id} still {status} after {timeout:.0f}s")
        if on_wait:
            on_wait(status, remaining)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 5.0)
