"""Amazon Bedrock AgentCore gateways and their inbound JWT authorizer."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.aws.session import AwsContext, paginate, translate_aws_error, update_params
from mcpauth_wizard.core.errors import AwsProblem, BadInput, NotFound

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
    return [
        GatewaySummary(g["gatewayId"], g.get("name", ""), g.get("status", ""), g.get("authorizerType", ""))
        for g in paginate(aws, SERVICE, "list_gateways", "items")
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


_POOL_OF_DISCOVERY = re.compile(r"amazonaws\.com(?:\.cn)?/([\w-]+_[0-9a-zA-Z]+)/\.well-known/")


def pool_of_discovery(discovery_url: str | None) -> str | None:
    """The Cognito user pool id in a discoveryUrl (cognito-idp.<region>.amazonaws.com/<pool>/…)."""
    match = _POOL_OF_DISCOVERY.search(discovery_url or "")
    return match.group(1) if match else None


def jwt_authorizer(gateway: dict[str, Any]) -> dict[str, Any]:
    return ((gateway.get("authorizerConfiguration") or {}).get("customJWTAuthorizer")) or {}


# GatewayStatus values (botocore model) after which polling stops: the update did not land.
FAILED_STATES = frozenset({"FAILED", "UPDATE_UNSUCCESSFUL"})


class GatewayUpdateFailed(AwsProblem):
    """AgentCore reported FAILED / UPDATE_UNSUCCESSFUL; statusReasons say why."""

    def __init__(self, gateway_id: str, status: str, reasons: list[str]) -> None:
        why = "; ".join(reasons) or "AgentCore gave no statusReasons"
        super().__init__(f"gateway {gateway_id} is {status}: {why}")
        self.status = status
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class GatewayUpdate:
    """What safe_update_gateway found and did; `notes` are warnings for the user."""

    before: dict[str, Any]
    after: dict[str, Any]
    written: bool
    notes: tuple[str, ...] = ()


def status_reasons(gateway: dict[str, Any]) -> list[str]:
    return [str(r) for r in gateway.get("statusReasons") or []]


def update_params_of(aws: AwsContext, gateway: dict[str, Any]) -> dict[str, Any]:
    """UpdateGateway's full parameter set from a GetGateway result (members from the botocore
    model); values the model refuses as too short (a description of "") are left out, which
    AWS reads as "none"."""
    params = update_params(aws, SERVICE, "UpdateGateway",
                           {**gateway, "gatewayIdentifier": gateway["gatewayId"]})
    members = aws.client(SERVICE).meta.service_model.operation_model("UpdateGateway").input_shape.members
    return {k: v for k, v in params.items()
            if not (isinstance(v, str | list | dict) and len(v) < members[k].metadata.get("min", 0))}


def _differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if k != "gatewayIdentifier" and a.get(k) != b.get(k))


def safe_update_gateway(aws: AwsContext, gateway_id: str,
                        change: Callable[[dict[str, Any]], dict[str, Any]], *,
                        seen: dict[str, Any] | None = None, force: bool = False,
                        on_wait: Callable[[str, float], None] | None = None) -> GatewayUpdate:
    """UpdateGateway replaces the whole configuration: read → merge → write → wait READY →
    read back. If a writer after us undid our change, it is merged again on top of theirs
    (with a note); fields changed since `seen` (the plan shown) are kept and named. `force`
    writes even when nothing differs (to retry an update AgentCore reported unsuccessful).
    AgentCore has no conditional write, so the milliseconds between read and write stay open
    (another mcpauth on this machine waits for the lock)."""
    from mcpauth_wizard.aws.locks import resource_lock

    with resource_lock(f"gateway {gateway_id}"):
        return _safe_update_gateway(aws, gateway_id, change, seen, force, on_wait)


def _safe_update_gateway(aws: AwsContext, gateway_id: str,
                         change: Callable[[dict[str, Any]], dict[str, Any]],
                         seen: dict[str, Any] | None, force: bool,
                         on_wait: Callable[[str, float], None] | None) -> GatewayUpdate:
    current = _settled(aws, gateway_id, on_wait)
    notes = []
    if seen is not None:
        moved = _differing(update_params_of(aws, seen), update_params_of(aws, current))
        if moved:
            notes.append(f"gateway {gateway_id}: {', '.join(moved)} changed since the plan; "
                         "kept as they are now")
    wanted = change(copy.deepcopy(current))
    if update_params_of(aws, wanted) == update_params_of(aws, current) and not force:
        return GatewayUpdate(before=current, after=current, written=False, notes=tuple(notes))
    after = _write(aws, gateway_id, wanted, on_wait)
    again = change(copy.deepcopy(after))
    undone = _differing(update_params_of(aws, again), update_params_of(aws, after))
    if undone:  # someone wrote after us and undid ours: keep theirs, put ours back on top
        after = _write(aws, gateway_id, again, on_wait)
        if update_params_of(aws, change(copy.deepcopy(after))) != update_params_of(aws, after):
            raise AwsProblem(f"gateway {gateway_id} keeps changing under us ({', '.join(undone)}); "
                             "re-run when the other writer is done")
        notes.append(f"gateway {gateway_id}: someone else changed it during the update and undid "
                     f"{', '.join(undone)}; their other changes are kept and ours applied again")
    return GatewayUpdate(before=current, after=after, written=True, notes=tuple(notes))


def _write(aws: AwsContext, gateway_id: str, wanted: dict[str, Any],
           on_wait: Callable[[str, float], None] | None) -> dict[str, Any]:
    aws.refuse_unmodelled("GetGateway", f"gateway {gateway_id}", "UpdateGateway")
    aws.client(SERVICE).update_gateway(**update_params_of(aws, wanted))
    wait_ready(aws, gateway_id, on_wait=on_wait)
    return get_gateway(aws, gateway_id)


def _settled(aws: AwsContext, gateway_id: str,
             on_wait: Callable[[str, float], None] | None) -> dict[str, Any]:
    """The gateway once no create or update is in flight (AgentCore refuses updates then)."""
    gateway = get_gateway(aws, gateway_id)
    if gateway.get("status") in ("CREATING", "UPDATING"):
        wait_ready(aws, gateway_id, on_wait=on_wait, accept_failed=True)
        gateway = get_gateway(aws, gateway_id)
    return gateway


def wait_ready(aws: AwsContext, gateway_id: str, *, timeout: float = 300.0,
               on_wait: Callable[[str, float], None] | None = None,
               accept_failed: bool = False) -> str:
    """Poll GetGateway until READY; stop at once on FAILED / UPDATE_UNSUCCESSFUL (raising
    GatewayUpdateFailed with statusReasons, unless `accept_failed`); with a deadline.

    A loop of our own, not a botocore waiter: `client.waiter_names` of bedrock-agentcore-control
    in botocore 1.44.18 has memory and policy waiters only, none for a gateway."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        gateway = get_gateway(aws, gateway_id)
        status = gateway.get("status", "")
        if status == "READY":
            return status
        if status in FAILED_STATES:
            if accept_failed:
                return status
            raise GatewayUpdateFailed(gateway_id, status, status_reasons(gateway))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AwsProblem(f"gateway {gateway_id} still {status} after {timeout:.0f}s")
        if on_wait:
            on_wait(f"gateway {gateway_id} ({status})", remaining)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 5.0)
