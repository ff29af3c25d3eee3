"""Assemble a doctor run: the target (flags, else mcpauth.toml), AWS access, the steps."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mcpauth_wizard.core.errors import BadInput, McpAuthError
from mcpauth_wizard.doctor import (
    audit,
    authorize,
    aws_checks,
    discovery,
    login,
    proxy,
    registration_checks,
    token,
)
from mcpauth_wizard.doctor.context import Context, Exchange, Target
from mcpauth_wizard.doctor.findings import Finding, StepResult
from mcpauth_wizard.doctor.report import Report, build_report
from mcpauth_wizard.doctor.runner import Pause, Step, run_steps
from mcpauth_wizard.mcp.platforms import PLATFORMS


def parse_platforms(text: str | None, recorded: list[str]) -> tuple[str, ...]:
    if text in (None, ""):
        chosen = [p for p in recorded if p in PLATFORMS] or ["chatgpt", "claude", "inspector"]
        if "shared" in recorded:
            chosen = ["chatgpt", "claude", "inspector"]
        return tuple(chosen)
    if text == "all":
        return tuple(p for p in PLATFORMS if p != "doctor")
    names = [p.strip() for p in text.split(",") if p.strip()]
    for name in names:
        if name not in PLATFORMS:
            raise BadInput(f"unknown platform {name!r}; known: {', '.join(PLATFORMS)}, or all")
    return tuple(dict.fromkeys(names))


def _login_choice(clients: dict[str, str]) -> str | None:
    """--login without a platform: a client whose platform signs in through a loopback
    callback like the doctor's listener (http://localhost:<port>/callback first), else the first."""
    def rank(platform: str) -> int:
        templates = PLATFORMS[platform].callback_templates
        if "http://localhost:{port}/callback" in templates:
            return 0
        return 1 if any(t.startswith(("http://localhost", "http://127.0.0.1")) for t in templates) else 2

    return min(clients, key=rank, default=None)  # min keeps the first of equal rank


def _check_issuer(issuer: str | None) -> str | None:
    if issuer is None:
        return None
    from urllib.parse import urlsplit

    from mcpauth_wizard.oauth.loopback import is_loopback

    parts = urlsplit(issuer)
    if not parts.hostname or not (parts.scheme == "https"
                                  or parts.scheme == "http" and is_loopback(parts.hostname)):
        raise BadInput(f"--issuer {issuer!r}: accepted: the authorization server's issuer URL, "
                       "https:// (http:// only for localhost)")
    return issuer


def make_target(project: Any, *, url: str | None, platforms: str | None, client_id: str | None,
                secret_env: str | None, pool_id: str | None, gateway_id: str | None,
                token_env: str | None, login_platform: str | None,
                issuer: str | None = None, state_probes: int = 8, call_tool: str | None = None,
                client_metadata_url: str | None = None) -> Target:
    """Flags over mcpauth.toml; checked before any request."""
    from mcpauth_wizard.aws.app_clients import check_client_id
    from mcpauth_wizard.aws.user_pools import check_pool_id
    from mcpauth_wizard.provision.spec import normalize_mcp_url

    raw = url or project.resource_url
    if not raw:
        raise BadInput("no MCP URL: pass it (mcpauth doctor https://…/mcp) or run where mcpauth.toml is")
    mcp_url, _ = normalize_mcp_url(raw, gateway=False)
    pool = pool_id or (project.user_pool_id if not url or url == project.resource_url else None)
    if pool:
        check_pool_id(pool)
    recorded = list(project.platforms) or list(project.clients)  # what init recorded, all of it
    if "shared" in project.clients:
        recorded = list(project.platforms_shared or project.platforms) or ["shared"]
    chosen = parse_platforms(platforms, recorded)
    if project.is_proxy and not platforms:
        chosen = ()  # MCP clients register with the proxy: no per-platform Cognito clients
    clients = {}
    for name in chosen:
        cid = client_id or project.client_for(name)
        if cid:  # a Cognito id's shape is checked only when it is checked against a pool
            clients[name] = check_client_id(cid) if pool else cid
    if platforms == "all":  # every platform that has a client to probe, not every known one
        chosen = tuple(p for p in chosen if p in clients)
    secrets = {}
    if secret_env:
        value = os.environ.get(secret_env)
        if not value:
            raise BadInput(f"--client-secret-env {secret_env}: that variable is empty or unset")
        if len(set(clients.values())) > 1:  # one secret belongs to one client
            raise BadInput("--client-secret-env needs --client-id when the platforms use "
                           f"different app clients ({', '.join(sorted(set(clients.values())))})")
        secrets = {name: value for name in clients}
    token_value = None
    if token_env:
        token_value = os.environ.get(token_env)
        if not token_value:
            raise BadInput(f"--token-env {token_env}: that variable is empty or unset")
    if login_platform is not None:  # without a client id the doctor registers one (CIMD / DCR)
        login_platform = login_platform or _login_choice(clients) or "doctor"
        if login_platform not in PLATFORMS:
            raise BadInput(f"unknown platform {login_platform!r}; known: {', '.join(PLATFORMS)}")
    if client_metadata_url is not None and not client_metadata_url.startswith("https://"):
        raise BadInput(f"--client-metadata-url {client_metadata_url!r}: a client ID metadata "
                       "document is an https:// URL")
    gateway = gateway_id or (project.gateway_id if not url or url == project.resource_url else None)
    from mcpauth_wizard.provision.registration import self_registering

    recorded_setup = not url or url == project.resource_url
    registering = tuple(p for p in self_registering(project) if p in chosen) if recorded_setup else ()
    return Target(url=mcp_url, platforms=chosen, clients=clients, secrets=secrets, pool_id=pool,
                  gateway_id=gateway, region=project.region, scopes=tuple(project.scopes),
                  token=token_value, login_platform=login_platform, issuer=_check_issuer(issuer),
                  proxy_client=project.proxy_client if project.is_proxy else None,
                  proxy_base_url=project.base_url if project.is_proxy else None,
                  state_probes=state_probes, call_tool=call_tool,
                  client_metadata_url=client_metadata_url, registering=registering)


