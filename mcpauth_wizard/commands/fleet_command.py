"""`mcpauth doctor --all`: the doctor over every gateway of the given regions (doctor/fleet.py)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from mcpauth_wizard.core import console
from mcpauth_wizard.core.errors import BadInput

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options

# Flags of one doctor run that name one setup or act on it: meaningless with --all.
SINGLE_RUN_FLAGS = {
    "url": "a URL", "platforms": "--platform", "client_id": "--client-id",
    "client_secret_env": "--client-secret-env", "pool_id": "--pool-id", "gateway_id": "--gateway-id",
    "issuer": "--issuer", "login": "--login", "login_platform": "--login-as",
    "call_tool": "--call-tool", "client_metadata_url": "--client-metadata-url",
    "token_env": "--token-env", "step": "--step", "fix": "--fix", "trace": "--trace",
    "record": "--record", "audit": "--audit", "probe_registration": "--probe-registration",
}


def check_regions(regions: tuple[str, ...]) -> tuple[str, ...]:
    from mcpauth_wizard.aws.session import partition_of

    for region in regions:
        partition_of(region)  # an unknown region is bad input, said in one line
    return tuple(dict.fromkeys(regions))


def run_fleet(opts: Options, regions: tuple[str, ...], concurrency: int, *, fmt: str,
              output: str | None, given: dict[str, Any]) -> None:
    from mcpauth_wizard.commands.doctor_command import check_output
    from mcpauth_wizard.doctor import fleet

    for key, flag in SINGLE_RUN_FLAGS.items():
        if given.get(key):
            raise BadInput(f"--all checks every gateway: {flag} names one setup; drop it, or drop --all")
    if fmt not in ("text", "json"):
        raise BadInput(f"--all --format {fmt}: accepted with --all: text, json")
    out_path = check_output(output) if output is not None else None
    base = opts.aws()
    chosen = check_regions(regions or (base.region_name,))
    base.require_credentials("mcpauth doctor --all")
    machine = fmt == "json" and out_path is None

    def heard(entry: fleet.Entry, done: int, total: int) -> None:
        if sys.stderr.isatty() and not opts.verbose:
            mark = "✗" if entry.errors else "✓"
            console.err.print(f"[dim][{done}/{total}][/] {mark} {entry.gateway_id} {entry.region}",
                              soft_wrap=True, highlight=False)

    if not machine:
        console.out.print(f"[bold]mcpauth doctor --all[/] {', '.join(chosen)}", soft_wrap=True)
    result = fleet.run_all(base, chosen, opts.project(), concurrency=concurrency, on_entry=heard)
    if fmt == "json":
        import json

        text = json.dumps(result.as_dict(), indent=2, default=str) + "\n"
        if out_path is not None:
            from mcpauth_wizard.core.files import write_atomic

            write_atomic(out_path, text, "--output")
        else:
            sys.stdout.write(text)
    if not machine:
        for line in fleet.summary_lines(result):
            console.out.print(line, soft_wrap=True, highlight=False, markup=False)
        if out_path is not None:
            if fmt == "text":
                from mcpauth_wizard.core.files import write_atomic

                write_atomic(out_path, "\n".join(fleet.summary_lines(result)) + "\n", "--output")
            console.err.print(f"Report ({fmt}) written to {out_path}", soft_wrap=True, highlight=False,
                              markup=False)
    if result.errors:
        raise click.exceptions.Exit(1)
