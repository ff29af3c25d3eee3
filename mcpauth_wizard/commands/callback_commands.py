"""`mcpauth add-callback`, `remove-callback` and `callbacks`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from mcpauth_wizard.core import console
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.provision import callbacks as provision

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options


def resolve_ids(opts: Options, platform: str | None, client_id: str | None,
                pool_id: str | None) -> tuple[str, str]:
    """Pool and client ids from flags, else mcpauth.toml; checked before any AWS call."""
    from mcpauth_wizard.aws.app_clients import check_client_id
    from mcpauth_wizard.aws.user_pools import check_pool_id

    project = opts.project()
    pool = pool_id or project.user_pool_id
    client = client_id or project.client_for(platform)
    if not pool:
        raise BadInput("no user pool id: pass --pool-id, or run `mcpauth init` here first")
    check_pool_id(pool)
    if not client:
        known = ", ".join(f"{k}={v}" for k, v in project.clients.items()) or "none recorded"
        raise BadInput(f"no app client id for {platform or 'this URL'}: pass --client-id ({known})")
    return pool, check_client_id(client)


def add(opts: Options, target_text: str, client_id: str | None, pool_id: str | None,
        port: int | None, exact_url: str | None, dry_run: bool, enable_code_flow: bool) -> None:
    target = provision.resolve_target(target_text, port=port, url=exact_url,
                                      server_url=opts.project().resource_url)
    pool, client = resolve_ids(opts, target.platform and target.platform.name, client_id, pool_id)
    aws = opts.aws()
    plan = provision.plan_add(aws, pool, client, target)
    for miss in plan.near_misses:
        console.warn(f"near miss already registered: {miss.describe()} (Cognito matches exactly)")
    enable = False
    title = f"callback URLs of app client {client} ({target.label})"
    if plan.oauth_problems:
        console.warn(f"app client {client} cannot take a sign-in yet: "
                     + "; ".join(plan.oauth_problems))
        provision.enable_code_flow(dict(plan.client))  # an M2M client is refused here, unasked
        if dry_run:
            console.out.print(console.callback_table(plan.change, title))
            console.note("Dry run: nothing was changed (the code grant would need --enable-code-flow).")
            return
        enable = enable_code_flow or opts.confirm("Enable the authorization code grant now?")
        if not enable:
            console.err.print("  nothing changed; fix: rerun with --enable-code-flow")
            raise click.exceptions.Exit(1)
    console.out.print(console.callback_table(plan.change, title))
    if not plan.change.changes_anything and not enable:
        console.note(f"Nothing to do: {target.label} is already registered.")
        return
    if dry_run:
        console.note("Dry run: nothing was changed.")
        return
    if plan.near_misses:  # the user may have meant to fix the near miss, not add beside it
        _consent(opts, "A near miss is registered (see above); add the exact URL as well?")
    _report(client, provision.apply(aws, plan, enable_code=enable))


def _consent(opts: Options, question: str) -> None:
    """Go on after a yes (or --yes); otherwise stop with nothing changed."""
    if opts.confirm(question, default=True):
        return
    console.err.print("Nothing changed" + ("." if opts.interactive else
                                           ": rerun with --yes to apply without a prompt."))
    raise click.exceptions.Exit(1)


def _report(client: str, result: Any) -> None:
    """Say what the verified update found; "every other setting kept" only when read back."""
    for note in result.notes:
        console.warn(note)
    if result.verified:
        console.note(f"[green]Updated[/] app client {client}: read back, every other setting kept.")


def remove(opts: Options, target_text: str, client_id: str | None, pool_id: str | None,
           port: int | None, exact_url: str | None, dry_run: bool) -> None:
    target = provision.resolve_target(target_text, port=port, url=exact_url, adding=False,
                                      server_url=opts.project().resource_url)
    pool, client = resolve_ids(opts, target.platform and target.platform.name, client_id, pool_id)
    aws = opts.aws()
    plan = provision.plan_remove(aws, pool, client, target)
    console.out.print(console.callback_table(plan.change, f"callback URLs of app client {client}"))
    if not plan.change.changes_anything:
        for miss in plan.near_misses:
            console.warn(f"not registered exactly, but near: {miss.describe()}")
        console.note(f"Nothing to do: {target.label} is not registered.")
        return
    if plan.drops_default_redirect:
        console.warn("the removed URL was the client's default redirect URI; that is cleared too")
    if dry_run:
        console.note("Dry run: nothing was changed.")
        return
    removed = len(plan.change.removed)
    _consent(opts, f"Remove {removed} callback URL{'' if removed == 1 else 's'} from app client {client}? "
                   "A client still using it can no longer sign in.")
    _report(client, provision.apply(aws, plan))


def show(opts: Options, client_id: str | None, pool_id: str | None, as_json: bool) -> None:
    """One client's callback URLs; without --client-id every recorded client, by platform."""
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.mcp.platforms import platforms_of_url

    project = opts.project()
    if client_id or len(project.clients) <= 1:
        pool, client = resolve_ids(opts, None, client_id, pool_id)
        clients = {"": client}
    else:
        pool, _ = resolve_ids(opts, None, next(iter(project.clients.values())), pool_id)
        clients = dict(sorted(project.clients.items()))
    aws = opts.aws()
    described = {key: app_clients.describe_client(aws, pool, cid) for key, cid in clients.items()}
    if as_json:
        def entry(key: str) -> dict[str, Any]:
            urls = described[key].get("CallbackURLs") or []
            return {"client_id": clients[key], "platform": key or None, "callbacks": [
                {"url": u, "platforms": [p.name for p in platforms_of_url(u)]} for u in urls],
                "oauth_problems": provision.oauth_problems(described[key])}

        if list(clients) == [""]:
            console.print_json({"user_pool_id": pool, **entry("")})
        else:
            console.print_json({"user_pool_id": pool, "clients": [entry(k) for k in clients]})
        return
    from mcpauth_wizard.oauth.redirects import CallbackChange

    for key, cid in clients.items():
        urls = described[key].get("CallbackURLs") or []
        change = CallbackChange(before=tuple(urls), after=tuple(urls))
        name = described[key].get("ClientName") or cid
        title = f"{key + ': ' if key else ''}callback URLs of {name} ({cid})"
        console.out.print(console.callback_table(change, title))
        for problem in provision.oauth_problems(described[key]):
            console.warn(problem)