def aws_access(opts: Any, target: Target) -> tuple[Any | None, str | None]:
    """An AWS context when credentials exist and there is something to read, else why not."""
    if not target.pool_id and not target.gateway_id:
        return None, "no user pool or gateway id: only the HTTP checks ran"
    aws = opts.aws()
    _ = aws.region_name  # an unknown region or profile is bad input (exit 2), not a warning
    try:
        credentials = aws.session.get_credentials()
    except McpAuthError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. an expired SSO session: say so, check HTTP
        return None, f"AWS credentials unusable: {exc}"
    if credentials is None:
        return None, "no AWS credentials: the AWS checks were skipped, only the HTTP checks ran"
    return aws, None


def all_steps(ctx: Context) -> list[Step]:
    if ctx.target.proxy_client:  # MCP clients sign in at the proxy, not with Cognito clients
        return [*aws_checks.steps(ctx), *discovery.steps(), *proxy.steps(ctx), *audit.steps(ctx)]
    return [*aws_checks.steps(ctx), *registration_checks.steps(ctx), *discovery.steps(),
            *authorize.steps(ctx), *login.steps(ctx), *token.steps(ctx), *proxy.steps(ctx),
            *audit.steps(ctx)]


def bounds_result(bounded: list[Exchange]) -> StepResult:
    """One finding per answer the doctor refused to read past a bound (bounds.py)."""
    findings = [Finding(answer.bound.code, f"{answer.method} {answer.url}: {answer.bound.message}",
                        step="http.bounds", evidence={"request": f"{answer.method} {answer.url}",
                                                      "status": answer.status,
                                                      "bound": answer.bound.message},
                        fix="the server must answer within the bounds (metadata and JSON are small; "
                            "one content-coding at most)")
                for answer in bounded if answer.bound is not None]
    return StepResult("http.bounds", "Answers read within bounds", "fail", findings,
                      note=f"{len(findings)} answer(s) not read")


async def diagnose(target: Target, aws: Any | None, aws_problem: str | None, *,
                   pause: Pause | None = None,
                   opener: Callable[[str, float], None] | None = None,
                   timeout: float | None = None, progress: Any = None) -> Report:
    """Run every step; `progress` (begin(steps), step_done(result)) hears of each as it ends."""
    ctx = Context(replace(target, secrets=dict(target.secrets)), aws, aws_problem,
                  **({"timeout": timeout} if timeout else {}))
    ctx.opener = opener
    try:
        steps = all_steps(ctx)
        if progress is not None:
            progress.begin(steps)
        results = await run_steps(steps, ctx, pause, on_result=progress.step_done if progress else None)
    finally:
        await ctx.close()
    if ctx.bounded:
        results.append(bounds_result(ctx.bounded))
        if progress is not None:
            progress.step_done(results[-1])
    if aws is None and (target.pool_id or target.gateway_id):
        results.insert(0, StepResult("aws.credentials", "AWS access", "warn", [
            Finding("AWS_CREDENTIALS", aws_problem or "no AWS access", step="aws.credentials",
                    fix="set AWS_PROFILE / run `aws sso login` to include the AWS checks")],
            note=aws_problem or ""))
        if progress is not None:
            progress.step_done(results[0])
    region = aws.region_name if aws is not None else target.region
    report = build_report(ctx.target, region, results, ctx.facts)
    report.log, report.redact_with = list(ctx.log), ctx.secret_values
    report.audit = ctx.facts.get("audit")
    report.claims = ctx.facts.get("claims")
    from mcpauth_wizard.doctor.record import SETUP_FACTS

    report.record_facts = {k: ctx.facts.get(k) for k in SETUP_FACTS}
    return report


def run(target: Target, aws: Any | None, aws_problem: str | None, **kwargs: Any) -> Report:
    return asyncio.run(diagnose(target, aws, aws_problem, **kwargs))
