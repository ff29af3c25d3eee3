"""Cognito login domains: the prefix rules, the managed login host and base URL, and the
domain's create, version switch, delete and the wait until it answers."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from mcpauth_wizard.aws.session import AwsContext, partition_of
from mcpauth_wizard.aws.writes import answer_lost
from mcpauth_wizard.core.errors import AwsProblem, BadInput

DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
RESERVED_IN_DOMAIN = ("aws", "amazon", "cognito")


def check_domain_prefix(prefix: str) -> str:
    """Refuse a prefix Cognito would refuse, before any AWS call."""
    if not DOMAIN_PREFIX.match(prefix or ""):
        raise BadInput(
            f"invalid domain prefix {prefix!r}; accepted: 1-63 lower-case letters, digits and "
            "hyphens, not starting or ending with a hyphen"
        )
    for word in RESERVED_IN_DOMAIN:
        if word in prefix:
            raise BadInput(f"domain prefix {prefix!r} contains {word!r}, which Cognito refuses")
    return prefix


def suggest_domain_prefix(pool_name: str) -> str:
    text = re.sub(r"[^a-z0-9-]+", "-", pool_name.lower())
    for word in RESERVED_IN_DOMAIN:
        text = text.replace(word, "")
    text = re.sub(r"-+", "-", text).strip("-")[:50] or "mcp"
    return f"{text}-login" if not text.endswith("login") else text


# Prefix domains live under amazoncognito.com, and amazoncognito.com.cn in the China
# partition (Cognito guide "Using the Amazon Cognito domain"; the .cn form is reported by
# several public deployments, not verified against a primary source).
_LOGIN_SUFFIX = {"aws-cn": "amazoncognito.com.cn"}


def login_host(prefix_or_host: str, region: str) -> str:
    """The managed login host of a prefix domain (a custom domain is its own host)."""
    if "." in prefix_or_host:
        return prefix_or_host
    suffix = _LOGIN_SUFFIX.get(partition_of(region).id, "amazoncognito.com")
    return f"{prefix_or_host}.auth.{region}.{suffix}"


LOGIN_URL_ENV = "MCPAUTH_LOGIN_URL"  # an emulator's login pages: a URL with "{domain}" in it


def login_base_url(prefix_or_host: str, region: str) -> str:
    """Where the domain's /oauth2/authorize and /oauth2/token live: https://<login host>, or
    what an emulator (the sandbox) names in MCPAUTH_LOGIN_URL when AWS_ENDPOINT_URL points at it."""
    template = os.environ.get(LOGIN_URL_ENV)
    if template and "{domain}" in template and os.environ.get("AWS_ENDPOINT_URL"):
        return template.replace("{domain}", prefix_or_host).rstrip("/")
    return "https://" + login_host(prefix_or_host, region)



def describe_domain(aws: AwsContext, domain: str) -> dict[str, Any] | None:
    """The domain's description, or None when no pool owns that prefix."""
    found = aws.client("cognito-idp").describe_user_pool_domain(Domain=domain)
    description = found.get("DomainDescription") or {}
    return description if description.get("UserPoolId") else None


def create_domain(aws: AwsContext, pool_id: str, prefix: str, managed_login_version: int) -> bool:
    """True when this call created it; False when a retried create found it on the pool (the
    first try's answer lost, or someone else's: not this run's to roll back)."""
    try:
        aws.client("cognito-idp").create_user_pool_domain(
            UserPoolId=pool_id, Domain=prefix, ManagedLoginVersion=managed_login_version
        )
    except Exception as exc:
        if answer_lost(exc) and (describe_domain(aws, prefix) or {}).get("UserPoolId") == pool_id:
            aws.notes.append(f"domain {prefix}: a retried create found it on {pool_id}, as asked (the "
                             "first try's answer was lost); kept, and never rolled back by this run")
            return False
        raise
    return True


def update_domain_version(aws: AwsContext, pool_id: str, domain: str, version: int) -> None:
    """Switch a domain between the classic hosted UI (1) and managed login (2)."""
    aws.client("cognito-idp").update_user_pool_domain(
        UserPoolId=pool_id, Domain=domain, ManagedLoginVersion=version
    )


def delete_domain(aws: AwsContext, pool_id: str, domain: str) -> None:
    aws.client("cognito-idp").delete_user_pool_domain(UserPoolId=pool_id, Domain=domain)


def wait_for_domain(aws: AwsContext, prefix: str, *, timeout: float = 600.0,
                    on_wait: Callable[[str, float], None] | None = None) -> None:
    """Poll the domain until ACTIVE and (against real AWS) its host resolves; with a deadline.

    A loop of our own, not a botocore waiter: `client.waiter_names` of cognito-idp is empty
    in botocore 1.44.18 (and a waiter could not check DNS nor report progress to `on_wait`)."""
    import socket
    import time

    deadline = time.monotonic() + timeout
    delay = 0.5
    host = login_host(prefix, aws.region_name)
    while True:
        status = (describe_domain(aws, prefix) or {}).get("Status", "CREATING")
        ready = status == "ACTIVE"
        if ready and aws.resolved_endpoint is None:  # a local control plane has no real DNS
            try:
                socket.getaddrinfo(host, 443)
            except OSError:
                ready, status = False, "ACTIVE, DNS not answering yet"
        if ready:
            return
        if status == "FAILED":
            raise AwsProblem(f"login domain {prefix} failed to create")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AwsProblem(f"login domain {prefix} still {status} after {timeout:.0f}s; "
                             "re-run later to resume")
        if on_wait:
            on_wait(f"domain {host}: {status}", remaining)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 10.0)