def list_platforms(*, markdown: bool, as_json: bool) -> None:
    """`mcpauth platforms`: the registry, as the README's tables, JSON or a short list."""
    from dataclasses import asdict

    from mcpauth_wizard.mcp.platforms import PLATFORMS, caveats, markdown_table

    if markdown:
        click.echo(markdown_table(), nl=False)
        return
    if as_json:
        console.print_json({name: {**asdict(p), "caveats": caveats(p)} for name, p in PLATFORMS.items()})
        return
    from rich.markup import escape

    for p in PLATFORMS.values():  # one fact a line: URLs and sources are never split
        console.out.print(f"[bold]{p.name}[/]  {escape(p.title)}  (checked: {escape(p.checked)})")
        rows = [("redirect", url) for url in p.callback_templates]
        rows.append(("registration", " → ".join(p.registration_kinds) + f" ({p.registration})"))
        if p.no_pre_registered:
            rows.append(("no app client", p.no_pre_registered))
        elif p.needs_port:
            rows.append(("port", (f"proposed {p.default_port}; " if p.default_port else "")
                         + (p.port_setting or "pass --port")))
        rows.append(("source", p.source))
        rows += [("note", caveat) for caveat in caveats(p)]
        for label, text in rows:
            console.out.print(f"    {label:<13}{escape(text)}", soft_wrap=True)
