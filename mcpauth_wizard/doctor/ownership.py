"""What the doctor may delete: only an app client this run created, proven by AWS.

A registration answer is a server's word, and a server the user only wanted to diagnose may
lie: it can answer with the id of an app client that ChatGPT's connector uses. So the id in
an answer is never enough. Before a delete the doctor reads the client back
(DescribeUserPoolClient, in the pool the user named) and deletes it only when AWS shows the
mark that only this run can have set: the one-time nonce in the `client_name` it sent, a
creation time after its registration request, and (where the model reports it) the DCR
client type (botocore `UserPoolClientType.ClientType`, REGULAR | DCR). Otherwise nothing is
deleted: an app client made by hand, by init or before this run is named as foreign
(an error: the server is misconfigured or hostile); one that is merely unproven is left and
named (a warning). That Cognito keeps a registration's `client_name` as the app client's
`ClientName` is unverified; were it not so, the doctor leaves its clients and says so.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mcpauth_wizard.doctor.findings import Finding

CLOCK_SKEW = timedelta(minutes=5)  # AWS's clock against this machine's


@dataclass(frozen=True)
class Mark:
    """What only this run knows about a client it registers."""

    name: str  # the client_name sent: a fixed prefix and a one-time nonce
    asked_at: datetime  # just before the registration request (UTC)


def new_mark(prefix: str) -> Mark:
    return Mark(f"{prefix} {secrets.token_hex(6)}", datetime.now(UTC))


def not_ours(described: dict[str, Any], mark: Mark) -> tuple[str, bool] | None:
    """None when AWS shows the client is this run's; else (why not, whether it is certainly
    someone else's: an app client made by hand or by init (ClientType REGULAR), or one created
    before this run asked to register)."""
    kind = described.get("ClientType")
    if kind is not None and kind != "DCR":
        return f"it is a {kind} app client, not one made by registration", True
    created = described.get("CreationDate")
    if isinstance(created, datetime):
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        if created < mark.asked_at - CLOCK_SKEW:
            return (f"it was created {created:%Y-%m-%d %H:%M:%S} UTC, before this run asked to "
                    "register one", True)
    else:
        return "AWS gives no creation time for it", False
    if described.get("ClientName") != mark.name:
        return (f"its name {described.get('ClientName')!r} is not the {mark.name!r} this run "
                "registered", False)
    return None


async def delete_if_ours(aws: Any, pool_id: str, client_id: str, mark: Mark,
                         *, said_by: str) -> tuple[str, Finding | None]:
    """Delete the client `said_by` (an HTTP answer) named, if AWS proves it this run's.
    (what happened, in words; a finding when something is left or was foreign)."""
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.core.errors import BadInput, NotFound

    try:
        described = await asyncio.to_thread(app_clients.describe_client, aws, pool_id, client_id)
    except (NotFound, BadInput):  # not an id of this pool (BadInput: not even its shape)
        return (f"the registered client {client_id} is not in user pool {pool_id}; nothing "
                "deleted there (it stays on the server that registered it)", None)
    except Exception as exc:  # noqa: BLE001 - unproven is never deleted: say what is left
        reason = f"AWS did not answer the ownership check ({type(exc).__name__}: {exc})"
        return (f"kept {client_id}: {reason}", Finding(
            "REGISTRATION_CLIENT_LEFT", f"the client {client_id} that {said_by} named may be left in "
            f"user pool {pool_id}: {reason}", evidence={"client_id": client_id, "user_pool_id": pool_id},
            fix=f"if it is the doctor's, delete it: `aws cognito-idp delete-user-pool-client "
            f"--user-pool-id {pool_id} --client-id {client_id}`"))
    why = not_ours(described, mark)
    evidence = {"client_id": client_id, "user_pool_id": pool_id, "named_by": said_by,
                "ClientName": described.get("ClientName"),
                "CreationDate": str(described.get("CreationDate"))}
    if why is not None:
        reason, foreign = why
        if foreign:
            return (f"kept {client_id}: {reason}", Finding(
                "REGISTRATION_ANSWER_FOREIGN_CLIENT",
                f"{said_by} answered with app client {client_id} of user pool {pool_id}, which this "
                f"run did not create ({reason}); it was not deleted or changed",
                evidence=evidence, fix="check which registration endpoint the server's metadata "
                "names: it is misconfigured or hostile; do not point MCP clients at it"))
        return (f"kept {client_id}: {reason}", Finding(
            "REGISTRATION_CLIENT_LEFT", f"the client {client_id} that {said_by} named was left in "
            f"user pool {pool_id}: {reason}, so the doctor cannot prove it its own",
            evidence=evidence, fix=f"if it is the doctor's, delete it: `aws cognito-idp "
            f"delete-user-pool-client --user-pool-id {pool_id} --client-id {client_id}`"))
    try:
        await asyncio.to_thread(app_clients.delete_client, aws, pool_id, client_id)
    except NotFound:
        return f"the registered client {client_id} was already gone from {pool_id}", None
    except Exception as exc:  # noqa: BLE001 - say what is left behind, never die
        return (f"could not delete the registered client {client_id} from {pool_id} "
                f"({type(exc).__name__}); remove it there", None)
    return f"deleted the registered client {client_id} from {pool_id}", None
