"""`mcpauth scaffold` and `mcpauth export`: project templates and infrastructure as code.

`register(cli)` adds both commands to the CLI group; the work is in
mcpauth_wizard/provision/scaffold.py and mcpauth_wizard/provision/export.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options


def register(cli: click.Group) -> None:
    """Add `scaffold` and `export` to the group (call once, after the group is defined)."""
    from mcpauth_wizard.core.options import pass_options

    @cli.command("scaffold")
    @click.argument("template", metavar="TEMPLATE")
    @click.argument("folder", metavar="[DIR]", required=False)
    @click.option("--name", help="Server and stack name (default: the folder's name).")
    @click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
    @click.option("--client-id", help="App client the server signs in with (default: from mcpauth.toml).")
    @click.option("--force", is_flag=True, help="Overwrite files that are already there.")
    @pass_options
    def scaffold_command(opts: Options, template: str, folder: str | None, name: str | None,
                         pool_id: str | None, client_id: str | None, force: bool) -> None:
        """Write a ready project from a template (TEMPLATE: fastmcp-lambda).

        fastmcp-lambda: a FastMCP server on AWS Lambda behind Cognito sign-in, with its
        OAuth state in DynamoDB, and an AWS SAM template. Filled from mcpauth.toml.
        """
        run_scaffold(opts, template, folder, name, pool_id, client_id, force)

    @cli.command("export")
    @click.argument("format_name", metavar="FORMAT")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout).")
    @click.option("--pool-id", help="User pool id (default: from mcpauth.toml).")
    @click.option("--gateway-id", help="AgentCore gateway (default: from mcpauth.toml).")
    @pass_options
    def export_command(opts: Options, format_name: str, output: str | None, pool_id: str | None,
                       gateway_id: str | None) -> None:
        """Export the current setup as infrastructure as code (FORMAT: cloudformation).

        Pool, domain, branding, resource servers, app clients with their callback URLs,
        and the gateway authorizer. Never a secret.
        """
        run_export(opts, format_name, output, pool_id, gateway_id)


def _choose_client(project: Any, client_id: str | None) -> str:
    from mcpauth_wizard.aws.app_clients import check_client_id
    from mcpauth_wizard.core.errors import BadInput

    if client_id:
        return check_client_id(client_id)
    # `init --server fastmcp-proxy` recorded the proxy's client: no guessing among others
    chosen = project.proxy_client or project.clients.get("fastmcp-lambda") or project.client_for(None)
    if chosen:
        return chosen
    recorded = ", ".join(f"{k}={v}" for k, v in sorted(project.clients.items())) or "none"
    raise BadInput(f"which app client should the server sign in with? pass --client-id "
                   f"(recorded in mcpauth.toml: {recorded})")


def run_scaffold(opts: Options, template: str, folder: str | None, name: str | None,
                 pool_id: str | None, client_id: str | None, force: bool) -> None:
    from mcpauth_wizard.aws.user_pools import check_pool_id
    from mcpauth_wizard.core import console
    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.provision.scaffold import (
        ScaffoldValues,
        check_server_name,
        scaffold,
        template_folder,
    )

    template_folder(template)  # an unknown template is refused before anything else
    target = Path(folder or template)
    project = opts.project()
    pool = pool_id or project.user_pool_id
    if not pool:
        raise BadInput("no user pool: pass --pool-id or run `mcpauth init` first (mcpauth.toml)")
    values = ScaffoldValues(
        server_name=check_server_name(name or target.resolve().name),
        region=opts.aws().region_name,
        user_pool_id=check_pool_id(pool),
        client_id=_choose_client(project, client_id),
    )
    result = scaffold(template, target, values, force=force)
    for path in result.files:
        console.note(f"  [green]wrote[/] {path}")
    then = ("run `mcpauth init --base-url <FunctionUrl>` (adds <FunctionUrl>/auth/callback)"
            if project.is_proxy and not project.base_url else
            "register the CallbackUrl output with `mcpauth add-callback` (README.md, step 2)")
    console.note(f"Next: cd {target} && sam build && sam deploy --guided, then {then}.")


def run_export(opts: Options, format_name: str, output: str | None, pool_id: str | None,
               gateway_id: str | None) -> None:
    import sys

    from mcpauth_wizard.core import console
    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.provision.export import build_export, check_format

    check_format(format_name)
    if output is not None and not Path(output).resolve().parent.is_dir():
        raise BadInput(f"--output {output}: the folder {Path(output).parent} does not exist")
    if output is not None:  # before any AWS call: a link or a special file is never written
        from mcpauth_wizard.core.files import refuse_special

        refuse_special(Path(output), "--output")
    exported = build_export(opts.aws(), opts.project(), pool_id, gateway_id)
    if output is None:
        sys.stdout.write(exported.text())
        return
    from mcpauth_wizard.core.files import write_atomic

    path = write_atomic(Path(output), exported.text(), "--output")
    console.note(f"Wrote {path}: {len(exported.resource_types)} resources, no secrets.")
