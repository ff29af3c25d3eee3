"""Small, safe changes to one app client's callback URLs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.aws import app_clients
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import AwsProblem, BadInput
from mcpauth_wizard.mcp.platforms import Platform, get_platform
from mcpauth_wizard.oauth.redirects import (
    CallbackChange,
    NearMiss,
    add_urls,
    near_misses,
    origin_of,
    remove_urls,
    validate_callback_url,
)


@dataclass(frozen=True)
class CallbackTarget:
    """What the user named: a platform (with its URLs) or one literal URL."""

    urls: tuple[str, ...]
    platform: Platform | None = None

    @property
    def label(self) -> str:
        return self.platform.title if self.platform else self.urls[0]


def resolve_target(name_or_url: str, *, port: int | None = None, url: str | None = None,
                   adding: bool = True, server_url: str | None = None) -> CallbackTarget:
    """Turn `chatgpt --url …`, `claude-code --port 8765` or a literal URL into checked URLs.

    When adding, a platform's URLs are those it really sends to Cognito, which advertises
    no RFC 9207 `iss`; a URL only the client can show (ChatGPT's per-connector one) needs --url.
    """
    if "://" in name_or_url:
        if port is not None or url is not None:
            raise BadInput("--port and --url go with a platform name, not with a literal URL")
        return CallbackTarget(urls=(validate_callback_url(name_or_url),))
    platform = get_platform(name_or_url)
    if url is not None:
        if port is not None:
            raise BadInput("pass either --url or --port, not both")
        return CallbackTarget(urls=(validate_callback_url(_platform_url(platform, url)),),
                              platform=platform)
    urls = platform.callbacks_for(iss_supported=False, port=port, server_url=server_url) if adding \
        else platform.callback_urls(port, server_url)
    if any("{callback_id}" in u for u in urls):
        raise BadInput(
            f"{platform.title} sends Cognito (no RFC 9207 iss) a per-connector callback URL that only "
            f"{platform.title} shows: create the connector, copy its callback URL, then run "
            f"`mcpauth add-callback {platform.name} --url {urls[0].replace('{callback_id}', '…')}` "
            f"(reported: {platform.behaviour.needs_iss_for_stable_callback.source})")
    urls = tuple(validate_callback_url(u) for u in urls)
    return CallbackTarget(urls=urls, platform=platform)


def _platform_url(platform: Platform, url: str) -> str:
    """--url must be on an origin the platform is known to send (ChatGPT: https://chatgpt.com/)."""
    allowed = sorted({origin_of(t) for t in platform.all_templates})
    if origin_of(url) not in allowed:
        raise BadInput(f"--url {url!r} is not a {platform.title} callback; accepted: a URL starting "
                       f"with {' or '.join(allowed)} (the exact URL {platform.title} shows)")
    return url


def oauth_problems(client: dict[str, Any]) -> list[str]:
    """Why this app client cannot serve an authorization-code sign-in (empty if it can)."""
    problems = []
    if not client.get("AllowedOAuthFlowsUserPoolClient"):
        problems.append("OAuth flows are disabled (AllowedOAuthFlowsUserPoolClient is false)")
    if "code" not in (client.get("AllowedOAuthFlows") or []):
        problems.append("the authorization code grant is not allowed")
    if not client.get("SupportedIdentityProviders"):
        problems.append("no identity provider is enabled, so no login page is offered")
    return problems


def enable_code_flow(client: dict[str, Any]) -> dict[str, Any]:
    """The client with the authorization code grant switched on, nothing else lost."""
    flows = client.get("AllowedOAuthFlows") or []
    if "client_credentials" in flows:
        raise AwsProblem(
            f"app client {client['ClientId']} is a machine-to-machine (client_credentials) "
            "client, which cannot also use the code grant; create a separate client for "
            "sign-in with `mcpauth init`"
        )
    client["AllowedOAuthFlowsUserPoolClient"] = True
    client["AllowedOAuthFlows"] = [*flows, "code"] if "code" not in flows else flows
    client["AllowedOAuthScopes"] = client.get("AllowedOAuthScopes") or ["openid"]
    client["SupportedIdentityProviders"] = client.get("SupportedIdentityProviders") or ["COGNITO"]
    return client


@dataclass(frozen=True)
class CallbackPlan:
    """The change to one client's callbacks, with what the user should know first."""

    user_pool_id: str
    client: dict[str, Any]
    change: CallbackChange
    near_misses: tuple[NearMiss, ...]
    oauth_problems: tuple[str, ...]
    drops_default_redirect: bool = False

    @property
    def client_id(self) -> str:
        return self.client["ClientId"]


def plan_add(aws: AwsContext, pool_id: str, client_id: str, target: CallbackTarget) -> CallbackPlan:
    client = app_clients.describe_client(aws, pool_id, client_id)
    current = client.get("CallbackURLs") or []
    change = add_urls(current, list(target.urls))
    return CallbackPlan(
        user_pool_id=pool_id,
        client=client,
        change=change,
        near_misses=tuple(near_misses(list(target.urls), current)),
        oauth_problems=tuple(oauth_problems(client)),
    )


def plan_remove(aws: AwsContext, pool_id: str, client_id: str, target: CallbackTarget) -> CallbackPlan:
    client = app_clients.describe_client(aws, pool_id, client_id)
    current = client.get("CallbackURLs") or []
    change = remove_urls(current, list(target.urls))
    absent = [u for u in target.urls if u not in current]
    return CallbackPlan(
        user_pool_id=pool_id,
        client=client,
        change=change,
        near_misses=tuple(near_misses(absent, current)),
        oauth_problems=(),
        drops_default_redirect=client.get("DefaultRedirectURI") in change.removed,
    )


def apply(aws: AwsContext, plan: CallbackPlan, *, enable_code: bool = False) -> app_clients.ClientUpdate:
    """Write the plan through the safe update, re-applied to the latest client state."""
    added, removed = plan.change.added, plan.change.removed

    def change(client: dict[str, Any]) -> dict[str, Any]:
        urls = [u for u in client.get("CallbackURLs") or [] if u not in removed]
        client["CallbackURLs"] = list(add_urls(urls, list(added)).after)
        if client.get("DefaultRedirectURI") in removed:
            client.pop("DefaultRedirectURI")  # Cognito refuses a default that is not a callback
        return enable_code_flow(client) if enable_code else client

    return app_clients.safe_update_client(
        aws, plan.user_pool_id, plan.client_id, change, seen=plan.client
    )
