"""`mcpauth sandbox sweep-live`: delete what the live contract suite left in an AWS account.

The live suite (tests/test_live_aws.py) tags everything it creates `mcpauth-live=<run id>`
and `created-by=mcpauth`, and deletes it when it ends; a run that was killed leaves it. This
deletes, in the AwsContext's region, every user pool and every AgentCore gateway that carries
the `mcpauth-live` tag and is older than `older_than_s` (the pool's CreationDate, the
gateway's createdAt). Nothing without the tag is deleted; a pool with deletion protection on
is left (and said so).

Order, as the services require: a gateway's targets, then the gateway; a pool's domains
(DeleteUserPoolDomain: a pool with a domain cannot be deleted) and app clients, then the pool.
Lists are read with botocore's paginators (ListUserPools, ListUserPoolClients, ListGateways,
ListGatewayTargets); tags from DescribeUserPool (UserPoolTags) and, for a gateway, from
ListTagsForResource on the ARN GetGateway names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mcpauth_wizard.aws.session import paginate, translate_aws_error

if TYPE_CHECKING:
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.core.options import Options

LIVE_TAG = "mcpauth-live"  # value: the run id
AGENTCORE = "bedrock-agentcore-control"


@dataclass(frozen=True)
class Found:
    """A tagged resource old enough to delete."""

    kind: Literal["user pool", "gateway"]
    id: str
    name: str
    run: str  # the value of the mcpauth-live tag
    created: dt.datetime
    protected: bool = False  # a pool with DeletionProtection ACTIVE: never deleted here

    def label(self, now: dt.datetime) -> str:
        minutes = int((now - self.created).total_seconds() // 60)
        return f"{self.kind} {self.id} ({self.name}; {LIVE_TAG}={self.run}; created {minutes} min ago)"


@dataclass(frozen=True)
class Outcome:
    found: Found
    done: bool  # deleted (or, in a dry run, would be)
    line: str


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(float(value), dt.UTC)


def _cutoff(older_than_s: float, now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    now = _utc(now) if now is not None else dt.datetime.now(dt.UTC)
    return now, now - dt.timedelta(seconds=older_than_s)


def live_resources(aws: AwsContext, *, older_than_s: float = 3600, now: dt.datetime | None = None,
                   run_id: str | None = None) -> list[Found]:
    """Every pool and gateway tagged mcpauth-live (with that run id, when given) created
    before now - older_than_s. Reads only."""
    _, cutoff = _cutoff(older_than_s, now)
    from mcpauth_wizard.aws import user_pools

    found: list[Found] = []
    for summary in user_pools.list_user_pools(aws):
        created = summary.created
        if created is None or _utc(created) > cutoff:
            continue
        pool = user_pools.describe_user_pool(aws, summary.id)
        tags = pool.get("UserPoolTags") or {}
        if LIVE_TAG not in tags or (run_id is not None and tags[LIVE_TAG] != run_id):
            continue
        found.append(Found("user pool", pool["Id"], pool.get("Name", ""), tags[LIVE_TAG], _utc(created),
                           protected=pool.get("DeletionProtection") == "ACTIVE"))
    agentcore = aws.client(AGENTCORE)
    for summary in paginate(aws, AGENTCORE, "list_gateways", "items", page_size=100):
        created = summary.get("createdAt")
        if created is None or _utc(created) > cutoff or summary.get("status") == "DELETING":
            continue
        arn = agentcore.get_gateway(gatewayIdentifier=summary["gatewayId"])["gatewayArn"]
        tags = agentcore.list_tags_for_resource(resourceArn=arn).get("tags") or {}
        if LIVE_TAG not in tags or (run_id is not None and tags[LIVE_TAG] != run_id):
            continue
        found.append(Found("gateway", summary["gatewayId"], summary.get("name", ""), tags[LIVE_TAG],
                           _utc(created)))
    return found


def delete_user_pool(aws: AwsContext, pool_id: str) -> None:
    """The pool's domains and app clients, then the pool (read again here: what it holds
    now, not when it was listed)."""
    from mcpauth_wizard.aws import app_clients, domains, user_pools

    pool = user_pools.describe_user_pool(aws, pool_id)
    for domain in (pool.get("CustomDomain"), pool.get("Domain")):
        if domain:
            domains.delete_domain(aws, pool_id, domain)
    for client in app_clients.list_clients(aws, pool_id):
        app_clients.delete_client(aws, pool_id, client["ClientId"])
    user_pools.delete_user_pool(aws, pool_id)


def delete_gateway(aws: AwsContext, gateway_id: str) -> None:
    """The gateway's targets, then the gateway."""
    agentcore = aws.client(AGENTCORE)
    targets = [t["targetId"] for t in paginate(aws, AGENTCORE, "list_gateway_targets", "items",
                                               gatewayIdentifier=gateway_id)]
    for target_id in targets:
        agentcore.delete_gateway_target(gatewayIdentifier=gateway_id, targetId=target_id)
    agentcore.delete_gateway(gatewayIdentifier=gateway_id)


