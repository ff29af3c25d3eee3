"""`mcpauth clients`: list the pool's app clients, prune registered ones, style one.

`register(cli)` adds the group; who made each client is decided in client_inventory.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options


def register(cli: click.Group) -> None:
    """Add `clients` (list), `clients prune` and `clients style` to the CLI group."""
    from mcpauth_wizard.core.options import pass_options

    @cli.group("clients", invoke_without_command=True)
    @click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @pass_options
    def clients(opts: Options, pool_id: str | None, as_json: bool) -> None:
        """List the pool's app clients: made by mcpauth, registered by a client, or other.

        Registered clients are the ones AWS marks `ClientType: DCR`; mcpauth's are those in
        mcpauth.toml or named mcpauth-<platform>; everything else is "other".
        """
        if click.get_current_context().invoked_subcommand is None:
            run_list(opts, pool_id, as_json)

    @clients.command("prune")
    @click.option("--registered", is_flag=True, help="Delete clients that registered themselves "
                  "(required: no other kind is ever pruned).")
    @click.option("--older-than", "older_than", default="30d", show_default=True,
                  help="Only clients created longer ago than this (e.g. 30d, 12h).")
    @click.option("--dry-run", is_flag=True, help="Show the plan and delete nothing.")
    @click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
    @pass_options
    def prune(opts: Options, registered: bool, older_than: str, dry_run: bool,
              pool_id: str | None) -> None:
        """Delete dynamically registered app clients older than --older-than, after a plan."""
        run_prune(opts, pool_id, registered, older_than, dry_run)

    @clients.command("style")
    @click.argument("client_id")
    @click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
    @pass_options
    def style(opts: Options, client_id: str, pool_id: str | None) -> None:
        """Give one app client a managed login style (Cognito's defaults), so it has a login page."""
        run_style(opts, pool_id, client_id)


def _pool(opts: Options, pool_id: str | None) -> tuple[str, Any]:
    from mcpauth_wizard.aws.user_pools import check_pool_id
    from mcpauth_wizard.core.errors import BadInput

    project = opts.project()
    chosen = pool_id or project.user_pool_id
    if not chosen:
        raise BadInput("no user pool: pass --pool-id or run where mcpauth.toml is")
    return check_pool_id(chosen), project


def _inventory(opts: Options, pool_id: str | None) -> tuple[str, list[Any]]:
    from mcpauth_wizard.core import console
    from mcpauth_wizard.provision.inventory import inventory

    pool, project = _pool(opts, pool_id)

    def progress(done: int, total: int) -> None:
        if total > 50 and (done % 50 == 0 or done == total):
            console.err.print(f"[dim]described {done}/{total} app clients[/]")

    return pool, inventory(opts.aws(), pool, set(project.clients.values()), progress)


def run_list(opts: Options, pool_id: str | None, as_json: bool) -> None:
    from rich.markup import escape
    from rich.measure import Measurement
    from rich.table import Table

    from mcpauth_wizard.core import console

    pool, found = _inventory(opts, pool_id)
    if as_json:
        console.print_json({"user_pool_id": pool, "clients": [c.as_dict() for c in found]})
        return
    counts = {o: sum(c.origin == o for c in found) for o in ("mcpauth", "registered", "other")}
    summary = (f"{len(found)} of 1,000 app clients: {counts['mcpauth']} by mcpauth, "
               f"{counts['registered']} registered dynamically, {counts['other']} other")
    rows = [(escape(c.name), c.id, c.created.strftime("%Y-%m-%d %H:%M") if c.created else "?",
             "secret" if c.confidential else "public",
             {"registered": "registered dynamically"}.get(c.origin, c.origin),
             [escape(u) for u in c.callbacks]) for c in found]
    table = Table(title=f"App clients of {pool}", title_justify="left", show_edge=False,
                  pad_edge=False, caption=summary)
    for column in ("name", "client id", "created", "kind", "made by", "callbacks"):
        table.add_column(column, no_wrap=True)
    for *cells, callbacks in rows:
        table.add_row(*cells, "\n".join(callbacks) or "-")
    wide = console.out.options.update_width(10_000)  # the table's own width, not the screen's
    if console.out.is_terminal and Measurement.get(console.out, wide, table).maximum <= console.out.width:
        console.out.print(table)
        return
    # Piped, or too wide for the terminal: one block per client, each id and URL whole on
    # its own line (a table would fold them across lines)
    console.out.print(f"App clients of {pool}", soft_wrap=True)
    for name, client_id, created, kind, made_by, callbacks in rows:
        console.out.print(f"\n{name}\n  client id  {client_id}\n  created    {created}, {kind}, "
                          f"made by {made_by}", soft_wrap=True, highlight=False)
        for n, url in enumerate(callbacks or ["-"]):
            console.out.print(f"  {'callbacks' if n == 0 else '':9}  {url}", soft_wrap=True,
                              highlight=False)
    console.out.print(f"\n{summary}", soft_wrap=True)


def run_prune(opts: Options, pool_id: str | None, registered: bool, older_than: str,
              dry_run: bool) -> None:
    from rich.markup import escape

    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.aws.session import translate_aws_error
    from mcpauth_wizard.core import console
    from mcpauth_wizard.core.errors import BadInput, NotFound
    from mcpauth_wizard.provision.inventory import parse_age, prune_plan

    if not registered:
        raise BadInput("clients prune needs --registered: only clients that registered "
                       "themselves are ever pruned")
    age = parse_age(older_than)
    pool, found = _inventory(opts, pool_id)
    doomed = prune_plan(found, age)
    if not doomed:
        console.note(f"Nothing to prune: no dynamically registered client older than {older_than}.")
        return
    console.out.print(f"Plan: delete {len(doomed)} dynamically registered app client(s) of {pool} "
                      f"created more than {older_than} ago (mcpauth-made and other clients are kept):")
    for c in doomed:
        console.out.print(f"  - {escape(c.name)} {c.id} (created {c.created:%Y-%m-%d})")
    console.out.print("A deleted client's users sign in again; the MCP client registers anew.")
    if dry_run:
        console.note("Dry run: nothing deleted.")
        return
    if not opts.confirm(f"Delete these {len(doomed)} app clients?"):
        console.err.print("Nothing deleted (pass --yes to delete without a prompt).")
        raise click.exceptions.Exit(1)
    aws = opts.aws()
    deleted = 0
    for c in doomed:
        try:
            app_clients.delete_client(aws, pool, c.id)
        except NotFound:
            pass  # gone already: what prune wanted
        except Exception as exc:  # noqa: BLE001 - keep going, say which one is left
            console.warn(f"{c.id} not deleted: {translate_aws_error(exc) or exc}")
            continue
        deleted += 1
    console.note(f"Deleted {deleted} of {len(doomed)}; re-run to retry any left.")


def run_style(opts: Options, pool_id: str | None, client_id: str) -> None:
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.core import console

    pool, _ = _pool(opts, pool_id)
    aws = opts.aws()
    app_clients.describe_client(aws, pool, app_clients.check_client_id(client_id))
    if app_clients.branding_of(aws, pool, client_id) is not None:
        console.note(f"{client_id} already has a managed login style.")
        return
    app_clients.create_branding(aws, pool, client_id)
    console.note(f"{client_id} now has a managed login style (Cognito's defaults).")
