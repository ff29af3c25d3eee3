"""`mcpauth show`: what to paste into each MCP client, and `--write DIR` for their files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpauth_wizard.core import console
from mcpauth_wizard.core.errors import BadInput

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options
    from mcpauth_wizard.provision.handoff import Handoff


def collect(opts: Options, reveal: bool) -> tuple[Any, list[Handoff]]:
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.mcp.platforms import PLATFORMS
    from mcpauth_wizard.oauth.redirects import port_in
    from mcpauth_wizard.provision.handoff import handoffs
    from mcpauth_wizard.provision.registration import self_registering
    from mcpauth_wizard.provision.server_panel import login_base_of, server_checks

    project = opts.project()
    registering = self_registering(project)
    if not project.user_pool_id or not (project.clients or registering):
        raise BadInput("no setup recorded here (mcpauth.toml): run `mcpauth init` first")
    if project.is_proxy:  # clients register with the proxy: nothing of Cognito's to paste
        from mcpauth_wizard.provision.proxy import proxy_handoffs

        return project, proxy_handoffs(project)
    aws = opts.aws()
    secrets: dict[str, str | None] = {}
    has_secret: dict[str, bool] = {}
    ports: dict[str, int] = {}
    scopes: list[str] = []
    for key, client_id in project.clients.items():
        described = app_clients.describe_client(aws, project.user_pool_id, client_id)
        has_secret[key] = app_clients.is_confidential(described)  # a Secrets Manager secret too
        secrets[key] = app_clients.client_secret(aws, described) if reveal else None
        scopes = scopes or list(described.get("AllowedOAuthScopes") or [])
        served = project.platforms_shared if key == "shared" else (key,)
        for name in (n for n in served if n in PLATFORMS):  # ports are per platform
            port = port_in(described.get("CallbackURLs") or [], PLATFORMS[name].callback_templates)
            if port:
                ports.setdefault(name, port)
    ports.update(project.ports)  # what init recorded wins over what the URLs suggest
    found = handoffs(project, scopes=scopes, secrets=secrets, has_secret=has_secret, reveal=reveal,
                     ports=ports, login_base=login_base_of(aws, project))
    if registering:  # no client of theirs is recorded: the URL is what they need
        from mcpauth_wizard.provision.handoff import registration_handoffs

        if not scopes and project.resource_url:
            scopes = ["openid", *(f"{project.resource_url}/{s}" for s in project.scopes)]
        found += registration_handoffs(project.resource_url or "", tuple(registering),
                                       scopes=tuple(scopes))
    server = server_checks(aws, project, scopes=scopes, registering=tuple(registering))
    return project, found + ([server] if server else [])



def write_files(folder: Path, found: list[Handoff]) -> list[Path]:
    """Every client's files under `folder`; a file holding a secret is readable by its owner only."""
    from mcpauth_wizard.core.files import output_folder, write_atomic
    from mcpauth_wizard.provision.handoff import text_file

    output_folder(folder, "--write")
    written = []
    for handoff in found:
        for file in (*handoff.files, text_file(handoff)):
            path = folder / file.path
            output_folder(path.parent, "--write")
            written.append(write_atomic(path, file.content, "--write", private=file.secret))
    return written


def run_show(opts: Options, reveal: bool, as_json: bool, write: str | None = None) -> None:
    if write and Path(write).exists() and not Path(write).is_dir():  # before any AWS call
        raise BadInput(f"--write {write} is not a folder; accepted: a folder (made if missing)")
    project, found = collect(opts, reveal)
    if write:
        written = write_files(Path(write), found)
        if not as_json:
            console.note(f"Wrote {len(written)} files under {write}"
                         + ("" if reveal else " (secrets left out: add --reveal to include them)"))
    if as_json:
        from mcpauth_wizard.provision.handoff import as_json

        console.print_json({"user_pool_id": project.user_pool_id, "mcp_url": project.resource_url,
                            **as_json(found)})
        return
    for handoff in found:
        console.out.print(console.handoff_panel(handoff))