def delete_found(aws: AwsContext, found: list[Found], *, dry_run: bool = False,
                 now: dt.datetime | None = None) -> list[Outcome]:
    """Gateways first (they name the pools' discovery URLs), then pools; one failure does not
    stop the others."""
    now, _ = _cutoff(0, now)
    outcomes = []
    for item in sorted(found, key=lambda f: (f.kind != "gateway", f.created, f.id)):
        label = item.label(now)
        if item.protected:
            outcomes.append(Outcome(item, False, f"left {label}: deletion protection is on"))
            continue
        if dry_run:
            outcomes.append(Outcome(item, True, f"would delete {label}"))
            continue
        try:
            (delete_gateway if item.kind == "gateway" else delete_user_pool)(aws, item.id)
        except Exception as exc:  # noqa: BLE001 - said per resource; the others go on
            problem = translate_aws_error(exc)
            if problem is None:
                raise
            outcomes.append(Outcome(item, False, f"could not delete {label}: {problem}"))
            continue
        outcomes.append(Outcome(item, True, f"deleted {label}"))
    return outcomes


def sweep_live(aws: AwsContext, *, older_than_s: float = 3600, dry_run: bool = False,
               now: dt.datetime | None = None, run_id: str | None = None) -> list[str]:
    """Delete every user pool and gateway tagged mcpauth-live and older than `older_than_s`
    (only that run's with `run_id`); one line per resource: deleted, would delete (dry run),
    left or could not delete, and why."""
    found = live_resources(aws, older_than_s=older_than_s, now=now, run_id=run_id)
    return [o.line for o in delete_found(aws, found, dry_run=dry_run, now=now)]


def run_sweep_live(opts: Options, *, older_than_minutes: int = 60, dry_run: bool = False) -> None:
    """The command: list what is tagged and old, ask (unless --yes), delete, say what happened.
    Exit 1 when something could not be deleted, or when the user said no."""
    import click
    from rich.markup import escape

    from mcpauth_wizard.core import console

    aws = opts.aws()
    now = dt.datetime.now(dt.UTC)
    found = live_resources(aws, older_than_s=older_than_minutes * 60, now=now)
    where = f"region {aws.region_name}"
    if not found:
        console.note(f"Nothing tagged {LIVE_TAG} and older than {older_than_minutes} min in {where}.")
        return
    console.note(f"Tagged {LIVE_TAG} and older than {older_than_minutes} min in {where}:")
    for item in found:
        console.out.print(f"  {escape(item.label(now))}", soft_wrap=True, highlight=False)
    if dry_run:
        console.note("Dry run: nothing was deleted.")
        return
    deletable = [f for f in found if not f.protected]
    if deletable and not opts.confirm(f"Delete these {console.count(len(deletable), 'resource')}?"):
        console.err.print("Nothing deleted" + ("." if opts.interactive else
                                               ": rerun with --yes to delete without a prompt."))
        raise click.exceptions.Exit(1)
    outcomes = delete_found(aws, found, now=now)
    for outcome in outcomes:
        mark = "[green]✓[/]" if outcome.done else "[red]✗[/]"
        console.out.print(f"  {mark} {escape(outcome.line)}", soft_wrap=True, highlight=False)
    if not all(o.done for o in outcomes):
        raise click.exceptions.Exit(1)
